#include "push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "loop.h"
#include "status.h"
#include "selfmetrics.h"

int push_thread_init(struct push_thread *t)
{
    pthread_condattr_t ca;
    t->started = t->stop = t->wake = 0;
    if (pthread_condattr_init(&ca) != 0) {
        return -1;
    }
    int ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
             pthread_cond_init(&t->cond, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (ok && pthread_mutex_init(&t->lock, NULL) != 0) {
        pthread_cond_destroy(&t->cond);
        ok = 0;
    }
    return ok ? 0 : -1;
}

void push_thread_destroy(struct push_thread *t)
{
    push_thread_stop(t);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
}

int push_thread_start(struct push_thread *t, void *(*fn)(void *), void *arg)
{
    pthread_mutex_lock(&t->lock);
    t->stop = 0; /* a stopped exporter is started again when a reload fails */
    pthread_mutex_unlock(&t->lock);
    if (pthread_create(&t->thread, NULL, fn, arg) != 0) {
        return -1;
    }
    t->started = 1;
    return 0;
}

int push_exporter_start(struct push_thread *t, void *(*fn)(void *), void *arg,
                        const char *component)
{
    if (push_thread_start(t, fn, arg) != 0) {
        hw_error(component, "cannot start the sender thread", "%s", "");
        return -1;
    }
    return 0;
}

void push_thread_stop(struct push_thread *t)
{
    if (!t->started) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    t->started = 0;
}

static void add_ns(struct timespec *ts, int64_t ns)
{
    int64_t n = ts->tv_nsec + ns % 1000000000;
    ts->tv_sec += (time_t)(ns / 1000000000 + n / 1000000000);
    ts->tv_nsec = (long)(n % 1000000000);
}

/* Waits for stop (or, with wakeable, a wake) until due; returns the stop flag. A retry's sleep
 * is not wakeable: a watched change must not cut a backoff short. */
static int wait_until(struct push_thread *t, const struct timespec *due, int wakeable)
{
    pthread_mutex_lock(&t->lock);
    while (!t->stop && !(wakeable && t->wake) &&
           pthread_cond_timedwait(&t->cond, &t->lock, due) != ETIMEDOUT) {
    }
    if (wakeable) {
        t->wake = 0;
    }
    int stop = t->stop;
    pthread_mutex_unlock(&t->lock);
    return stop;
}

int push_thread_tick(struct push_thread *t, struct timespec *due, int64_t interval_ns)
{
    add_ns(due, interval_ns);
    return wait_until(t, due, 1);
}

void push_thread_wake_locked(struct push_thread *t)
{
    t->wake = 1;
    pthread_cond_signal(&t->cond);
}

int64_t push_jitter_ms(unsigned *rand_state, int attempt, int64_t base_ms, int64_t cap_ms)
{
    int64_t cap = base_ms << (attempt > 16 ? 16 : attempt < 0 ? 0 : attempt);
    cap = cap > cap_ms ? cap_ms : cap;
    return (int64_t)((uint64_t)rand_r(rand_state) % (uint64_t)(cap + 1));
}

int push_thread_sleep(struct push_thread *t, int64_t ms)
{
    struct timespec due;
    clock_gettime(CLOCK_MONOTONIC, &due);
    add_ns(&due, ms * 1000000);
    return wait_until(t, &due, 0) ? -1 : 0;
}

void push_drain_spool(struct spool *sp, int max,
                      enum push_outcome (*send)(void *arg, const struct spool_entry *e),
                      void (*done)(void *arg, enum push_outcome o, uint64_t samples), void *arg)
{
    for (int i = 0; sp && i < max; i++) {
        struct spool_entry e;
        if (spool_peek(sp, &e) != 1) {
            break;
        }
        enum push_outcome o = send(arg, &e);
        int final = o == PUSH_SENT || o == PUSH_REJECTED;
        if (final) {
            done(arg, o, e.kind >> 8);
            (void)spool_pop(sp, e.seq);
        }
        spool_entry_free(&e);
        if (!final) {
            break;
        }
    }
}

struct spool *push_spool_open(const char *dir, const char *state_dir, const char *name,
                              uint64_t max_size, const char *component)
{
    char path[1200], err[300];
    if (max_size == 0) {
        return NULL;
    }
    int n = dir && *dir ? snprintf(path, sizeof(path), "%s", dir)
                        : snprintf(path, sizeof(path), "%s/spool/%s", state_dir, name);
    struct spool *sp = n > 0 && (size_t)n < sizeof(path)
                           ? spool_open(path, max_size, err, sizeof(err))
                           : (snprintf(err, sizeof(err), "spool path too long"), NULL);
    if (!sp) {
        hw_error(component, "spool unavailable; undeliverable batches will be dropped",
                 "error=\"%s\"", err);
    }
    return sp;
}

int push_first_time(struct push_logged *l, const char *cause)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->cause[i], cause) == 0) {
            return 0;
        }
    }
    if (l->n < sizeof(l->cause) / sizeof(l->cause[0])) {
        snprintf(l->cause[l->n++], sizeof(l->cause[0]), "%s", cause);
    }
    return 1;
}

