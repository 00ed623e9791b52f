/* What the CloudWatch and EMF exporters would bill, for `check --cost`: their aggregation of
 * two collections, counted as CloudWatch counts custom metrics, then encoded as at a flush to
 * count requests (PutMetricData) or bytes (EMF log events). */
#include "cw_cost.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cloudwatch.h"
#include "cw_query.h"
#include "emf.h"

int cw_cost_agg_new(const struct cw_cost_sink *s, struct cw_agg **agg)
{
    size_t nd = s->dims ? s->dims->n : 0, nr = json_array_size(s->rollups);
    struct cw_dim *dims = calloc(nd + 1, sizeof(*dims));
    struct cw_dimset *sets = calloc(nr + 1, sizeof(*sets));
    const char **names = NULL;
    size_t total = 0;
    for (size_t i = 0; i < nr; i++) {
        total += json_array_size(json_array_get(s->rollups, i));
    }
    names = calloc(total + 1, sizeof(*names));
    int rc = -ENOMEM;
    if (!dims || !sets || !names) {
        goto out;
    }
    /* "${aws:InstanceId}" stands for itself: on the host it will have a value */
    for (size_t i = 0; i < nd; i++) {
        dims[i] = (struct cw_dim){s->dims->keys[i], s->dims->values[i]};
    }
    size_t k = 0;
    for (size_t i = 0; i < nr; i++) {
        const json_t *set = json_array_get(s->rollups, i);
        sets[i].names = names + k;
        sets[i].n = json_array_size(set);
        for (size_t j = 0; j < sets[i].n; j++) {
            names[k++] = json_string_value(json_array_get(set, j));
        }
    }
    const struct cw_agg_opts o = {.metrics = (const char *const *)s->metrics->v,
                                  .nmetrics = s->metrics->n,
                                  .dims = dims,
                                  .ndims = nd,
                                  .rollups = sets,
                                  .nrollups = nr,
                                  .storage_resolution = s->storage_resolution,
                                  .gauge_mode = CW_GAUGE_LAST};
    rc = cw_agg_new(&o, agg);
out:
    free(dims);
    free(sets);
    free(names);
    return rc;
}

static int dims_cmp(const struct cw_datum *a, const struct cw_datum *b)
{
    int c = strcmp(a->name, b->name);
    for (size_t i = 0; c == 0 && i < a->ndims && i < b->ndims; i++) {
        c = strcmp(a->dims[i].name, b->dims[i].name);
        c = c ? c : strcmp(a->dims[i].value, b->dims[i].value);
    }
    return c ? c : (a->ndims > b->ndims) - (a->ndims < b->ndims);
}

static int datum_ptr_cmp(const void *a, const void *b)
{
    return dims_cmp(*(const struct cw_datum *const *)a, *(const struct cw_datum *const *)b);
}

size_t cw_cost_count(const struct cw_datums *d, struct hw_cost_metric *out)
{
    const struct cw_datum **v = calloc(d->n + 1, sizeof(*v));
    if (!v) {
        return 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        v[i] = &d->v[i];
    }
    qsort(v, d->n, sizeof(*v), datum_ptr_cmp);
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (i > 0 && dims_cmp(v[i - 1], v[i]) == 0) {
            continue; /* the same metric twice in one flush is one metric */
        }
        if (n == 0 || strcmp(out[n - 1].name, v[i]->name) != 0) {
            out[n++] = (struct hw_cost_metric){v[i]->name, 0};
        }
        out[n - 1].n++;
    }
    free(v);
    return n;
}

static const struct hw_strlist no_globs = {NULL, 0};

struct cw_cost_est {
    struct cw_cost_sink opts;
    int proto; /* enum cw_proto; -1: EMF */
    const char *ns;
    struct cw_agg *agg;
    struct cw_datums d;
    struct hw_cost_metric *by_name;
    size_t nnames;
};

static void est_free(void *p)
{
    struct cw_cost_est *e = p;
    if (e) {
        cw_agg_free(e->agg);
        cw_datums_free(&e->d);
        free(e->by_name);
        free(e);
    }
}

