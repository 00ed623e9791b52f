#include "remote_write.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "diag.h"
#include "log.h"
#include "loop.h"
#include "rw_send.h"
#include "buf.h"

static const char *const rw_name_choices[] = {"node_exporter", "cloudwatch", NULL};

static const struct hw_opt rw_sigv4_opts[] = {
    {.key = "region", .type = HW_OPT_STRING, .offset = offsetof(struct rw_sigv4_conf, region),
     .help = "the workspace's region; auto: AWS_REGION, AWS_DEFAULT_REGION, profile, IMDS"},
    {.key = "service", .type = HW_OPT_STRING, .offset = offsetof(struct rw_sigv4_conf, service),
     .help = "SigV4 service name (default aps: Amazon Managed Prometheus)"},
    HW_OPT_END,
};

static const struct hw_opt rw_basic_opts[] = {
    {.key = "username", .type = HW_OPT_STRING,
     .offset = offsetof(struct rw_basic_conf, username), .help = "basic auth user"},
    {.key = "password", .type = HW_OPT_STRING,
     .offset = offsetof(struct rw_basic_conf, password), .help = "basic auth password",
     .secret = 1},
    {.key = "password_file", .type = HW_OPT_STRING,
     .offset = offsetof(struct rw_basic_conf, password_file),
     .help = "file holding the password, read for every request"},
    HW_OPT_END,
};

static const struct hw_opt rw_spool_opts[] = {
    {.key = "dir", .type = HW_OPT_STRING, .offset = offsetof(struct rw_spool_conf, dir),
     .help = "spool directory (default <state_dir>/spool/remote_write)"},
    {.key = "max_size", .type = HW_OPT_SIZE, .def = "64MiB",
     .offset = offsetof(struct rw_spool_conf, max_size), .min = 0, .max = 1e12,
     .help = "spool bound, oldest bodies dropped first (0: no spool)"},
    HW_OPT_END,
};

static const struct hw_opt rw_opts[] = {
    {.key = "url", .type = HW_OPT_STRING, .offset = offsetof(struct rw_conf, url),
     .help = "receiver URL (required); plain http:// only to loopback and link-local hosts"},
    {.key = "flush_interval", .type = HW_OPT_DURATION, .def = "10s",
     .offset = offsetof(struct rw_conf, flush_interval_ns), .min = 1e8, .max = 3600e9,
     .help = "how often the collected samples are sent"},
    {.key = "timeout", .type = HW_OPT_DURATION, .def = "10s",
     .offset = offsetof(struct rw_conf, timeout_ns), .min = 1e8, .max = 300e9,
     .help = "one request's time limit"},
    {.key = "max_retries", .type = HW_OPT_INT, .def = "4",
     .offset = offsetof(struct rw_conf, max_retries), .min = 0, .max = 20,
     .help = "retries of one request (429, 5xx, network errors) before spooling"},
    {.key = "max_samples_per_send", .type = HW_OPT_INT, .def = "2000",
     .offset = offsetof(struct rw_conf, max_samples_per_send), .min = 1,
     .max = RW_MAX_SAMPLES_PER_SEND, .help = "samples per request"},
    {.key = "headers", .type = HW_OPT_STRMAP, .offset = offsetof(struct rw_conf, headers),
     .help = "extra HTTP headers (e.g. X-Scope-OrgID); the protocol's own cannot be replaced"},
    {.key = "sigv4", .type = HW_OPT_OBJECT, .offset = offsetof(struct rw_conf, sigv4),
     .sub = rw_sigv4_opts, .help = "sign requests with AWS SigV4 (credentials: the SDK chain)"},
    {.key = "bearer_token", .type = HW_OPT_STRING, .offset = offsetof(struct rw_conf, bearer_token),
     .help = "Authorization: Bearer token", .secret = 1},
    {.key = "bearer_token_file", .type = HW_OPT_STRING,
     .offset = offsetof(struct rw_conf, bearer_token_file),
     .help = "file holding the bearer token, read for every request"},
    {.key = "basic_auth", .type = HW_OPT_OBJECT, .offset = offsetof(struct rw_conf, basic_auth),
     .sub = rw_basic_opts, .help = "HTTP basic authentication"},
    {.key = "spool", .type = HW_OPT_OBJECT, .offset = offsetof(struct rw_conf, spool),
     .sub = rw_spool_opts, .help = "on-disk spool for bodies that could not be delivered"},
    {.key = "tls_verify", .type = HW_OPT_BOOL, .def = "true",
     .offset = offsetof(struct rw_conf, tls_verify), .help = "verify the receiver's certificate"},
    {.key = "ca_file", .type = HW_OPT_STRING, .offset = offsetof(struct rw_conf, ca_file),
     .help = "CA bundle for the receiver's certificate"},
    {.key = "metrics", .type = HW_OPT_STRLIST, .offset = offsetof(struct rw_conf, metrics),
     .help = "metric name globs to send (default: every metric)"},
    {.key = "names", .type = HW_OPT_ENUM, .def = "node_exporter",
     .offset = offsetof(struct rw_conf, names), .choices = rw_name_choices,
     .help = "metric names: node_exporter's or the CloudWatch agent's"},
    SAMPLER_OPT(struct rw_conf, sample_interval_ns),
    {.key = "flush_on_change", .type = HW_OPT_STRLIST,
     .offset = offsetof(struct rw_conf, flush_on_change),
     .help = "metrics whose change is sent at once, not at the next flush (e.g. oracle_fsfo_is_primary)"},
    {.key = "max_queue_bytes", .type = HW_OPT_SIZE, .def = "32MiB",
     .offset = offsetof(struct rw_conf, max_queue_bytes), .min = 65536, .max = 1e11,
     .help = "memory for samples waiting for the sender (beyond: the oldest are dropped, counted)"},
    {.key = "max_queue_age", .type = HW_OPT_DURATION, .def = "10m",
     .offset = offsetof(struct rw_conf, max_queue_age_ns), .min = 1e9, .max = 86400e9,
     .help = "samples waiting longer than this for the sender are dropped, counted"},
    HW_OPT_END,
};

