#include "r53_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "exporters/push/push_sign.h"
#include "r53_xml.h"

#define R53_DEFAULT_ENDPOINT "https://route53.amazonaws.com"
#define R53_REGION "us-east-1" /* Route 53 is global and signs in us-east-1 */

static const char *const type_names[] = {"A", "AAAA", "CNAME"};

static int r53_resolve_endpoint(struct r53_exporter *st)
{
    const char *ep = aws_endpoint_override(st->conf->endpoint, "AWS_ENDPOINT_URL_ROUTE_53");
    const char *why = NULL;
    snprintf(st->url, sizeof(st->url), "%s", ep ? ep : R53_DEFAULT_ENDPOINT);
    if (!aws_url_allowed(st->url, &why)) {
        hw_error("route53", "endpoint refused", "url=%s reason=\"%s\"", st->url, why);
        return -1;
    }
    hw_url_split(st->url, st->host, sizeof(st->host), st->prefix, sizeof(st->prefix));
    size_t n = strlen(st->prefix);
    while (n > 0 && st->prefix[n - 1] == '/') {
        st->prefix[--n] = '\0';
    }
    const char *sep = strstr(st->url, "://");
    size_t base = sep ? (size_t)(sep - st->url) + 3 : 0;
    st->url[base + strcspn(st->url + base, "/?#")] = '\0'; /* paths are added per call */
    return 0;
}

int r53_send_open(struct r53_exporter *st)
{
    char err[3600];
    st->dry_run = st->conf->dry_run;
    st->rand_state = (unsigned)time(NULL) ^ (unsigned)getpid();
    if (push_open_clients("route53", st->conf->timeout_ns, st->conf->tls_verify,
                          st->conf->ca_file, &st->lib, &st->meta, &st->http) != 0 ||
        r53_resolve_endpoint(st) != 0 || !(st->creds = aws_creds_new(st->meta, R53_REGION))) {
        return -1;
    }
    struct aws_creds c;
    if (st->dry_run) {
        hw_info("route53", "dry run: changes are logged, not sent", "zone=%s", st->zone);
    } else if (aws_creds_get(st->creds, &c, err, sizeof(err)) != 0) {
        hw_warn("route53", "no AWS credentials yet: changes are logged and retried until there "
                           "are", "detail=\"%s\"", err);
    } else {
        hw_info("route53", "ready", "endpoint=%s zone=%s credentials=%s", st->url, st->zone,
                c.source);
        st->lib->cleanse(&c, sizeof(c));
    }
    return 0;
}

void r53_send_close(struct r53_exporter *st)
{
    struct spool *none = NULL;
    push_close_clients(&none, &st->creds, &st->http, &st->meta, &st->lib);
}

/* One request's answer, after signing and sending; *code says what went wrong. */
struct r53_answer {
    struct hw_http_resp resp;
    int rc;                 /* hw_http_request's, or -1 when not sent */
    char code[64], msg[512];
    char who[440];          /* who signed (no secret), for a refusal's message */
};

static void r53_request(struct r53_exporter *st, const char *method, const char *path,
                        const char *query, const struct hw_buf *body, struct r53_answer *a)
{
    char err[3600], url[2200], hhost[300];
    const char *cause;
    const struct sigv4_header sh[] = {{"host", st->host}, {"content-type", "text/xml"}};
    const int post = body != NULL;
    const struct push_sigv4_req req = {.creds = st->creds, .lib = st->lib, .region = R53_REGION,
                                       .service = "route53", .path = path, .method = method,
                                       .query = query, .headers = sh, .nheaders = post ? 2 : 1,
                                       .body = post ? body->data : NULL,
                                       .len = post ? body->len : 0};
    struct push_sigv4 sig;
    memset(a, 0, sizeof(*a));
    a->rc = -1;
    if (push_sigv4_sign(&req, &sig, &cause, err, sizeof(err)) != PUSH_SENT) {
        snprintf(a->code, sizeof(a->code), "%s", cause);
        snprintf(a->msg, sizeof(a->msg), "%.500s", err);
        return;
    }
    snprintf(a->who, sizeof(a->who), "%s (from %s)", sig.identity, sig.source);
    snprintf(hhost, sizeof(hhost), "Host: %s", st->host);
    const char *h[6] = {hhost, sig.h[0], sig.h[1], sig.n > 2 ? sig.h[2] : NULL};
    size_t nh = sig.n + 1;
    if (post) {
        h[nh++] = "Content-Type: text/xml";
    }
    snprintf(url, sizeof(url), "%s%s%s%s", st->url, path, query ? "?" : "", query ? query : "");
    a->rc = hw_http_request(st->http, method, url, h, nh, post ? body->data : NULL,
                            post ? body->len : 0, &a->resp);
    push_sigv4_wipe(&req, &sig);
    if (a->rc != 0) {
        snprintf(a->code, sizeof(a->code), "%s", a->resp.tls_error ? "TLS" : "NetworkError");
        snprintf(a->msg, sizeof(a->msg), "%s", a->resp.error);
    } else if (a->resp.status != 200) {
        r53_xml_error(a->resp.body.data, a->code, sizeof(a->code), a->msg, sizeof(a->msg));
        if (!a->code[0]) {
            snprintf(a->code, sizeof(a->code), "HTTP%ld", a->resp.status);
        }
    }
}

