/* CloudWatch datums, the service's limits, the PutMetricData query-protocol encoding, and the
 * packing of members into bodies that the JSON 1.0 encoder (cw_json.c) shares. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr */
#endif

#include "cw_query.h"

#include "cw_enc_int.h"
#include "buf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CW_ARENA_BLK 65536
#define CW_HEADER "Action=PutMetricData&Version=2010-08-01&Namespace="
#define CW_MEMBER "&MetricData.member.#." /* '#': the member index, filled in per body */

/* clang-format off */
static const char *const cw_units[] = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None"};
/* clang-format on */

/* ---- datums ----------------------------------------------------------------------------- */

struct cw_arena_blk {
    struct cw_arena_blk *next;
    size_t used, cap;
    max_align_t data[];
};

void cw_datums_init(struct cw_datums *d)
{
    memset(d, 0, sizeof(*d));
}

void cw_datums_free(struct cw_datums *d)
{
    free(d->v);
    while (d->arena) {
        struct cw_arena_blk *next = d->arena->next;
        free(d->arena);
        d->arena = next;
    }
    cw_datums_init(d);
}

/* Bump allocation in blocks; a large request gets its own block behind the current one so
 * the current block's free space stays in use. */
void *cw_datums_alloc(struct cw_datums *d, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    struct cw_arena_blk *b = d->arena;
    if (b && b->cap - b->used >= n) {
        void *p = (unsigned char *)b->data + b->used;
        b->used += n;
        return p;
    }
    const int big = n > CW_ARENA_BLK / 4;
    struct cw_arena_blk *nb = malloc(sizeof(*nb) + (big ? n : CW_ARENA_BLK));
    if (!nb) {
        return NULL;
    }
    nb->used = n;
    nb->cap = big ? n : CW_ARENA_BLK;
    if (big && b) {
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        d->arena = nb;
    }
    return nb->data;
}

char *cw_datums_strdup(struct cw_datums *d, const char *s)
{
    const size_t n = strlen(s) + 1;
    char *p = cw_datums_alloc(d, n);
    return p ? memcpy(p, s, n) : NULL;
}

int cw_datums_push(struct cw_datums *d, const struct cw_datum *x)
{
    struct cw_datum *v = hw_grow(d->v, &d->cap, d->n, sizeof(*v), 64);
    if (!v) {
        return -ENOMEM;
    }
    d->v = v;
    d->v[d->n++] = *x;
    return 0;
}

/* ---- limits ----------------------------------------------------------------------------- */

const char *cw_unit_find(const char *unit)
{
    for (size_t i = 0; i < sizeof(cw_units) / sizeof(cw_units[0]); i++) {
        if (unit == cw_units[i]) {
            return unit; /* the aggregator's units are the table's own strings */
        }
    }
    for (size_t i = 0; unit && i < sizeof(cw_units) / sizeof(cw_units[0]); i++) {
        if (strcmp(unit, cw_units[i]) == 0) {
            return cw_units[i];
        }
    }
    return NULL;
}

/* What CloudWatch takes in dimensions: 1..max bytes of printable ASCII, not only blanks. */
static int cw_ascii_text(const char *s, size_t max)
{
    int blank = 1;
    size_t n = 0;
    for (; s[n]; n++) {
        const unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c > 0x7e || n >= max) {
            return 0;
        }
        blank &= c == ' ';
    }
    return n > 0 && !blank;
}

/* Well-formed UTF-8 (RFC 3629: shortest forms, no surrogates, at most U+10FFFF): a metric
 * name that is not cannot be carried by a JSON body, and the service refuses it in any form. */
static int cw_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned c = *p;
        const size_t n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2
                                                            : c >= 0xf0 && c <= 0xf4 ? 3 : 4;
        if (n == 4) {
            return 0;
        }
        /* the second byte's range excludes overlong forms, surrogates and > U+10FFFF */
        const unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
        const unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
        for (size_t i = 1; i <= n; i++) {
            if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf)) {
                return 0;
            }
        }
        p += n + 1;
    }
    return 1;
}

int cw_dim_name_valid(const char *s)
{
    return s[0] != ':' && cw_ascii_text(s, CW_MAX_NAME_LEN);
}

