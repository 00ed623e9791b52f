/* The agent's own metrics (hostwatch_*), written by the core on the loop thread. */
#ifndef HW_SELFMETRICS_H
#define HW_SELFMETRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

struct hw_selfmetrics;

struct hw_selfmetrics *hw_selfmetrics_new(struct hw_registry *reg);
void hw_selfmetrics_free(struct hw_selfmetrics *sm);
/* Records one collection of `collector`: its duration and whether it failed. */
void hw_selfmetrics_collected(struct hw_selfmetrics *sm, const char *collector, int64_t dur_ns,
                              int failed);
void hw_selfmetrics_reloaded(struct hw_selfmetrics *sm, int ok);

/* The families every exporter reports its own figures in, labelled exporter and result. */
enum hw_export_family {
    HW_EXPORT_REQUESTS,    /* hostwatch_export_requests_total */
    HW_EXPORT_DATAPOINTS,  /* hostwatch_export_datapoints_total */
    HW_EXPORT_SPOOL_BYTES, /* hostwatch_spool_bytes (no result label) */
};

struct hw_export_row {
    enum hw_export_family fam;
    const char *result; /* NULL for HW_EXPORT_SPOOL_BYTES */
    atomic_ullong *value; /* kept by the exporter's threads */
};

/* Writes an exporter's figures (an exporter's report(), on the loop thread). */
void hw_selfmetrics_export(struct hw_registry *reg, const char *exporter,
                           const struct hw_export_row *rows, size_t n);

#endif
