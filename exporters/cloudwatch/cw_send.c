#include "cw_send.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "exporters/aws/aws_identity.h"
#include "cw_json.h"
#include "cw_query.h"
#include "log.h"
#include "loop.h"
#include "exporters/push/push.h"
#include "exporters/push/push_sign.h"
#include "exporters/aws/sigv4.h"

/* A spool entry's kind: its low byte the protocol of the body, the rest its datapoint count.
 * Entries spooled before the JSON protocol existed are all Query. */
#define CW_SPOOL_KIND SPOOL_KIND_CLOUDWATCH_QUERY_GZIP
#define CW_SPOOL_KIND_JSON SPOOL_KIND_CLOUDWATCH_JSON_GZIP
#define CW_MAX_AGE_MS (14LL * 86400 * 1000 - 3600 * 1000) /* the service keeps 2 weeks */


static int cw_resolve_endpoint(struct cw_exporter *st)
{
    const char *ep = aws_endpoint_override(st->conf->endpoint, "AWS_ENDPOINT_URL_CLOUDWATCH");
    const char *why = NULL;
    if (ep) {
        snprintf(st->url, sizeof(st->url), "%s", ep);
    } else {
        snprintf(st->url, sizeof(st->url), "https://monitoring.%s.amazonaws.com/", st->region);
    }
    if (!aws_url_allowed(st->url, &why)) {
        hw_error("cloudwatch", "endpoint refused", "url=%s reason=\"%s\"", st->url, why);
        return -1;
    }
    hw_url_split(st->url, st->host, sizeof(st->host), st->path, sizeof(st->path));
    return 0;
}

/* Static dimensions with ${aws:...} and ${ENV} expanded; empty ones are left out. */
static int cw_resolve_dims(struct cw_exporter *st)
{
    const struct hw_strmap *m = &st->conf->dimensions;
    st->dims = calloc(m->n ? m->n : 1, sizeof(*st->dims));
    if (!st->dims) {
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        char v[1100];
        if (aws_expand(st->meta, st->region, m->values[i], v, sizeof(v)) != 0 || !v[0]) {
            hw_warn("cloudwatch", "dimension left out (empty or unknown value)", "name=%s",
                    m->keys[i]);
            continue;
        }
        st->dims[st->ndims].name = strdup(m->keys[i]);
        st->dims[st->ndims].value = strdup(v);
        if (!st->dims[st->ndims].name || !st->dims[st->ndims].value) {
            return -1;
        }
        st->ndims++;
    }
    return 0;
}

int cw_send_open(struct cw_exporter *st)
{
    char err[3600];
    st->dry_run = st->conf->dry_run;
    st->rand_state = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (push_open_clients("cloudwatch", st->conf->timeout_ns, st->conf->tls_verify,
                          st->conf->ca_file, &st->lib, &st->meta, &st->http) != 0) {
        return -1;
    }
    if (aws_region_resolve(st->meta, st->conf->region, st->region, sizeof(st->region)) != 0) {
        hw_error("cloudwatch", "no region: set exporters.cloudwatch.region or AWS_REGION", "%s",
                 "");
        return -1;
    }
    if (cw_resolve_endpoint(st) != 0 || cw_resolve_dims(st) != 0 ||
        !(st->creds = aws_creds_new(st->meta, st->region))) {
        return -1;
    }
    struct aws_creds c;
    if (!st->dry_run && aws_creds_get(st->creds, &c, err, sizeof(err)) != 0) {
        hw_warn("cloudwatch", "no AWS credentials found: dry run (requests are logged, not sent)",
                "detail=\"%s\"", err);
        st->dry_run = 1;
    } else if (!st->dry_run) {
        hw_info("cloudwatch", "ready", "endpoint=%s region=%s credentials=%s", st->url,
                st->region, c.source);
    }
    st->spool = push_spool_open(st->conf->spool.dir, st->state_dir, "cloudwatch",
                                st->conf->spool.max_size, "cloudwatch");
    push_note_ready(&st->pt, &st->last, st->url, st->dry_run);
    return 0;
}

void cw_send_close(struct cw_exporter *st)
{
    push_close_clients(&st->spool, &st->creds, &st->http, &st->meta, &st->lib);
}

