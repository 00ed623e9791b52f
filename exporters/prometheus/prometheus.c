#include "prometheus.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <zlib.h>

#include "buf.h"
#include "diag.h"
#include "health.h"
#include "log.h"
#include "prom_auth.h"
#include "prom_page.h"
#include "status.h"
#include "prom_proto.h"
#include "prom_text.h"
#include "selfmetrics.h"
#include "prom_tls.h"

struct prom_tls_conf {
    char *cert_file, *key_file;
    int min_version; /* index into tls_versions */
};

struct prom_auth_conf {
    struct hw_strmap users;
    struct hw_strlist open_paths;
};

struct prom_conf {
    char *listen;
    int names; /* 0 node_exporter, 1 cloudwatch */
    int64_t connection_limit;
    int64_t per_ip_connection_limit;
    int64_t threads;
    int64_t timeout_ns;
    uint64_t max_request_size;
    struct prom_tls_conf tls;
    struct prom_auth_conf basic_auth;
};

static const char *const tls_versions[] = {"TLS12", "TLS13", NULL};
/* GnuTLS priority strings for each min_version choice. */
static const char *const tls_priorities[] = {
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", "NORMAL:-VERS-ALL:+VERS-TLS1.3"};

static const struct hw_opt tls_opts[] = {
    {.key = "cert_file", .type = HW_OPT_STRING,
     .offset = offsetof(struct prom_tls_conf, cert_file),
     .help = "PEM certificate (chain) served; re-read on SIGHUP"},
    {.key = "key_file", .type = HW_OPT_STRING,
     .offset = offsetof(struct prom_tls_conf, key_file),
     .help = "PEM private key of the certificate; re-read on SIGHUP"},
    {.key = "min_version", .type = HW_OPT_ENUM, .def = "TLS12", .choices = tls_versions,
     .offset = offsetof(struct prom_tls_conf, min_version),
     .help = "oldest TLS version accepted"},
    HW_OPT_END,
};

static const struct hw_opt auth_opts[] = {
    {.key = "users", .type = HW_OPT_STRMAP,
     .offset = offsetof(struct prom_auth_conf, users),
     .help = "user name to crypt(3) hash (bcrypt or SHA-crypt; see hostwatch hash-password)",
     .secret = 1},
    {.key = "open_paths", .type = HW_OPT_STRLIST,
     .offset = offsetof(struct prom_auth_conf, open_paths),
     .help = "paths served without credentials, e.g. [\"/healthz\"] for Route 53 checks"},
    HW_OPT_END,
};

static const char *const name_choices[] = {"node_exporter", "cloudwatch", NULL};

static const struct hw_opt prom_opts[] = {
    {.key = "listen", .type = HW_OPT_STRING, .def = "127.0.0.1:9273",
     .offset = offsetof(struct prom_conf, listen),
     .help = "HOST:PORT to serve on; binding beyond loopback is an explicit choice"},
    {.key = "names", .type = HW_OPT_ENUM, .def = "node_exporter",
     .offset = offsetof(struct prom_conf, names), .choices = name_choices,
     .help = "metric names: node_exporter's or the CloudWatch agent's"},
    {.key = "connection_limit", .type = HW_OPT_INT, .def = "64",
     .offset = offsetof(struct prom_conf, connection_limit), .min = 1, .max = 4096,
     .help = "concurrent connections"},
    {.key = "per_ip_connection_limit", .type = HW_OPT_INT, .def = "16",
     .offset = offsetof(struct prom_conf, per_ip_connection_limit), .min = 1, .max = 4096,
     .help = "concurrent connections from one address, so one slow client cannot take them all"},
    {.key = "threads", .type = HW_OPT_INT, .def = "1",
     .offset = offsetof(struct prom_conf, threads), .min = 1, .max = 64,
     .help = "HTTP worker threads"},
    {.key = "timeout", .type = HW_OPT_DURATION, .def = "10s",
     .offset = offsetof(struct prom_conf, timeout_ns), .min = 1e9, .max = 3600e9,
     .help = "idle connection timeout"},
    {.key = "max_request_size", .type = HW_OPT_SIZE, .def = "16KiB",
     .offset = offsetof(struct prom_conf, max_request_size), .min = 4096, .max = 1048576,
     .help = "largest request head accepted (larger gets 431)"},
    {.key = "tls", .type = HW_OPT_OBJECT, .offset = offsetof(struct prom_conf, tls),
     .sub = tls_opts, .help = "serve HTTPS with these files"},
    {.key = "basic_auth", .type = HW_OPT_OBJECT, .offset = offsetof(struct prom_conf, basic_auth),
     .sub = auth_opts, .help = "require HTTP basic authentication"},
    HW_OPT_END,
};

/* The renderings of one snapshot (per format, plain and gzip), made on first demand and shared
 * by every scrape until the next publish. */
struct prom_cache {
    uint64_t generation;
    struct MHD_Response *resp[PROM_NFORMATS][2]; /* [enum prom_format][gzip] */
};

struct prom_state {
    const struct prom_conf *conf;
    struct hw_registry *reg;
    struct hw_health *health;
    struct hw_status *status; /* the core's status document (GET /status, GET /) */
    struct MHD_Daemon *daemon;
    struct sockaddr_storage addr;
    unsigned view;
    atomic_int ready;
    atomic_int starting; /* inside MHD_start_daemon */
    pthread_mutex_t lock; /* guards cache */
    struct prom_cache cache;
    atomic_ullong scrapes, bad_requests, errors, unauthorized;
    struct prom_auth *auth; /* NULL: no basic auth */
    int has_tls;
    struct prom_tls tls;
};

/* Splits "host:port" / "[v6]:port" and resolves it numerically or by name. */
static int prom_resolve(const char *listen, struct sockaddr_storage *out, const char **why)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1]) {
        *why = "expected HOST:PORT, e.g. \"127.0.0.1:9273\"";
        return -1;
    }
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= sizeof(host)) {
        *why = "host name too long";
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) {
        *why = "port must be a number 0-65535";
        return -1;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res) {
        *why = "cannot resolve the host";
        return -1;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

static int prom_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct prom_conf *c = conf;
    struct sockaddr_storage ss;
    const char *why;
    char kp[256];
    if (prom_resolve(c->listen, &ss, &why) != 0) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "listen"), "\"%s\": %s", c->listen, why);
        return 1;
    }
    int errors = prom_tls_validate(c->tls.cert_file, c->tls.key_file,
                                   hw_path_key(kp, sizeof(kp), path, "tls"), d);
    if (c->tls.cert_file && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "tls"),
                    "this libmicrohttpd was built without TLS support");
        errors++;
    }
    return errors + prom_auth_validate(&c->basic_auth.users, &c->basic_auth.open_paths,
                                       hw_path_key(kp, sizeof(kp), path, "basic_auth"), d);
}

