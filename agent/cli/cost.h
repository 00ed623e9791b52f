/* hostwatch check --cost: what a config will cost in CloudWatch on this host. The pricing
 * (prices.c) is pure; each exporter estimates its own part (its hw_cost_ops); cost.c runs the
 * collections and prints. */
#ifndef HW_CLI_COST_H
#define HW_CLI_COST_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "opt.h"
#include "plugin.h"

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
