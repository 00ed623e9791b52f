#include "healthcmd.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent.h"
#include "diag.h"
#include "exporters/net/http_client.h"
#include "exporters/net/netlib.h"
#include "plugin.h"
#include "health.h"

/* host:port of the agent's listener, with a wildcard address turned into loopback. */
static int split_listen(const char *listen, char *host, size_t hlen, char *port, size_t plen)
{
    const char *colon = strrchr(listen, ':');
    if (!colon) {
        return -1;
    }
    size_t n = (size_t)(colon - listen);
    const char *h = listen;
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    snprintf(host, hlen, "%.*s", (int)n, h);
    snprintf(port, plen, "%s", colon + 1);
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0') {
        snprintf(host, hlen, "127.0.0.1");
    } else if (strcmp(host, "::") == 0) {
        snprintf(host, hlen, "::1");
    }
    return 0;
}

/* GET /healthz with a 3 s budget; returns the HTTP status (0 when unreachable). */
static int http_healthz(const char *listen, char *body, size_t blen)
{
    char host[256], port[16];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0 ||
        getaddrinfo(host, port, &hints, &res) != 0) {
        snprintf(body, blen, "cannot resolve %s\n", listen);
        return 0;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = 3};
    int status = 0;
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
        connect(fd, res->ai_addr, res->ai_addrlen) == 0) {
        static const char req[] = "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n";
        char buf[2048];
        size_t got = 0;
        ssize_t n;
        if (write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1)) {
            while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
                got += (size_t)n;
            }
        }
        buf[got] = '\0';
        const char *sep = strstr(buf, "\r\n\r\n");
        if (sscanf(buf, "HTTP/%*s %d", &status) != 1) {
            status = 0;
        }
        snprintf(body, blen, "%s", sep ? sep + 4 : "no answer\n");
    } else {
        snprintf(body, blen, "agent not reachable at %s\n", listen);
    }
    if (fd >= 0) {
        close(fd);
    }
    freeaddrinfo(res);
    return status;
}

/* GET https://HOST:PORT/healthz through libcurl (loaded only here). The certificate is not
 * verified: this is the agent's own listener on this host, often under a name that is not
 * the address asked, and the answer only decides an exit status. */
static int https_healthz(const char *listen, char *body, size_t blen)
{
    char url[320], err[256];
    if (hw_listener_url(listen, 1, "/healthz", url, sizeof(url)) != 0) {
        snprintf(body, blen, "cannot resolve %s\n", listen);
        return 0;
    }
    struct netlib *lib = netlib_open(err, sizeof(err));
    if (!lib) {
        snprintf(body, blen, "cannot reach the HTTPS listener: %s\n", err);
        return 0;
    }
    const struct hw_http_opts o = {.connect_timeout_ms = 3000, .timeout_ms = 3000, .direct = 1};
    struct hw_http *h = hw_http_new(lib, &o);
    struct hw_http_resp r = {0};
    int status = 0;
    if (h && hw_http_request(h, "GET", url, NULL, 0, NULL, 0, &r) == 0) {
        status = (int)r.status;
        snprintf(body, blen, "%.*s", (int)r.body.len, r.body.data ? r.body.data : "");
    } else {
        snprintf(body, blen, "agent not reachable at %s: %s\n", url, r.error);
    }
    hw_http_resp_free(&r);
    hw_http_free(h);
    netlib_close(lib);
    return status;
}

/* No listener: one collection in this process, then the rules. */
static int eval_once(const char *config_path, char *why, size_t len)
{
    struct hw_agent *a = hw_agent_new(config_path, HW_MODE_ONCE);
    if (!a) {
        return -1;
    }
    for (size_t i = 0; i < a->cfg->ncollectors; i++) {
        if (a->insts[i].state) {
            hw_agent_collect(a, i);
        }
    }
    const struct hw_snapshot *snap = hw_registry_acquire(a->reg);
    int ok = hw_health_eval(a->health, snap, why, len);
    hw_snapshot_release(snap);
    hw_agent_free(a);
    return ok;
}

const char *hw_agent_listener(const struct hw_config *cfg, int *tls)
{
    const char *listen = NULL;
    *tls = 0;
    for (size_t i = cfg->ncollectors; i < cfg->ncollectors + cfg->nexporters; i++) {
        const struct hw_inst_conf *ic = &cfg->insts[i];
        if (ic->exp->health_listen && ic->common.enabled) {
            listen = ic->exp->health_listen(ic->conf, tls);
        }
    }
    return listen;
}

int hw_listener_url(const char *listen, int tls, const char *path, char *url, size_t len)
{
    char host[256], port[16];
    if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0) {
        return -1;
    }
    snprintf(url, len, strchr(host, ':') ? "%s://[%s]:%s%s" : "%s://%s:%s%s",
             tls ? "https" : "http", host, port, path);
    return 0;
}

int hw_health_command(const char *config_path, FILE *out)
{
    struct hw_diag d;
    hw_diag_init(&d, config_path);
    struct hw_config *cfg = hw_config_load(config_path, &d);
    if (!cfg) {
        hw_agent_print_diag(&d);
        hw_diag_free(&d);
        return 2;
    }
    hw_diag_free(&d);
    int tls = 0;
    const char *listen = hw_agent_listener(cfg, &tls);
    char body[2048];
    int rc;
    if (listen) {
        int status = tls ? https_healthz(listen, body, sizeof(body))
                         : http_healthz(listen, body, sizeof(body));
        rc = status == 200 ? 0 : 1;
        if (status == 401) {
            snprintf(body, sizeof(body), "the agent's /healthz asks for credentials: add "
                                         "\"/healthz\" to exporters.prometheus.basic_auth."
                                         "open_paths\n");
            rc = 2;
        }
    } else {
        int ok = eval_once(config_path, body, sizeof(body));
        rc = ok == 1 ? 0 : (ok < 0 ? 2 : 1);
    }
    fputs(body, out);
    hw_config_free(cfg);
    return rc;
}