static struct MHD_Response *make_response(char *data, size_t len, enum prom_format fmt, int gz)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(data);
        return NULL;
    }
    static const char *const types[PROM_NFORMATS] = {
        PROM_TEXT_CONTENT_TYPE, PROM_OM_CONTENT_TYPE, PROM_PROTO_CONTENT_TYPE};
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, types[fmt]);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    if (gz) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    }
    return r;
}

static void cache_clear(struct prom_cache *c)
{
    for (int f = 0; f < PROM_NFORMATS; f++) {
        for (int g = 0; g < 2; g++) {
            if (c->resp[f][g]) {
                MHD_destroy_response(c->resp[f][g]);
            }
        }
    }
    memset(c, 0, sizeof(*c));
}

/* The response for (format, gzip) of the current snapshot, rendered once per publish; scrapes
 * in between reuse it. NULL when out of memory. Called with st->lock held. */
static struct MHD_Response *cache_get(struct prom_state *st, enum prom_format fmt, int gz)
{
    const struct hw_snapshot *snap = hw_registry_acquire(st->reg);
    if (!snap) {
        return NULL;
    }
    if (st->cache.generation != snap->generation) {
        cache_clear(&st->cache);
        st->cache.generation = snap->generation;
    }
    if (!st->cache.resp[fmt][gz]) {
        struct hw_buf b;
        hw_buf_init(&b);
        if (fmt == PROM_FMT_OPENMETRICS) {
            prom_openmetrics_render(&b, snap, st->view);
        } else if (fmt == PROM_FMT_PROTOBUF) {
            b.oom |= prom_proto_render(&b, snap, st->view) != 0;
        } else {
            prom_text_render(&b, snap, st->view);
        }
        struct hw_buf z;
        hw_buf_init(&z);
        if (b.oom) {
            hw_buf_free(&b);
        } else if (!gz) {
            /* Cached until the next publish: give back the buffer's growth slack first. */
            char *fit = b.data ? realloc(b.data, b.len + 1) : strdup("");
            st->cache.resp[fmt][0] = make_response(fit ? fit : b.data, b.len, fmt, 0);
        } else if (hw_buf_gzip(&z, b.data ? b.data : "", b.len, Z_DEFAULT_COMPRESSION) == 0) {
            /* The output was reserved at about the input's size; the result is a fraction. */
            char *fit = realloc(z.data, z.len + 1);
            st->cache.resp[fmt][1] = make_response(fit ? fit : z.data, z.len, fmt, 1);
            hw_buf_free(&b);
        } else {
            hw_buf_free(&z);
            hw_buf_free(&b);
        }
    }
    hw_snapshot_release(snap);
    return st->cache.resp[fmt][gz];
}