/* Logs a cause once (per exporter lifetime), so a lasting problem is one line, not a flood. */
static void log_once(struct cw_exporter *st, const char *code, const char *text, long status,
                     const char *msg)
{
    if (!push_first_time(&st->logged, code)) {
        return;
    }
    hw_error("cloudwatch", text, "status=%ld code=%s message=\"%.200s\"", status, code, msg);
}

/* A refusal that names a clock problem: RequestExpired, or a signature refused while the
 * answer's Date shows the clocks apart. The batch waits in the spool until the clock is fixed. */
static int cw_clock_refused(struct cw_exporter *st, const struct hw_http_resp *r,
                            const char *code, const char *msg)
{
    char skew[128], text[512];
    int skewed = aws_clock_skew_text(r->server_date, (long long)time(NULL), skew, sizeof(skew));
    int sig_refused = strcmp(code, "SignatureDoesNotMatch") == 0 ||
                      strcmp(code, "InvalidSignatureException") == 0;
    if (strcmp(code, "RequestExpired") != 0 && !(sig_refused && skewed)) {
        return 0;
    }
    if (skewed) {
        snprintf(text, sizeof(text), "request refused: %s (AWS accepts 15 minutes); fix the "
                                     "clock (NTP); batches are kept in the spool", skew);
    } else {
        snprintf(text, sizeof(text), "request refused as expired: this host's clock is more than "
                                     "15 minutes off the server's; fix the clock (NTP); batches "
                                     "are kept in the spool");
    }
    log_once(st, code, text, r->status, msg);
    return 1;
}

/* A 403: the action is not allowed for these credentials, or the credentials are refused. The
 * batch is kept (a policy or key fixed later gets it delivered); the log names who was refused. */
static void cw_auth_refused(struct cw_exporter *st, const struct hw_http_resp *r,
                            const char *code, const char *msg, const struct push_sigv4 *c)
{
    char text[700];
    if (strncmp(code, "AccessDenied", 12) == 0 || !code[0]) {
        snprintf(text, sizeof(text), "permission denied for cloudwatch:PutMetricData to %s "
                                     "(credentials from %s); allow that action in its IAM "
                                     "policy; batches are kept in the spool", c->identity,
                 c->source);
    } else {
        snprintf(text, sizeof(text), "credentials refused: %s (from %s); batches are kept in the "
                                     "spool", c->identity, c->source);
    }
    log_once(st, code[0] ? code : "AccessDenied", text, r->status, msg);
}

/* What an answer (or its absence) means for the batch: sent, retried, kept or dropped. */
static enum push_outcome cw_verdict(struct cw_exporter *st, int rc, const struct hw_http_resp *r,
                                    const struct push_sigv4 *c, const char *code, const char *msg)
{
    char text[1400];
    if (rc != 0 && r->tls_error) {
        atomic_fetch_add(&st->stats.req_error, 1);
        snprintf(text, sizeof(text), "TLS connection to %.1000s failed; for an endpoint with a "
                                     "private CA set exporters.cloudwatch.ca_file; batches are "
                                     "kept in the spool", st->url);
        log_once(st, "TLS", text, 0, r->error);
        return PUSH_HOLD; /* retrying at once cannot change a certificate */
    }
    const int throttled = strncmp(code, "Throttling", 10) == 0; /* ThrottlingException too */
    if (rc != 0 || r->status >= 500 || throttled) {
        atomic_fetch_add(throttled ? &st->stats.req_throttled : &st->stats.req_error, 1);
        return PUSH_RETRY;
    }
    if (r->status == 200) {
        atomic_fetch_add(&st->stats.req_ok, 1);
        return PUSH_SENT;
    }
    if (strncmp(code, "ExpiredToken", 12) == 0) {
        aws_creds_invalidate(st->creds); /* fetched again on the retry */
        return PUSH_RETRY;
    }
    if (cw_clock_refused(st, r, code, msg)) {
        return PUSH_HOLD;
    }
    if (r->status == 403 || strncmp(code, "AccessDenied", 12) == 0) {
        cw_auth_refused(st, r, code, msg, c);
        return PUSH_HOLD;
    }
    atomic_fetch_add(&st->stats.req_rejected, 1);
    log_once(st, code[0] ? code : "BadRequest", "request rejected; its datapoints are dropped",
             r->status, msg);
    return PUSH_REJECTED;
}

