/* CloudWatch aggregation, the flush half: the datums of an interval from the series' values
 * and the roll-ups; the semantics are described in cw_agg.h. */
#include "cw_agg_int.h"
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- flush ------------------------------------------------------------------------------ */

/* A datum being assembled: what one series brings to the interval, or the roll-up of several
 * series sharing a dimension set. */
struct cw_group {
    struct cw_dim *dims;
    size_t ndims, nsrc;
    struct cw_stats st; /* counter deltas / last values count 1 each */
    double value;       /* counter delta, last gauge value (nsrc = 1) */
    double *bcount;     /* histogram: count per bucket, nbuckets + 1 (+Inf last) */
    double infsum;      /* histogram: +Inf representatives times their counts */
    double infv;        /* histogram: the +Inf representative while all series agree on it */
    int infmixed;
    const struct cw_series *last; /* the last series fed in: one listed twice counts once */
};

struct cw_build {
    struct cw_agg *agg;
    struct cw_datums *out;
    int64_t ts;
    struct cw_agg_stats pend; /* added to the totals once the flush succeeded */
    struct cw_group *g;       /* roll-up groups of the current family */
    size_t ng, capg;
};

/* Per-bucket count i of cumulative counts (i = nb: +Inf); saturates on inconsistent input. */
static uint64_t cw_bucket(const uint64_t *cum, uint64_t count, size_t nb, size_t i)
{
    const uint64_t hi = i < nb ? cum[i] : count;
    const uint64_t lo = i ? cum[i - 1] : 0;
    return hi > lo ? hi - lo : 0;
}

/* Bucket deltas; a bucket that decreased means a reset, after which the counts are the delta.
 * Every finite bucket's observation is at most its bound, so those add up to at most `below`
 * and (sum - below) / count bounds the overflowing observations' mean from below. */
static int cw_series_hist(const struct cw_fam *fam, const struct cw_series *e, struct cw_group *g)
{
    const size_t nb = fam->nbuckets;
    int reset = 0;
    for (size_t i = 0; i <= nb && !reset; i++) {
        reset =
            cw_bucket(e->cur_b, e->cur_count, nb, i) < cw_bucket(e->prev_b, e->prev_count, nb, i);
    }
    double below = 0;
    for (size_t i = 0; i <= nb; i++) {
        const uint64_t cur = cw_bucket(e->cur_b, e->cur_count, nb, i);
        g->bcount[i] = (double)(reset ? cur : cur - cw_bucket(e->prev_b, e->prev_count, nb, i));
        below += i < nb && g->bcount[i] > 0 ? g->bcount[i] * fam->bounds[i] : 0;
        g->st.count += g->bcount[i];
    }
    if (g->bcount[nb] > 0) {
        const double lower = ((reset ? e->cur : e->cur - e->prev) - below) / g->bcount[nb];
        const double top = nb ? fam->bounds[nb - 1] : -INFINITY;
        g->infv = isfinite(lower) && lower > top ? lower : top;
        g->infsum = g->infv * g->bcount[nb];
    }
    return g->st.count > 0;
}

/* Fills g (zeroed, bcount set for histograms) with what the series brings to the interval;
 * 1 when it has something to send. */
static int cw_series_group(struct cw_build *b, const struct cw_fam *fam, const struct cw_series *e,
                           struct cw_group *g)
{
    double v = e->glast;
    g->nsrc = 1;
    switch (fam->type) {
    case HW_HISTOGRAM:
        return g->bcount && cw_series_hist(fam, e, g);
    case HW_GAUGE:
        if (b->agg->mode == CW_GAUGE_STATISTICS) {
            g->st = (struct cw_stats){(double)e->gn, e->gsum, e->gmin, e->gmax};
            return e->gn > 0;
        }
        break;
    case HW_COUNTER:
        v = cw_tiny_to_zero(e->cur < e->prev ? e->cur : e->cur - e->prev);
        if (!cw_value_valid(v)) {
            b->pend.invalid_values++;
            return 0;
        }
        break;
    }
    g->value = v;
    g->st = (struct cw_stats){1, v, v, v};
    return fam->type == HW_COUNTER || e->gn > 0;
}

