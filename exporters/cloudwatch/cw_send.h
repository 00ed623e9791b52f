/* The CloudWatch exporter's state and its sending side: endpoint and credentials, signing,
 * retries with full-jitter backoff, the spool. Everything here but the atomics in `stats` runs
 * on the exporter's sender thread. */
#ifndef HW_CW_SEND_H
#define HW_CW_SEND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "exporters/aws/aws_credentials.h"
#include "exporters/net/http_client.h"
#include "exporters/net/netlib.h"
#include "cloudwatch.h"
#include "cw_agg.h"
#include "exporters/push/push.h"
#include "exporters/push/sampler.h"
#include "exporters/push/spool.h"

struct cw_exporter {
    const struct cw_conf *conf;
    struct hw_registry *reg;
    char state_dir[1024];
    struct push_thread pt; /* pt.lock guards agg, sampler, watch, committed, restored */
    struct cw_agg *agg;
    /* The first snapshot (published before any collection, after checkpoints were restored):
     * held until the aggregator exists so that counters' baselines are the values at start. */
    const struct hw_snapshot *first_snap;
    struct sampler sampler;     /* which snapshots are samples of which families */
    struct sampler_watch watch; /* flush_on_change */
    /* Counter baselines (cw_agg_checkpoint): committed = what was delivered or spooled, the
     * exporter's checkpoint (the pointer guarded by lock; the value never changes once built,
     * and jansson's reference counts are atomic, so the loop thread may keep a reference);
     * restored = from the state file, until the aggregator exists. */
    json_t *committed, *restored;
    uint64_t config_hash;
    int start_taken; /* committed holds the aggregator's own baselines */
    void (*request_checkpoint)(void *core);
    void *core;
    /* resolved at the sender thread's start */
    struct cw_dim *dims;
    size_t ndims;
    struct cw_dimset *rollups;
    const char ***rollup_names;
    size_t nrollups;
    struct netlib *lib;
    struct hw_http *http, *meta;
    struct aws_cred_chain *creds;
    char region[64], url[1024], host[256], path[512];
    struct spool *spool;
    int dry_run;
    unsigned rand_state;
    struct push_logged logged; /* error codes already logged (each logged once) */
    struct push_stats stats;
    struct push_last last; /* under pt.lock: the latest outcome, for the status document */
};

int cw_send_open(struct cw_exporter *st);
void cw_send_close(struct cw_exporter *st);
/* Encodes, signs and sends; what cannot be delivered goes to the spool. */
void cw_send_datums(struct cw_exporter *st, const struct cw_datums *d);
/* Sends spooled batches, oldest first, until one fails. */
void cw_send_drain_spool(struct cw_exporter *st);
void cw_send_report(void *state, struct hw_registry *reg);
/* The exporter's status-document detail (loop thread). */
json_t *cw_send_status(void *state);

#endif
