#include "prom_proto.h"

#include <stdlib.h>
#include <string.h>

#include "exporters/prometheus/metrics.pb-c.h"

/* Per family, everything the generated structs point to, sized to the family's series. */
struct pp_scratch {
    Io__Prometheus__Client__Metric *metrics;
    Io__Prometheus__Client__Metric **mptr;
    Io__Prometheus__Client__LabelPair *labels;
    Io__Prometheus__Client__LabelPair **lptr;
    Io__Prometheus__Client__Gauge *gauges;
    Io__Prometheus__Client__Counter *counters;
    Io__Prometheus__Client__Histogram *hists;
    Io__Prometheus__Client__Bucket *buckets;
    Io__Prometheus__Client__Bucket **bptr;
};

static void pp_free(struct pp_scratch *s)
{
    free(s->metrics);
    free(s->mptr);
    free(s->labels);
    free(s->lptr);
    free(s->gauges);
    free(s->counters);
    free(s->hists);
    free(s->buckets);
    free(s->bptr);
    memset(s, 0, sizeof(*s));
}

static int pp_alloc(struct pp_scratch *s, const struct hw_snap_family *f)
{
    size_t n = f->nseries ? f->nseries : 1, nl = 0, nb = n * (f->nbuckets + 1);
    for (size_t i = 0; i < f->nseries; i++) {
        nl += f->series[i].nlabels;
    }
    nl = nl ? nl : 1;
    s->metrics = calloc(n, sizeof(*s->metrics));
    s->mptr = calloc(n, sizeof(*s->mptr));
    s->labels = calloc(nl, sizeof(*s->labels));
    s->lptr = calloc(nl, sizeof(*s->lptr));
    /* Only the value structs of the family's type: a histogram struct is ~10 times a
     * counter's, and 10,000 unused ones were megabytes per rendering. */
    int ok = s->metrics && s->mptr && s->labels && s->lptr;
    if (f->type == HW_COUNTER) {
        ok = ok && (s->counters = calloc(n, sizeof(*s->counters)));
    } else if (f->type == HW_GAUGE) {
        ok = ok && (s->gauges = calloc(n, sizeof(*s->gauges)));
    } else {
        ok = ok && (s->hists = calloc(n, sizeof(*s->hists))) &&
             (s->buckets = calloc(nb, sizeof(*s->buckets))) &&
             (s->bptr = calloc(nb, sizeof(*s->bptr)));
    }
    return ok ? 0 : -1;
}

/* Fills metric i of family f; *lused / *bused advance through the shared label and bucket
 * arrays. */
static void pp_metric(struct pp_scratch *s, const struct hw_snap_family *f, size_t i,
                      size_t *lused, size_t *bused)
{
    const struct hw_snap_series *se = &f->series[i];
    Io__Prometheus__Client__Metric *m = &s->metrics[i];
    io__prometheus__client__metric__init(m);
    m->label = &s->lptr[*lused];
    m->n_label = se->nlabels;
    for (size_t k = 0; k < se->nlabels; k++, (*lused)++) {
        Io__Prometheus__Client__LabelPair *lp = &s->labels[*lused];
        io__prometheus__client__label_pair__init(lp);
        lp->name = (char *)se->labels[k].key;
        lp->value = (char *)se->labels[k].value;
        s->lptr[*lused] = lp;
    }
    if (f->type == HW_COUNTER) {
        io__prometheus__client__counter__init(&s->counters[i]);
        s->counters[i].has_value = 1;
        s->counters[i].value = se->value;
        m->counter = &s->counters[i];
    } else if (f->type == HW_GAUGE) {
        io__prometheus__client__gauge__init(&s->gauges[i]);
        s->gauges[i].has_value = 1;
        s->gauges[i].value = se->value;
        m->gauge = &s->gauges[i];
    } else {
        Io__Prometheus__Client__Histogram *h = &s->hists[i];
        io__prometheus__client__histogram__init(h);
        h->has_sample_count = h->has_sample_sum = 1;
        h->sample_count = se->count;
        h->sample_sum = se->value;
        h->bucket = &s->bptr[*bused];
        h->n_bucket = f->nbuckets;
        for (size_t b = 0; b < f->nbuckets; b++, (*bused)++) {
            Io__Prometheus__Client__Bucket *bk = &s->buckets[*bused];
            io__prometheus__client__bucket__init(bk);
            bk->has_cumulative_count = bk->has_upper_bound = 1;
            bk->cumulative_count = se->bucket[b];
            bk->upper_bound = f->buckets[b];
            s->bptr[*bused] = bk;
        }
        m->histogram = h;
    }
    s->mptr[i] = m;
}

static void put_varint(struct hw_buf *out, size_t v)
{
    unsigned char tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        tmp[n] |= v ? 0x80 : 0;
        n++;
    } while (v);
    hw_buf_append(out, tmp, n);
}

static int pp_family(struct hw_buf *out, const struct hw_snap_family *f)
{
    static const Io__Prometheus__Client__MetricType types[] = {
        IO__PROMETHEUS__CLIENT__METRIC_TYPE__COUNTER, IO__PROMETHEUS__CLIENT__METRIC_TYPE__GAUGE,
        IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM};
    struct pp_scratch s = {0};
    if (pp_alloc(&s, f) != 0) {
        pp_free(&s);
        return -1;
    }
    size_t lused = 0, bused = 0;
    for (size_t i = 0; i < f->nseries; i++) {
        pp_metric(&s, f, i, &lused, &bused);
    }
    Io__Prometheus__Client__MetricFamily mf;
    io__prometheus__client__metric_family__init(&mf);
    mf.name = (char *)f->name;
    mf.help = (char *)f->help;
    mf.has_type = 1;
    mf.type = types[f->type];
    mf.metric = s.mptr;
    mf.n_metric = f->nseries;
    size_t len = io__prometheus__client__metric_family__get_packed_size(&mf);
    put_varint(out, len);
    int rc = hw_buf_reserve(out, len);
    if (rc == 0) {
        io__prometheus__client__metric_family__pack(&mf, (uint8_t *)out->data + out->len);
        out->len += len;
        out->data[out->len] = '\0';
    }
    pp_free(&s);
    return rc;
}

int prom_proto_render(struct hw_buf *out, const struct hw_snapshot *snap, unsigned view)
{
    for (size_t i = 0; i < snap->nfamilies; i++) {
        const struct hw_snap_family *f = &snap->families[i];
        if ((f->views & view) && f->nseries > 0 && pp_family(out, f) != 0) {
            return -1;
        }
    }
    return out->oom ? -1 : 0;
}
