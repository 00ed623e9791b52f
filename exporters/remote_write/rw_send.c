#include "rw_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exporters/aws/aws_identity.h"
#include "buf.h"
#include "log.h"
#include "exporters/push/push_sign.h"
#include "exporters/aws/sigv4.h"
#include "version.h"

#define RW_SECRET_FILE_MAX 16384 /* token and password files larger than this are refused */
#define PUSH_RETRY_AFTER_MAX_MS 60000

/* The per-request authentication headers, built fresh for each POST (signatures cover the
 * body; token files may be rotated). */
struct rw_auth {
    struct push_sigv4 sig;
    char plain[4200]; /* basic or bearer */
    const char *h[3];
    size_t n;
};

static const char *const component = "remote_write";

/* Logs a cause once per exporter lifetime, so a lasting problem is one line, not a flood. The
 * receiver's message is bounded and stripped of control bytes. */
static void log_once(struct rw_exporter *st, const char *cause, const char *text, long status,
                     const char *msg)
{
    if (!push_first_time(&st->logged, cause)) {
        return;
    }
    char clean[201];
    size_t n = 0;
    for (const char *p = msg ? msg : ""; *p && n < sizeof(clean) - 1; p++) {
        clean[n++] = (*p >= 0x20 && *p < 0x7f && *p != '"') ? *p : '?';
    }
    clean[n] = '\0';
    hw_error(component, text, "status=%ld url=%s message=\"%s\"", status, st->conf->url, clean);
}

/* A secret from a file (token or password): whole file, trailing newlines dropped. */
static int read_secret(const char *path, struct hw_buf *out)
{
    hw_buf_reset(out);
    if (hw_buf_read_file(out, path, RW_SECRET_FILE_MAX) != 0 || out->oom) {
        return -1;
    }
    while (out->len > 0 && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r')) {
        out->data[--out->len] = '\0';
    }
    return 0;
}

static const char *sigv4_service(const struct rw_conf *c)
{
    return c->sigv4.service ? c->sigv4.service : "aps";
}

static enum push_outcome auth_sigv4(struct rw_exporter *st, const void *body, size_t len,
                                  struct rw_auth *a)
{
    char err[1600];
    const char *cause;
    const struct sigv4_header sh[] = {{"host", st->host},
                                      {"content-type", "application/x-protobuf"},
                                      {"content-encoding", "snappy"}};
    const struct push_sigv4_req req = {.creds = st->creds, .lib = st->lib, .region = st->region,
                                       .service = sigv4_service(st->conf), .path = st->path,
                                       .headers = sh, .nheaders = 3, .body = body, .len = len};
    const enum push_outcome o = push_sigv4_sign(&req, &a->sig, &cause, err, sizeof(err));
    if (o != PUSH_SENT) {
        log_once(st, cause, strcmp(cause, "NoCredentials") == 0
                                ? "no AWS credentials; batches are kept in the spool"
                                : "cannot sign the request; batches are kept in the spool",
                 0, err);
        return o;
    }
    for (size_t i = 0; i < a->sig.n; i++) {
        a->h[a->n++] = a->sig.h[i];
    }
    return PUSH_SENT;
}

/* Basic: base64(user:password), the password from the config or re-read from its file. */
static enum push_outcome auth_basic(struct rw_exporter *st, struct rw_auth *a)
{
    const struct rw_basic_conf *b = &st->conf->basic_auth;
    struct hw_buf pw, up;
    hw_buf_init(&pw);
    hw_buf_init(&up);
    enum push_outcome o = PUSH_HOLD;
    if (b->password_file && read_secret(b->password_file, &pw) != 0) {
        log_once(st, "PasswordFile", "cannot read basic_auth.password_file; batches are kept "
                                     "in the spool", 0, b->password_file);
    } else {
        hw_buf_printf(&up, "%s:%s", b->username, b->password_file ? pw.data ? pw.data : ""
                                                                   : b->password);
        char *enc = up.oom ? NULL : malloc(up.len / 3 * 4 + 8);
        if (enc) {
            hw_base64(up.data, up.len, enc);
            snprintf(a->plain, sizeof(a->plain), "Authorization: Basic %s", enc);
            o = strlen(enc) + 32 < sizeof(a->plain) ? PUSH_SENT : PUSH_REJECTED;
            free(enc);
        }
    }
    if (up.data) {
        memset(up.data, 0, up.len);
    }
    if (pw.data) {
        memset(pw.data, 0, pw.len);
    }
    hw_buf_free(&up);
    hw_buf_free(&pw);
    a->h[a->n++] = a->plain;
    return o;
}