int push_open_clients(const char *component, int64_t timeout_ns, int tls_verify,
                      const char *ca_file, struct netlib **lib, struct hw_http **meta,
                      struct hw_http **http)
{
    char err[3600];
    const long timeout_ms = (long)(timeout_ns / 1000000);
    if (!(*lib = netlib_open(err, sizeof(err)))) {
        hw_error(component, "cannot load the HTTP and crypto libraries", "error=\"%s\"", err);
        return -1;
    }
    const struct hw_http_opts meta_o = {.connect_timeout_ms = 1000, .timeout_ms = 2000,
                                         .tls_verify = 1};
    const struct hw_http_opts main_o = {.connect_timeout_ms = timeout_ms < 5000 ? timeout_ms
                                                                                : 5000,
                                         .timeout_ms = timeout_ms,
                                         .tls_verify = tls_verify,
                                         .ca_file = ca_file};
    *meta = hw_http_new(*lib, &meta_o);
    *http = hw_http_new(*lib, &main_o);
    if (!*meta || !*http) {
        hw_error(component, "cannot set up the HTTP clients", "%s", "");
        return -1;
    }
    return 0;
}

void push_close_clients(struct spool **spool, struct aws_cred_chain **creds,
                        struct hw_http **http, struct hw_http **meta, struct netlib **lib)
{
    spool_close(*spool);
    *spool = NULL;
    aws_creds_free(*creds);
    *creds = NULL;
    hw_http_free(*http);
    hw_http_free(*meta);
    *http = *meta = NULL;
    netlib_close(*lib);
    *lib = NULL;
}

void push_report(struct hw_registry *reg, const char *name, struct push_stats *s, int dry_run)
{
    const struct hw_export_row rows[] = {{HW_EXPORT_REQUESTS, "success", &s->req_ok},
                                         {HW_EXPORT_REQUESTS, "error", &s->req_error},
                                         {HW_EXPORT_REQUESTS, "throttled", &s->req_throttled},
                                         {HW_EXPORT_REQUESTS, "rejected", &s->req_rejected},
                                         {HW_EXPORT_DATAPOINTS, "sent", &s->dp_sent},
                                         {HW_EXPORT_DATAPOINTS, "dropped", &s->dp_dropped},
                                         {HW_EXPORT_DATAPOINTS, "spooled", &s->dp_spooled},
                                         {HW_EXPORT_SPOOL_BYTES, NULL, &s->spool_bytes},
                                         {HW_EXPORT_DATAPOINTS, "dry_run", &s->dp_dry_run}};
    hw_selfmetrics_export(reg, name, rows, sizeof(rows) / sizeof(rows[0]) - (dry_run ? 0 : 1));
}

