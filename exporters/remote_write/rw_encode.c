#include "rw_encode.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exporters/remote_write/remote_write.pb-c.h"

enum rw_part { RW_VALUE, RW_BUCKET, RW_SUM, RW_COUNT };

/* One sample to send: a series of a family in a snapshot, and which of its exposed samples. */
struct rw_row {
    const struct hw_snap_family *f;
    const struct hw_snap_series *s;
    int64_t ts;
    enum rw_part part;
    size_t bucket; /* RW_BUCKET: index into f->buckets; f->nbuckets stands for +Inf */
};

struct rw_rows {
    struct rw_row *v;
    size_t n, cap;
};

/* Everything the generated structs of one body point to, sized to its rows. */
struct rw_scratch {
    Prometheus__TimeSeries *ts;
    Prometheus__TimeSeries **tsp;
    Prometheus__Sample *samples;
    Prometheus__Sample **sp;
    Prometheus__Label *labels;
    Prometheus__Label **lp;
    char *text; /* composed names (x_bucket) and le values */
    size_t text_used;
};

void rw_bodies_init(struct rw_bodies *b)
{
    memset(b, 0, sizeof(*b));
}

void rw_bodies_free(struct rw_bodies *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].data);
    }
    free(b->v);
    rw_bodies_init(b);
}

static int family_selected(const struct rw_encode_opts *o, const struct hw_snap_family *f)
{
    if (!(f->views & o->view)) {
        return 0;
    }
    for (size_t i = 0; i < o->nmetrics; i++) {
        if (fnmatch(o->metrics[i], f->name, 0) == 0) {
            return 1;
        }
    }
    return o->nmetrics == 0;
}

/* A histogram series is exposed as one sample per bucket, +Inf, _sum and _count. */
static size_t samples_per_series(const struct hw_snap_family *f)
{
    return f->type == HW_HISTOGRAM ? f->nbuckets + 3 : 1;
}

size_t rw_count_sampled(const struct rw_encode_opts *o, const struct rw_sample *x)
{
    size_t n = 0;
    for (size_t i = 0; x->snap && i < x->snap->nfamilies; i++) {
        const struct hw_snap_family *f = &x->snap->families[i];
        const int taken = !x->stamps || x->stamps[i];
        n += taken && family_selected(o, f) ? f->nseries * samples_per_series(f) : 0;
    }
    return n;
}

size_t rw_count_samples(const struct rw_encode_opts *o, const struct hw_snapshot *snap)
{
    const struct rw_sample x = {.snap = snap};
    return rw_count_sampled(o, &x);
}


static int rows_push(struct rw_rows *r, const struct rw_row *row)
{
    void *grown = hw_grow(r->v, &r->cap, r->n, sizeof(*r->v), 64);
    if (!grown) {
        return -1;
    }
    r->v = grown;
    r->v[r->n++] = *row;
    return 0;
}

static int collect_rows(const struct rw_encode_opts *o, const struct rw_sample *x,
                        struct rw_rows *rows)
{
    int rc = 0;
    for (size_t i = 0; i < x->snap->nfamilies; i++) {
        const struct hw_snap_family *f = &x->snap->families[i];
        if ((x->stamps && !x->stamps[i]) || !family_selected(o, f)) {
            continue;
        }
        const int64_t ts = x->stamps ? x->stamps[i] : x->snap->timestamp_ms;
        for (size_t j = 0; j < f->nseries; j++) {
            struct rw_row row = {.f = f, .s = &f->series[j], .ts = ts};
            if (f->type != HW_HISTOGRAM) {
                rc |= rows_push(rows, &row);
                continue;
            }
            row.part = RW_BUCKET;
            for (row.bucket = 0; row.bucket <= f->nbuckets; row.bucket++) {
                rc |= rows_push(rows, &row);
            }
            row.part = RW_SUM;
            rc |= rows_push(rows, &row);
            row.part = RW_COUNT;
            rc |= rows_push(rows, &row);
        }
    }
    return rc;
}