/* Headers the protocol or the authentication sets; a config must not replace them. */
static int header_reserved(const char *name)
{
    static const char *const reserved[] = {
        "Content-Encoding", "Content-Type", "Content-Length", "User-Agent", "Host",
        "X-Prometheus-Remote-Write-Version", "Authorization", "X-Amz-Date",
        "X-Amz-Security-Token", "X-Amz-Content-Sha256", "Transfer-Encoding", "Expect",
        "Connection"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        if (strcasecmp(name, reserved[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* An HTTP token (RFC 9110): what a header name may be made of. */
static int is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(extra, *p))) {
            return 0;
        }
    }
    return *s != '\0';
}

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            return 1;
        }
    }
    return 0;
}

static int validate_headers(const struct rw_conf *c, const char *path, struct hw_diag *d)
{
    char hp[300], kp[600];
    int errs = 0;
    hw_path_key(hp, sizeof(hp), path, "headers");
    if (c->headers.n > RW_MAX_HEADERS) {
        hw_diag_add(d, hp, "at most %d headers", RW_MAX_HEADERS);
        errs++;
    }
    for (size_t i = 0; i < c->headers.n; i++) {
        const char *why = NULL;
        if (!is_token(c->headers.keys[i])) {
            why = "not a valid HTTP header name";
        } else if (header_reserved(c->headers.keys[i])) {
            why = "set by the exporter itself (protocol or authentication); cannot be replaced";
        } else if (has_control(c->headers.values[i])) {
            why = "control characters are not allowed in a header value";
        }
        if (why) {
            hw_diag_add(d, hw_path_key(kp, sizeof(kp), hp, c->headers.keys[i]), "%s", why);
            errs++;
        }
    }
    return errs;
}

/* Exactly one way to authenticate (or none), each complete. */
static int validate_auth(const struct rw_conf *c, const char *path, struct hw_diag *d)
{
    char kp[300];
    int errs = 0;
    int bearer = c->bearer_token || c->bearer_token_file;
    int basic = c->basic_auth.username || c->basic_auth.password || c->basic_auth.password_file;
    int sigv4 = c->sigv4.region || c->sigv4.service;
    if (sigv4 + bearer + basic > 1) {
        hw_diag_add(d, path, "choose one of sigv4, bearer_token/bearer_token_file and basic_auth");
        errs++;
    }
    if (c->bearer_token && c->bearer_token_file) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "bearer_token_file"),
                    "give bearer_token or bearer_token_file, not both");
        errs++;
    }
    hw_path_key(kp, sizeof(kp), path, "basic_auth");
    if (basic && (!c->basic_auth.username || !*c->basic_auth.username)) {
        hw_diag_add(d, kp, "username is required");
        errs++;
    }
    if (basic && !c->basic_auth.password == !c->basic_auth.password_file) {
        hw_diag_add(d, kp, "give exactly one of password and password_file");
        errs++;
    }
    if (sigv4 && (!c->sigv4.region || !*c->sigv4.region ||
                  (c->sigv4.service && (!*c->sigv4.service || strlen(c->sigv4.service) > 64)))) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "sigv4"),
                    "region (or \"auto\") and service (1-64 characters) are required");
        errs++;
    }
    return errs;
}