static enum push_outcome auth_bearer(struct rw_exporter *st, struct rw_auth *a)
{
    struct hw_buf tok;
    hw_buf_init(&tok);
    enum push_outcome o = PUSH_SENT;
    if (st->conf->bearer_token_file && read_secret(st->conf->bearer_token_file, &tok) != 0) {
        log_once(st, "TokenFile", "cannot read bearer_token_file; batches are kept in the spool",
                 0, st->conf->bearer_token_file);
        o = PUSH_HOLD;
    } else {
        const char *t = st->conf->bearer_token_file ? (tok.data ? tok.data : "")
                                                    : st->conf->bearer_token;
        snprintf(a->plain, sizeof(a->plain), "Authorization: Bearer %s", t);
        a->h[a->n++] = a->plain;
    }
    if (tok.data) {
        memset(tok.data, 0, tok.len);
    }
    hw_buf_free(&tok);
    return o;
}

static enum push_outcome rw_authenticate(struct rw_exporter *st, const void *body, size_t len,
                                       struct rw_auth *a)
{
    a->n = 0;
    if (st->creds) {
        return auth_sigv4(st, body, len, a);
    }
    if (st->conf->basic_auth.username) {
        return auth_basic(st, a);
    }
    if (st->conf->bearer_token || st->conf->bearer_token_file) {
        return auth_bearer(st, a);
    }
    return PUSH_SENT;
}

/* The receiver's answer decides: 2xx delivered, 429/5xx/no answer retry, other 4xx drop. */
static enum push_outcome classify_answer(struct rw_exporter *st, int rc,
                                         const struct hw_http_resp *r)
{
    if (rc != 0) {
        atomic_fetch_add(&st->stats.req_error, 1);
        log_once(st, "Unreachable", "receiver unreachable (retried, then spooled; logged once)",
                 0, r->error);
        return PUSH_RETRY;
    }
    if (r->status >= 200 && r->status < 300) {
        atomic_fetch_add(&st->stats.req_ok, 1);
        return PUSH_SENT;
    }
    if (r->status == 429 || r->status >= 500) {
        atomic_fetch_add(r->status == 429 ? &st->stats.req_throttled : &st->stats.req_error, 1);
        return PUSH_RETRY;
    }
    char cause[32];
    snprintf(cause, sizeof(cause), "HTTP%ld", r->status);
    atomic_fetch_add(&st->stats.req_rejected, 1);
    if ((r->status == 401 || r->status == 403) && st->creds) {
        aws_creds_invalidate(st->creds); /* fetched again for the next request */
    }
    log_once(st, cause, "request rejected by the receiver; its samples are dropped", r->status,
             r->body.data);
    return PUSH_REJECTED;
}

/* The verdict, noted for the status document (the cause an HTTP status or NetworkError). */
static enum push_outcome classify(struct rw_exporter *st, int rc, const struct hw_http_resp *r)
{
    enum push_outcome o = classify_answer(st, rc, r);
    char cause[24], msg[200];
    if (rc != 0) {
        snprintf(cause, sizeof(cause), "NetworkError");
    } else {
        snprintf(cause, sizeof(cause), "HTTP %ld", r->status);
    }
    snprintf(msg, sizeof(msg), "%.199s", rc != 0 ? r->error : r->body.data ? r->body.data : "");
    push_note(&st->pt, &st->last, o, cause, msg);
    return o;
}

