/* `hostwatch once`: one collection by every collector, printed in the chosen format. */
#ifndef HW_ONCE_H
#define HW_ONCE_H

#include <stdio.h>

#include "buf.h"
#include "registry.h"

/* 1 when `once --format name` is known: "json", or a format an exporter prints. */
int hw_once_format_known(const char *name);
/* The formats known, ", "-separated, for a usage message. */
void hw_once_formats(char *out, size_t len);
/* Returns the process exit code. */
int hw_once_run(const char *config_path, const char *format, FILE *out);
/* Every family of snap as one JSON document (all views, exporter-neutral). */
int hw_snapshot_to_json(const struct hw_snapshot *snap, struct hw_buf *out);

#endif
