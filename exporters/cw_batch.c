/* CloudWatch aggregation per flush interval; the semantics are described in cw_batch.h. */
#include "cw_batch.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CW_NONE SIZE_MAX

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
    uint64_t seen_obs;
    struct cw_series **list; /* sorted by labels, as the snapshot's series */
    size_t n, cap;
};

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
};

/* CloudWatch rejects non-zero magnitudes below 2^-360; they are 0 for any practical purpose. */
static double cw_tiny_to_zero(double v)
{
    return (v != 0 && fabs(v) < 0x1p-360) ? 0.0 : v;
}

static int cw_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cw_cmp_dim(const void *a, const void *b)
{
    return strcmp(((const struct cw_dim *)a)->name, ((const struct cw_dim *)b)->name);
}

static int cw_cmp_fam(const void *elem, const void *key)
{
    return strcmp(((const struct cw_fam *)elem)->name, ((const struct hw_snap_family *)key)->name);
}

static int cw_cmp_series(const void *elem, const void *key)
{
    const struct cw_series *e = elem;
    const struct hw_snap_series *s = key;
    return hw_labels_cmp(e->labels, e->nlabels, s->labels, s->nlabels);
}

/* Position of key in a sorted array of records, or where it belongs (*found = 0). Snapshots
 * list families and series in the same order, so the hint (the next position) nearly always
 * hits in the steady state. */
static size_t cw_search(void *const *v, size_t n, const void *key, size_t hint,
                        int (*cmp)(const void *elem, const void *key), int *found)
{
    size_t lo = 0, hi = n;
    if (hint < n && cmp(v[hint], key) == 0) {
        *found = 1;
        return hint;
    }
    *found = 0;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = cmp(v[mid], key);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* ---- options ---------------------------------------------------------------------------- */

static const char **cw_copy_strv(struct cw_datums *mem, const char *const *v, size_t n)
{
    const char **c = cw_datums_alloc(mem, (n + 1) * sizeof(*c));
    for (size_t i = 0; c && i < n; i++) {
        if (!(c[i] = cw_datums_strdup(mem, v[i]))) {
            return NULL;
        }
    }
    return c;
}

static int cw_copy_dims(struct cw_agg *agg, const struct cw_agg_opts *o)
{
    agg->sdims = cw_datums_alloc(&agg->mem, (o->ndims + 1) * sizeof(*agg->sdims));
    if (!agg->sdims) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < o->ndims; i++) {
        const struct cw_dim *d = &o->dims[i];
        if (!d->value || !d->value[0]) {
            continue; /* e.g. ${aws:AutoScalingGroupName} outside an autoscaling group */
        }
        if (!d->name || !cw_dim_name_valid(d->name) || !cw_dim_value_valid(d->value)) {
            return -EINVAL;
        }
        struct cw_dim *c = &agg->sdims[agg->nsdims++];
        c->name = cw_datums_strdup(&agg->mem, d->name);
        c->value = cw_datums_strdup(&agg->mem, d->value);
        if (!c->name || !c->value) {
            return -ENOMEM;
        }
    }
    qsort(agg->sdims, agg->nsdims, sizeof(*agg->sdims), cw_cmp_dim);
    for (size_t i = 1; i < agg->nsdims; i++) {
        if (strcmp(agg->sdims[i - 1].name, agg->sdims[i].name) == 0) {
            return -EINVAL;
        }
    }
    return agg->nsdims > CW_MAX_DIMS ? -EINVAL : 0;
}

/* Each set sorted and de-duplicated (a series has all of a set's names when it has as many
 * matches as names). */
