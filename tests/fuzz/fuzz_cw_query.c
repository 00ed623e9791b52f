/* libFuzzer: the input is read as encoder limits followed by datums (names, dimensions,
 * values as raw doubles). Every body must respect its limits, hold exactly the members it
 * claims, contain only form-encoding characters, and account for every datum (encoded or
 * dropped). A gzipped body must inflate back to its text. Each raw double must also format to
 * text that reads back exactly. A bit of the input picks AWS JSON 1.0 instead: each body must then
 * parse as JSON with exactly its MetricData members. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "exporters/cloudwatch/cw_query.h"

#define FUZZ_MAX_DATUMS 64
#define FUZZ_MAX_DIMS 33
#define FUZZ_MAX_VALUES 400

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
    const uint8_t *p, *end;
};

static uint8_t fuzz_byte(struct fuzz_in *in)
{
    return in->p < in->end ? *in->p++ : 0;
}

static double fuzz_double(struct fuzz_in *in)
{
    double v = 0;
    if (in->end - in->p >= (ptrdiff_t)sizeof(v)) {
        memcpy(&v, in->p, sizeof(v));
        in->p += sizeof(v);
        char text[HW_DOUBLE_LEN];
        text[cw_query_fmt_double(text, v)] = '\0';
        if (v == v && v - v == 0 && strtod(text, NULL) != v) {
            __builtin_trap();
        }
    }
    return v;
}

/* A string of up to n bytes ending at a 0 byte, copied into the pool. */
static const char *fuzz_str(struct fuzz_in *in, char **pool)
{
    const size_t n = fuzz_byte(in) % 40;
    char *s = *pool;
    size_t i = 0;
    for (; i < n && in->p < in->end && *in->p; i++) {
        s[i] = (char)*in->p++;
    }
    s[i] = '\0';
    *pool += i + 1;
    return s;
}

static void fuzz_datum(struct fuzz_in *in, struct cw_datum *d, struct cw_dim *dims, double *vals,
                       char **pool)
{
    static const char *const units[] = {NULL, "Bytes", "Bytes/Second", "bogus"};
    d->name = fuzz_str(in, pool);
    d->unit = units[fuzz_byte(in) % 4];
    d->ndims = fuzz_byte(in) % FUZZ_MAX_DIMS;
    for (size_t i = 0; i < d->ndims; i++) {
        dims[i].name = fuzz_str(in, pool);
        dims[i].value = fuzz_str(in, pool);
    }
    d->dims = dims;
    d->kind = (enum cw_kind)(fuzz_byte(in) % 3);
    d->value = fuzz_double(in);
    d->stats = (struct cw_stats){fuzz_double(in), fuzz_double(in), fuzz_double(in), 0};
    d->stats.max = d->stats.min + 1;
    d->nvalues = (size_t)fuzz_byte(in) * 2 % FUZZ_MAX_VALUES;
    for (size_t i = 0; i < d->nvalues; i++) {
        vals[i] = (double)i - 7.5;
        vals[FUZZ_MAX_VALUES + i] = 1 + (double)(fuzz_byte(in) % 3);
    }
    d->values = vals;
    d->counts = vals + FUZZ_MAX_VALUES;
    d->timestamp_ms = (int64_t)fuzz_byte(in) * 86400000 * 40 - 1000;
    d->storage_resolution = fuzz_byte(in) % 2 ? 60 : 1;
}

static size_t fuzz_count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) {
        n++;
    }
    return n;
}

/* 1 when gz (gzip) inflates to exactly the len bytes at text. */
static int fuzz_gunzip_equal(const struct hw_buf *gz, const char *text, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    char *out = malloc(len + 1);
    int ok = out && inflateInit2(&z, 15 + 16) == Z_OK;
    if (ok) {
        z.next_in = (Bytef *)gz->data;
        z.avail_in = (uInt)gz->len;
        z.next_out = (Bytef *)out;
        z.avail_out = (uInt)len + 1;
        ok = inflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out == len && z.avail_in == 0 &&
             memcmp(out, text, len) == 0;
        inflateEnd(&z);
    }
    free(out);
    return ok;
}