int cw_dim_value_valid(const char *s)
{
    return cw_ascii_text(s, CW_MAX_DIM_VALUE_LEN);
}

int cw_value_valid(double v)
{
    const double a = fabs(v);
    return isfinite(v) && (a == 0 || (a <= 0x1p360 && a >= 0x1p-360));
}

static int cw_kind_valid(const struct cw_datum *d)
{
    switch (d->kind) {
    case CW_VALUE:
        return cw_value_valid(d->value);
    case CW_STATS:
        return d->stats.count > 0 && cw_value_valid(d->stats.count) &&
               cw_value_valid(d->stats.sum) && cw_value_valid(d->stats.min) &&
               cw_value_valid(d->stats.max) && d->stats.min <= d->stats.max;
    case CW_DIST:
        for (size_t i = 0; i < d->nvalues; i++) {
            if (!cw_value_valid(d->values[i]) || !cw_value_valid(d->counts[i]) ||
                d->counts[i] <= 0) {
                return 0;
            }
        }
        return d->nvalues > 0;
    }
    return 0;
}

int cw_datum_valid(const struct cw_datum *d)
{
    const size_t len = d->name ? strlen(d->name) : 0;
    if (len == 0 || len > CW_MAX_NAME_LEN || d->ndims > CW_MAX_DIMS ||
        (d->unit && !cw_unit_find(d->unit)) || d->timestamp_ms < 0 ||
        (d->storage_resolution != 1 && d->storage_resolution != 60) || !cw_utf8_valid(d->name)) {
        return 0;
    }
    for (size_t i = 0; i < d->ndims; i++) {
        if (!cw_dim_name_valid(d->dims[i].name) || !cw_dim_value_valid(d->dims[i].value)) {
            return 0;
        }
    }
    return cw_kind_valid(d);
}

/* ---- form encoding ---------------------------------------------------------------------- */

static int cw_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* RFC 3986: everything but the unreserved characters is percent-encoded (3 bytes at most). */
static void cw_w_enc(char **w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = *w;
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (cw_unreserved(c)) {
            *o++ = (char)c;
        } else {
            o[0] = '%';
            o[1] = hex[c >> 4];
            o[2] = hex[c & 15];
            o += 3;
        }
    }
    *w = o;
}

/* Shortest round-trip text; the exponent's '+' (1e+300) must not read as a space. */
static void cw_w_double(char **w, double v)
{
    char tmp[HW_DOUBLE_LEN];
    const size_t n = cw_query_fmt_double(tmp, v);
    for (size_t i = 0; i < n; i++) {
        if (tmp[i] == '+') {
            cw_w(w, "%2B", 3);
        } else {
            *(*w)++ = tmp[i];
        }
    }
}

/* ISO 8601 UTC with milliseconds, colons encoded; a flush shares one timestamp, so the text
 * is cached. */
static int cw_w_ts(struct cw_enc *e, char **w, int64_t ms)
{
    if (e->tslen == 0 || ms != e->ts_ms) {
        const time_t sec = (time_t)(ms / 1000);
        struct tm tm;
        if (!gmtime_r(&sec, &tm)) {
            return -EINVAL;
        }
        const int n = snprintf(e->ts, sizeof(e->ts), "%04d-%02d-%02dT%02d%%3A%02d%%3A%02d.%03dZ",
                               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                               tm.tm_sec, (int)(ms % 1000));
        if (n <= 0 || (size_t)n >= sizeof(e->ts)) {
            return -EINVAL;
        }
        e->tslen = (size_t)n;
        e->ts_ms = ms;
    }
    cw_w(w, e->ts, e->tslen);
    return 0;
}

#define CW_PARAM_MAX 96 /* "&MetricData.member.#." + the longest field, index and "=" */

/* Starts the parameter MetricData.member.#.<field>[<k><sub>]= . */
static void cw_w_member(char **w, size_t *nidx, const char *field, size_t flen, size_t k,
                        const char *sub)
{
    cw_w(w, CW_LIT(CW_MEMBER));
    cw_w(w, field, flen);
    if (sub) {
        cw_w_u64(w, k);
        cw_w(w, sub, strlen(sub));
    }
    *(*w)++ = '=';
    (*nidx)++;
}

