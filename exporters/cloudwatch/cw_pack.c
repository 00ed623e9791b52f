/* PutMetricData bodies for both protocols: every datum's members (cw_query.c or cw_json.c),
 * packed into bodies at the service's limits (count, values, bytes), written out with their
 * member indexes and gzipped. cw_query_encode() is the entry point. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr */
#endif

#include "cw_query.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cw_enc_int.h"

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
                                           : cw_query_piece_add(e, &d[i], off, part);
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
            cw_query_header(&w, o->ns);
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