static const char *prom_health_listen(const void *conf, int *tls)
{
    *tls = ((const struct prom_conf *)conf)->tls.cert_file != NULL;
    return ((const struct prom_conf *)conf)->listen;
}

/* `hostwatch once`: what a scrape would get, node_exporter names, whatever the config. */
static int prom_print(const void *conf, const struct hw_snapshot *snap, const char *format,
                      FILE *out)
{
    struct hw_buf b;
    (void)conf;
    hw_buf_init(&b);
    if (strcmp(format, "openmetrics") == 0) {
        prom_openmetrics_render(&b, snap, HW_VIEW_NODE);
    } else {
        prom_text_render(&b, snap, HW_VIEW_NODE);
    }
    int rc = b.oom || (b.len && fwrite(b.data, 1, b.len, out) != b.len) ? -1 : 0;
    hw_buf_free(&b);
    return rc;
}

static const char *const prom_print_formats[] = {"prometheus", "openmetrics", NULL};

int prom_accepts_gzip(const char *accept_encoding)
{
    if (!accept_encoding) {
        return 0;
    }
    for (const char *p = accept_encoding; *p;) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        size_t tok = strcspn(p, ",;");
        int is_gzip = (tok == 4 && strncasecmp(p, "gzip", 4) == 0) ||
                      (tok == 6 && strncasecmp(p, "x-gzip", 6) == 0);
        size_t elem = strcspn(p, ",");
        const char *q = memchr(p, ';', elem);
        int zero = 0;
        if (q) {
            const char *qv = strstr(q, "q=");
            zero = qv && qv < p + elem && strtod(qv + 2, NULL) == 0.0;
        }
        if (is_gzip && !zero) {
            return 1;
        }
        p += elem;
    }
    return 0;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result serve_metrics(struct prom_state *st, struct MHD_Connection *c)
{
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    pthread_mutex_lock(&st->lock);
    struct MHD_Response *r = cache_get(st, prom_negotiate(accept), prom_accepts_gzip(ae));
    /* Queue while holding the lock: the cache's reference keeps r alive until then, and MHD
     * takes its own reference for the send. */
    enum MHD_Result ret = r ? MHD_queue_response(c, MHD_HTTP_OK, r) : MHD_NO;
    pthread_mutex_unlock(&st->lock);
    if (!r) {
        atomic_fetch_add(&st->errors, 1);
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "rendering failed\n");
    }
    atomic_fetch_add(&st->scrapes, 1);
    return ret;
}

/* 200 "ok" when every health rule holds on the current snapshot, else 503 with the failing
 * rule; the body is built per request, so it goes out as a copy. */