static void cw_group_merge(const struct cw_fam *fam, struct cw_group *g, const struct cw_group *x)
{
    const size_t nb = fam->nbuckets;
    if (g->nsrc == 0) {
        g->st = x->st;
    } else {
        g->st.count += x->st.count;
        g->st.sum += x->st.sum;
        g->st.min = x->st.min < g->st.min ? x->st.min : g->st.min;
        g->st.max = x->st.max > g->st.max ? x->st.max : g->st.max;
    }
    g->nsrc += x->nsrc;
    g->value = x->value;
    if (fam->type == HW_HISTOGRAM && x->bcount[nb] > 0) {
        g->infmixed |= x->infmixed || (g->bcount[nb] > 0 && x->infv != g->infv);
        g->infv = x->infv;
        g->infsum += x->infsum;
    }
    for (size_t i = 0; fam->type == HW_HISTOGRAM && i <= nb; i++) {
        g->bcount[i] += x->bcount[i];
    }
}

/* The series' dimensions in the CloudWatch agent's order: non-empty labels and static
 * dimensions merged by name, a label overriding a static dimension of its name, "host" first.
 * CW_NONE when CloudWatch would reject them (too many, too long, not printable ASCII). */
static size_t cw_series_dims(const struct cw_agg *agg, const struct cw_series *e, struct cw_dim *fd)
{
    size_t i = 0, j = 0, n = 0, host = CW_NONE;
    while (i < e->nlabels || j < agg->nsdims) {
        const int c = i == e->nlabels    ? 1
                      : j == agg->nsdims ? -1
                                         : strcmp(e->labels[i].key, agg->sdims[j].name);
        const struct cw_dim d = c > 0 || (c == 0 && !e->labels[i].value[0])
                                    ? agg->sdims[j]
                                    : (struct cw_dim){e->labels[i].key, e->labels[i].value};
        i += c <= 0;
        j += c >= 0;
        if (!d.value[0]) {
            continue; /* empty values are skipped, as the CloudWatch agent does */
        }
        if (n == CW_MAX_DIMS || !cw_dim_name_valid(d.name) || !cw_dim_value_valid(d.value)) {
            return CW_NONE;
        }
        host = strcmp(d.name, "host") == 0 ? n : host;
        fd[n++] = d;
    }
    if (host != CW_NONE && host > 0) {
        const struct cw_dim h = fd[host];
        memmove(fd + 1, fd, host * sizeof(*fd));
        fd[0] = h;
    }
    return n;
}

/* The dimensions of fd named by r, in fd's order; CW_NONE when one of them is missing. */
static size_t cw_rollup_dims(const struct cw_dimset *r, const struct cw_dim *fd, size_t n,
                             struct cw_dim *rd)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (bsearch(&fd[i].name, r->names, r->n, sizeof(*r->names), cw_cmp_str)) {
            rd[m++] = fd[i];
        }
    }
    return m == r->n ? m : CW_NONE;
}

/* Copies the dimensions into the output's memory. */
static int cw_group_dims(struct cw_build *b, struct cw_group *g, const struct cw_dim *dims,
                         size_t n)
{
    g->ndims = n;
    g->dims = cw_datums_alloc(b->out, n * sizeof(*g->dims) + 1);
    for (size_t i = 0; g->dims && i < n; i++) {
        g->dims[i].name = cw_datums_strdup(b->out, dims[i].name);
        g->dims[i].value = cw_datums_strdup(b->out, dims[i].value);
        if (!g->dims[i].name || !g->dims[i].value) {
            return -ENOMEM;
        }
    }
    return g->dims ? 0 : -ENOMEM;
}

static int cw_dims_equal(const struct cw_group *g, const struct cw_dim *d, size_t n)
{
    for (size_t i = 0; g->ndims == n && i < n; i++) {
        if (strcmp(g->dims[i].name, d[i].name) != 0 || strcmp(g->dims[i].value, d[i].value)) {
            return 0;
        }
    }
    return g->ndims == n;
}