/* One POST; *retry_after_ms is set from a Retry-After header (0 without one). */
static enum push_outcome rw_post(struct rw_exporter *st, const void *body, size_t len,
                               int64_t *retry_after_ms)
{
    static const char ua[] = "User-Agent: hostwatch/" HW_VERSION;
    struct rw_auth a;
    const char *h[8 + RW_MAX_HEADERS];
    size_t n = 0;
    *retry_after_ms = 0;
    enum push_outcome o = rw_authenticate(st, body, len, &a);
    if (o != PUSH_SENT) {
        return o;
    }
    h[n++] = "Content-Encoding: snappy";
    h[n++] = "Content-Type: application/x-protobuf";
    h[n++] = ua;
    h[n++] = "X-Prometheus-Remote-Write-Version: 0.1.0";
    for (size_t i = 0; i < a.n; i++) {
        h[n++] = a.h[i];
    }
    for (size_t i = 0; i < st->nextra; i++) {
        h[n++] = st->extra[i];
    }
    struct hw_http_resp r = {0};
    int rc = hw_http_request(st->http, "POST", st->conf->url, h, n, body, len, &r);
    st->lib->cleanse(&a, sizeof(a));
    o = classify(st, rc, &r);
    if (o == PUSH_RETRY && r.retry_after_s > 0) {
        int64_t ms = (int64_t)r.retry_after_s * 1000;
        *retry_after_ms = ms > PUSH_RETRY_AFTER_MAX_MS ? PUSH_RETRY_AFTER_MAX_MS : ms;
    }
    hw_http_resp_free(&r);
    return o;
}

/* Retries with full jitter: a random wait in [0, min(30 s, 500 ms x 2^attempt)], or what the
 * receiver's Retry-After asks for. */
static enum push_outcome rw_post_retrying(struct rw_exporter *st, const void *body, size_t len)
{
    enum push_outcome o = PUSH_RETRY;
    for (int attempt = 0; attempt <= st->conf->max_retries; attempt++) {
        int64_t after;
        o = rw_post(st, body, len, &after);
        if (o != PUSH_RETRY || attempt == st->conf->max_retries) {
            break;
        }
        int64_t ms = after ? after : push_jitter_ms(&st->rand_state, attempt, 500, 30000);
        push_note_retry(&st->pt, &st->last, ms);
        if (push_thread_sleep(&st->pt, ms) != 0) {
            break;
        }
    }
    return o;
}

static void spool_or_drop(struct rw_exporter *st, const struct rw_body *b)
{
    uint32_t kind = SPOOL_KIND_REMOTE_WRITE_SNAPPY | (uint32_t)(b->nsamples << 8);
    push_spool_keep(st->spool, b->data, b->len, b->oldest_ms, kind, &st->stats, &st->logged,
                    component);
}

void rw_send_bodies(struct rw_exporter *st, const struct rw_bodies *b)
{
    for (size_t i = 0; i < b->n; i++) {
        /* With older bodies waiting, new ones queue behind them: delivery stays in order. */
        enum push_outcome o = (st->spool && spool_stats(st->spool)->entries > 0)
                                ? PUSH_HOLD
                                : rw_post_retrying(st, b->v[i].data, b->v[i].len);
        if (o == PUSH_SENT) {
            atomic_fetch_add(&st->stats.dp_sent, b->v[i].nsamples);
        } else if (o == PUSH_REJECTED) {
            atomic_fetch_add(&st->stats.dp_dropped, b->v[i].nsamples);
        } else {
            spool_or_drop(st, &b->v[i]);
        }
    }
    if (st->spool) {
        atomic_store(&st->stats.spool_bytes, spool_stats(st->spool)->bytes);
    }
}

static enum push_outcome drain_send(void *arg, const struct spool_entry *e)
{
    int64_t after;
    return (e->kind & 0xff) == SPOOL_KIND_REMOTE_WRITE_SNAPPY
               ? rw_post(arg, e->data, e->len, &after)
               : PUSH_REJECTED; /* not a remote write body: never sent */
}

static void drain_done(void *arg, enum push_outcome o, uint64_t samples)
{
    struct rw_exporter *st = arg;
    atomic_fetch_add(o == PUSH_SENT ? &st->stats.dp_sent : &st->stats.dp_dropped, samples);
}