/* The value parameters of d: Value, StatisticValues, or values [off, off + nv) and counts. */
static void cw_w_values(char **w, size_t *ni, const struct cw_datum *d, size_t off, size_t nv)
{
    if (d->kind == CW_VALUE) {
        cw_w_member(w, ni, CW_LIT("Value"), 0, NULL);
        cw_w_double(w, d->value);
    } else if (d->kind == CW_STATS) {
        cw_w_member(w, ni, CW_LIT("StatisticValues.SampleCount"), 0, NULL);
        cw_w_double(w, d->stats.count);
        cw_w_member(w, ni, CW_LIT("StatisticValues.Sum"), 0, NULL);
        cw_w_double(w, d->stats.sum);
        cw_w_member(w, ni, CW_LIT("StatisticValues.Minimum"), 0, NULL);
        cw_w_double(w, d->stats.min);
        cw_w_member(w, ni, CW_LIT("StatisticValues.Maximum"), 0, NULL);
        cw_w_double(w, d->stats.max);
    } else {
        for (size_t k = 0; k < nv; k++) {
            cw_w_member(w, ni, CW_LIT("Values.member."), k + 1, "");
            cw_w_double(w, d->values[off + k]);
        }
        for (size_t k = 0; k < nv; k++) {
            cw_w_member(w, ni, CW_LIT("Counts.member."), k + 1, "");
            cw_w_double(w, d->counts[off + k]);
        }
    }
}

/* Upper bound of a member's text: every byte of a string may take 3, a double 3 * 32. */
static size_t cw_piece_bound(const struct cw_datum *d, size_t nv)
{
    size_t n = 3 * (strlen(d->name) + (d->unit ? strlen(d->unit) : 0)) + 4 * CW_PARAM_MAX + 64;
    for (size_t m = 0; m < d->ndims; m++) {
        n += 3 * (strlen(d->dims[m].name) + strlen(d->dims[m].value)) + 2 * CW_PARAM_MAX;
    }
    return n + (d->kind == CW_DIST ? 2 * nv : 4) * (CW_PARAM_MAX + 3 * HW_DOUBLE_LEN);
}

/* Encodes one member in the model's member order (as botocore serialises it). */
static int cw_piece_add(struct cw_enc *e, const struct cw_datum *d, size_t off, size_t nv)
{
    struct hw_buf *b = &e->frag;
    size_t ni = 0;
    if (hw_buf_reserve(b, cw_piece_bound(d, nv)) != 0) {
        return -ENOMEM;
    }
    char *w = b->data + b->len;
    cw_w_member(&w, &ni, CW_LIT("MetricName"), 0, NULL);
    cw_w_enc(&w, d->name);
    for (size_t m = 0; m < d->ndims; m++) {
        cw_w_member(&w, &ni, CW_LIT("Dimensions.member."), m + 1, ".Name");
        cw_w_enc(&w, d->dims[m].name);
        cw_w_member(&w, &ni, CW_LIT("Dimensions.member."), m + 1, ".Value");
        cw_w_enc(&w, d->dims[m].value);
    }
    cw_w_member(&w, &ni, CW_LIT("Timestamp"), 0, NULL);
    const int rc = cw_w_ts(e, &w, d->timestamp_ms);
    cw_w_values(&w, &ni, d, off, nv);
    if (d->unit) {
        cw_w_member(&w, &ni, CW_LIT("Unit"), 0, NULL);
        cw_w_enc(&w, d->unit);
    }
    cw_w_member(&w, &ni, CW_LIT("StorageResolution"), 0, NULL);
    cw_w_u64(&w, (uint64_t)d->storage_resolution);
    return rc != 0 ? rc : cw_enc_piece_commit(e, w, ni, d->timestamp_ms);
}

int cw_enc_piece_commit(struct cw_enc *e, char *w, size_t nidx, int64_t ts)
{
    struct hw_buf *b = &e->frag;
    const size_t start = b->len;
    b->len = (size_t)(w - b->data);
    b->data[b->len] = '\0';
    struct cw_piece *p = hw_grow(e->p, &e->capp, e->np, sizeof(*p), 256);
    if (!p) {
        return -ENOMEM;
    }
    e->p = p;
    e->p[e->np++] = (struct cw_piece){
        .off = start, .len = b->len - start, .nidx = nidx, .ts = ts, .next = CW_NONE};
    return 0;
}

