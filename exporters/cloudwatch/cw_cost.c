/* Counting what an exporter sends: custom metrics are distinct (name, dimensions) pairs, as
 * CloudWatch bills them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"

int hw_cost_agg_new(const struct hw_cost_sink *s, struct cw_agg **agg)
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

size_t hw_cost_count(const struct cw_datums *d, struct hw_cost_metric *out)
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

void hw_cost_total(const struct hw_cost_line *l, size_t n, const struct hw_prices *p,
                   struct hw_cost_total *t)
{
    memset(t, 0, sizeof(*t));
    for (size_t i = 0; i < n; i++) {
        t->metrics += l[i].metrics_max;
        t->requests_month += l[i].requests_month;
        t->bytes_month += l[i].bytes_month;
    }
    t->usd_metrics = hw_prices_metrics(p, (double)t->metrics);
    t->usd_requests = t->requests_month / 1000.0 * p->per_1000_requests;
    t->usd_logs = t->bytes_month / 1073741824.0 * p->logs_ingestion_per_gb; /* GB = 2^30 */
    t->usd_total = t->usd_metrics + t->usd_requests + t->usd_logs;
}
