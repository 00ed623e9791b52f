#include "metricstate.h"

#include <string.h>

#define MS_MAX_LABELS 32

static const char *const type_names[] = {"counter", "gauge", "histogram"};

struct save_ctx {
    json_t *series;
    int failed;
};

static void save_one(void *arg, const struct hw_label *labels, size_t nlabels, double value,
                     uint64_t count, const uint64_t *buckets, size_t nbuckets)
{
    struct save_ctx *sc = arg;
    json_t *lbl = json_object();
    json_t *bk = json_array();
    for (size_t i = 0; lbl && i < nlabels; i++) {
        sc->failed |= json_object_set_new(lbl, labels[i].key, json_string(labels[i].value));
    }
    for (size_t i = 0; bk && buckets && i < nbuckets; i++) {
        sc->failed |= json_array_append_new(bk, json_integer((json_int_t)buckets[i]));
    }
    json_t *s = json_pack("{s:o?, s:f, s:I, s:o?}", "labels", lbl, "value", value, "count",
                          (json_int_t)count, "buckets", bk);
    if (!s || json_array_append_new(sc->series, s) != 0) {
        sc->failed = 1;
    }
}

json_t *metricstate_save(const struct hw_family *fam, enum hw_mtype type)
{
    struct save_ctx sc = {.series = json_array()};
    if (!sc.series) {
        return NULL;
    }
    hw_family_foreach(fam, save_one, &sc);
    json_t *doc = json_pack("{s:s, s:I, s:o}", "type", type_names[type], "nbuckets",
                            (json_int_t)hw_family_nbuckets(fam), "series", sc.series);
    if (sc.failed) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* One saved series: labels into l (pointing into the JSON), figures into the out params. */
static int parse_series(const json_t *s, size_t nb, struct hw_label *l, size_t *nl,
                        double *value, uint64_t *count, uint64_t *buckets)
{
    const json_t *lbl = json_object_get(s, "labels");
    const json_t *v = json_object_get(s, "value");
    const json_t *c = json_object_get(s, "count");
    const json_t *b = json_object_get(s, "buckets");
    if (!json_is_object(lbl) || !json_is_number(v) || !json_is_integer(c) ||
        json_integer_value(c) < 0 || !json_is_array(b) || json_array_size(b) != nb ||
        json_object_size(lbl) > MS_MAX_LABELS) {
        return -1;
    }
    const char *k;
    const json_t *lv;
    *nl = 0;
    json_object_foreach((json_t *)lbl, k, lv)
    {
        if (!json_is_string(lv)) {
            return -1;
        }
        l[(*nl)++] = (struct hw_label){k, json_string_value(lv)};
    }
    for (size_t i = 0; i < nb; i++) {
        const json_t *e = json_array_get(b, i);
        if (!json_is_integer(e) || json_integer_value(e) < 0) {
            return -1;
        }
        buckets[i] = (uint64_t)json_integer_value(e);
    }
    *value = json_number_value(v);
    *count = (uint64_t)json_integer_value(c);
    return 0;
}

int metricstate_restore(struct hw_family *fam, enum hw_mtype type, const json_t *in,
                        size_t max_series, const char **why)
{
    const json_t *t = json_object_get(in, "type");
    const json_t *nb = json_object_get(in, "nbuckets");
    const json_t *series = json_object_get(in, "series");
    size_t nbk = hw_family_nbuckets(fam);
    if (!json_is_string(t) || strcmp(json_string_value(t), type_names[type]) != 0) {
        *why = "saved metric has another type";
        return -1;
    }
    if (!json_is_integer(nb) || (size_t)json_integer_value(nb) != nbk || !json_is_array(series)) {
        *why = "saved metric has another bucket layout";
        return -1;
    }
    struct hw_label l[MS_MAX_LABELS];
    uint64_t buckets[256];
    size_t nl, i;
    double value;
    uint64_t count;
    json_t *s;
    if (nbk > 256) {
        *why = "too many buckets";
        return -1;
    }
    json_array_foreach(series, i, s)
    {
        if (parse_series(s, nbk, l, &nl, &value, &count, buckets) != 0) {
            *why = "malformed saved series";
            return -1;
        }
    }
    json_array_foreach(series, i, s)
    {
        (void)parse_series(s, nbk, l, &nl, &value, &count, buckets);
        struct hw_series *hs = hw_family_series(fam, l, nl, max_series);
        if (hs) {
            hw_series_restore(fam, hs, value, count, nbk ? buckets : NULL);
        }
    }
    return 0;
}