/* The verdict on an answer in protocol proto, noted for the status document. */
static enum push_outcome cw_judge(struct cw_exporter *st, int rc, const struct hw_http_resp *r,
                                  const struct push_sigv4 *c, enum cw_proto proto)
{
    char code[64], msg[512];
    if (proto == CW_PROTO_JSON) {
        cw_json_error_code(r->body.data, r->body.len, r->query_error, code, sizeof(code), msg,
                           sizeof(msg));
    } else {
        hw_http_error_code(r, code, sizeof(code), msg, sizeof(msg));
    }
    enum push_outcome o = cw_verdict(st, rc, r, c, code, msg);
    char status[24];
    snprintf(status, sizeof(status), "HTTP %ld", r->status);
    push_note(&st->pt, &st->last, o, code[0] ? code : rc != 0 ? "NetworkError" : status,
              msg[0] ? msg : r->error);
    return o;
}

/* One signed POST of a body in protocol proto; the outcome decides retry, spool or drop. */
static enum push_outcome cw_post(struct cw_exporter *st, const void *body, size_t len,
                               enum cw_proto proto)
{
    char err[3600], hhost[300];
    const char *cause;
    const int json = proto == CW_PROTO_JSON;
    const struct sigv4_header sh[] = {
        {"host", st->host},
        {"content-type", json ? CW_JSON_CONTENT_TYPE : CW_QUERY_CONTENT_TYPE},
        {"content-encoding", "gzip"},
        {"x-amz-target", CW_JSON_TARGET},
        {"x-amzn-query-mode", "true"}};
    const struct push_sigv4_req req = {.creds = st->creds, .lib = st->lib, .region = st->region,
                                       .service = "monitoring", .path = st->path, .headers = sh,
                                       .nheaders = json ? 5 : 3, .body = body, .len = len};
    struct push_sigv4 sig;
    if (push_sigv4_sign(&req, &sig, &cause, err, sizeof(err)) != PUSH_SENT) {
        log_once(st, cause, strcmp(cause, "NoCredentials") == 0
                                ? "no credentials; batches are kept in the spool"
                                : "cannot sign the request; batches are kept in the spool",
                 0, err);
        return PUSH_HOLD;
    }
    snprintf(hhost, sizeof(hhost), "Host: %s", st->host);
    const char *h[9];
    size_t nh = 0;
    h[nh++] = hhost;
    h[nh++] = json ? "Content-Type: " CW_JSON_CONTENT_TYPE : "Content-Type: " CW_QUERY_CONTENT_TYPE;
    h[nh++] = "Content-Encoding: gzip";
    for (size_t i = 0; i < sig.n; i++) {
        h[nh++] = sig.h[i];
    }
    if (json) {
        h[nh++] = "X-Amz-Target: " CW_JSON_TARGET;
        h[nh++] = "x-amzn-query-mode: true";
    }
    struct hw_http_resp r = {0};
    int rc = hw_http_request(st->http, "POST", st->url, h, nh, body, len, &r);
    push_sigv4_wipe(&req, &sig);
    enum push_outcome o = cw_judge(st, rc, &r, &sig, proto);
    if (rc != 0) {
        hw_debug("cloudwatch", "request failed", "error=\"%s\"", r.error);
    }
    hw_http_resp_free(&r);
    return o;
}

static enum push_outcome cw_post_retrying(struct cw_exporter *st, const void *body, size_t len,
                                        enum cw_proto proto)
{
    enum push_outcome o = PUSH_RETRY;
    for (int attempt = 0; attempt <= st->conf->max_retries; attempt++) {
        o = cw_post(st, body, len, proto);
        /* full jitter: a random wait in [0, min(20 s, 200 ms x 2^attempt)], cut short by stop */
        const int64_t wait = push_jitter_ms(&st->rand_state, attempt, 200, 20000);
        if (o != PUSH_RETRY || attempt == st->conf->max_retries) {
            break;
        }
        push_note_retry(&st->pt, &st->last, wait);
        if (push_thread_sleep(&st->pt, wait) != 0) {
            break;
        }
    }
    return o;
}

