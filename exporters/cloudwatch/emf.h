/* exporters.emf: CloudWatch Embedded Metric Format (EMF) documents, one JSON object per line, on
 * stdout (an ECS sidecar with the awslogs log driver: metrics in CloudWatch without the
 * PutMetricData permission) or appended to a file, once per flush interval.
 *
 * The interval is aggregated as for the cloudwatch exporter (cw_agg.h): same metric globs,
 * names, units and dimension rules, gauges as their last value (EMF has no statistic sets),
 * counters as the interval's increase. A histogram becomes an array of values, each value
 * repeated by its count (EMF has no counts); above EMF_MAX_VALUES observations the array is a
 * 100-value quantile sample (percentiles stay within a percent of rank, but the metric's own
 * SampleCount and Sum are the sample's), so the exact totals also go out as the metrics
 * <name>_count and <name>_sum (a sum that decreases reads as a reset, as with Prometheus: it
 * assumes non-negative observations).
 *
 * One document per dimension set (the dimension values as members, Dimensions = [[names]],
 * [[]] without dimensions) holding at most EMF_MAX_METRICS metrics and, but for one oversized
 * metric, EMF_MAX_LINE bytes: Docker splits longer lines in non-blocking mode.
 *
 * Static dimensions expand ${ENV_VAR}; ${aws:...} and ${ecs:...} are resolved only by the
 * cloudwatch exporter and are rejected here. The flush interval is checked after each publish,
 * so documents follow the collection cadence (within 5% of the interval early). */
#ifndef HW_EMF_H
#define HW_EMF_H

#include <stdint.h>

#include "buf.h"
#include "cw_datum.h"
#include "opt.h"
#include "plugin.h"

#define EMF_MAX_METRICS 100 /* metric definitions per directive */
#define EMF_MAX_VALUES 100  /* values in a metric array */
#define EMF_MAX_LINE 16000  /* bytes per document and its newline (Docker's line buffer: 16 KiB) */

struct emf_conf {
    char *namespace_;
    int64_t flush_interval_ns;
    char *output; /* "-": stdout, else a file opened for appending */
    struct hw_strlist metrics;
    struct hw_strmap dimensions;
    int64_t storage_resolution;
    int64_t sample_interval_ns; /* 0: agent.interval */
};

extern const struct hw_exporter hw_exporter_emf;

/* The exporter's check --cost estimate (cw_cost.c). */
extern const struct hw_cost_ops emf_cost_ops;

/* Appends the EMF documents of the datums to out, each followed by '\n'. Datums EMF cannot
 * carry (invalid for CloudWatch, or a metric named "_aws" or like one of its dimensions) are
 * left out. Returns the number of documents, or -ENOMEM. */
int emf_render(const struct cw_datums *d, const char *ns, struct hw_buf *out);

#endif