static enum MHD_Result serve_healthz(struct prom_state *st, struct MHD_Connection *c)
{
    char why[512];
    const struct hw_snapshot *snap = hw_registry_acquire(st->reg);
    int ok = st->health ? hw_health_eval(st->health, snap, why, sizeof(why)) : 1;
    hw_snapshot_release(snap);
    if (!st->health) {
        snprintf(why, sizeof(why), "ok\n");
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(why), why, MHD_RESPMEM_MUST_COPY);
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, r);
    MHD_destroy_response(r);
    return ret;
}

/* Queues r as a fresh, uncached 200 of type ctype (r may be NULL: out of memory). */
static enum MHD_Result reply_fresh(struct MHD_Connection *c, struct MHD_Response *r,
                                   const char *ctype)
{
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* The status document the core keeps (GET /status), as it is now; 503 before the first one. */
static enum MHD_Result serve_status(struct prom_state *st, struct MHD_Connection *c)
{
    size_t len = 0;
    char *text = hw_status_get(st->status, &len);
    if (!text) {
        return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no status yet\n");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
    }
    return reply_fresh(c, r, "application/json");
}

static const char landing_page[] =
    "<html><head><title>hostwatch</title></head><body><h1>hostwatch</h1>"
    "<p><a href=\"/metrics\">Metrics</a> &middot; <a href=\"/healthz\">Health</a> &middot; "
    "<a href=\"/status\">Status</a></p></body></html>\n";

/* GET /: the status document as a page, or the plain landing page before there is one. */
static enum MHD_Result serve_page(struct prom_state *st, struct MHD_Connection *c)
{
    size_t len = 0;
    char *text = hw_status_get(st->status, &len);
    struct hw_buf b;
    hw_buf_init(&b);
    if (text) {
        (void)prom_page_render(text, len, &b);
        free(text);
    }
    struct MHD_Response *r =
        b.len && !b.oom
            ? MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY)
            : MHD_create_response_from_buffer(sizeof(landing_page) - 1, (void *)landing_page,
                                              MHD_RESPMEM_PERSISTENT);
    hw_buf_free(&b);
    return reply_fresh(c, r, "text/html; charset=utf-8");
}

static enum MHD_Result prom_route(struct prom_state *st, struct MHD_Connection *c,
                                  const char *url);

static enum MHD_Result count_body_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    (void)kind;
    (void)value;
    if (strcasecmp(key, "Content-Length") == 0 || strcasecmp(key, "Transfer-Encoding") == 0) {
        (*(int *)cls)++;
    }
    return MHD_YES;
}

/* How many Content-Length and Transfer-Encoding headers a request has: more than one is a
 * smuggling shape (two parsers may disagree on where the request ends), refused. */
static int body_headers(struct MHD_Connection *c)
{
    int n = 0;
    (void)MHD_get_connection_values(c, MHD_HEADER_KIND, count_body_header, &n);
    return n;
}

static enum MHD_Result prom_handle(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version,
                                   const char *upload_data, size_t *upload_data_size,
                                   void **req_cls)
{
    struct prom_state *st = cls;
    (void)version;
    (void)upload_data;
    int head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (*req_cls == NULL) {
        /* Refusals go out at once (the connection then closes); good requests are answered
         * on the second call, which keeps HTTP/1.1 keep-alive for scrapers. */
        if (!head && strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
            atomic_fetch_add(&st->bad_requests, 1);
            return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        }
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
        if (te || (cl && strcmp(cl, "0") != 0) || body_headers(c) > 1) {
            atomic_fetch_add(&st->bad_requests, 1);
            return reply_text(c, MHD_HTTP_BAD_REQUEST, "a GET request has no body\n");
        }
        static const int seen_marker = 1;
        *req_cls = (void *)&seen_marker;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* not reachable without a body header; drop it */
        return MHD_YES;
    }
    return prom_route(st, c, url);
}

/* 1 when the request may proceed; otherwise a 401 has been queued (*ret says how). Every
 * failure gets the same answer, whatever part of the credentials was wrong. */