static int rw_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct rw_conf *c = conf;
    char kp[300];
    const char *why = NULL;
    int errs = 0;
    hw_path_key(kp, sizeof(kp), path, "url");
    if (!c->url || !*c->url) {
        hw_diag_add(d, kp, "required: the receiver's remote write URL");
        errs++;
    } else if (!aws_url_allowed(c->url, &why)) {
        hw_diag_add(d, kp, "%s", why);
        errs++;
    } else if (has_control(c->url) || strchr(c->url, ' ')) {
        hw_diag_add(d, kp, "spaces and control characters are not allowed in a URL");
        errs++;
    }
    return errs + validate_headers(c, path, d) + validate_auth(c, path, d);
}

static void *rw_thread(void *arg);

static void rw_pending_free(struct rw_pending *p)
{
    hw_snapshot_release(p->x.snap);
    free((void *)p->x.stamps);
}

/* Makes room under the queue's limits (age, bytes) for one more entry of `bytes`: the oldest
 * samples go first, counted (logged once). Called with pt.lock held. */
static void rw_queue_bound(struct rw_exporter *st, size_t bytes, int64_t now_ms)
{
    const int64_t max_age = st->conf->max_queue_age_ns / 1000000;
    size_t gone = 0;
    while (gone < st->npending &&
           (st->queued_bytes + bytes > st->conf->max_queue_bytes ||
            now_ms - st->pending[gone].taken_ms > max_age)) {
        struct rw_pending *p = &st->pending[gone++];
        atomic_fetch_add(&st->stats.dp_dropped, rw_count_sampled(&st->eo, &p->x));
        st->queued_bytes -= p->bytes;
        rw_pending_free(p);
    }
    if (gone) {
        if (!st->queue_full_logged) {
            hw_warn("remote_write", "sender behind: oldest queued samples dropped",
                    "max_queue_bytes=%llu max_queue_age_s=%lld",
                    (unsigned long long)st->conf->max_queue_bytes, (long long)(max_age / 1000));
        }
        st->queue_full_logged = 1;
        st->npending -= gone;
        memmove(st->pending, st->pending + gone, st->npending * sizeof(*st->pending));
    }
}

/* Queues what the sampler took of snap (a reference and a copy of the stamps). 0 or -1. */
static int rw_enqueue(struct rw_exporter *st, const struct hw_snapshot *snap, int wake)
{
    const struct hw_snapshot *held = hw_registry_acquire(st->reg); /* snap, now ours */
    int64_t *stamps = malloc((snap->nfamilies + 1) * sizeof(*stamps));
    if (!held || held->generation != snap->generation || !stamps) {
        hw_snapshot_release(held);
        free(stamps);
        return -1;
    }
    memcpy(stamps, st->sampler.stamps, snap->nfamilies * sizeof(*stamps));
    const struct rw_pending p = {.x = {.snap = held, .stamps = stamps},
                                 .taken_ms = hw_now_mono_ns() / 1000000,
                                 .bytes = held->bytes + snap->nfamilies * sizeof(*stamps)};
    pthread_mutex_lock(&st->pt.lock);
    rw_queue_bound(st, p.bytes, p.taken_ms);
    struct rw_pending *v = hw_grow(st->pending, &st->cap, st->npending, sizeof(*v), 16);
    if (!v) {
        pthread_mutex_unlock(&st->pt.lock);
        struct rw_pending q = p;
        atomic_fetch_add(&st->stats.dp_dropped, rw_count_sampled(&st->eo, &q.x));
        rw_pending_free(&q);
        return -1;
    }
    st->pending = v;
    st->pending[st->npending++] = p;
    st->queued_bytes += p.bytes;
    if (wake) {
        push_thread_wake_locked(&st->pt);
    }
    pthread_mutex_unlock(&st->pt.lock);
    return 0;
}

/* Loop thread, after every publish: what is a sample now (exporters/push/sampler.h) is queued for
 * the sender; a watched change (flush_on_change) is sent at once. */
static int rw_flush(void *state, const struct hw_snapshot *snap)
{
    struct rw_exporter *st = state;
    const int now = sampler_watch_changed(&st->watch, snap);
    const int n = sampler_take(&st->sampler, snap, hw_now_wall_ms(), now ? SAMPLE_EVENTS_NOW : 0);
    if (n > 0 && rw_enqueue(st, snap, now) != 0 && !st->oom_logged) {
        hw_error("remote_write", "out of memory: samples dropped", "%s", "");
        st->oom_logged = 1;
    }
    return 0;
}

/* SIGTERM or a reload: the event-driven families as they are now join the queue, then the
 * sender sends what is queued (or spools it) and ends. */