static void *est_new(const struct cw_cost_sink *o, int proto, const char *ns)
{
    struct cw_cost_est *e = calloc(1, sizeof(*e));
    if (!e) {
        return NULL;
    }
    e->opts = *o;
    e->opts.metrics = o->metrics ? o->metrics : &no_globs;
    e->proto = proto;
    e->ns = ns;
    cw_datums_init(&e->d);
    if (cw_cost_agg_new(&e->opts, &e->agg) != 0) {
        est_free(e);
        return NULL;
    }
    return e;
}

static void *cw_cost_begin(const void *conf, const char *instance, struct hw_cost_line *line)
{
    const struct cw_conf *c = conf;
    const struct cw_cost_sink o = {&c->metrics, &c->dimensions, c->aggregation_dimensions,
                                   (int)c->storage_resolution};
    *line = (struct hw_cost_line){.exporter = instance, .ns = c->namespace_,
                                  .flush_s = (double)c->flush_interval_ns / 1e9,
                                  .high_res = c->storage_resolution == 1};
    return est_new(&o, c->protocol, c->namespace_);
}

static void *emf_cost_begin(const void *conf, const char *instance, struct hw_cost_line *line)
{
    const struct emf_conf *c = conf;
    const struct cw_cost_sink o = {&c->metrics, &c->dimensions, NULL,
                                   (int)c->storage_resolution};
    *line = (struct hw_cost_line){.exporter = instance, .ns = c->namespace_,
                                  .flush_s = (double)c->flush_interval_ns / 1e9,
                                  .high_res = c->storage_resolution == 1};
    return est_new(&o, -1, c->namespace_);
}

static int est_observe(void *p, const struct hw_snapshot *snap)
{
    struct cw_cost_est *e = p;
    return cw_agg_observe(e->agg, snap);
}

/* The requests (PutMetricData) or bytes (EMF) one flush of these datums takes. */
static int est_encode(struct cw_cost_est *e, struct hw_cost_line *line)
{
    const double flushes = HW_COST_MONTH_S / line->flush_s;
    int rc;
    if (e->proto < 0) {
        struct hw_buf b;
        hw_buf_init(&b);
        rc = emf_render(&e->d, e->ns, &b) < 0 ? -1 : 0;
        line->bytes_month = (double)b.len * flushes;
        hw_buf_free(&b);
        return rc;
    }
    struct cw_bodies bodies;
    cw_bodies_init(&bodies);
    const struct cw_query_opts qo = {.proto = (enum cw_proto)e->proto, .ns = e->ns};
    rc = cw_query_encode(&qo, e->d.v, e->d.n, &bodies);
    line->requests_per_flush = bodies.n;
    line->requests_month = (double)bodies.n * flushes;
    cw_bodies_free(&bodies);
    return rc;
}

static int est_finish(void *p, int64_t ms, struct hw_cost_line *line,
                      const struct hw_cost_metric **by, size_t *nby)
{
    struct cw_cost_est *e = p;
    if (cw_agg_flush(e->agg, ms, &e->d) != 0 ||
        !(e->by_name = calloc(e->d.n + 1, sizeof(*e->by_name)))) {
        return -1;
    }
    e->nnames = cw_cost_count(&e->d, e->by_name);
    line->metrics = 0;
    for (size_t k = 0; k < e->nnames; k++) {
        line->metrics += e->by_name[k].n;
    }
    *by = e->by_name;
    *nby = e->nnames;
    return est_encode(e, line);
}

static size_t est_per_series(void *p, const char *metric)
{
    const struct cw_cost_est *e = p;
    int sent = e->opts.metrics->n == 0;
    for (size_t i = 0; i < e->opts.metrics->n && !sent; i++) {
        sent = fnmatch(e->opts.metrics->v[i], metric, 0) == 0;
    }
    return sent ? 1 + json_array_size(e->opts.rollups) : 0;
}

const struct hw_cost_ops cw_cost_ops = {.begin = cw_cost_begin, .observe = est_observe,
                                        .finish = est_finish, .per_series = est_per_series,
                                        .free = est_free};
const struct hw_cost_ops emf_cost_ops = {.begin = emf_cost_begin, .observe = est_observe,
                                         .finish = est_finish, .per_series = est_per_series,
                                         .free = est_free};