static void cw_spool_or_drop(struct cw_exporter *st, const struct cw_body *b, enum cw_proto proto)
{
    /* The kind carries the protocol, so a replay after a protocol change is still sent as it
     * was encoded, and the datapoint count, so a batch sent later from the spool is counted. */
    const uint32_t kind = (proto == CW_PROTO_JSON ? CW_SPOOL_KIND_JSON : CW_SPOOL_KIND) |
                          (uint32_t)(b->ndatums << 8);
    push_spool_keep(st->spool, b->gz.data, b->gz.len, b->oldest_ms, kind, &st->stats,
                    &st->logged, "cloudwatch");
}

void cw_send_datums(struct cw_exporter *st, const struct cw_datums *d)
{
    struct cw_bodies bodies;
    const enum cw_proto proto = (enum cw_proto)st->conf->protocol;
    const struct cw_query_opts qo = {.proto = proto, .ns = st->conf->namespace_, .gzip = 1};
    cw_bodies_init(&bodies);
    if (cw_query_encode(&qo, d->v, d->n, &bodies) != 0) {
        atomic_fetch_add(&st->stats.dp_dropped, d->n);
        hw_error("cloudwatch", "cannot encode a batch (out of memory)", "%s", "");
        return;
    }
    for (size_t i = 0; i < bodies.n; i++) {
        const struct cw_body *b = &bodies.v[i];
        if (st->dry_run) {
            atomic_fetch_add(&st->stats.dp_dry_run, b->ndatums);
            hw_info("cloudwatch", "dry run: would send", "datapoints=%zu bytes=%zu", b->ndatums,
                    b->text.len);
            hw_debug("cloudwatch", "dry run body", "body=\"%.1500s\"", b->text.data);
            continue;
        }
        /* With older batches waiting, new ones queue behind them: delivery stays in order. */
        enum push_outcome o = (st->spool && spool_stats(st->spool)->entries > 0)
                                ? PUSH_HOLD
                                : cw_post_retrying(st, b->gz.data, b->gz.len, proto);
        if (o == PUSH_SENT) {
            atomic_fetch_add(&st->stats.dp_sent, b->ndatums);
        } else if (o == PUSH_REJECTED) {
            atomic_fetch_add(&st->stats.dp_dropped, b->ndatums);
        } else {
            cw_spool_or_drop(st, b, proto);
        }
    }
    if (bodies.dropped) {
        atomic_fetch_add(&st->stats.dp_dropped, bodies.dropped);
    }
    cw_bodies_free(&bodies);
}

static enum push_outcome cw_drain_send(void *arg, const struct spool_entry *e)
{
    const enum cw_proto proto =
        (e->kind & 0xffu) == CW_SPOOL_KIND_JSON ? CW_PROTO_JSON : CW_PROTO_QUERY;
    return cw_post(arg, e->data, e->len, proto);
}

static void cw_drain_done(void *arg, enum push_outcome o, uint64_t datapoints)
{
    struct cw_exporter *st = arg;
    atomic_fetch_add(o == PUSH_SENT ? &st->stats.dp_sent : &st->stats.dp_dropped, datapoints);
}

void cw_send_drain_spool(struct cw_exporter *st)
{
    if (!st->spool || st->dry_run) {
        return;
    }
    size_t expired = spool_drop_older_than(st->spool, hw_now_wall_ms() - CW_MAX_AGE_MS);
    if (expired) {
        hw_warn("cloudwatch", "spooled batches too old for CloudWatch dropped", "batches=%zu",
                expired);
    }
    push_drain_spool(st->spool, 10000, cw_drain_send, cw_drain_done, st); /* bounded per flush */
    atomic_store(&st->stats.spool_bytes, spool_stats(st->spool)->bytes);
}

void cw_send_report(void *state, struct hw_registry *reg)
{
    struct cw_exporter *st = state;
    push_report(reg, "cloudwatch", &st->stats, 1);
}

json_t *cw_send_status(void *state)
{
    struct cw_exporter *st = state;
    return push_status(&st->pt, &st->last, &st->stats);
}