static int cw_copy_rollups(struct cw_agg *agg, const struct cw_agg_opts *o)
{
    agg->rollups = cw_datums_alloc(&agg->mem, (o->nrollups + 1) * sizeof(*agg->rollups));
    if (!agg->rollups) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < o->nrollups; i++) {
        const struct cw_dimset *r = &o->rollups[i];
        const char **names = cw_copy_strv(&agg->mem, r->names, r->n);
        if (!names) {
            return -ENOMEM;
        }
        qsort(names, r->n, sizeof(*names), cw_cmp_str);
        size_t n = 0;
        for (size_t k = 0; k < r->n; k++) {
            if (n == 0 || strcmp(names[n - 1], names[k]) != 0) {
                names[n++] = names[k];
            }
        }
        agg->rollups[agg->nrollups++] = (struct cw_dimset){.names = names, .n = n};
    }
    return 0;
}

int cw_agg_new(const struct cw_agg_opts *o, struct cw_agg **out)
{
    *out = NULL;
    const int res = o->storage_resolution ? o->storage_resolution : 60;
    if ((res != 1 && res != 60) ||
        (o->gauge_mode != CW_GAUGE_STATISTICS && o->gauge_mode != CW_GAUGE_LAST)) {
        return -EINVAL;
    }
    struct cw_agg *agg = calloc(1, sizeof(*agg));
    if (!agg) {
        return -ENOMEM;
    }
    int rc = -ENOMEM;
    agg->resolution = res;
    agg->mode = o->gauge_mode;
    agg->max_series = o->max_series ? o->max_series : CW_AGG_DEFAULT_MAX_SERIES;
    agg->nglobs = o->nmetrics;
    if (!(agg->globs = cw_copy_strv(&agg->mem, o->metrics, o->nmetrics)) ||
        (rc = cw_copy_dims(agg, o)) != 0 || (rc = cw_copy_rollups(agg, o)) != 0) {
        goto fail;
    }
    *out = agg;
    return 0;
fail:
    cw_agg_free(agg);
    return rc;
}

static void cw_fam_free(struct cw_agg *agg, struct cw_fam *fam)
{
    for (size_t i = 0; i < fam->n; i++) {
        free(fam->list[i]);
    }
    agg->nseries -= fam->n;
    free(fam->list);
    free(fam);
}

void cw_agg_free(struct cw_agg *agg)
{
    if (!agg) {
        return;
    }
    for (size_t i = 0; i < agg->nfams; i++) {
        cw_fam_free(agg, agg->fams[i]);
    }
    free(agg->fams);
    cw_datums_free(&agg->mem);
    free(agg);
}

void cw_agg_get_stats(const struct cw_agg *agg, struct cw_agg_stats *out)
{
    *out = agg->stats;
}

/* ---- families --------------------------------------------------------------------------- */

/* Globs pick among CloudWatch-view families; another family needs a glob that does not start
 * with a wildcard (see cw_batch.h). */
static int cw_selected(const struct cw_agg *agg, const struct hw_snap_family *sf)
{
    const int cw = (sf->views & HW_VIEW_CW) != 0;
    if (agg->nglobs == 0) {
        return cw;
    }
    for (size_t i = 0; i < agg->nglobs; i++) {
        const char *g = agg->globs[i];
        if ((cw || !strchr("*?[", g[0])) && fnmatch(g, sf->name, 0) == 0) {
            return 1;
        }
    }
    return 0;
}

static struct cw_fam *cw_fam_new(const struct cw_agg *agg, const struct hw_snap_family *sf)
{
    const size_t bsz = sf->nbuckets * sizeof(double), nsz = strlen(sf->name) + 1;
    struct cw_fam *fam = calloc(1, sizeof(*fam) + bsz + nsz);
    if (!fam) {
        return NULL;
    }
    fam->bounds = (double *)(fam + 1);
    fam->name = (char *)fam->bounds + bsz;
    if (bsz) {
        memcpy(fam->bounds, sf->buckets, bsz);
    }
    memcpy(fam->name, sf->name, nsz);
    fam->unit = cw_unit_find(sf->unit);
    fam->type = sf->type;
    fam->nbuckets = sf->nbuckets;
    fam->selected = cw_selected(agg, sf);
    fam->name_ok = nsz > 1 && nsz - 1 <= CW_MAX_NAME_LEN;
    fam->fresh = 1;
    return fam;
}

