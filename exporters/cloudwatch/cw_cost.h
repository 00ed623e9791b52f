/* `check --cost` on the CloudWatch side: the exporters' estimators (hw_cost_ops) and the
 * counting they share; custom metrics are distinct (name, dimensions) pairs, as CloudWatch
 * bills them. */
#ifndef HW_CW_COST_H
#define HW_CW_COST_H

#include <jansson.h>
#include <stddef.h>

#include "cw_agg.h"
#include "opt.h"
#include "plugin.h"

/* The options of one exporter the estimate needs (cloudwatch or emf). */
struct cw_cost_sink {
    const struct hw_strlist *metrics;
    const struct hw_strmap *dims;
    const json_t *rollups; /* aggregation_dimensions or NULL */
    int storage_resolution;
};

/* An aggregator as the exporter builds one; a placeholder dimension counts as present. */
int cw_cost_agg_new(const struct cw_cost_sink *s, struct cw_agg **agg);
/* Distinct (name, dimensions) of the datums, by name (sorted); out holds d->n entries. */
size_t cw_cost_count(const struct cw_datums *d, struct hw_cost_metric *out);

#endif