static void rw_stop(void *state)
{
    struct rw_exporter *st = state;
    if (!st) {
        return;
    }
    const struct hw_snapshot *snap = st->pt.started ? hw_registry_acquire(st->reg) : NULL;
    if (snap && sampler_take(&st->sampler, snap, hw_now_wall_ms(), SAMPLE_FINAL) > 0) {
        (void)rw_enqueue(st, snap, 0);
    }
    hw_snapshot_release(snap);
    push_thread_stop(&st->pt);
}

static void rw_destroy(void *state)
{
    struct rw_exporter *st = state;
    if (!st) {
        return;
    }
    push_thread_destroy(&st->pt);
    rw_send_close(st);
    for (size_t i = 0; i < st->npending; i++) {
        rw_pending_free(&st->pending[i]);
    }
    free(st->pending);
    sampler_watch_free(&st->watch);
    sampler_free(&st->sampler);
    free(st);
}

static int rw_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    const struct rw_conf *c = conf;
    struct rw_exporter *st = calloc(1, sizeof(*st));
    if (!st || push_thread_init(&st->pt) != 0) {
        free(st);
        return -1;
    }
    st->conf = c;
    st->reg = ctx->reg;
    st->eo = (struct rw_encode_opts){.view = c->names ? HW_VIEW_CW : HW_VIEW_NODE,
                                     .metrics = (const char *const *)c->metrics.v,
                                     .nmetrics = c->metrics.n,
                                     .max_samples = (size_t)c->max_samples_per_send};
    snprintf(st->state_dir, sizeof(st->state_dir), "%s", ctx->state_dir ? ctx->state_dir : ".");
    sampler_init(&st->sampler, SAMPLER_SCRAPE, c->sample_interval_ns, ctx->interval_ns);
    /* Libraries, credentials and the spool are set up by the sender thread, so `check` and a
     * reload that fails early touch nothing. */
    *state = st;
    if (sampler_watch_init(&st->watch, (const char *const *)c->flush_on_change.v,
                           c->flush_on_change.n) != 0) {
        rw_destroy(st);
        return -1;
    }
    return 0;
}

static int rw_start(void *state)
{
    struct rw_exporter *st = state;
    return push_exporter_start(&st->pt, rw_thread, st, "remote_write");
}

/* Sender thread: the samples queued since the last send, encoded and delivered. */
static void rw_send_pending(struct rw_exporter *st)
{
    pthread_mutex_lock(&st->pt.lock);
    struct rw_pending *taken = st->pending;
    const size_t n = st->npending;
    st->pending = NULL;
    st->npending = st->cap = st->queued_bytes = 0;
    pthread_mutex_unlock(&st->pt.lock);
    rw_send_drain_spool(st); /* older bodies first */
    struct rw_sample *x = calloc(n + 1, sizeof(*x));
    struct rw_bodies b;
    rw_bodies_init(&b);
    for (size_t i = 0; x && i < n; i++) {
        x[i] = taken[i].x;
    }
    if (!x || rw_encode_sampled(&st->eo, x, n, &b) != 0) {
        size_t lost = 0;
        for (size_t i = 0; i < n; i++) {
            lost += rw_count_sampled(&st->eo, &taken[i].x);
        }
        for (size_t i = 0; i < b.n; i++) {
            lost -= b.v[i].nsamples;
        }
        atomic_fetch_add(&st->stats.dp_dropped, lost);
        hw_error("remote_write", "cannot encode samples (out of memory)", "%s", "");
    }
    rw_send_bodies(st, &b);
    rw_bodies_free(&b);
    for (size_t i = 0; i < n; i++) {
        rw_pending_free(&taken[i]);
    }
    free(taken);
    free(x);
}

static void *rw_thread(void *arg)
{
    struct rw_exporter *st = arg;
    if (rw_send_open(st) != 0) {
        hw_error("remote_write", "exporter not started", "url=%s", st->conf->url);
        rw_send_close(st);
        return NULL;
    }
    struct timespec due;
    clock_gettime(CLOCK_MONOTONIC, &due);
    int stopping = 0;
    while (!stopping) {
        stopping = push_thread_tick(&st->pt, &due, st->conf->flush_interval_ns);
        rw_send_pending(st); /* the last one on stop: nothing collected is left behind */
    }
    /* Closed here, not in destroy: a reload starts the replacing exporter before the old one
     * is destroyed, and it needs the spool directory's lock. */
    rw_send_close(st);
    return NULL;
}

const struct hw_exporter hw_exporter_remote_write = {
    .name = "remote_write",
    .help = "Prometheus remote write 1.0 (snappy protobuf; SigV4, bearer or basic auth; spool)",
    .opts = rw_opts,
    .conf_size = sizeof(struct rw_conf),
    .validate = rw_validate,
    .create = rw_create,
    .start = rw_start,
    .flush = rw_flush,
    .report = rw_send_report,
    .status = rw_send_status,
    .stop = rw_stop,
    .destroy = rw_destroy,
};
