/* Counter baselines across restarts: what the aggregator has sent of each counter series, saved
 * with the agent's checkpoints and taken back at start (cw_agg.h). */
#include "cw_agg_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CW_BASELINE_FORMAT "cloudwatch-baselines/1"

/* One saved baseline waiting for its series to be seen. */
struct cw_pending {
    const char *fam;
    struct hw_label *labels; /* as saved: sorted by key, like a snapshot's */
    size_t nlabels;
    double value;
};

static int cw_cmp_pending(const void *a, const void *b)
{
    const struct cw_pending *x = a, *y = b;
    const int c = strcmp(x->fam, y->fam);
    return c ? c : hw_labels_cmp(x->labels, x->nlabels, y->labels, y->nlabels);
}

/* [family, [key, value, ...], baseline] of one series. */
static json_t *cw_baseline_entry(const struct cw_fam *fam, const struct cw_series *e)
{
    json_t *labels = json_array();
    for (size_t k = 0; labels && k < e->nlabels; k++) {
        if (json_array_append_new(labels, json_string(e->labels[k].key)) != 0 ||
            json_array_append_new(labels, json_string(e->labels[k].value)) != 0) {
            json_decref(labels);
            return NULL;
        }
    }
    return labels ? json_pack("[sof]", fam->name, labels, e->prev) : NULL;
}

json_t *cw_agg_checkpoint(const struct cw_agg *agg, const char *ns, uint64_t config, size_t max)
{
    char hex[17];
    snprintf(hex, sizeof(hex), "%016" PRIx64, config);
    json_t *list = json_array();
    for (size_t i = 0; list && i < agg->nfams; i++) {
        const struct cw_fam *fam = agg->fams[i];
        for (size_t k = 0; fam->selected && fam->type == HW_COUNTER && k < fam->n; k++) {
            if (json_array_size(list) >= max) {
                break;
            }
            json_t *entry = cw_baseline_entry(fam, fam->list[k]);
            if (!entry || json_array_append_new(list, entry) != 0) {
                json_decref(list);
                return NULL;
            }
        }
    }
    return list ? json_pack("{s:s, s:s, s:s, s:o}", "format", CW_BASELINE_FORMAT, "namespace", ns,
                            "config", hex, "counters", list)
                : NULL;
}

int cw_baselines_check(const json_t *saved, const char *ns, uint64_t config, const char **why)
{
    char hex[17];
    snprintf(hex, sizeof(hex), "%016" PRIx64, config);
    const char *format = json_string_value(json_object_get(saved, "format"));
    if (!format || strcmp(format, CW_BASELINE_FORMAT) != 0) {
        *why = "unknown baseline format";
        return -EINVAL;
    }
    if (!json_is_array(json_object_get(saved, "counters"))) {
        *why = "no counters array";
        return -EINVAL;
    }
    const char *sns = json_string_value(json_object_get(saved, "namespace"));
    if (!sns || strcmp(sns, ns) != 0) {
        *why = "saved for another namespace";
        return -EINVAL;
    }
    const char *shex = json_string_value(json_object_get(saved, "config"));
    if (!shex || strcmp(shex, hex) != 0) {
        *why = "saved with another metrics, dimensions or endpoint configuration";
        return -EINVAL;
    }
    return 0;
}

/* One saved entry into p (strings in agg->pmem); 0, -EINVAL (malformed) or -ENOMEM. */
static int cw_pending_parse(struct cw_agg *agg, const json_t *entry, struct cw_pending *p)
{
    const json_t *labels = json_array_get(entry, 1), *value = json_array_get(entry, 2);
    const char *fam = json_string_value(json_array_get(entry, 0));
    const size_t nl = json_array_size(labels);
    if (!fam || !json_is_array(labels) || nl % 2 || !json_is_number(value) ||
        json_array_size(entry) != 3) {
        return -EINVAL;
    }
    p->fam = cw_datums_strdup(&agg->pmem, fam);
    p->nlabels = nl / 2;
    p->labels = cw_datums_alloc(&agg->pmem, (p->nlabels ? p->nlabels : 1) * sizeof(*p->labels));
    p->value = json_number_value(value);
    if (!p->fam || !p->labels) {
        return -ENOMEM;
    }
    for (size_t k = 0; k < p->nlabels; k++) {
        const char *key = json_string_value(json_array_get(labels, 2 * k));
        const char *val = json_string_value(json_array_get(labels, 2 * k + 1));
        if (!key || !val) {
            return -EINVAL;
        }
        p->labels[k].key = cw_datums_strdup(&agg->pmem, key);
        p->labels[k].value = cw_datums_strdup(&agg->pmem, val);
        if (!p->labels[k].key || !p->labels[k].value) {
            return -ENOMEM;
        }
    }
    return cw_value_valid(p->value) && p->value >= 0 ? 0 : -EINVAL;
}

int cw_agg_restore(struct cw_agg *agg, const json_t *saved, size_t max, const char **why)
{
    const json_t *list = json_object_get(saved, "counters");
    const size_t n = json_array_size(list) < max ? json_array_size(list) : max;
    struct cw_pending *v = cw_datums_alloc(&agg->pmem, (n ? n : 1) * sizeof(*v));
    int rc = v ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = cw_pending_parse(agg, json_array_get(list, i), &v[i]);
    }
    if (rc != 0) {
        *why = rc == -ENOMEM ? "out of memory" : "malformed counter baseline";
        cw_datums_free(&agg->pmem);
        return rc;
    }
    qsort(v, n, sizeof(*v), cw_cmp_pending);
    agg->pending = v;
    agg->npending = n;
    return 0;
}

int cw_baseline_find(const struct cw_agg *agg, const char *fam, const struct hw_snap_series *s,
                     double *value)
{
    const struct cw_pending key = {
        .fam = fam, .labels = (struct hw_label *)s->labels, .nlabels = s->nlabels};
    const struct cw_pending *p =
        agg->npending ? bsearch(&key, agg->pending, agg->npending, sizeof(key), cw_cmp_pending)
                      : NULL;
    if (p) {
        *value = p->value;
    }
    return p != NULL;
}

void cw_baselines_drop(struct cw_agg *agg)
{
    agg->pending = NULL;
    agg->npending = 0;
    cw_datums_free(&agg->pmem);
}
