/* Prometheus text exposition format 0.0.4, rendered from a registry snapshot. */
#ifndef HW_PROM_TEXT_H
#define HW_PROM_TEXT_H

#include "buf.h"
#include "registry.h"

#define PROM_TEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Appends every family of snap whose views include `view`. */
void prom_text_render(struct hw_buf *out, const struct hw_snapshot *snap, unsigned view);
/* Escaping rules of the format, exposed for tests: label values escape \ " and newline;
 * HELP text escapes \ and newline. */
void prom_text_label_value(struct hw_buf *out, const char *v);
void prom_text_help(struct hw_buf *out, const char *v);

#endif
