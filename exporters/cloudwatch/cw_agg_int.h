/* Internals shared by the CloudWatch aggregator's two halves: observing snapshots
 * (cw_agg.c) and building the interval's datums at a flush (cw_agg_flush.c). */
#ifndef HW_CW_AGG_INT_H
#define HW_CW_AGG_INT_H

#include <math.h>
#include <stdint.h>

#include "cw_agg.h"


struct cw_series {
    const struct hw_label *labels; /* in this allocation, sorted by key */
    size_t nlabels;
    uint64_t seen_obs; /* observation that last held it */
    int dirty;         /* has data for the next flush */
    double prev, cur;  /* counter value / histogram sum: at the last flush, latest */
    uint64_t gn;       /* gauge samples of the interval */
    double gsum, gmin, gmax, glast;
    uint64_t prev_count, cur_count;
    uint64_t *prev_b, *cur_b; /* histogram cumulative bucket counts */
};

struct cw_fam {
    char *name;
    const char *unit; /* StandardUnit table entry or NULL */
    enum hw_mtype type;
    size_t nbuckets;
    double *bounds;
    int selected, fresh, name_ok;
    uint64_t seen_obs; /* observation whose snapshot held it */
    uint64_t took_obs; /* observation that took it as a sample: its series are those */
    struct cw_series **list; /* sorted by labels, as the snapshot's series */
    size_t n, cap;
};

struct cw_pending;

struct cw_agg {
    struct cw_datums mem; /* copies of the options */
    const char **globs;
    size_t nglobs;
    struct cw_dim *sdims; /* sorted by name, empty values dropped */
    size_t nsdims;
    struct cw_dimset *rollups; /* names sorted, duplicates dropped */
    size_t nrollups;
    int resolution;
    enum cw_gauge_mode mode;
    size_t max_series, nseries;
    struct cw_fam **fams; /* sorted by name */
    size_t nfams, capfams;
    uint64_t obs, last_gen;
    struct cw_agg_stats stats;
    struct cw_datums pmem;       /* memory of the restored baselines */
    struct cw_pending *pending;  /* restored counter baselines, sorted; until the first flush */
    size_t npending;
};


/* CloudWatch rejects non-zero magnitudes below 2^-360; they are 0 for any practical purpose. */
static inline double cw_tiny_to_zero(double v)
{
    return (v != 0 && fabs(v) < 0x1p-360) ? 0.0 : v;
}

/* The restored baseline of series s of counter family fam (cw_baseline.c): 1 and *value, or 0. */
int cw_baseline_find(const struct cw_agg *agg, const char *fam, const struct hw_snap_series *s,
                     double *value);
/* Forgets the restored baselines (the first flush has committed its own). */
void cw_baselines_drop(struct cw_agg *agg);
/* qsort/bsearch order of string pointers. */
int cw_cmp_str(const void *a, const void *b);
/* Frees a family record and its series (the aggregator's series count drops). */
void cw_fam_free(struct cw_agg *agg, struct cw_fam *fam);
/* The latest values become the reference of the next delta. */
void cw_series_rebase(struct cw_series *e, size_t nb);

#endif
