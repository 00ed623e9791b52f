/* The CloudWatch aggregator tests' shared pieces: snapshots built with the real registry and
 * lookups of datums by name and dimensions. Shared by test_cw_agg.c and test_cw_baseline.c. */
#ifndef HW_CW_AGG_HARNESS_H
#define HW_CW_AGG_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/cloudwatch/cw_agg.h"
#include "exporters/cloudwatch/cw_query.h"
#include "registry.h"

#define T0 1795309323000LL /* 2026-11-22T01:02:03Z */

static inline struct hw_family *family(struct hw_registry *reg, const char *name,
                                       enum hw_mtype type, const char *unit, unsigned views)
{
    const struct hw_family_desc d = {
        .name = name, .help = "h", .unit = unit, .type = type, .views = views};
    struct hw_family *f = hw_registry_family(reg, &d, NULL);
    assert_non_null(f);
    return f;
}

static inline struct hw_series *series1(struct hw_family *f, const char *key, const char *value)
{
    const struct hw_label l[] = {{key, value}};
    struct hw_series *s = hw_family_series(f, l, key ? 1 : 0, 0);
    assert_non_null(s);
    return s;
}

static inline void observe(struct hw_registry *reg, struct cw_agg *agg)
{
    assert_int_equal(hw_registry_publish(reg), 0);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    assert_int_equal(cw_agg_observe(agg, snap), 0);
    hw_snapshot_release(snap);
}

static inline void flush(struct cw_agg *agg, int64_t ts, struct cw_datums *d)
{
    cw_datums_free(d);
    assert_int_equal(cw_agg_flush(agg, ts, d), 0);
}

static inline struct cw_agg *agg_new(const struct cw_agg_opts *o)
{
    struct cw_agg *agg = NULL;
    assert_int_equal(cw_agg_new(o, &agg), 0);
    return agg;
}

/* "k=v,k=v" of a datum's dimensions, in their order. */
static inline const char *dims_str(const struct cw_datum *x, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < x->ndims && n < len; i++) {
        n += (size_t)snprintf(buf + n, len - n, "%s%s=%s", i ? "," : "", x->dims[i].name,
                              x->dims[i].value);
    }
    return buf;
}

static inline const struct cw_datum *find(const struct cw_datums *d, const char *name,
                                          const char *dims)
{
    char buf[4096];
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->v[i].name, name) == 0 &&
            strcmp(dims_str(&d->v[i], buf, sizeof(buf)), dims) == 0) {
            return &d->v[i];
        }
    }
    return NULL;
}

static inline void assert_value(const struct cw_datums *d, const char *name, const char *dims,
                                double v)
{
    const struct cw_datum *x = find(d, name, dims);
    assert_non_null(x);
    assert_int_equal(x->kind, CW_VALUE);
    assert_true(x->value == v);
}

#endif
