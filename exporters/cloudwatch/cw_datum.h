/* CloudWatch's datum model: one MetricDatum (a value, a statistic set or a distribution with
 * its dimensions), a list that owns its strings, and the limits the service enforces on them.
 * Shared by the aggregator (cw_agg), the encoders (cw_query, cw_json) and EMF. Pure. */
#ifndef HW_CW_DATUM_H
#define HW_CW_DATUM_H

#include <stddef.h>
#include <stdint.h>

#define CW_NONE SIZE_MAX /* no index: the end of a chain, or nothing found */
#define CW_MAX_DIMS 30
#define CW_MAX_NAME_LEN 255
#define CW_MAX_DIM_VALUE_LEN 1024

/* ---- datums ----------------------------------------------------------------------------- */

struct cw_dim {
    const char *name;
    const char *value;
};

enum cw_kind {
    CW_VALUE, /* Value */
    CW_STATS, /* StatisticValues */
    CW_DIST,  /* Values + Counts */
};

struct cw_stats {
    double count, sum, min, max;
};

/* One MetricDatum. */
struct cw_datum {
    const char *name;
    const char *unit; /* a StandardUnit, or NULL: omitted (CloudWatch then uses None) */
    const struct cw_dim *dims;
    size_t ndims;
    enum cw_kind kind;
    double value;          /* CW_VALUE */
    struct cw_stats stats; /* CW_STATS */
    const double *values;  /* CW_DIST: distinct, ascending */
    const double *counts;  /* CW_DIST: same length, each > 0 */
    size_t nvalues;
    int64_t timestamp_ms;   /* end of the aggregation interval */
    int storage_resolution; /* 1 or 60 */
};

struct cw_arena_blk;

/* A list of datums that owns every string and array they point to. */
struct cw_datums {
    struct cw_datum *v;
    size_t n, cap;
    struct cw_arena_blk *arena;
};

void cw_datums_init(struct cw_datums *d);
void cw_datums_free(struct cw_datums *d);
/* Memory living as long as d (max_align_t aligned); NULL when out of memory. */
void *cw_datums_alloc(struct cw_datums *d, size_t n);
char *cw_datums_strdup(struct cw_datums *d, const char *s);
/* Appends a copy of x (its pointers are kept as they are); 0 or -ENOMEM. */
int cw_datums_push(struct cw_datums *d, const struct cw_datum *x);

/* ---- limits the service enforces -------------------------------------------------------- */

/* The StandardUnit table's own string equal to unit, or NULL. */
const char *cw_unit_find(const char *unit);
/* 1..255 / 1..1024 bytes of printable ASCII, not only blanks; a name does not start with ':'. */
int cw_dim_name_valid(const char *s);
int cw_dim_value_valid(const char *s);
/* Finite, and 0 or a magnitude within 2^-360 .. 2^360. */
int cw_value_valid(double v);
/* 1 when the service would accept d (names, dimensions, values, unit, resolution; the metric
 * name 1..255 bytes of well-formed UTF-8). */
int cw_datum_valid(const struct cw_datum *d);

#endif
