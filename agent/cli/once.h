/* `hostwatch once`: one collection by every collector, printed in the chosen format. */
#ifndef HW_ONCE_H
#define HW_ONCE_H

#include <stdio.h>

#include "buf.h"
#include "registry.h"

enum hw_once_format { HW_FMT_PROMETHEUS, HW_FMT_OPENMETRICS, HW_FMT_JSON, HW_FMT_CLOUDWATCH };

/* Returns the process exit code. */
int hw_once_run(const char *config_path, enum hw_once_format fmt, FILE *out);
/* Every family of snap as one JSON document (all views, exporter-neutral). */
int hw_snapshot_to_json(const struct hw_snapshot *snap, struct hw_buf *out);

#endif
