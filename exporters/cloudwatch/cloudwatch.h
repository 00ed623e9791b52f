/* exporters.cloudwatch: PutMetricData with the CloudWatch agent's names, SigV4-signed, batched
 * to the service limits, retried with backoff and spooled to disk when the service cannot be
 * reached. */
#ifndef HW_CLOUDWATCH_H
#define HW_CLOUDWATCH_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "opt.h"
#include "plugin.h"

struct cw_spool_conf {
    char *dir;
    uint64_t max_size;
};

struct cw_conf {
    char *namespace_;
    char *region;
    char *endpoint;
    int64_t flush_interval_ns;
    int64_t storage_resolution;
    struct hw_strmap dimensions;
    json_t *aggregation_dimensions; /* array of arrays of names (validated) */
    struct hw_strlist metrics;
    int gauge_mode; /* 0 statistics, 1 last */
    int protocol;   /* enum cw_proto: 0 query, 1 json */
    struct cw_spool_conf spool;
    int dry_run;
    int64_t max_retries;
    int64_t timeout_ns;
    int tls_verify;
    char *ca_file;
    int64_t sample_interval_ns; /* 0: agent.interval */
    struct hw_strlist flush_on_change;
};

extern const struct hw_exporter hw_exporter_cloudwatch;

/* The exporter's check --cost estimate (cw_cost.c). */
extern const struct hw_cost_ops cw_cost_ops;

#endif
