/* The remote write exporter's state and its sending side: authentication (SigV4, bearer token,
 * basic), the POST itself, retries with full-jitter backoff (Retry-After honoured), the spool.
 * Everything here but the fields pt.lock guards and the atomics in `stats` runs on the exporter's
 * sender thread. */
#ifndef HW_RW_SEND_H
#define HW_RW_SEND_H

#include <stdatomic.h>
#include <stdint.h>

#include "exporters/aws/aws_credentials.h"
#include "exporters/net/http_client.h"
#include "exporters/net/netlib.h"
#include "exporters/push/push.h"
#include "remote_write.h"
#include "rw_encode.h"
#include "exporters/push/sampler.h"
#include "exporters/push/spool.h"

/* Snapshots waiting for the next flush; beyond this the oldest is dropped (and counted). */
/* A sample taken on the loop thread, waiting for the sender thread. */
struct rw_pending {
    struct rw_sample x; /* holds a snapshot reference and its own stamps */
    int64_t taken_ms;   /* CLOCK_MONOTONIC, for the queue's age limit */
    size_t bytes;
};
#define RW_MAX_HEADERS 32 /* extra headers accepted in the config */

struct rw_exporter {
    const struct rw_conf *conf;
    struct hw_registry *reg;
    struct rw_encode_opts eo;
    char state_dir[1024];
    struct push_thread pt; /* pt.lock guards pending, npending, queued_bytes */
    struct rw_pending *pending; /* oldest first */
    size_t npending, cap, queued_bytes;
    /* loop thread */
    struct sampler sampler;
    struct sampler_watch watch; /* flush_on_change */
    int oom_logged;
    int queue_full_logged; /* pt.lock */
    /* sender thread */
    struct netlib *lib;
    struct hw_http *http, *meta;
    struct aws_cred_chain *creds; /* SigV4 only */
    char region[64], host[256], path[1024];
    char *extra[RW_MAX_HEADERS]; /* "Name: value" from the config */
    size_t nextra;
    struct spool *spool;
    unsigned rand_state;
    struct push_logged logged;
    struct push_stats stats;
    struct push_last last; /* under pt.lock: the latest outcome, for the status document */
};

int rw_send_open(struct rw_exporter *st);
void rw_send_close(struct rw_exporter *st);
/* Sends each body (retrying); what cannot be delivered goes to the spool. */
void rw_send_bodies(struct rw_exporter *st, const struct rw_bodies *b);
/* Sends spooled bodies, oldest first, until one fails. */
void rw_send_drain_spool(struct rw_exporter *st);
void rw_send_report(void *state, struct hw_registry *reg);
/* The exporter's status-document detail (loop thread). */
json_t *rw_send_status(void *state);

/* Base64 (RFC 4648, padded) of len bytes into out (4 * ceil(len / 3) + 1 bytes). */

#endif