/* The roll-up group of this dimension set, created on first use. Roll-ups have few distinct
 * dimension sets (one per autoscaling group ...), so a linear search is enough. */
static struct cw_group *cw_rollup_group(struct cw_build *b, const struct cw_fam *fam,
                                        const struct cw_dim *dims, size_t n)
{
    for (size_t k = 0; k < b->ng; k++) {
        if (cw_dims_equal(&b->g[k], dims, n)) {
            return &b->g[k];
        }
    }
    struct cw_group *grown = hw_grow(b->g, &b->capg, b->ng, sizeof(*grown), 16);
    if (!grown) {
        return NULL;
    }
    b->g = grown;
    struct cw_group *g = memset(&b->g[b->ng], 0, sizeof(*g));
    if (fam->type == HW_HISTOGRAM && !(g->bcount = calloc(fam->nbuckets + 1, sizeof(double)))) {
        return NULL;
    }
    if (cw_group_dims(b, g, dims, n) != 0) {
        free(g->bcount);
        return NULL;
    }
    b->ng++;
    return g;
}

/* Values (ascending, distinct) and Counts of a histogram group; the +Inf bucket of merged
 * series is represented by the count-weighted mean of their representatives (still a lower
 * bound of the overflowing observations' mean). 1, 0 (nothing to send) or -ENOMEM. */
static int cw_group_dist(struct cw_build *b, const struct cw_fam *fam, const struct cw_group *g,
                         struct cw_datum *d)
{
    const size_t nb = fam->nbuckets;
    double *v = cw_datums_alloc(b->out, 2 * (nb + 1) * sizeof(double));
    if (!v) {
        return -ENOMEM;
    }
    double *cnt = v + nb + 1;
    size_t n = 0;
    for (size_t i = 0; i <= nb; i++) {
        const double c = g->bcount[i];
        if (c <= 0) {
            continue;
        }
        double x = i < nb ? fam->bounds[i] : g->infmixed ? g->infsum / c : g->infv;
        x = cw_tiny_to_zero(nb && i == nb && x < fam->bounds[nb - 1] ? fam->bounds[nb - 1] : x);
        if (!cw_value_valid(x)) {
            b->pend.invalid_values++;
        } else if (n && v[n - 1] == x) {
            cnt[n - 1] += c;
        } else {
            v[n] = x;
            cnt[n++] = c;
        }
    }
    d->kind = CW_DIST;
    d->values = v;
    d->counts = cnt;
    d->nvalues = n;
    return n > 0;
}

/* A group fed by one counter or last-value gauge stays a Value; several make a statistic set,
 * which keeps every statistic what the separate datapoints would have given. */
static int cw_group_emit(struct cw_build *b, const struct cw_fam *fam, const char *name,
                         const struct cw_group *g)
{
    struct cw_datum d = {.name = name,
                         .unit = fam->unit,
                         .dims = g->dims,
                         .ndims = g->ndims,
                         .timestamp_ms = b->ts,
                         .storage_resolution = b->agg->resolution};
    if (fam->type == HW_HISTOGRAM) {
        const int rc = cw_group_dist(b, fam, g, &d);
        if (rc <= 0) {
            return rc;
        }
    } else if (g->nsrc == 1 && !(fam->type == HW_GAUGE && b->agg->mode == CW_GAUGE_STATISTICS)) {
        d.kind = CW_VALUE;
        d.value = g->value;
    } else {
        d.kind = CW_STATS;
        d.stats = g->st;
    }
    if (!cw_datum_valid(&d)) {
        b->pend.invalid_values++; /* e.g. a sum that overflowed */
        return 0;
    }
    return cw_datums_push(b->out, &d);
}

