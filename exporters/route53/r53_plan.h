/* The per-record state machine of the Route 53 exporter, pure (times are monotonic ms passed
 * in, random delays too), so every rule is unit-tested: read the record once at start, UPSERT
 * when it differs from the desired value (at most once per min_interval), back off on
 * retryable failures, stop after a permanent one until the desired value changes, and poll the
 * change until INSYNC. */
#ifndef HW_R53_PLAN_H
#define HW_R53_PLAN_H

#include <stdint.h>

#include "r53_model.h"
#include "r53_xml.h"

enum r53_action { R53_ACT_NONE, R53_ACT_LIST, R53_ACT_UPSERT, R53_ACT_POLL };

/* How a request ended. */
enum r53_result {
    R53_OK,        /* accepted */
    R53_RETRY,     /* throttled, PriorRequestNotComplete, 5xx, network: again after a delay */
    R53_REFUSED,   /* a permanent error (InvalidChangeBatch, AccessDenied ...): not again until
                      the desired value changes */
};

#define R53_POLL_FIRST_MS 250
#define R53_POLL_MAX_MS 5000
#define R53_POLL_GIVE_UP_MS (15 * 60 * 1000) /* Route 53 documents INSYNC within 60 s */

struct r53_state {
    int listed;        /* the read at start is done (or failed for good) */
    int current_known; /* current and current_ttl say what Route 53 holds */
    int current_present;
    char current[R53_VALUE_MAX];
    int64_t current_ttl;
    int desired;       /* index into the record's values, -1 none */
    int refused;       /* the desired index a permanent error was for, -1 none */
    int64_t last_change_ms; /* when the latest UPSERT was accepted; INT64_MIN never */
    int64_t retry_at_ms;    /* backoff: nothing before this */
    int attempt;            /* failures in a row (the backoff's exponent) */
    char change_id[R53_CHANGE_ID_MAX]; /* "" when no change is being polled */
    int64_t change_at_ms, poll_at_ms;
    int polls;
};

void r53_state_init(struct r53_state *s);
/* A new desired value (index, or -1): a refusal is forgotten when it changes. */
void r53_set_desired(struct r53_state *s, int desired);
/* 1 when Route 53 is known to hold value index d with the record's TTL. */
int r53_in_place(const struct r53_state *s, const struct r53_record *r, int d);
/* What to do now; *due (min'd, not set, when nothing is pending) gets when to ask again. */
enum r53_action r53_next(const struct r53_state *s, const struct r53_record *r, int64_t now,
                         int64_t min_interval_ms, int64_t *due);

/* The outcome of a LIST: on R53_OK what it found (present, canonical value, TTL). */
void r53_on_list(struct r53_state *s, enum r53_result res, int present, const char *canon,
                 int64_t ttl, int64_t now, int64_t delay_ms);
/* The outcome of the UPSERT of value index d; change_id may be "" (a dry run: nothing to poll). */
void r53_on_upsert(struct r53_state *s, const struct r53_record *r, int d, enum r53_result res,
                   const char *change_id, int64_t now, int64_t delay_ms);
/* The outcome of a GetChange. Returns the ms from acceptance to INSYNC once it is, else -1. */
int64_t r53_on_poll(struct r53_state *s, enum r53_result res, int insync, int64_t now);

#endif