void rw_send_drain_spool(struct rw_exporter *st)
{
    if (st->spool) {
        push_drain_spool(st->spool, 10000, drain_send, drain_done, st);
        atomic_store(&st->stats.spool_bytes, spool_stats(st->spool)->bytes);
    }
}

/* SigV4 needs the host and path as sent: "https://host:port/path?q" → "host:port", "/path". */
static void rw_split_url(struct rw_exporter *st)
{
    hw_url_split(st->conf->url, st->host, sizeof(st->host), st->path, sizeof(st->path));
}

/* Region and credential chain for SigV4; missing credentials are not fatal (they may come). */
static int rw_open_sigv4(struct rw_exporter *st)
{
    char err[1600];
    const struct hw_http_opts meta_o = {.connect_timeout_ms = 1000, .timeout_ms = 2000,
                                         .tls_verify = 1};
    if (!(st->meta = hw_http_new(st->lib, &meta_o))) {
        return -1;
    }
    if (aws_region_resolve(st->meta, st->conf->sigv4.region, st->region, sizeof(st->region)) !=
        0) {
        hw_error(component, "no region: set exporters.remote_write.sigv4.region or AWS_REGION",
                 "%s", "");
        return -1;
    }
    if (!(st->creds = aws_creds_new(st->meta, st->region))) {
        return -1;
    }
    struct aws_creds c;
    if (aws_creds_get(st->creds, &c, err, sizeof(err)) != 0) {
        hw_warn(component, "no AWS credentials yet; batches are spooled until some are found",
                "detail=\"%s\"", err);
    } else {
        hw_info(component, "SigV4 credentials found", "region=%s service=%s credentials=%s",
                st->region, sigv4_service(st->conf), c.source);
    }
    st->lib->cleanse(&c, sizeof(c));
    return 0;
}

int rw_send_open(struct rw_exporter *st)
{
    char err[1600];
    st->rand_state = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (!(st->lib = netlib_open(err, sizeof(err))) ||
        netlib_open_snappy(st->lib, err, sizeof(err)) != 0) {
        hw_error(component, "cannot load the HTTP, crypto and snappy libraries", "error=\"%s\"",
                 err);
        return -1;
    }
    st->eo.lib = st->lib; /* this thread encodes */
    const struct hw_http_opts o = {.connect_timeout_ms = 5000,
                                    .timeout_ms = (long)(st->conf->timeout_ns / 1000000),
                                    .tls_verify = st->conf->tls_verify,
                                    .ca_file = st->conf->ca_file};
    if (!(st->http = hw_http_new(st->lib, &o))) {
        return -1;
    }
    rw_split_url(st);
    const struct hw_strmap *m = &st->conf->headers;
    for (size_t i = 0; i < m->n && st->nextra < RW_MAX_HEADERS; i++) {
        size_t len = strlen(m->keys[i]) + strlen(m->values[i]) + 3;
        if (!(st->extra[st->nextra] = malloc(len))) {
            return -1;
        }
        snprintf(st->extra[st->nextra++], len, "%s: %s", m->keys[i], m->values[i]);
    }
    if (st->conf->sigv4.region && rw_open_sigv4(st) != 0) {
        return -1;
    }
    hw_info(component, "ready", "url=%s", st->conf->url);
    push_note_ready(&st->pt, &st->last, st->conf->url, 0);
    st->spool = push_spool_open(st->conf->spool.dir, st->state_dir, "remote_write",
                                st->conf->spool.max_size, component);
    return 0;
}

void rw_send_close(struct rw_exporter *st)
{
    st->eo.lib = NULL;
    push_close_clients(&st->spool, &st->creds, &st->http, &st->meta, &st->lib);
    for (size_t i = 0; i < st->nextra; i++) {
        free(st->extra[i]);
    }
    st->nextra = 0;
}

/* Loop thread: the sender's atomics into the shared self-metric families. */
void rw_send_report(void *state, struct hw_registry *reg)
{
    struct rw_exporter *st = state;
    push_report(reg, "remote_write", &st->stats, 0);
}

json_t *rw_send_status(void *state)
{
    struct rw_exporter *st = state;
    return push_status(&st->pt, &st->last, &st->stats);
}