static int prom_authorized(struct prom_state *st, struct MHD_Connection *c, const char *url,
                           enum MHD_Result *ret)
{
    if (!st->auth || prom_auth_path_open(st->auth, url)) {
        return 1;
    }
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(c, &pass);
    int ok = prom_auth_verify(st->auth, user, pass);
    if (pass) {
        explicit_bzero(pass, strlen(pass));
        MHD_free(pass);
    }
    MHD_free(user);
    if (ok) {
        return 1;
    }
    atomic_fetch_add(&st->unauthorized, 1);
    static const char body[] = "unauthorized\n";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    *ret = MHD_NO;
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        *ret = MHD_queue_basic_auth_fail_response(c, "hostwatch", r);
        MHD_destroy_response(r);
    }
    return 0;
}

static enum MHD_Result prom_route(struct prom_state *st, struct MHD_Connection *c, const char *url)
{
    enum MHD_Result denied;
    if (!prom_authorized(st, c, url, &denied)) {
        return denied;
    }
    if (strcmp(url, "/metrics") == 0) {
        return serve_metrics(st, c);
    }
    if (strcmp(url, "/-/healthy") == 0) {
        return reply_text(c, MHD_HTTP_OK, "Healthy.\n");
    }
    if (strcmp(url, "/-/ready") == 0) {
        int ready = atomic_load(&st->ready);
        return reply_text(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                          ready ? "Ready.\n" : "Not ready.\n");
    }
    if (strcmp(url, "/healthz") == 0) {
        return serve_healthz(st, c);
    }
    if (strcmp(url, "/status") == 0) {
        return serve_status(st, c);
    }
    if (strcmp(url, "/") == 0) {
        return serve_page(st, c);
    }
    atomic_fetch_add(&st->bad_requests, 1);
    return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void prom_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') {
        msg[--n] = '\0';
    }
    /* While an HTTPS listener starts, MHD explains why GnuTLS refused the certificate or key;
     * its other remarks (a bind failure it words oddly, single clients) stay at debug: our
     * own messages say those better. */
    const struct prom_state *st = cls;
    if (atomic_load(&st->starting) && st->has_tls) {
        hw_error("prometheus", msg, "%s", "");
    } else {
        hw_debug("prometheus", msg, "%s", "");
    }
}

static void prom_destroy(void *state);

/* TLS files and the user table, read once per instance: a reload rebuilds the instance when
 * the files change (prom_inputs_changed). */
static int prom_secure_create(struct prom_state *st)
{
    const struct prom_conf *c = st->conf;
    if (c->tls.cert_file) {
        char why[512];
        if (prom_tls_load(&st->tls, c->tls.cert_file, c->tls.key_file, why, sizeof(why)) != 0) {
            hw_error("prometheus", "cannot load TLS files", "error=\"%s\"", why);
            return -1;
        }
        st->has_tls = 1;
    }
    if (c->basic_auth.users.n > 0 &&
        !(st->auth = prom_auth_new(&c->basic_auth.users, &c->basic_auth.open_paths))) {
        hw_error("prometheus", "out of memory", "%s", "");
        return -1;
    }
    return 0;
}

static int prom_inputs_changed(void *state)
{
    struct prom_state *st = state;
    return st->has_tls && prom_tls_changed(&st->tls, st->conf->tls.cert_file,
                                           st->conf->tls.key_file);
}

static int prom_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    struct prom_state *st = calloc(1, sizeof(*st));
    if (!st) {
        return -1;
    }
    st->conf = conf;
    st->reg = ctx->reg;
    st->health = ctx->health;
    st->status = ctx->status;
    st->view = st->conf->names == 1 ? HW_VIEW_CW : HW_VIEW_NODE;
    const char *why;
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        return -1;
    }
    if (prom_resolve(st->conf->listen, &st->addr, &why) != 0) {
        hw_error("prometheus", "bad listen address", "listen=%s error=\"%s\"", st->conf->listen,
                 why);
        pthread_mutex_destroy(&st->lock);
        free(st);
        return -1;
    }
    if (prom_secure_create(st) != 0) {
        prom_destroy(st);
        return -1;
    }
    *state = st;
    return 0;
}

