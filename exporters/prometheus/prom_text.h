/* Prometheus text exposition format 0.0.4, rendered from a registry snapshot. */
#ifndef HW_PROM_TEXT_H
#define HW_PROM_TEXT_H

#include "buf.h"
#include "registry.h"

#define PROM_TEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define PROM_OM_CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

enum prom_format { PROM_FMT_TEXT, PROM_FMT_OPENMETRICS, PROM_FMT_PROTOBUF, PROM_NFORMATS };

/* Appends every family of snap whose views include `view`. */
void prom_text_render(struct hw_buf *out, const struct hw_snapshot *snap, unsigned view);
/* OpenMetrics 1.0 text: counter families named without "_total" (their samples keep it),
 * HELP escaping of '"' too, and the closing "# EOF". */
void prom_openmetrics_render(struct hw_buf *out, const struct hw_snapshot *snap, unsigned view);
/* The format an Accept header prefers by q-value: protobuf (delimited MetricFamily) or
 * OpenMetrics when asked for with a q at least that of anything else, else text 0.0.4. */
enum prom_format prom_negotiate(const char *accept);
/* Escaping rules of the format, exposed for tests: label values escape \ " and newline;
 * HELP text escapes \ and newline. */
void prom_text_label_value(struct hw_buf *out, const char *v);
void prom_text_help(struct hw_buf *out, const char *v);

#endif