/* Retryable: the service is busy or away, or the credentials may come or be renewed. */
static int retryable(const struct r53_answer *a)
{
    static const char *const codes[] = {"Throttling", "PriorRequestNotComplete", "NetworkError",
                                        "NoCredentials", "ExpiredToken", "RequestExpired",
                                        "ServiceUnavailable", "InternalFailure", NULL};
    if (a->rc == 0 && a->resp.status >= 500) {
        return 1;
    }
    for (size_t i = 0; codes[i]; i++) {
        if (strncmp(a->code, codes[i], strlen(codes[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What an answer means: OK, RETRY (the first time each cause is seen, logged) or REFUSED
 * (logged each time: it happens once per desired value). */
static enum r53_result r53_judge(struct r53_exporter *st, struct r53_rec *r, const char *call,
                                 struct r53_answer *a)
{
    snprintf(r->last_code, sizeof(r->last_code), "%s", a->code);
    if (a->rc == 0 && a->resp.status == 200) {
        atomic_fetch_add(&st->stats.req_ok, 1);
        return R53_OK;
    }
    if (strcmp(a->code, "ExpiredToken") == 0) {
        aws_creds_invalidate(st->creds);
    }
    if (retryable(a)) {
        int throttled = strcmp(a->code, "Throttling") == 0 ||
                        strcmp(a->code, "PriorRequestNotComplete") == 0;
        atomic_fetch_add(throttled ? &st->stats.req_throttled : &st->stats.req_error, 1);
        if (push_first_time(&st->logged, a->code)) {
            hw_warn("route53", "request failed; retrying with backoff", "call=%s record=%s "
                    "status=%ld code=%s message=\"%.300s\"", call, r->rec.name, a->resp.status,
                    a->code, a->msg);
        }
        return R53_RETRY;
    }
    atomic_fetch_add(&st->stats.req_rejected, 1);
    const char *hint = strcmp(a->code, "AccessDenied") == 0 || a->resp.status == 403
                           ? "; allow it in the IAM policy (packaging/examples/aws/"
                             "iam-policy-route53.json)"
                       : strcmp(a->code, "NoSuchHostedZone") == 0
                           ? "; check exporters.route53.hosted_zone_id"
                           : "";
    char text[300];
    snprintf(text, sizeof(text), "route53:%s refused%s; not retried until the desired value or "
                                 "the configuration changes", call, hint);
    hw_error("route53", text, "record=%s zone=%s status=%ld code=%s credentials=\"%s\" "
             "message=\"%.300s\"", r->rec.name, st->zone, a->resp.status, a->code, a->who,
             a->msg);
    return R53_REFUSED;
}

enum r53_result r53_list(struct r53_exporter *st, struct r53_rec *r, int *present, char *canon,
                         size_t len, int64_t *ttl)
{
    char path[700], query[400];
    struct r53_answer a;
    snprintf(path, sizeof(path), "%s" R53_API "/hostedzone/%s/rrset", st->prefix, st->zone);
    snprintf(query, sizeof(query), "maxitems=1&name=%s&type=%s", r->rec.name,
             type_names[r->rec.type]);
    r53_request(st, "GET", path, query, NULL, &a);
    enum r53_result res = r53_judge(st, r, "ListResourceRecordSets", &a);
    const char *why = "";
    if (res == R53_OK && r53_xml_list_find(a.resp.body.data, &r->rec, present, canon, len, ttl,
                                           &why) != 0) {
        hw_error("route53", "cannot tell what the record holds; it is set when the desired "
                            "value is known", "record=%s reason=\"%s\"", r->rec.name, why);
        res = R53_REFUSED;
    }
    hw_http_resp_free(&a.resp);
    return res;
}

enum r53_result r53_upsert(struct r53_exporter *st, struct r53_rec *r, int d, char *change_id,
                           size_t idlen)
{
    char path[700], comment[200];
    struct hw_buf body;
    struct r53_answer a;
    const struct r53_value *v = &r->rec.values[d];
    snprintf(comment, sizeof(comment), "hostwatch: %s=%s", r->rec.conf->label, v->key);
    hw_buf_init(&body);
    if (r53_xml_upsert(&r->rec, v->canon, comment, &body) != 0) {
        hw_buf_free(&body);
        return R53_RETRY;
    }
    snprintf(path, sizeof(path), "%s" R53_API "/hostedzone/%s/rrset/", st->prefix, st->zone);
    r53_request(st, "POST", path, NULL, &body, &a);
    enum r53_result res = r53_judge(st, r, "ChangeResourceRecordSets", &a);
    int insync = 0;
    if (res == R53_OK && r53_xml_change_info(a.resp.body.data, change_id, idlen, &insync) != 0) {
        change_id[0] = '\0'; /* accepted, but nothing to poll */
    }
    int throttled = strcmp(a.code, "Throttling") == 0 ||
                    strcmp(a.code, "PriorRequestNotComplete") == 0;
    atomic_fetch_add(&r->changes[res == R53_OK        ? R53_N_OK
                                 : res == R53_REFUSED ? R53_N_REJECTED
                                 : throttled          ? R53_N_THROTTLED
                                                      : R53_N_ERROR],
                     1);
    if (res == R53_OK) {
        hw_info("route53", "record changed", "record=%s type=%s value=%s %s=%s change=%s",
                r->rec.name, type_names[r->rec.type], v->canon, r->rec.conf->label, v->key,
                change_id);
    }
    hw_http_resp_free(&a.resp);
    hw_buf_free(&body);
    return res;
}

enum r53_result r53_get_change(struct r53_exporter *st, struct r53_rec *r, int *insync)
{
    char path[700], id[R53_CHANGE_ID_MAX];
    struct r53_answer a;
    snprintf(path, sizeof(path), "%s" R53_API "/change/%s", st->prefix, r->st.change_id);
    r53_request(st, "GET", path, NULL, NULL, &a);
    enum r53_result res = r53_judge(st, r, "GetChange", &a);
    *insync = 0;
    if (res == R53_OK && r53_xml_change_info(a.resp.body.data, id, sizeof(id), insync) != 0) {
        res = R53_RETRY;
    }
    hw_http_resp_free(&a.resp);
    return res;
}