static int prom_start(void *state)
{
    struct prom_state *st = state;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (st->addr.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    /* The logger goes first so that MHD's remarks on later options reach our log. */
    struct MHD_OptionItem ops[11] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)prom_mhd_log, st},
        {MHD_OPTION_SOCK_ADDR, 0, &st->addr},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)st->conf->connection_limit, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)(st->conf->timeout_ns / 1000000000), NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(st->conf->max_request_size * 2), NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)st->conf->per_ip_connection_limit, NULL},
    };
    size_t n = 6;
    if (st->conf->threads > 1) {
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                           (intptr_t)st->conf->threads, NULL};
    }
    if (st->has_tls) {
        flags |= MHD_USE_TLS;
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, st->tls.cert.data};
        ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, st->tls.key.data};
        ops[n++] = (struct MHD_OptionItem){
            MHD_OPTION_HTTPS_PRIORITIES, 0,
            (void *)tls_priorities[st->conf->tls.min_version]};
    }
    ops[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    atomic_store(&st->starting, 1);
    st->daemon = MHD_start_daemon(flags, 0, NULL, NULL, prom_handle, st, MHD_OPTION_ARRAY, ops,
                                  MHD_OPTION_END);
    atomic_store(&st->starting, 0);
    if (!st->daemon) {
        hw_error("prometheus",
                 st->has_tls ? "cannot listen (address in use, not permitted, or the TLS "
                               "certificate and key rejected)"
                             : "cannot listen (address in use or not permitted)",
                 "listen=%s", st->conf->listen);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(st->daemon, MHD_DAEMON_INFO_BIND_PORT);
    hw_info("prometheus", "listening", "listen=%s port=%u tls=%s basic_auth=%s",
            st->conf->listen, info ? (unsigned)info->port : 0u, st->has_tls ? "on" : "off",
            st->auth ? "on" : "off");
    return 0;
}

static void prom_set_ready(void *state, int ready)
{
    struct prom_state *st = state;
    atomic_store(&st->ready, ready);
}

static void prom_report(void *state, struct hw_registry *reg)
{
    struct prom_state *st = state;
    const struct hw_export_row rows[] = {{HW_EXPORT_REQUESTS, "success", &st->scrapes},
                                         {HW_EXPORT_REQUESTS, "bad_request", &st->bad_requests},
                                         {HW_EXPORT_REQUESTS, "error", &st->errors},
                                         {HW_EXPORT_REQUESTS, "unauthorized", &st->unauthorized}};
    hw_selfmetrics_export(reg, "prometheus", rows, st->auth ? 4 : 3);
}

/* The status document: where it listens and what it served. */
static json_t *prom_status(void *state)
{
    struct prom_state *st = state;
    return json_pack("{s:s, s:b, s:b, s:{s:I, s:I, s:I, s:I}}", "listen", st->conf->listen, "tls",
                     st->has_tls, "basic_auth", st->auth != NULL, "requests", "success",
                     (json_int_t)atomic_load(&st->scrapes), "bad_request",
                     (json_int_t)atomic_load(&st->bad_requests), "error",
                     (json_int_t)atomic_load(&st->errors), "unauthorized",
                     (json_int_t)atomic_load(&st->unauthorized));
}

static void prom_stop(void *state)
{
    struct prom_state *st = state;
    if (st && st->daemon) {
        MHD_stop_daemon(st->daemon);
        st->daemon = NULL;
    }
}

static void prom_destroy(void *state)
{
    struct prom_state *st = state;
    if (!st) {
        return;
    }
    prom_stop(st);
    cache_clear(&st->cache);
    prom_auth_free(st->auth);
    if (st->has_tls) {
        prom_tls_free(&st->tls);
    }
    pthread_mutex_destroy(&st->lock);
    free(st);
}

const struct hw_exporter hw_exporter_prometheus = {
    .name = "prometheus",
    .help = "HTTP endpoint: /metrics (text 0.0.4, gzip), /healthz, /-/healthy, /-/ready",
    .opts = prom_opts,
    .conf_size = sizeof(struct prom_conf),
    .validate = prom_validate,
    .create = prom_create,
    .start = prom_start,
    .set_ready = prom_set_ready,
    .report = prom_report,
    .stop = prom_stop,
    .destroy = prom_destroy,
    .inputs_changed = prom_inputs_changed,
    .print_formats = prom_print_formats,
    .print = prom_print,
    .health_listen = prom_health_listen,
    .hash_password = prom_auth_hash,
    .status = prom_status,
};
