#include "metricstate.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define MS_MAX_LABELS 32
#define MS_MAX_BUCKETS 256

static const char *const type_names[] = {"counter", "gauge", "histogram"};

/* One series per line: "VALUE COUNT [BUCKET...] NLABELS [KLEN:KEY VLEN:VALUE...]\n". Lengths
 * instead of quoting keep any byte of a label safe, and one string per family costs ~30 bytes a
 * series where a JSON object per series cost over 1 KB of allocations at checkpoint time. */
static void save_one(void *arg, const struct hw_label *labels, size_t nlabels, double value,
                     uint64_t count, const uint64_t *buckets, size_t nbuckets)
{
    struct hw_buf *b = arg;
    char num[HW_DOUBLE_LEN];
    hw_buf_append(b, num, hw_fmt_double(num, value));
    hw_buf_putc(b, ' ');
    hw_buf_put_u64(b, count);
    for (size_t i = 0; buckets && i < nbuckets; i++) {
        hw_buf_putc(b, ' ');
        hw_buf_put_u64(b, buckets[i]);
    }
    hw_buf_putc(b, ' ');
    hw_buf_put_u64(b, nlabels);
    for (size_t i = 0; i < nlabels; i++) {
        const char *kv[2] = {labels[i].key, labels[i].value};
        for (int k = 0; k < 2; k++) {
            size_t n = strlen(kv[k]);
            hw_buf_putc(b, ' ');
            hw_buf_put_u64(b, n);
            hw_buf_putc(b, ':');
            hw_buf_append(b, kv[k], n);
        }
    }
    hw_buf_putc(b, '\n');
}

json_t *metricstate_save(const struct hw_family *fam, enum hw_mtype type)
{
    struct hw_buf b;
    hw_buf_init(&b);
    hw_family_foreach(fam, save_one, &b);
    json_t *doc = NULL;
    if (!b.oom) {
        doc = json_pack("{s:s, s:I, s:s%}", "type", type_names[type], "nbuckets",
                        (json_int_t)hw_family_nbuckets(fam), "packed", b.data ? b.data : "",
                        b.len);
    }
    hw_buf_free(&b);
    return doc;
}

/* A parsed series; label strings live in the caller's scratch buffer. */
struct ms_series {
    struct hw_label l[MS_MAX_LABELS];
    size_t nl;
    double value;
    uint64_t count;
    uint64_t buckets[MS_MAX_BUCKETS];
};

static int expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c) {
        return -1;
    }
    (*p)++;
    return 0;
}

/* "LEN:BYTES" copied NUL-terminated to *scratch (advanced). */
static int parse_field(const char **p, const char *end, char **scratch, const char **out)
{
    uint64_t n;
    if (expect(p, end, ' ') != 0 || hw_parse_u64(p, end, &n) != 0 || expect(p, end, ':') != 0 ||
        n > (uint64_t)(end - *p) || memchr(*p, '\0', n)) {
        return -1;
    }
    memcpy(*scratch, *p, n);
    (*scratch)[n] = '\0';
    *out = *scratch;
    *scratch += n + 1;
    *p += n;
    return 0;
}

/* One packed line at *p into s; scratch has room for the line's bytes. 0 or -1. */
static int parse_packed(const char **p, const char *end, size_t nb, char *scratch,
                        struct ms_series *s)
{
    char *num_end;
    s->value = strtod(*p, &num_end);
    if (num_end == *p || num_end > end) {
        return -1;
    }
    *p = num_end;
    uint64_t nl;
    if (expect(p, end, ' ') != 0 || hw_parse_u64(p, end, &s->count) != 0) {
        return -1;
    }
    for (size_t i = 0; i < nb; i++) {
        if (expect(p, end, ' ') != 0 || hw_parse_u64(p, end, &s->buckets[i]) != 0) {
            return -1;
        }
    }
    if (expect(p, end, ' ') != 0 || hw_parse_u64(p, end, &nl) != 0 || nl > MS_MAX_LABELS) {
        return -1;
    }
    s->nl = (size_t)nl;
    for (size_t i = 0; i < s->nl; i++) {
        if (parse_field(p, end, &scratch, &s->l[i].key) != 0 ||
            parse_field(p, end, &scratch, &s->l[i].value) != 0) {
            return -1;
        }
    }
    return expect(p, end, '\n');
}

