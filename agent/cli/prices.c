/* CloudWatch prices: the checked-in defaults and their overrides (--prices FILE, cost.prices). */
#include <stdio.h>
#include <string.h>

#include "cost.h"

/* Read from the public price list, US East (N. Virginia), on the date below. */
void hw_prices_default(struct hw_prices *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->source, sizeof(p->source), "https://aws.amazon.com/cloudwatch/pricing/");
    snprintf(p->read_on, sizeof(p->read_on), "2026-12-04");
    snprintf(p->region, sizeof(p->region), "us-east-1");
    static const struct hw_price_tier tiers[] = {
        {10000, 0.30}, {250000, 0.10}, {1000000, 0.05}, {0, 0.02}};
    memcpy(p->tiers, tiers, sizeof(tiers));
    p->ntiers = sizeof(tiers) / sizeof(tiers[0]);
    p->per_1000_requests = 0.01;
    p->logs_ingestion_per_gb = 0.50;
}

static int price_num(const json_t *j, const char *k, double *out, const char *where, char *err,
                     size_t errlen)
{
    const json_t *v = json_object_get(j, k);
    if (!v) {
        return 0;
    }
    if (!json_is_number(v) || json_number_value(v) < 0) {
        snprintf(err, errlen, "%s: %s: expected a non-negative number", where, k);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

static int price_str(const json_t *j, const char *k, char *out, size_t len, const char *where,
                     char *err, size_t errlen)
{
    const json_t *v = json_object_get(j, k);
    if (v && !json_is_string(v)) {
        snprintf(err, errlen, "%s: %s: expected a string", where, k);
        return -1;
    }
    if (v) {
        snprintf(out, len, "%s", json_string_value(v));
    }
    return 0;
}

/* metrics_tiers: [{"up_to": N, "per_metric_month": USD}, ..., {"per_metric_month": USD}] */
static int price_tiers(struct hw_prices *p, const json_t *t, const char *where, char *err,
                       size_t errlen)
{
    size_t i;
    const json_t *e;
    if (!json_is_array(t) || json_array_size(t) == 0 || json_array_size(t) > HW_PRICES_MAX_TIERS) {
        snprintf(err, errlen, "%s: metrics_tiers: expected 1 to %d tiers", where,
                 HW_PRICES_MAX_TIERS);
        return -1;
    }
    double prev = 0;
    json_array_foreach(t, i, e)
    {
        char w[300];
        snprintf(w, sizeof(w), "%s: metrics_tiers[%zu]", where, i);
        struct hw_price_tier x = {0, 0};
        if (price_num(e, "up_to", &x.up_to, w, err, errlen) != 0 ||
            price_num(e, "per_metric_month", &x.per_metric_month, w, err, errlen) != 0) {
            return -1;
        }
        int last = i + 1 == json_array_size(t);
        if ((!last && x.up_to <= prev) || (last && json_object_get(e, "up_to"))) {
            snprintf(err, errlen, "%s: up_to must ascend, and the last tier has none", w);
            return -1;
        }
        prev = x.up_to;
        p->tiers[i] = x;
    }
    p->ntiers = json_array_size(t);
    return 0;
}

const struct hw_price_key hw_price_keys[] = {
    {"source", "string", "where the prices were read"},
    {"read_on", "string", "when they were read"},
    {"region", "string", "the region they are for"},
    {"metrics_tiers", "array",
     "[{\"up_to\": N, \"per_metric_month\": USD}, ..., {\"per_metric_month\": USD}]"},
    {"requests_per_1000", "number", "USD per 1,000 PutMetricData requests"},
    {"logs_ingestion_per_gb", "number", "USD per GB of logs ingested (EMF)"},
    {"currency", "string", "only \"USD\""},
    {NULL, NULL, NULL},
};

int hw_prices_apply(struct hw_prices *p, const json_t *j, const char *where, char *err,
                    size_t errlen)
{
    const struct hw_price_key *keys = hw_price_keys;
    const char *k;
    const json_t *v;
    if (!json_is_object(j)) {
        snprintf(err, errlen, "%s: expected an object", where);
        return -1;
    }
    json_object_foreach((json_t *)j, k, v)
    {
        size_t i = 0;
        while (keys[i].key && strcmp(keys[i].key, k) != 0) {
            i++;
        }
        if (!keys[i].key) {
            snprintf(err, errlen, "%s: %s: unknown key", where, k);
            return -1;
        }
    }
    const json_t *cur = json_object_get(j, "currency");
    if (cur && !(json_is_string(cur) && strcmp(json_string_value(cur), "USD") == 0)) {
        snprintf(err, errlen, "%s: currency: only \"USD\"", where);
        return -1;
    }
    if (price_str(j, "source", p->source, sizeof(p->source), where, err, errlen) != 0 ||
        price_str(j, "read_on", p->read_on, sizeof(p->read_on), where, err, errlen) != 0 ||
        price_str(j, "region", p->region, sizeof(p->region), where, err, errlen) != 0 ||
        price_num(j, "requests_per_1000", &p->per_1000_requests, where, err, errlen) != 0 ||
        price_num(j, "logs_ingestion_per_gb", &p->logs_ingestion_per_gb, where, err, errlen)) {
        return -1;
    }
    const json_t *t = json_object_get(j, "metrics_tiers");
    return t ? price_tiers(p, t, where, err, errlen) : 0;
}

double hw_prices_metrics(const struct hw_prices *p, double n)
{
    double usd = 0, lo = 0;
    for (size_t i = 0; i < p->ntiers && n > lo; i++) {
        const int last = i + 1 == p->ntiers || p->tiers[i].up_to <= 0;
        const double hi = last ? n : (n < p->tiers[i].up_to ? n : p->tiers[i].up_to);
        usd += (hi - lo) * p->tiers[i].per_metric_month;
        lo = hi;
        if (last) {
            break;
        }
    }
    return usd;
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