/* The datum of the series' own dimensions, then its share of each roll-up. */
static int cw_build_series(struct cw_build *b, const struct cw_fam *fam, const char *name,
                           const struct cw_series *e, double *scratch)
{
    struct cw_dim fd[CW_MAX_DIMS], rd[CW_MAX_DIMS];
    struct cw_group own = {.bcount = scratch};
    if (scratch) {
        memset(scratch, 0, (fam->nbuckets + 1) * sizeof(*scratch));
    }
    if (!cw_series_group(b, fam, e, &own)) {
        return 0;
    }
    const size_t nd = fam->name_ok ? cw_series_dims(b->agg, e, fd) : CW_NONE;
    if (nd == CW_NONE) {
        b->pend.invalid_series++;
        return 0;
    }
    int rc = cw_group_dims(b, &own, fd, nd);
    if (rc != 0 || (rc = cw_group_emit(b, fam, name, &own)) != 0) {
        return rc;
    }
    for (size_t k = 0; k < b->agg->nrollups; k++) {
        const size_t m = cw_rollup_dims(&b->agg->rollups[k], fd, nd, rd);
        if (m == CW_NONE || m == nd) {
            continue; /* a dimension missing, or the series' own set */
        }
        struct cw_group *g = cw_rollup_group(b, fam, rd, m);
        if (!g) {
            return -ENOMEM;
        }
        if (g->last != e) {
            cw_group_merge(fam, g, &own);
            g->last = e;
        }
    }
    return 0;
}

static int cw_build_family(struct cw_build *b, const struct cw_fam *fam)
{
    const int hist = fam->type == HW_HISTOGRAM;
    double *scratch = hist ? malloc((fam->nbuckets + 1) * sizeof(*scratch)) : NULL;
    const char *name = cw_datums_strdup(b->out, fam->name);
    int rc = name && (scratch || !hist) ? 0 : -ENOMEM;
    for (size_t i = 0; i < fam->n && rc == 0; i++) {
        const struct cw_series *e = fam->list[i];
        if (e->dirty) {
            rc = cw_build_series(b, fam, name, e, scratch);
        }
    }
    for (size_t k = 0; k < b->ng; k++) {
        rc = rc == 0 ? cw_group_emit(b, fam, name, &b->g[k]) : rc;
        free(b->g[k].bcount);
    }
    b->ng = 0;
    free(scratch);
    return rc;
}

/* The interval's values become the next baseline; families absent from the latest snapshot,
 * and series absent from their family's latest sample, are forgotten now that their last data
 * went out. */
static void cw_commit(struct cw_agg *agg, const struct cw_agg_stats *pend)
{
    size_t keepf = 0;
    agg->stats.invalid_values += pend->invalid_values;
    agg->stats.invalid_series += pend->invalid_series;
    for (size_t i = 0; i < agg->nfams; i++) {
        struct cw_fam *fam = agg->fams[i];
        const size_t nb = fam->type == HW_HISTOGRAM ? fam->nbuckets : 0;
        size_t keep = 0;
        if (fam->seen_obs != agg->obs) {
            cw_fam_free(agg, fam);
            continue;
        }
        for (size_t k = 0; k < fam->n; k++) {
            struct cw_series *e = fam->list[k];
            if (e->seen_obs != fam->took_obs) {
                free(e);
                agg->nseries--;
                continue;
            }
            cw_series_rebase(e, nb);
            e->gn = 0;
            e->dirty = 0;
            fam->list[keep++] = e;
        }
        fam->n = keep;
        agg->fams[keepf++] = fam;
    }
    agg->nfams = keepf;
}

int cw_agg_flush(struct cw_agg *agg, int64_t end_ms, struct cw_datums *out)
{
    struct cw_build b = {.agg = agg, .out = out, .ts = end_ms};
    const size_t n0 = out->n;
    int rc = 0;
    for (size_t i = 0; i < agg->nfams && rc == 0; i++) {
        if (agg->fams[i]->selected) {
            rc = cw_build_family(&b, agg->fams[i]);
        }
    }
    free(b.g);
    if (rc != 0) {
        out->n = n0;
        return rc;
    }
    cw_commit(agg, &b.pend);
    if (agg->obs) {
        cw_baselines_drop(agg); /* every family seen so far has taken its baselines */
    }
    return 0;
}