static double row_value(const struct rw_row *r)
{
    switch (r->part) {
    case RW_BUCKET:
        return r->bucket < r->f->nbuckets ? (double)r->s->bucket[r->bucket] : (double)r->s->count;
    case RW_COUNT:
        return (double)r->s->count;
    case RW_SUM:
    case RW_VALUE:
        break;
    }
    return r->s->value;
}

static void scratch_free(struct rw_scratch *sc)
{
    free(sc->ts);
    free(sc->tsp);
    free(sc->samples);
    free(sc->sp);
    free(sc->labels);
    free(sc->lp);
    free(sc->text);
    memset(sc, 0, sizeof(*sc));
}

/* Sizes the scratch for rows: labels (own, __name__, le) and text for composed names. */
static int scratch_alloc(struct rw_scratch *sc, const struct rw_row *rows, size_t n)
{
    size_t nl = 0, nt = 1;
    for (size_t i = 0; i < n; i++) {
        nl += rows[i].s->nlabels + 2;
        nt += rows[i].part == RW_VALUE ? 0 : strlen(rows[i].f->name) + 8 + HW_DOUBLE_LEN + 1;
    }
    sc->ts = calloc(n, sizeof(*sc->ts));
    sc->tsp = calloc(n, sizeof(*sc->tsp));
    sc->samples = calloc(n, sizeof(*sc->samples));
    sc->sp = calloc(n, sizeof(*sc->sp));
    sc->labels = calloc(nl, sizeof(*sc->labels));
    sc->lp = calloc(nl, sizeof(*sc->lp));
    sc->text = malloc(nt);
    return sc->ts && sc->tsp && sc->samples && sc->sp && sc->labels && sc->lp && sc->text ? 0
                                                                                          : -1;
}

/* Copies s into the scratch text (sized by scratch_alloc) and returns the copy. */
static char *scratch_text(struct rw_scratch *sc, const char *a, const char *b)
{
    char *out = sc->text + sc->text_used;
    size_t la = strlen(a), lb = strlen(b);
    memcpy(out, a, la);
    memcpy(out + la, b, lb + 1);
    sc->text_used += la + lb + 1;
    return out;
}

static void add_label(struct rw_scratch *sc, size_t at, const char *name, const char *value)
{
    Prometheus__Label *l = &sc->labels[at];
    prometheus__label__init(l);
    /* protobuf-c declares the fields non-const; packing only reads them. */
    l->name = (char *)name;
    l->value = (char *)value;
    sc->lp[at] = l;
}

/* Insertion sort by name: a series has a handful of labels, already nearly in order. */
static void sort_labels(Prometheus__Label **l, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        Prometheus__Label *x = l[i];
        size_t j = i;
        for (; j > 0 && strcmp(l[j - 1]->name, x->name) > 0; j--) {
            l[j] = l[j - 1];
        }
        l[j] = x;
    }
}

/* Fills time series i from row r; *lused advances through the shared label array. */
static void fill_series(struct rw_scratch *sc, const struct rw_row *r, size_t i, size_t *lused)
{
    static const char *const suffix[] = {"", "_bucket", "_sum", "_count"};
    Prometheus__TimeSeries *t = &sc->ts[i];
    prometheus__time_series__init(t);
    prometheus__sample__init(&sc->samples[i]);
    sc->samples[i].value = row_value(r);
    sc->samples[i].timestamp = r->ts;
    sc->sp[i] = &sc->samples[i];
    t->samples = &sc->sp[i];
    t->n_samples = 1;
    sc->tsp[i] = t;
    size_t first = *lused, n = 0;
    const char *name = r->part == RW_VALUE ? r->f->name : scratch_text(sc, r->f->name,
                                                                         suffix[r->part]);
    add_label(sc, first + n++, "__name__", name);
    for (size_t k = 0; k < r->s->nlabels; k++) {
        const struct hw_label *l = &r->s->labels[k];
        if (!l->value[0] || strcmp(l->key, "__name__") == 0 ||
            (r->part == RW_BUCKET && strcmp(l->key, "le") == 0)) {
            continue; /* an empty value means "no such label" to Prometheus */
        }
        add_label(sc, first + n++, l->key, l->value);
    }
    if (r->part == RW_BUCKET) {
        char le[HW_DOUBLE_LEN];
        if (r->bucket < r->f->nbuckets) {
            hw_fmt_double(le, r->f->buckets[r->bucket]);
        } else {
            snprintf(le, sizeof(le), "+Inf");
        }
        add_label(sc, first + n++, "le", scratch_text(sc, le, ""));
    }
    sort_labels(&sc->lp[first], n);
    t->labels = &sc->lp[first];
    t->n_labels = n;
    *lused += n;
}