/* ---- packing ---------------------------------------------------------------------------- */

static size_t cw_digits(size_t v)
{
    size_t d = 1;
    for (; v >= 10; v /= 10) {
        d++;
    }
    return d;
}

/* Bytes of a piece written as member pos. */
static size_t cw_piece_size(const struct cw_piece *p, size_t pos)
{
    return p->len + p->nidx * (cw_digits(pos) - 1);
}

static int cw_fits(const struct cw_enc *e, const struct cw_bin *bin, const struct cw_piece *p)
{
    return bin->count < e->max_datums &&
           bin->bytes + cw_piece_size(p, bin->count + 1) <= e->max_body;
}

static void cw_place(struct cw_enc *e, size_t k, size_t i)
{
    struct cw_bin *bin = &e->bins[k];
    bin->bytes += cw_piece_size(&e->p[i], bin->count + 1);
    bin->count++;
    e->p[i].next = CW_NONE;
    if (bin->first == CW_NONE) {
        bin->first = i;
    } else {
        e->p[bin->last].next = i;
    }
    bin->last = i;
}

/* Opens a body for piece i; -EMSGSIZE when it does not fit even alone. */
static int cw_open(struct cw_enc *e, size_t i)
{
    struct cw_bin *v = hw_grow(e->bins, &e->capbins, e->nbins, sizeof(*v), 4);
    if (!v) {
        return -ENOMEM;
    }
    e->bins = v;
    e->bins[e->nbins] = (struct cw_bin){e->header_len + e->tail, 0, CW_NONE, CW_NONE};
    if (!cw_fits(e, &e->bins[e->nbins], &e->p[i])) {
        return -EMSGSIZE;
    }
    cw_place(e, e->nbins++, i);
    return 0;
}

/* In datum order, a new body whenever the next member does not fit. */
static int cw_pack_next_fit(struct cw_enc *e)
{
    int rc = 0;
    e->nbins = 0;
    for (size_t i = 0; i < e->np && rc == 0; i++) {
        if (e->nbins && cw_fits(e, &e->bins[e->nbins - 1], &e->p[i])) {
            cw_place(e, e->nbins - 1, i);
        } else {
            rc = cw_open(e, i);
        }
    }
    return rc;
}

struct cw_sized {
    size_t size, idx;
};

