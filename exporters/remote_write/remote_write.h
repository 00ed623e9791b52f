/* exporters.remote_write: pushes a sample of every series per sample interval to a Prometheus remote write 1.0 receiver
 * (Prometheus, Mimir, Thanos, Amazon Managed Prometheus with SigV4), batched, retried with
 * backoff and spooled to disk while the receiver cannot take it. */
#ifndef HW_REMOTE_WRITE_H
#define HW_REMOTE_WRITE_H

#include <stdint.h>

#include "opt.h"
#include "plugin.h"

struct rw_sigv4_conf {
    char *region; /* NULL: SigV4 not configured; "auto": the SDKs' region chain */
    char *service; /* NULL: "aps" */
};

struct rw_basic_conf {
    char *username; /* NULL: basic auth not configured */
    char *password;
    char *password_file;
};

struct rw_spool_conf {
    char *dir;
    uint64_t max_size;
};

struct rw_conf {
    char *url;
    int64_t flush_interval_ns;
    int64_t timeout_ns;
    int64_t max_retries;
    int64_t max_samples_per_send;
    struct hw_strmap headers;
    struct rw_sigv4_conf sigv4;
    char *bearer_token;
    char *bearer_token_file;
    struct rw_basic_conf basic_auth;
    struct rw_spool_conf spool;
    int tls_verify;
    char *ca_file;
    struct hw_strlist metrics;
    int names; /* 0 node_exporter, 1 cloudwatch */
    int64_t sample_interval_ns; /* 0: agent.interval */
    struct hw_strlist flush_on_change;
    uint64_t max_queue_bytes;
    int64_t max_queue_age_ns;
};

extern const struct hw_exporter hw_exporter_remote_write;

#endif
