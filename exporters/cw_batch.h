/* CloudWatch aggregation per flush interval: turns the registry snapshots seen during an
 * interval into PutMetricData datums (counters as deltas, gauges as statistic sets or the last
 * value, histograms as Values/Counts). Pure: no I/O, no clock, no logging.
 *
 * Semantics (see the README's CloudWatch section):
 * - Counters: one Value = the increase since the previous flush. A family seen for the first
 *   time only sets the baseline of the series it holds then (values accumulated before the
 *   agent watched them, e.g. diskio since boot: the CloudWatch agent's "first interval not
 *   sent"); a series that appears later in a known family counts from 0, so the first match of
 *   a log-derived counter is sent. A decrease is a reset: the new value is the delta. A series
 *   observed during the interval is sent even when its delta is 0 (alarms need datapoints).
 * - Gauges: StatisticValues (SampleCount/Sum/Minimum/Maximum of the values observed, one
 *   sample per snapshot) or, in last mode, Value = the last value observed.
 * - Histograms: the delta of the bucket counts; each finite bucket is represented by its upper
 *   bound (le semantics: a percentile alarm with a threshold on a bucket bound decides exactly
 *   as the true percentile would); the +Inf bucket by max(largest bound, a lower bound of the
 *   mean of the overflowing observations derived from the interval's sum). Nothing is sent for
 *   a histogram without observations in the interval.
 * - NaN, ±Inf and values beyond ±2^360 are never sent (counted); non-zero magnitudes below
 *   2^-360, which CloudWatch also rejects, are sent as 0.
 * - Series not in the latest snapshot are forgotten at the flush after their last data. */
#ifndef HW_CW_BATCH_H
#define HW_CW_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

#define CW_MAX_DIMS 30
#define CW_MAX_NAME_LEN 255
#define CW_MAX_DIM_VALUE_LEN 1024
#define CW_AGG_DEFAULT_MAX_SERIES 10000

struct cw_dim {
    const char *name;
    const char *value;
};

/* One aggregation_dimensions entry: the dimension names to keep (n = 0: no dimension). */
struct cw_dimset {
    const char *const *names;
    size_t n;
};

enum cw_kind {
    CW_VALUE, /* Value */
    CW_STATS, /* StatisticValues */
    CW_DIST,  /* Values + Counts */
};

struct cw_stats {
    double count, sum, min, max;
};

/* One MetricDatum as the encoder consumes it. */
struct cw_datum {
    const char *name;
    const char *unit; /* a StandardUnit, or NULL: omitted (CloudWatch uses None) */
    const struct cw_dim *dims;
    size_t ndims;
    enum cw_kind kind;
    double value;          /* CW_VALUE */
    struct cw_stats stats; /* CW_STATS */
    const double *values;  /* CW_DIST: distinct, ascending */
    const double *counts;  /* CW_DIST: same length, each > 0 */
    size_t nvalues;
    int64_t timestamp_ms;
    int storage_resolution; /* 1 or 60 */
};

struct cw_arena_blk;

/* The datums of flushes; owns every string and array they point to. */
struct cw_datums {
    struct cw_datum *v;
    size_t n, cap;
    struct cw_arena_blk *arena;
};

void cw_datums_init(struct cw_datums *d);
void cw_datums_free(struct cw_datums *d);

enum cw_gauge_mode {
    CW_GAUGE_STATISTICS,
    CW_GAUGE_LAST,
};

struct cw_agg_opts {
    const char *const *metrics; /* fnmatch globs over family names; none: every CW family */
    size_t nmetrics;
    const struct cw_dim *dims; /* static dimensions, already resolved; empty values skipped */
    size_t ndims;
    const struct cw_dimset *rollups; /* aggregation_dimensions */
    size_t nrollups;
    int storage_resolution;      /* 1 or 60; 0 = 60 */
    enum cw_gauge_mode gauge_mode;
    size_t max_series;           /* series remembered; 0 = CW_AGG_DEFAULT_MAX_SERIES */
};

/* Cumulative counts of what was not sent. */
struct cw_agg_stats {
    uint64_t invalid_values; /* NaN, ±Inf, beyond ±2^360 (per value or gauge sample) */
    uint64_t invalid_series; /* names, values or dimension counts CloudWatch rejects (per flush) */
    uint64_t dropped_series; /* new series beyond max_series (per snapshot) */
};

struct cw_agg;

/* 0, -EINVAL (bad option: resolution, static dimension) or -ENOMEM. Options are copied. */
int cw_agg_new(const struct cw_agg_opts *o, struct cw_agg **out);
void cw_agg_free(struct cw_agg *agg);
/* Takes the values of one snapshot (call after every publish; a snapshot already observed is
 * ignored). 0 or -ENOMEM (the snapshot is then partly taken). Not thread-safe: observe and flush
 * of one aggregator must be serialised by the caller. */
int cw_agg_observe(struct cw_agg *agg, const struct hw_snapshot *snap);
/* Appends the datums of the interval ending at end_ms (their Timestamp) to out and starts a new
 * interval. 0, or -ENOMEM with out and the aggregator unchanged (the interval continues). */
int cw_agg_flush(struct cw_agg *agg, int64_t end_ms, struct cw_datums *out);
void cw_agg_get_stats(const struct cw_agg *agg, struct cw_agg_stats *out);

/* Limits CloudWatch enforces, shared with the encoder. */
int cw_unit_valid(const char *unit);
int cw_dim_name_valid(const char *s);
int cw_dim_value_valid(const char *s);
int cw_value_valid(double v);
/* 1 when the service would accept d (names, dimensions, values, resolution). */
int cw_datum_valid(const struct cw_datum *d);

#endif
