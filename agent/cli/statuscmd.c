/* `hostwatch status`: fetches the running agent's /status over its own listener (HTTP, or
 * HTTPS with the agent's certificate checked only when a CA is given, as `health` does) and
 * prints it, once or every few seconds. */
#include "statuscmd.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "diag.h"
#include "exporters/net/http_client.h"
#include "exporters/net/netlib.h"
#include "healthcmd.h"

struct status_src {
    char url[400];
    char auth[600]; /* "Authorization: Basic ..." or "" */
    struct netlib *lib;
    struct hw_http *http;
};

/* The credentials of the environment as a Basic header; the password is wiped after. */
static void status_auth(struct status_src *s)
{
    const char *user = getenv("HOSTWATCH_STATUS_USER"), *pw = getenv("HOSTWATCH_STATUS_PASSWORD");
    char up[300], enc[420];
    s->auth[0] = '\0';
    if (!user || !*user || !pw) {
        return;
    }
    int n = snprintf(up, sizeof(up), "%s:%s", user, pw);
    if (n > 0 && (size_t)n < sizeof(up)) {
        hw_base64(up, (size_t)n, enc);
        snprintf(s->auth, sizeof(s->auth), "Authorization: Basic %s", enc);
    }
    explicit_bzero(up, sizeof(up));
    explicit_bzero(enc, sizeof(enc));
}

static int status_open(struct status_src *s, const char *config_path, const char *ca_file)
{
    struct hw_diag d;
    hw_diag_init(&d, config_path);
    struct hw_config *cfg = hw_config_load(config_path, &d);
    char err[256];
    int tls = 0, rc = 2;
    if (!cfg) {
        for (size_t i = 0; i < d.n; i++) {
            fprintf(stderr, "%s\n", d.msgs[i]);
        }
    } else if (!hw_agent_listener(cfg, &tls) ||
               hw_listener_url(hw_agent_listener(cfg, &tls), tls, "/status", s->url,
                               sizeof(s->url)) != 0) {
        fprintf(stderr, "hostwatch status: %s has no exporters.prometheus: the status is served "
                        "on its listener\n", config_path);
    } else if (!(s->lib = netlib_open(err, sizeof(err)))) {
        fprintf(stderr, "hostwatch status: cannot load libcurl: %s\n", err);
        rc = 1;
    } else {
        const char *ca = ca_file ? ca_file : getenv("HOSTWATCH_STATUS_CA");
        const struct hw_http_opts o = {.connect_timeout_ms = 2000, .timeout_ms = 3000,
                                       .direct = 1, .tls_verify = ca && *ca, .ca_file = ca};
        s->http = hw_http_new(s->lib, &o);
        rc = s->http ? 0 : 1;
        status_auth(s);
    }
    hw_config_free(cfg);
    hw_diag_free(&d);
    return rc;
}

/* One GET of /status into *body; 0, or 1 with one line on stderr saying what is wrong. */
static int status_fetch(struct status_src *s, const char *config_path, struct hw_buf *body)
{
    struct hw_http_resp r = {0};
    const char *h[1] = {s->auth};
    int rc = 1;
    hw_buf_reset(body);
    if (hw_http_request(s->http, "GET", s->url, h, s->auth[0] ? 1 : 0, NULL, 0, &r) != 0) {
        fprintf(stderr, "hostwatch status: no agent answers at %s (is it running? the listener "
                        "comes from exporters.prometheus.listen in %s): %s\n",
                s->url, config_path, r.tls_error ? "the TLS handshake or certificate check "
                                                   "failed (give the CA with --ca FILE)"
                                                 : r.error);
    } else if (r.status == 401) {
        fprintf(stderr, "hostwatch status: %s asks for credentials: set HOSTWATCH_STATUS_USER "
                        "and HOSTWATCH_STATUS_PASSWORD\n", s->url);
    } else if (r.status != 200) {
        fprintf(stderr, "hostwatch status: %s answered HTTP %ld\n", s->url, r.status);
    } else {
        hw_buf_append(body, r.body.data ? r.body.data : "", r.body.len);
        rc = body->oom ? 1 : 0;
    }
    hw_http_resp_free(&r);
    return rc;
}

static int status_print(const struct hw_buf *body, int json, const char *url, FILE *out)
{
    if (json) {
        json_t *doc = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
        int ok = doc && json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0;
        json_decref(doc);
        fputc('\n', out);
        if (ok) {
            return 0;
        }
    } else if (hw_status_render(body->data ? body->data : "", body->len, out) == 0) {
        return 0;
    }
    fprintf(stderr, "hostwatch status: %s did not answer a status document\n", url);
    return 1;
}

/* Waits s seconds, or until SIGINT or SIGTERM (blocked, so they are taken here): 1 then. */
static int status_wait(const sigset_t *set, int s)
{
    const struct timespec ts = {.tv_sec = s};
    int sig;
    do {
        sig = sigtimedwait(set, NULL, &ts);
    } while (sig < 0 && errno == EINTR);
    return sig > 0;
}

int hw_status_command(const char *config_path, int json, int watch_s, const char *ca_file,
                      FILE *out)
{
    struct status_src s = {.lib = NULL};
    struct hw_buf body;
    sigset_t set;
    int rc = status_open(&s, config_path, ca_file);
    hw_buf_init(&body);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (rc == 0 && watch_s > 0) {
        (void)sigprocmask(SIG_BLOCK, &set, NULL);
    }
    const int opened = rc == 0;
    for (int stop = !opened; !stop;) {
        if (watch_s > 0 && isatty(fileno(out))) {
            fputs("\033[H\033[2J", out); /* clear the screen for the next view */
        }
        rc = status_fetch(&s, config_path, &body);
        rc = rc == 0 ? status_print(&body, json, s.url, out) : rc;
        (void)fflush(out);
        stop = watch_s <= 0 || status_wait(&set, watch_s);
    }
    if (watch_s > 0 && opened) {
        rc = 0; /* a watch ends when asked to; the last failure was shown */
    }
    explicit_bzero(s.auth, sizeof(s.auth));
    hw_buf_free(&body);
    hw_http_free(s.http);
    netlib_close(s.lib);
    return rc;
}
