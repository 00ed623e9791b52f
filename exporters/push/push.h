/* Pieces every push exporter needs: a sender thread that wakes every flush interval (or at
 * once when stopping) and sleeps between retries without delaying a stop, and the drain of an
 * on-disk spool, oldest entry first. */
#ifndef HW_PUSH_H
#define HW_PUSH_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "exporters/aws/aws_credentials.h"
#include "exporters/net/http_client.h"
#include "registry.h"
#include "spool.h"

struct push_thread {
    pthread_mutex_t lock; /* guards stop, and whatever the exporter hands its thread */
    pthread_cond_t cond;  /* CLOCK_MONOTONIC */
    pthread_t thread;
    int started, stop;
    int wake; /* the next tick is now (a watched metric changed) */
};

int push_thread_init(struct push_thread *t);
void push_thread_destroy(struct push_thread *t);
int push_thread_start(struct push_thread *t, void *(*fn)(void *), void *arg);
/* An exporter's start(): the sender thread, or -1 logged under component. */
int push_exporter_start(struct push_thread *t, void *(*fn)(void *), void *arg,
                        const char *component);
/* Asks the thread to stop, wakes it and joins it; a thread never started is fine. */
void push_thread_stop(struct push_thread *t);
/* The thread's periodic wait: until the next multiple of interval_ns after *due (advanced), or
 * until stop or a wake. Returns 1 when stopping. Call with the lock not held. */
int push_thread_tick(struct push_thread *t, struct timespec *due, int64_t interval_ns);
/* Ends the current tick's wait now (flush_on_change); call with the lock held. */
void push_thread_wake_locked(struct push_thread *t);
/* Full jitter: a random wait in [0, min(cap_ms, base_ms x 2^attempt)]. */
int64_t push_jitter_ms(unsigned *rand_state, int attempt, int64_t base_ms, int64_t cap_ms);
/* Sleeps ms, cut short by stop: 0, or -1 when stopping. */
int push_thread_sleep(struct push_thread *t, int64_t ms);

/* The exporter's spool: dir, else <state_dir>/spool/<name>; NULL when max_size is 0 or it
 * cannot be opened (logged under component: batches are then dropped, counted). */
struct spool *push_spool_open(const char *dir, const char *state_dir, const char *name,
                              uint64_t max_size, const char *component);

struct push_logged;
struct push_stats;

/* spool_push of one batch, counting its datapoints (the kind's bits above the low byte) as
 * spooled or dropped; says once when the spool cannot keep batches, and when its directory was
 * removed and made again (what it held lost). */
void push_spool_keep(struct spool *sp, const void *data, size_t len, int64_t oldest_ms,
                     uint32_t kind, struct push_stats *stats, struct push_logged *logged,
                     const char *component);

/* Causes already logged, so a lasting problem is one line rather than one per request. */
struct push_logged {
    char cause[8][64];
    size_t n;
};

/* 1 the first time cause is seen (remembered while there is room), else 0. */
int push_first_time(struct push_logged *l, const char *cause);

enum push_outcome { PUSH_SENT, PUSH_RETRY, PUSH_REJECTED, PUSH_HOLD };

/* Sends spooled entries oldest first through send() until one is neither delivered nor
 * rejected for good (at most max per call). Delivered and rejected entries are removed;
 * done(arg, outcome, samples) counts them (samples: the entry kind's bits above the low byte). */
void push_drain_spool(struct spool *sp, int max,
                      enum push_outcome (*send)(void *arg, const struct spool_entry *e),
                      void (*done)(void *arg, enum push_outcome o, uint64_t samples), void *arg);

/* What a push exporter counts (its threads write, report() reads). */
struct push_stats {
    atomic_ullong req_ok, req_error, req_throttled, req_rejected;
    atomic_ullong dp_sent, dp_dropped, dp_spooled, dp_dry_run;
    atomic_ullong agg_errors, spool_bytes;
};

/* The latest outcome of an exporter's requests, for the status document: written by its sender
 * thread and read on the loop thread, both under the push_thread's lock. */
struct push_last {
    int64_t ok_ms, err_ms, retry_ms; /* wall clock; 0: never, or no retry pending */
    char cause[64], message[200];
    char endpoint[256]; /* where it sends, once the sender thread has set up */
    int dry_run;
};

/* Records a request's outcome (cause and message: why it failed, "" or NULL when sent). */
void push_note(struct push_thread *t, struct push_last *l, enum push_outcome o, const char *cause,
               const char *message);
/* Records where the sender thread sends, and whether it only logs (set-up done). */
void push_note_ready(struct push_thread *t, struct push_last *l, const char *endpoint,
                     int dry_run);
/* Records that the next attempt is in delay_ms. */
void push_note_retry(struct push_thread *t, struct push_last *l, int64_t delay_ms);
/* The status-document detail every push exporter shares: endpoint, dry run, its counts, the
 * latest success and error, the next retry, the spool, and a "state". New reference. */
json_t *push_status(struct push_thread *t, const struct push_last *l, struct push_stats *s);

/* The counts as the agent's own metrics (exporter=name); dry_run: the exporter has one. */
void push_report(struct hw_registry *reg, const char *name, struct push_stats *s, int dry_run);

/* Opens what an AWS-speaking exporter talks through: the libraries, a client for the credential
 * and metadata endpoints (short timeouts) and one for the service (timeout_ns, certificate
 * checks). 0, or -1 logged under component (what was opened is left for push_close_clients). */
int push_open_clients(const char *component, int64_t timeout_ns, int tls_verify,
                      const char *ca_file, struct netlib **lib, struct hw_http **meta,
                      struct hw_http **http);

/* Closes what an AWS-speaking push exporter holds (any may be NULL) and NULLs each: the spool
 * first, the library last, since the clients run on it. */
void push_close_clients(struct spool **spool, struct aws_cred_chain **creds,
                        struct hw_http **http, struct hw_http **meta, struct netlib **lib);

#endif