static int cw_cmp_sized(const void *a, const void *b)
{
    const struct cw_sized *x = a, *y = b;
    if (x->size != y->size) {
        return x->size < y->size ? 1 : -1;
    }
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* First fit decreasing: largest members first, each into the first body with room. */
static int cw_pack_ffd(struct cw_enc *e)
{
    struct cw_sized *s = malloc(e->np * sizeof(*s));
    int rc = s ? 0 : -ENOMEM;
    for (size_t i = 0; s && i < e->np; i++) {
        s[i] = (struct cw_sized){e->p[i].len, i};
    }
    if (s) {
        qsort(s, e->np, sizeof(*s), cw_cmp_sized);
    }
    e->nbins = 0;
    for (size_t t = 0; s && t < e->np && rc == 0; t++) {
        size_t k = 0;
        while (k < e->nbins && !cw_fits(e, &e->bins[k], &e->p[s[t].idx])) {
            k++;
        }
        if (k < e->nbins) {
            cw_place(e, k, s[t].idx);
        } else {
            rc = cw_open(e, s[t].idx);
        }
    }
    free(s);
    return rc;
}

/* The fewest bodies: next fit keeps the datum order and reaches the lower bound (count and
 * bytes) in all but contrived cases; otherwise first fit decreasing is tried, and kept when it
 * needs fewer bodies. */
static int cw_pack(struct cw_enc *e)
{
    size_t bytes = 0;
    for (size_t i = 0; i < e->np; i++) {
        bytes += e->p[i].len;
    }
    const size_t room = e->max_body - e->header_len - e->tail;
    size_t lower = (e->np + e->max_datums - 1) / e->max_datums;
    lower = room && (bytes + room - 1) / room > lower ? (bytes + room - 1) / room : lower;
    int rc = cw_pack_next_fit(e);
    if (rc != 0 || e->nbins <= lower) {
        return rc;
    }
    const size_t next_fit = e->nbins;
    if ((rc = cw_pack_ffd(e)) != 0 || e->nbins >= next_fit) {
        rc = rc == -ENOMEM ? rc : cw_pack_next_fit(e);
    }
    return rc;
}

/* ---- bodies ----------------------------------------------------------------------------- */

void cw_bodies_init(struct cw_bodies *b)
{
    memset(b, 0, sizeof(*b));
}

static void cw_body_free(struct cw_body *body)
{
    hw_buf_free(&body->text);
    hw_buf_free(&body->gz);
}

void cw_bodies_free(struct cw_bodies *b)
{
    for (size_t i = 0; i < b->n; i++) {
        cw_body_free(&b->v[i]);
    }
    free(b->v);
    cw_bodies_init(b);
}

/* Piece p's text with pos in place of each '#', written backwards so that it ends at w_end;
 * the source may overlap the destination as long as it does not start after it. Returns
 * where the piece starts. */
static char *cw_put_piece_back(const char *src, const struct cw_piece *p, size_t pos, char *w_end)
{
    char num[24], *nw = num;
    cw_w_u64(&nw, pos);
    const size_t nd = (size_t)(nw - num);
    const char *f = src + p->off, *end = f + p->len;
    for (const char *h; p->nidx && (h = memrchr(f, '#', (size_t)(end - f))); end = h) {
        const size_t tail = (size_t)(end - h - 1);
        w_end -= tail;
        memmove(w_end, h + 1, tail);
        w_end -= nd;
        memcpy(w_end, num, nd);
    }
    w_end -= (size_t)(end - f);
    memmove(w_end, f, (size_t)(end - f));
    return w_end;
}

/* Index substitution for bin's pieces, written backwards from w_end (see cw_put_piece_back). */
static int cw_put_bin(const struct cw_enc *e, const struct cw_bin *bin, const char *src,
                      char *start, char *w_end, struct cw_body *body)
{
    size_t *order = malloc(bin->count * sizeof(*order)), n = 0;
    if (!order) {
        return -ENOMEM;
    }
    body->oldest_ms = INT64_MAX;
    for (size_t i = bin->first; i != CW_NONE; i = e->p[i].next) {
        order[n++] = i;
        body->oldest_ms = e->p[i].ts < body->oldest_ms ? e->p[i].ts : body->oldest_ms;
    }
    for (size_t k = n; k-- > 0;) {
        w_end = cw_put_piece_back(src, &e->p[order[k]], k + 1, w_end);
    }
    free(order);
    return w_end == start ? 0 : -EIO; /* sizes disagree: a bug, never an overflow */
}

/* Each body's text: the header, then each member's text with its index in place of '#'; the
 * size is exact. A single body whose pieces are in fragment order (the common case) is
 * expanded in place and takes the fragment buffer over, sparing a copy of up to 1 MB. */
static int cw_write_body(struct cw_enc *e, const struct cw_bin *bin, struct cw_body *body)
{
    struct hw_buf *t = &body->text;
    int in_place = e->nbins == 1 && bin->count == e->np && bin->first == 0;
    for (size_t i = bin->first; in_place && i != CW_NONE; i = e->p[i].next) {
        in_place = e->p[i].next == CW_NONE || e->p[i].next == i + 1;
    }
    if (in_place) {
        if (hw_buf_reserve(&e->frag, bin->bytes - e->frag.len) != 0) {
            return -ENOMEM;
        }
        *t = e->frag;
        hw_buf_init(&e->frag);
    } else if (hw_buf_reserve(t, bin->bytes) != 0) {
        return -ENOMEM;
    } else {
        memcpy(t->data, e->frag.data, e->header_len);
    }
    const char *src = in_place ? t->data : e->frag.data;
    char *end = t->data + bin->bytes - e->tail;
    int rc = cw_put_bin(e, bin, src, t->data + e->header_len, end, body);
    if (e->tail) { /* JSON: the last member's ',' closes the array, then the object */
        end[-1] = ']';
        end[0] = '}';
    }
    t->len = bin->bytes;
    t->data[t->len] = '\0';
    body->ndatums = bin->count;
    if (rc == 0 && e->gzip) {
        rc = hw_buf_gzip(&body->gz, t->data, t->len, e->level ? e->level : CW_GZIP_LEVEL);
    }
    return rc;
}

static int cw_ns_valid(const char *ns)
{
    const size_t n = ns ? strlen(ns) : 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)ns[i] < 0x20 || (unsigned char)ns[i] > 0x7e) {
            return 0;
        }
    }
    return n > 0 && n <= CW_MAX_NAME_LEN && ns[0] != ':' && strncmp(ns, "AWS/", 4) != 0;
}