void push_note(struct push_thread *t, struct push_last *l, enum push_outcome o, const char *cause,
               const char *message)
{
    const int64_t now = hw_now_wall_ms();
    pthread_mutex_lock(&t->lock);
    if (o == PUSH_SENT) {
        l->ok_ms = now;
        l->retry_ms = 0;
    } else {
        l->err_ms = now;
        snprintf(l->cause, sizeof(l->cause), "%s", cause && *cause ? cause : "error");
        snprintf(l->message, sizeof(l->message), "%s", message ? message : "");
    }
    pthread_mutex_unlock(&t->lock);
}

void push_note_ready(struct push_thread *t, struct push_last *l, const char *endpoint,
                     int dry_run)
{
    pthread_mutex_lock(&t->lock);
    snprintf(l->endpoint, sizeof(l->endpoint), "%s", endpoint ? endpoint : "");
    l->dry_run = dry_run;
    pthread_mutex_unlock(&t->lock);
}

void push_note_retry(struct push_thread *t, struct push_last *l, int64_t delay_ms)
{
    const int64_t at = hw_now_wall_ms() + delay_ms;
    pthread_mutex_lock(&t->lock);
    l->retry_ms = at;
    pthread_mutex_unlock(&t->lock);
}

static json_t *time_or_null(int64_t ms)
{
    char t[40];
    hw_status_time(ms, t, sizeof(t));
    return t[0] ? json_string(t) : json_null();
}

json_t *push_status(struct push_thread *t, const struct push_last *l, struct push_stats *s)
{
    pthread_mutex_lock(&t->lock);
    const struct push_last c = *l;
    pthread_mutex_unlock(&t->lock);
    const int dry_run = c.dry_run;
    const char *state = dry_run ? "dry_run" : c.err_ms > c.ok_ms ? "retrying" : "ok";
    json_t *err = c.err_ms ? json_pack("{s:o, s:s, s:s}", "at", time_or_null(c.err_ms), "cause",
                                       c.cause, "message", c.message)
                           : json_null();
    return json_pack(
        "{s:s, s:s, s:b, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}, s:o, s:o, s:o, s:{s:I}}",
        "state", state, "endpoint", c.endpoint, "dry_run", dry_run, "requests",
        "success", (json_int_t)atomic_load(&s->req_ok), "error",
        (json_int_t)atomic_load(&s->req_error), "throttled",
        (json_int_t)atomic_load(&s->req_throttled), "rejected",
        (json_int_t)atomic_load(&s->req_rejected), "datapoints", "sent",
        (json_int_t)atomic_load(&s->dp_sent), "dropped", (json_int_t)atomic_load(&s->dp_dropped),
        "spooled", (json_int_t)atomic_load(&s->dp_spooled), "dry_run",
        (json_int_t)atomic_load(&s->dp_dry_run), "last_success_at", time_or_null(c.ok_ms),
        "last_error", err ? err : json_null(), "next_retry_at", time_or_null(c.retry_ms), "spool",
        "bytes", (json_int_t)atomic_load(&s->spool_bytes));
}

void push_spool_keep(struct spool *sp, const void *data, size_t len, int64_t oldest_ms,
                     uint32_t kind, struct push_stats *stats, struct push_logged *logged,
                     const char *component)
{
    const uint64_t samples = kind >> 8;
    const uint64_t made = sp ? spool_stats(sp)->recreated : 0;
    const int rc = sp ? spool_push(sp, data, len, oldest_ms, kind) : -ENOENT;
    if (sp && spool_stats(sp)->recreated != made) {
        hw_warn(component, "the spool directory was removed while running: made again; the "
                           "batches it held are lost", "lost=%llu",
                (unsigned long long)spool_stats(sp)->lost_entries);
    }
    if (rc == 0) {
        atomic_fetch_add(&stats->dp_spooled, samples);
        return;
    }
    atomic_fetch_add(&stats->dp_dropped, samples);
    if (sp && push_first_time(logged, "SpoolWrite")) {
        hw_error(component, "cannot keep a batch in the spool; its datapoints are dropped "
                            "(logged once)", "error=\"%s\"", strerror(-rc));
    }
}
