/* hostwatch check --cost: what a config will cost in CloudWatch on this host. The counting and
 * pricing (cost_count.c, prices.c) are pure; cost.c runs one collection and prints. */
#ifndef HW_CLI_COST_H
#define HW_CLI_COST_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "exporters/cloudwatch/cw_agg.h"
#include "exporters/cloudwatch/cw_query.h"
#include "opt.h"

#define HW_COST_MONTH_S 2628000.0 /* 730 hours: the month AWS prices are quoted for */
#define HW_PRICES_MAX_TIERS 8

struct hw_price_tier {
    double up_to; /* metrics; 0 in the last tier: no bound */
    double per_metric_month;
};

struct hw_prices {
    char source[256];
    char read_on[16];
    char region[32];
    struct hw_price_tier tiers[HW_PRICES_MAX_TIERS];
    size_t ntiers;
    double per_1000_requests;     /* PutMetricData */
    double logs_ingestion_per_gb; /* EMF arrives as CloudWatch Logs events */
};

/* The checked-in table (public CloudWatch price list, us-east-1). */
void hw_prices_default(struct hw_prices *p);
/* The keys of a price table (cost.prices, --prices FILE) with their JSON type, for the schema. */
struct hw_price_key {
    const char *key, *json_type, *help;
};
extern const struct hw_price_key hw_price_keys[]; /* key == NULL terminated */
/* Overrides the fields j names; errors as "where: key: message" into err. 0 or -1. */
int hw_prices_apply(struct hw_prices *p, const json_t *j, const char *where, char *err,
                    size_t errlen);
/* Monthly price of n custom metrics over the tiers. */
double hw_prices_metrics(const struct hw_prices *p, double n);

/* The options of one push exporter the estimate needs (cloudwatch or emf). */
struct hw_cost_sink {
    const struct hw_strlist *metrics;
    const struct hw_strmap *dims;
    const json_t *rollups; /* aggregation_dimensions or NULL */
    int storage_resolution;
};

/* An aggregator as the exporter builds one; a placeholder dimension counts as present. */
int hw_cost_agg_new(const struct hw_cost_sink *s, struct cw_agg **agg);

/* One metric name and how many distinct dimension sets it has. */
struct hw_cost_metric {
    const char *name; /* points into the datums */
    size_t n;
};

/* Distinct (name, dimensions) of the datums, by name (sorted); out holds d->n entries. */
size_t hw_cost_count(const struct cw_datums *d, struct hw_cost_metric *out);

/* The estimate of one exporter, per month. */
struct hw_cost_line {
    const char *exporter, *ns;
    size_t metrics, metrics_max; /* now, and with every log filter at max_series */
    size_t requests_per_flush;
    double flush_s;
    double requests_month;
    double bytes_month; /* EMF only */
    int high_res;
};

struct hw_cost_total {
    size_t metrics;
    double requests_month, bytes_month;
    double usd_metrics, usd_requests, usd_logs, usd_total;
};

void hw_cost_total(const struct hw_cost_line *l, size_t n, const struct hw_prices *p,
                   struct hw_cost_total *t);

int hw_cost_run(const char *config, const char *prices_file, int json, FILE *out);
/* `check`: the config's cost.prices section, if any, is a valid price table (errors printed). */
int hw_cost_check_config(const char *config);

#endif