/* 1 when a JSON body parses and holds n MetricData members. */
static int fuzz_json_ok(const struct hw_buf *t, size_t n)
{
    json_t *doc = json_loadb(t->data, t->len, 0, NULL);
    const char *ns = json_string_value(json_object_get(doc, "Namespace"));
    const int ok = doc && json_array_size(json_object_get(doc, "MetricData")) == n && ns &&
                   strcmp(ns, "Fuzz/NS") == 0;
    json_decref(doc);
    return ok;
}

/* The Query form's own alphabet and member count. */
static int fuzz_form_ok(const struct hw_buf *t, size_t n)
{
    return strspn(t->data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                           "0123456789-._~%&=") == t->len &&
           fuzz_count(t->data, ".MetricName=") == n;
}

static void fuzz_check(const struct cw_query_opts *o, const struct cw_datum *d, size_t n,
                       const struct cw_bodies *b)
{
    const size_t maxv = o->max_values ? o->max_values : CW_QUERY_MAX_VALUES;
    size_t want = 0, got = 0, invalid = 0;
    for (size_t i = 0; i < n; i++) {
        if (!cw_datum_valid(&d[i])) {
            invalid++;
        } else {
            want += d[i].kind == CW_DIST ? (d[i].nvalues + maxv - 1) / maxv : 1;
        }
    }
    for (size_t i = 0; i < b->n; i++) {
        const struct cw_body *x = &b->v[i];
        if (x->text.len > o->max_body || x->ndatums > o->max_datums || x->ndatums == 0 ||
            strlen(x->text.data) != x->text.len ||
            !(o->proto == CW_PROTO_JSON ? fuzz_json_ok(&x->text, x->ndatums)
                                        : fuzz_form_ok(&x->text, x->ndatums)) ||
            (o->gzip && !fuzz_gunzip_equal(&x->gz, x->text.data, x->text.len))) {
            __builtin_trap();
        }
        got += x->ndatums;
    }
    if (got != want || b->dropped != invalid) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, data + size};
    struct cw_datum d[FUZZ_MAX_DATUMS];
    struct cw_dim *dims = malloc(FUZZ_MAX_DATUMS * FUZZ_MAX_DIMS * sizeof(*dims));
    double *vals = malloc(FUZZ_MAX_DATUMS * 2 * FUZZ_MAX_VALUES * sizeof(*vals));
    char *pool = malloc(size * 2 + 64), *cur = pool;
    struct cw_bodies b;
    cw_bodies_init(&b);
    if (!dims || !vals || !pool) {
        goto out;
    }
    struct cw_query_opts o = {.ns = "Fuzz/NS",
                              .max_body = 2000 + (size_t)fuzz_byte(&in) * 400,
                              .max_datums = 1 + fuzz_byte(&in) % 20,
                              .max_values = 1 + fuzz_byte(&in) % 150};
    const uint8_t g = fuzz_byte(&in);
    o.gzip = g % 4 == 0;
    o.proto = (g & 0x10) ? CW_PROTO_JSON : CW_PROTO_QUERY;
    size_t n = 0;
    while (in.p < in.end && n < FUZZ_MAX_DATUMS) {
        fuzz_datum(&in, &d[n], dims + n * FUZZ_MAX_DIMS, vals + n * 2 * FUZZ_MAX_VALUES, &cur);
        n++;
    }
    const int rc = cw_query_encode(&o, d, n, &b);
    if (rc == 0) {
        fuzz_check(&o, d, n, &b);
    } else if (rc != -EMSGSIZE || b.n != 0) {
        __builtin_trap();
    }
out:
    cw_bodies_free(&b);
    free(dims);
    free(vals);
    free(pool);
    return 0;
}