int rw_snappy(const struct netlib *lib, const void *in, size_t len, unsigned char **out,
              size_t *outlen)
{
    *out = NULL;
    if (!lib || !lib->snappy_compress) {
        return -1;
    }
    size_t cap = lib->snappy_max_compressed_length(len);
    *out = malloc(cap ? cap : 1);
    *outlen = cap;
    if (!*out) {
        return -1;
    }
    if (lib->snappy_compress(in, len, (char *)*out, outlen) != SNAPPY_OK) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* One body from n rows: WriteRequest packed, then compressed. */
static int encode_body(const struct netlib *lib, const struct rw_row *rows, size_t n,
                       struct rw_body *body)
{
    struct rw_scratch sc = {0};
    unsigned char *pb = NULL;
    int rc = -1;
    if (scratch_alloc(&sc, rows, n) == 0) {
        size_t lused = 0;
        body->oldest_ms = rows[0].ts;
        for (size_t i = 0; i < n; i++) {
            fill_series(&sc, &rows[i], i, &lused);
            body->oldest_ms = rows[i].ts < body->oldest_ms ? rows[i].ts : body->oldest_ms;
        }
        Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
        wr.timeseries = sc.tsp;
        wr.n_timeseries = n;
        size_t len = prometheus__write_request__get_packed_size(&wr);
        pb = malloc(len ? len : 1);
        if (pb && prometheus__write_request__pack(&wr, pb) == len &&
            rw_snappy(lib, pb, len, &body->data, &body->len) == 0) {
            body->nsamples = n;
            rc = 0;
        }
    }
    free(pb);
    scratch_free(&sc);
    return rc;
}

static int bodies_push(struct rw_bodies *b, const struct rw_body *body)
{
    void *grown = hw_grow(b->v, &b->cap, b->n, sizeof(*b->v), 64);
    if (!grown) {
        return -1;
    }
    b->v = grown;
    b->v[b->n++] = *body;
    return 0;
}

int rw_encode_sampled(const struct rw_encode_opts *o, const struct rw_sample *x, size_t nx,
                      struct rw_bodies *out)
{
    struct rw_rows rows = {0};
    size_t max = o->max_samples ? o->max_samples : 1;
    int rc = 0;
    for (size_t i = 0; i < nx && rc == 0; i++) {
        rc = collect_rows(o, &x[i], &rows);
    }
    for (size_t at = 0; rc == 0 && at < rows.n; at += max) {
        struct rw_body body = {0};
        size_t n = rows.n - at < max ? rows.n - at : max;
        rc = encode_body(o->lib, &rows.v[at], n, &body);
        if (rc == 0 && bodies_push(out, &body) != 0) {
            free(body.data);
            rc = -1;
        }
    }
    free(rows.v);
    return rc;
}

int rw_encode(const struct rw_encode_opts *o, const struct hw_snapshot *const *snaps,
              size_t nsnaps, struct rw_bodies *out)
{
    struct rw_sample *x = calloc(nsnaps + 1, sizeof(*x));
    if (!x) {
        return -1;
    }
    for (size_t i = 0; i < nsnaps; i++) {
        x[i].snap = snaps[i];
    }
    const int rc = rw_encode_sampled(o, x, nsnaps, out);
    free(x);
    return rc;
}