/* One series of the earlier form ({"labels", "value", "count", "buckets"}); labels point into
 * the JSON. */
static int parse_object(const json_t *o, size_t nb, struct ms_series *s)
{
    const json_t *lbl = json_object_get(o, "labels");
    const json_t *v = json_object_get(o, "value");
    const json_t *c = json_object_get(o, "count");
    const json_t *b = json_object_get(o, "buckets");
    if (!json_is_object(lbl) || !json_is_number(v) || !json_is_integer(c) ||
        json_integer_value(c) < 0 || !json_is_array(b) || json_array_size(b) != nb ||
        json_object_size(lbl) > MS_MAX_LABELS) {
        return -1;
    }
    const char *k;
    const json_t *lv;
    s->nl = 0;
    json_object_foreach((json_t *)lbl, k, lv)
    {
        if (!json_is_string(lv)) {
            return -1;
        }
        s->l[s->nl++] = (struct hw_label){k, json_string_value(lv)};
    }
    for (size_t i = 0; i < nb; i++) {
        const json_t *e = json_array_get(b, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0) {
            return -1;
        }
        s->buckets[i] = (uint64_t)json_integer_value(e);
    }
    s->value = json_number_value(v);
    s->count = (uint64_t)json_integer_value(c);
    return 0;
}

/* Walks every saved series (packed text or the earlier array), applying each to fam when
 * apply is set; -1 at the first malformed one. */
static int walk_series(struct hw_family *fam, const json_t *in, size_t nb, size_t max_series,
                       int apply, struct ms_series *s)
{
    const json_t *packed = json_object_get(in, "packed");
    const json_t *arr = json_object_get(in, "series");
    if (json_is_string(packed)) {
        const char *p = json_string_value(packed), *end = p + json_string_length(packed);
        char *scratch = malloc((size_t)(end - p) + 2 * MS_MAX_LABELS + 1);
        int rc = scratch ? 0 : -1;
        while (rc == 0 && p < end) {
            rc = parse_packed(&p, end, nb, scratch, s);
            struct hw_series *hs = rc == 0 && apply ? hw_family_series(fam, s->l, s->nl,
                                                                       max_series)
                                                    : NULL;
            if (hs) {
                hw_series_restore(fam, hs, s->value, s->count, nb ? s->buckets : NULL);
            }
        }
        free(scratch);
        return rc;
    }
    if (!json_is_array(arr)) {
        return -1;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(arr, i, o)
    {
        if (parse_object(o, nb, s) != 0) {
            return -1;
        }
        struct hw_series *hs = apply ? hw_family_series(fam, s->l, s->nl, max_series) : NULL;
        if (hs) {
            hw_series_restore(fam, hs, s->value, s->count, nb ? s->buckets : NULL);
        }
    }
    return 0;
}

int metricstate_restore(struct hw_family *fam, enum hw_mtype type, const json_t *in,
                        size_t max_series, const char **why)
{
    const json_t *t = json_object_get(in, "type");
    const json_t *nb = json_object_get(in, "nbuckets");
    size_t nbk = hw_family_nbuckets(fam);
    if (!json_is_string(t) || strcmp(json_string_value(t), type_names[type]) != 0) {
        *why = "saved metric has another type";
        return -1;
    }
    if (!json_is_integer(nb) || (size_t)json_integer_value(nb) != nbk) {
        *why = "saved metric has another bucket layout";
        return -1;
    }
    if (nbk > MS_MAX_BUCKETS) {
        *why = "too many buckets";
        return -1;
    }
    struct ms_series *s = malloc(sizeof(*s));
    if (!s) {
        *why = "out of memory";
        return -1;
    }
    /* Everything is checked before anything is applied: a bad document changes nothing. */
    int rc = walk_series(fam, in, nbk, max_series, 0, s);
    if (rc != 0) {
        *why = "malformed saved series";
    } else {
        rc = walk_series(fam, in, nbk, max_series, 1, s);
    }
    free(s);
    return rc;
}
