/* CloudWatch aggregation per flush interval: turns the registry snapshots seen during an
 * interval into PutMetricData datums (cw_datum.h). Pure: no I/O, no clock, no logging.
 *
 * - Selection: families with the CloudWatch view whose name matches one of the globs (all of
 *   them without globs); a family outside that view only through a glob that does not start
 *   with a wildcard (e.g. "hostwatch_*"), so "*" never repeats every metric under its
 *   node_exporter name.
 * - Dimensions: the series labels (key = dimension name) plus the static dimensions, a label
 *   overriding a static dimension of the same name; empty values skipped; ordered as the
 *   CloudWatch agent does ("host" first, then by name). A series whose dimensions CloudWatch
 *   would reject (name > 255 bytes, value > 1024, non-ASCII or control characters, more than
 *   30) is not sent and is counted. aggregation_dimensions: each set also yields a datum with
 *   only those dimensions when the series has all of them (the empty set: no dimension);
 *   series meeting in one such datum are merged (counters and last values become a statistic
 *   set so every statistic stays what separate datapoints would give).
 * - Counters: one Value = the increase since the previous flush. A family seen for the first
 *   time only sets the baseline of the series it holds then (values from before the agent
 *   watched, e.g. diskio since boot: the CloudWatch agent's "first interval not sent"); a series
 *   appearing later in a known family counts from 0, so the first match of a log-derived counter
 *   is sent. A decrease is a reset: the new value is the delta. A series observed after its
 *   baseline is sent even when its delta is 0 (alarms need datapoints).
 * - Gauges: StatisticValues (SampleCount/Sum/Minimum/Maximum of the values observed, one sample
 *   per snapshot taken) or, in last mode, Value = the last value observed.
 * - Histograms: Values/Counts from the delta of the bucket counts; a finite bucket is
 *   represented by its upper bound (le semantics: a percentile alarm whose threshold is a bucket
 *   bound decides as it would on the raw values); the +Inf bucket by the larger of the largest
 *   bound and a lower bound of the overflowing observations' mean derived from the interval's
 *   sum. Nothing is sent for a histogram without observations in the interval.
 * - NaN, ±Inf and magnitudes above 2^360 are never sent (counted); non-zero magnitudes below
 *   2^-360, which CloudWatch also rejects, are sent as 0.
 * - Series absent from the latest snapshot are forgotten at the flush after their last data.
 * - Restarts: cw_agg_checkpoint() lists every counter series' baseline (what has been sent of
 *   it); restored into a new aggregator before its first snapshot, a series of a family seen for
 *   the first time starts from its saved baseline instead of its current value, so the first
 *   flush sends current - saved. Histograms and gauges are not saved. */
#ifndef HW_CW_AGG_H
#define HW_CW_AGG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cw_datum.h"
#include "registry.h"

#define CW_AGG_DEFAULT_MAX_SERIES 10000
#define CW_AGG_MAX_BASELINES 1000 /* counter series whose baseline survives a restart */

/* One aggregation_dimensions entry: the dimension names to keep (n = 0: no dimension). */
struct cw_dimset {
    const char *const *names;
    size_t n;
};

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
    int storage_resolution; /* 1 or 60; 0 = 60 */
    enum cw_gauge_mode gauge_mode;
    size_t max_series; /* series remembered; 0 = CW_AGG_DEFAULT_MAX_SERIES */
};

/* Cumulative counts of what was not sent. */
struct cw_agg_stats {
    uint64_t invalid_values; /* NaN, ±Inf, beyond ±2^360 (per value, gauge sample or datum) */
    uint64_t invalid_series; /* dimensions CloudWatch rejects (per series and flush) */
    uint64_t dropped_series; /* new series beyond max_series (per series and snapshot) */
};

struct cw_agg;

/* 0, -EINVAL (resolution, gauge mode, invalid or duplicate static dimension) or -ENOMEM.
 * The options are copied. */
int cw_agg_new(const struct cw_agg_opts *o, struct cw_agg **out);
void cw_agg_free(struct cw_agg *agg);
/* Takes the values of one snapshot; call after every publish (a snapshot already observed is
 * ignored). 0 or -ENOMEM (the snapshot is then partly taken). Not thread-safe: the caller
 * serialises observe and flush of one aggregator. */
int cw_agg_observe(struct cw_agg *agg, const struct hw_snapshot *snap);
/* The same for the families i of snap with take[i] != 0 only (exporters/push/sampler.h); the others
 * are known to be present, so their series are kept as last taken. take NULL: every family.
 * The sampler decides what is new, so a snapshot already observed is taken again. */
int cw_agg_observe_some(struct cw_agg *agg, const struct hw_snapshot *snap, const int64_t *take);
/* Appends the datums of the interval ending at end_ms (their Timestamp) to out and starts the
 * next interval. 0, or -ENOMEM with out and the aggregator unchanged (the interval goes on). */
int cw_agg_flush(struct cw_agg *agg, int64_t end_ms, struct cw_datums *out);
void cw_agg_get_stats(const struct cw_agg *agg, struct cw_agg_stats *out);

/* The baselines of at most max counter series, tagged with the namespace and a hash of the
 * configuration they were sent under; a new reference, or NULL when out of memory. Right
 * after cw_agg_flush() they are what that flush sent up to. */
json_t *cw_agg_checkpoint(const struct cw_agg *agg, const char *ns, uint64_t config, size_t max);
/* 0 when saved is a checkpoint of this format, namespace and configuration; else -EINVAL with
 * *why set. */
int cw_baselines_check(const json_t *saved, const char *ns, uint64_t config, const char **why);
/* Takes at most max baselines of a checked checkpoint; call before the first cw_agg_observe().
 * 0, or -EINVAL / -ENOMEM with *why set and nothing taken. */
int cw_agg_restore(struct cw_agg *agg, const json_t *saved, size_t max, const char **why);

#endif