static int cw_fam_same_shape(const struct cw_fam *fam, const struct hw_snap_family *sf)
{
    return fam->type == sf->type && fam->nbuckets == sf->nbuckets &&
           (fam->nbuckets == 0 ||
            memcmp(fam->bounds, sf->buckets, fam->nbuckets * sizeof(double)) == 0);
}

/* The record of sf, created on first sight; one whose type or buckets changed (a family
 * dropped and redefined between two observations) starts over as a new family. */
static struct cw_fam *cw_fam_get(struct cw_agg *agg, const struct hw_snap_family *sf)
{
    int found;
    const size_t pos = cw_search((void *const *)agg->fams, agg->nfams, sf, 0, cw_cmp_fam, &found);
    struct cw_fam *fam = found && cw_fam_same_shape(agg->fams[pos], sf) ? agg->fams[pos] : NULL;
    if (fam) {
        return fam;
    }
    if (!found && agg->nfams == agg->capfams) {
        const size_t cap = agg->capfams ? agg->capfams * 2 : 32;
        struct cw_fam **v = realloc(agg->fams, cap * sizeof(*v));
        if (!v) {
            return NULL;
        }
        agg->fams = v;
        agg->capfams = cap;
    }
    if (!(fam = cw_fam_new(agg, sf))) {
        return NULL;
    }
    if (found) {
        cw_fam_free(agg, agg->fams[pos]);
    } else {
        memmove(&agg->fams[pos + 1], &agg->fams[pos], (agg->nfams - pos) * sizeof(*agg->fams));
        agg->nfams++;
    }
    agg->fams[pos] = fam;
    return fam;
}

/* ---- series ----------------------------------------------------------------------------- */

/* One allocation: the record, its labels, both bucket arrays, then the strings. */
static struct cw_series *cw_series_alloc(const struct cw_fam *fam, const struct hw_snap_series *s)
{
    const size_t nb = fam->type == HW_HISTOGRAM ? fam->nbuckets : 0;
    size_t strsz = 0;
    for (size_t i = 0; i < s->nlabels; i++) {
        strsz += strlen(s->labels[i].key) + strlen(s->labels[i].value) + 2;
    }
    const size_t lsz = s->nlabels * sizeof(struct hw_label), bsz = nb * sizeof(uint64_t);
    struct cw_series *e = calloc(1, sizeof(*e) + lsz + 2 * bsz + strsz);
    if (!e) {
        return NULL;
    }
    struct hw_label *lbl = (struct hw_label *)(e + 1);
    e->prev_b = (uint64_t *)(lbl + s->nlabels);
    e->cur_b = e->prev_b + nb;
    char *str = (char *)(e->cur_b + nb);
    for (size_t i = 0; i < s->nlabels; i++) {
        const size_t kn = strlen(s->labels[i].key) + 1, vn = strlen(s->labels[i].value) + 1;
        lbl[i].key = memcpy(str, s->labels[i].key, kn);
        lbl[i].value = memcpy(str + kn, s->labels[i].value, vn);
        str += kn + vn;
    }
    e->labels = lbl;
    e->nlabels = s->nlabels;
    return e;
}

static struct cw_series *cw_series_insert(struct cw_agg *agg, struct cw_fam *fam,
                                          const struct hw_snap_series *s, size_t pos)
{
    if (fam->n == fam->cap) {
        const size_t cap = fam->cap ? fam->cap * 2 : 8;
        struct cw_series **v = realloc(fam->list, cap * sizeof(*v));
        if (!v) {
            return NULL;
        }
        fam->list = v;
        fam->cap = cap;
    }
    struct cw_series *e = cw_series_alloc(fam, s);
    if (!e) {
        return NULL;
    }
    memmove(&fam->list[pos + 1], &fam->list[pos], (fam->n - pos) * sizeof(*fam->list));
    fam->list[pos] = e;
    fam->n++;
    agg->nseries++;
    return e;
}

