/* CloudWatch aggregation per flush interval; the semantics are described in cw_agg.h. */
#include "cw_agg_int.h"
#include "buf.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cw_cmp_str(const void *a, const void *b)
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

void cw_fam_free(struct cw_agg *agg, struct cw_fam *fam)
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
    cw_datums_free(&agg->pmem);
    free(agg);
}

void cw_agg_get_stats(const struct cw_agg *agg, struct cw_agg_stats *out)
{
    *out = agg->stats;
}

/* ---- families --------------------------------------------------------------------------- */

/* Globs pick among CloudWatch-view families; another family needs a glob that does not start
 * with a wildcard (see cw_agg.h). */
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
    if (!found) {
        struct cw_fam **v = hw_grow(agg->fams, &agg->capfams, agg->nfams, sizeof(*v), 32);
        if (!v) {
            return NULL;
        }
        agg->fams = v;
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
    struct cw_series ** v = hw_grow(fam->list, &fam->cap, fam->n, sizeof(*v), 8);
    if (!v) {
        return NULL;
    }
    fam->list = v;
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

void cw_series_rebase(struct cw_series *e, size_t nb)
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
    if (base && fam->type == HW_COUNTER && cw_baseline_find(agg, fam->name, s, &e->prev)) {
        e->dirty = 1; /* sent up to its saved baseline before a restart: the rest is due */
    } else if (base) {
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

int cw_agg_observe_some(struct cw_agg *agg, const struct hw_snapshot *snap, const int64_t *take)
{
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
        if (take && !take[i]) {
            continue; /* present, not a sample now: its series stay as last taken */
        }
        fam->took_obs = agg->obs;
        if (fam->selected && cw_fam_observe(agg, fam, sf) != 0) {
            rc = -ENOMEM;
        }
        fam->fresh = 0;
    }
    return rc;
}

int cw_agg_observe(struct cw_agg *agg, const struct hw_snapshot *snap)
{
    if (agg->obs && snap->generation == agg->last_gen) {
        return 0;
    }
    return cw_agg_observe_some(agg, snap, NULL);
}