/* Encodes every valid datum as one or more pieces (a distribution of more than max_values
 * values becomes ceil(n / max_values) members). */
static int cw_encode_pieces(struct cw_enc *e, const struct cw_datum *d, size_t n, size_t *dropped)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!cw_datum_valid(&d[i])) {
            (*dropped)++;
            continue;
        }
        const size_t nv = d[i].kind == CW_DIST ? d[i].nvalues : 0;
        for (size_t off = 0; rc == 0 && (off == 0 || off < nv); off += e->max_values) {
            const size_t part = nv - off < e->max_values ? nv - off : e->max_values;
            rc = e->proto == CW_PROTO_JSON ? cw_json_piece_add(e, &d[i], off, part)
                                           : cw_piece_add(e, &d[i], off, part);
        }
    }
    return rc;
}

static int cw_write_bodies(struct cw_enc *e, struct cw_bodies *out)
{
    if (e->nbins == 0) {
        return 0;
    }
    struct cw_body *v = realloc(out->v, (out->n + e->nbins) * sizeof(*v));
    if (!v) {
        return -ENOMEM;
    }
    out->v = v;
    for (size_t k = 0; k < e->nbins; k++) {
        struct cw_body *body = &out->v[out->n++];
        memset(body, 0, sizeof(*body));
        const int rc = cw_write_body(e, &e->bins[k], body);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int cw_query_encode(const struct cw_query_opts *o, const struct cw_datum *d, size_t n,
                    struct cw_bodies *out)
{
    struct cw_enc e = {.max_body = o->max_body ? o->max_body : CW_QUERY_DEFAULT_MAX_BODY,
                       .max_datums = o->max_datums ? o->max_datums : CW_QUERY_MAX_DATUMS,
                       .max_values = o->max_values ? o->max_values : CW_QUERY_MAX_VALUES,
                       .tail = o->proto == CW_PROTO_JSON,
                       .proto = o->proto,
                       .gzip = o->gzip,
                       .level = o->gzip_level};
    const size_t n0 = out->n;
    size_t dropped = 0;
    if (!cw_ns_valid(o->ns) || e.max_datums > CW_QUERY_MAX_DATUMS ||
        e.max_values > CW_QUERY_MAX_VALUES || o->gzip_level < 0 || o->gzip_level > 9 ||
        (o->proto != CW_PROTO_QUERY && o->proto != CW_PROTO_JSON)) {
        return -EINVAL;
    }
    hw_buf_init(&e.frag);
    const size_t guess = (n < 2000 ? n : 2000) * 512 + 6 * CW_MAX_NAME_LEN + 64; /* spares regrowth */
    int rc = hw_buf_reserve(&e.frag, guess) == 0 ? 0 : -ENOMEM;
    if (rc == 0) {
        char *w = e.frag.data;
        if (e.proto == CW_PROTO_JSON) {
            cw_json_header(&w, o->ns);
        } else {
            cw_w(&w, CW_LIT(CW_HEADER));
            cw_w_enc(&w, o->ns);
        }
        e.header_len = e.frag.len = (size_t)(w - e.frag.data);
    }
    if (rc == 0 && e.header_len + e.tail >= e.max_body) {
        rc = -EMSGSIZE;
    }
    if (rc == 0 && (rc = cw_encode_pieces(&e, d, n, &dropped)) == 0 && e.np) {
        rc = cw_pack(&e);
    }
    if (rc == 0) {
        rc = cw_write_bodies(&e, out);
    }
    while (rc != 0 && out->n > n0) {
        cw_body_free(&out->v[--out->n]);
    }
    out->dropped += rc == 0 ? dropped : 0;
    hw_buf_free(&e.frag);
    free(e.p);
    free(e.bins);
    return rc;
}