static void cw_gauge_sample(struct cw_agg *agg, struct cw_series *e, double v)
{
    v = cw_tiny_to_zero(v);
    if (!cw_value_valid(v)) {
        agg->stats.invalid_values++;
        return;
    }
    e->gmin = e->gn == 0 || v < e->gmin ? v : e->gmin;
    e->gmax = e->gn == 0 || v > e->gmax ? v : e->gmax;
    e->gsum = e->gn == 0 ? v : e->gsum + v;
    e->glast = v;
    e->gn++;
    e->dirty = 1;
}

/* The latest values become the reference of the next delta. */
static void cw_series_rebase(struct cw_series *e, size_t nb)
{
    e->prev = e->cur;
    e->prev_count = e->cur_count;
    memcpy(e->prev_b, e->cur_b, nb * sizeof(uint64_t));
}

/* Takes the latest value; base: the value only sets the baseline (family first seen). */
static void cw_series_take(struct cw_agg *agg, const struct cw_fam *fam, struct cw_series *e,
                           const struct hw_snap_series *s, int base)
{
    const size_t nb = fam->type == HW_HISTOGRAM ? fam->nbuckets : 0;
    e->seen_obs = agg->obs;
    if (fam->type == HW_GAUGE) {
        cw_gauge_sample(agg, e, s->value);
        return;
    }
    e->cur = s->value;
    e->cur_count = s->count;
    if (nb) {
        memcpy(e->cur_b, s->bucket, nb * sizeof(uint64_t));
    }
    e->dirty = !base;
    if (base) {
        cw_series_rebase(e, nb);
    }
}

static int cw_fam_observe(struct cw_agg *agg, struct cw_fam *fam, const struct hw_snap_family *sf)
{
    int rc = 0;
    size_t hint = 0;
    for (size_t i = 0; i < sf->nseries; i++) {
        const struct hw_snap_series *s = &sf->series[i];
        int found;
        const size_t pos =
            cw_search((void *const *)fam->list, fam->n, s, hint, cw_cmp_series, &found);
        struct cw_series *e = found ? fam->list[pos] : NULL;
        if (!e && agg->nseries >= agg->max_series) {
            agg->stats.dropped_series++;
            continue;
        }
        if (!e && !(e = cw_series_insert(agg, fam, s, pos))) {
            rc = -ENOMEM;
            continue;
        }
        cw_series_take(agg, fam, e, s, !found && fam->fresh);
        hint = pos + 1;
    }
    return rc;
}

int cw_agg_observe(struct cw_agg *agg, const struct hw_snapshot *snap)
{
    if (agg->obs && snap->generation == agg->last_gen) {
        return 0;
    }
    agg->obs++;
    agg->last_gen = snap->generation;
    int rc = 0;
    for (size_t i = 0; i < snap->nfamilies; i++) {
        const struct hw_snap_family *sf = &snap->families[i];
        struct cw_fam *fam = cw_fam_get(agg, sf);
        if (!fam) {
            rc = -ENOMEM;
            continue;
        }
        fam->seen_obs = agg->obs;
        if (fam->selected && cw_fam_observe(agg, fam, sf) != 0) {
            rc = -ENOMEM;
        }
        fam->fresh = 0;
    }
    return rc;
}

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
    if (b->ng == b->capg) {
        const size_t cap = b->capg ? b->capg * 2 : 16;
        struct cw_group *g = realloc(b->g, cap * sizeof(*g));
        if (!g) {
            return NULL;
        }
        b->g = g;
        b->capg = cap;
    }
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

/* The interval's values become the next baseline; series and families absent from the latest
 * snapshot are forgotten now that their last data went out. */
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
            if (e->seen_obs != agg->obs) {
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
    return 0;
}
