/* The Route 53 exporter's state and its three calls (ListResourceRecordSets,
 * ChangeResourceRecordSets, GetChange), signed SigV4 for route53 in us-east-1. Everything but
 * the atomics and the fields under pt.lock runs on the exporter's sender thread. */
#ifndef HW_R53_SEND_H
#define HW_R53_SEND_H

#include <stdatomic.h>
#include <stdint.h>

#include "exporters/aws/aws_credentials.h"
#include "exporters/net/http_client.h"
#include "exporters/net/netlib.h"
#include "exporters/push/push.h"
#include "r53_model.h"
#include "r53_plan.h"
#include "route53.h"

/* hostwatch_route53_changes_total's result label, in this order. */
enum r53_count { R53_N_OK, R53_N_THROTTLED, R53_N_ERROR, R53_N_REJECTED, R53_N_DRY_RUN, R53_N };

struct r53_rec {
    struct r53_record rec;
    struct r53_state st;  /* sender thread */
    int shared_desired;   /* under pt.lock: the loop thread's latest, for the sender */
    int loop_desired;     /* loop thread: what the last flush saw (the desired metric) */
    enum r53_pick loop_pick;
    char loop_seen[R53_KEY_MAX];
    atomic_ullong changes[R53_N];
    atomic_llong insync_ms; /* the latest change's time to INSYNC; -1 none yet */
    char last_code[64];     /* sender thread: the latest request's error code, "" none */
    /* under pt.lock, copied by the sender after each action: what the status document shows */
    struct r53_view {
        int known, present;
        char current[R53_VALUE_MAX];
        int64_t last_change_ms; /* wall clock */
        char last_error[64];
    } view;
    int would_logged;       /* sender thread: the desired index "would UPSERT" was logged for */
};

struct r53_exporter {
    const struct r53_conf *conf;
    char owner[128]; /* the instance name, owner of its families */
    char zone[40];
    struct push_thread pt;
    struct r53_rec *recs;
    size_t nrecs;
    /* resolved at the sender thread's start */
    struct netlib *lib;
    struct hw_http *http, *meta;
    struct aws_cred_chain *creds;
    char url[1024], host[256], prefix[512]; /* prefix: the endpoint's path without a '/' end */
    int dry_run;
    unsigned rand_state;
    struct push_logged logged;
    struct push_stats stats;
};

/* Endpoint, HTTP clients and the credential chain; 0, or -1 logged. */
int r53_send_open(struct r53_exporter *st);
void r53_send_close(struct r53_exporter *st);
enum r53_result r53_list(struct r53_exporter *st, struct r53_rec *r, int *present, char *canon,
                         size_t len, int64_t *ttl);
/* The UPSERT of value index d; change_id gets the change to poll. */
enum r53_result r53_upsert(struct r53_exporter *st, struct r53_rec *r, int d, char *change_id,
                           size_t idlen);
enum r53_result r53_get_change(struct r53_exporter *st, struct r53_rec *r, int *insync);

#endif
