/* Metric registry: families of labelled series, written by the loop thread and read by
 * exporters through immutable, reference-counted snapshots. */
#ifndef HW_REGISTRY_H
#define HW_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

enum hw_mtype { HW_COUNTER, HW_GAUGE, HW_HISTOGRAM };

/* Which naming convention a family belongs to; exporters pick families by view. */
enum {
    HW_VIEW_NODE = 1u << 0, /* node_exporter / Prometheus names */
    HW_VIEW_CW = 1u << 1,   /* CloudWatch-agent names */
    HW_VIEW_ALL = HW_VIEW_NODE | HW_VIEW_CW,
};

/* Family flags. */
enum {
    /* Series not refreshed by the owner's latest collection are removed (gauges of
     * things that can disappear: mounts, devices). */
    HW_FAM_REPLACE = 1u << 0,
};

struct hw_family_desc {
    const char *name;     /* exposed name, e.g. node_memory_MemTotal_bytes */
    const char *help;     /* one line */
    const char *unit;     /* CloudWatch unit: Bytes, Percent, Count, Seconds, None ... */
    enum hw_mtype type;
    unsigned views;       /* HW_VIEW_* */
    unsigned flags;       /* HW_FAM_* */
    const double *buckets; /* histogram upper bounds, ascending, without +Inf */
    size_t nbuckets;
};

struct hw_label {
    const char *key;
    const char *value;
};

struct hw_registry;
struct hw_family;
struct hw_series;

struct hw_registry *hw_registry_new(void);
void hw_registry_free(struct hw_registry *reg);

/* Finds or creates the family named d->name (all desc strings are copied). owner is the
 * plugin instance's name (copied; NULL for the core): a plugin's families are swept and
 * dropped by that name, which survives a reload. A family asked for by a second owner becomes
 * shared and is never dropped with either. NULL on allocation failure or when a family of that
 * name exists with another type. */
struct hw_family *hw_registry_family(struct hw_registry *reg, const struct hw_family_desc *d,
                                     const char *owner);

/* Finds or creates the series with these labels (order does not matter; copied). Returns NULL
 * when the family already holds max_series series (0 = unbounded) or on allocation failure. */
struct hw_series *hw_family_series(struct hw_family *fam, const struct hw_label *labels,
                                   size_t nlabels, size_t max_series);
size_t hw_family_nseries(const struct hw_family *fam);

void hw_series_set(struct hw_series *s, double v);
void hw_series_add(struct hw_series *s, double v);
/* Histogram observation: bucket (le semantics), count and sum. */
void hw_family_observe(struct hw_family *fam, struct hw_series *s, double v);
double hw_series_value(const struct hw_series *s);

/* Visits every series of fam (checkpoints): labels sorted by key, value (histogram: sum),
 * observation count and per-bucket (not cumulative) counts, nbuckets of them. */
typedef void (*hw_series_visit_cb)(void *arg, const struct hw_label *labels, size_t nlabels,
                                   double value, uint64_t count, const uint64_t *buckets,
                                   size_t nbuckets);
void hw_family_foreach(const struct hw_family *fam, hw_series_visit_cb cb, void *arg);
/* Sets a series to checkpointed figures (buckets: per-bucket counts, fam's nbuckets of them,
 * or NULL). */
void hw_series_restore(struct hw_family *fam, struct hw_series *s, double value, uint64_t count,
                       const uint64_t *buckets);
size_t hw_family_nbuckets(const struct hw_family *fam);

/* Convenience: set/add a gauge or counter with labels; returns 0 or -1 (dropped). */
int hw_family_set(struct hw_family *fam, const struct hw_label *labels, size_t n, double v);

/* A collection by `owner` starts: series it does not touch before hw_registry_sweep() are
 * removed from its HW_FAM_REPLACE families. */
void hw_registry_begin(struct hw_registry *reg, const char *owner);
void hw_registry_sweep(struct hw_registry *reg, const char *owner);
/* owner's periodic collection that started at wall_ms has written its families: they count
 * one more collection, stamped wall_ms (shown in snapshots). */
void hw_registry_stamp(struct hw_registry *reg, const char *owner, int64_t wall_ms);
/* Removes every family owned by owner alone (plugin instance removed on reload). */
void hw_registry_drop_owner(struct hw_registry *reg, const char *owner);

/* The order of series in a snapshot: label by label (sorted label sets), key then value;
 * fewer labels first. */
int hw_labels_cmp(const struct hw_label *a, size_t na, const struct hw_label *b, size_t nb);

/* ---- snapshots -------------------------------------------------------------------------- */

struct hw_snap_series {
    const struct hw_label *labels; /* sorted by key */
    size_t nlabels;
    double value;           /* counter/gauge value; histogram sum */
    uint64_t count;         /* histogram observation count */
    const uint64_t *bucket; /* histogram cumulative counts, nbuckets entries (+Inf = count) */
};

struct hw_snap_family {
    const char *name, *help, *unit;
    enum hw_mtype type;
    unsigned views;
    const double *buckets;
    size_t nbuckets;
    const struct hw_snap_series *series; /* sorted by labels */
    size_t nseries;
    /* Written by a periodic collection: how many so far and the wall time of the latest (0 and
     * 0 for event-driven families, the agent's own and the exporters'). Push exporters take a
     * sample of such a family once per collection (see exporters/push/sampler.h). */
    uint64_t collections;
    int64_t collected_ms;
};

struct hw_snapshot {
    uint64_t generation;  /* increases with every publish */
    int64_t timestamp_ms; /* wall clock at publish */
    const struct hw_snap_family *families; /* sorted by name */
    size_t nfamilies;
    size_t bytes; /* memory it holds (queues bound themselves by it) */
    /* The same in two snapshots of one registry: the same families in the same order. */
    uint64_t layout;
};

/* Builds an immutable snapshot of the current values and makes it the current one. Called by
 * the loop thread after a collection. Returns 0 or -ENOMEM (the old snapshot stays). */
int hw_registry_publish(struct hw_registry *reg);
/* Takes a reference to the current snapshot (never NULL after the first publish). Thread-safe. */
const struct hw_snapshot *hw_registry_acquire(struct hw_registry *reg);
void hw_snapshot_release(const struct hw_snapshot *snap);

const struct hw_snap_family *hw_snapshot_find(const struct hw_snapshot *snap, const char *name);

#endif
