#include "http_client.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct hw_http {
    const struct netlib *lib;
    CURL *curl;
    struct hw_http_opts o;
    char curl_detail[CURL_ERROR_SIZE]; /* libcurl's own words on the last failure */
};

struct hw_http *hw_http_new(const struct netlib *lib, const struct hw_http_opts *o)
{
    struct hw_http *h = calloc(1, sizeof(*h));
    if (!h) {
        return NULL;
    }
    h->lib = lib;
    h->o = *o;
    h->curl = lib->curl_easy_init();
    if (!h->curl) {
        free(h);
        return NULL;
    }
    return h;
}

void hw_http_free(struct hw_http *h)
{
    if (!h) {
        return;
    }
    h->lib->curl_easy_cleanup(h->curl);
    free(h);
}

void hw_http_resp_free(struct hw_http_resp *r)
{
    hw_buf_free(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct hw_buf *b = arg;
    size_t len = size * n;
    if (b->len + len > HW_HTTP_MAX_BODY) {
        return 0; /* aborts the transfer: an answer this big is garbage */
    }
    hw_buf_append(b, p, len);
    return b->oom ? 0 : len;
}

long long hw_http_date_parse(const char *value)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon[4] = "";
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(value, "%*3s, %d %3s %d %d:%d:%d GMT", &tm.tm_mday, mon, &tm.tm_year,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
        return 0;
    }
    const char *m = strlen(mon) == 3 ? strstr(months, mon) : NULL;
    if (!m || (m - months) % 3 != 0 || tm.tm_year < 1970 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
        return 0;
    }
    tm.tm_mon = (int)((m - months) / 3);
    tm.tm_year -= 1900;
    return (long long)timegm(&tm);
}

int aws_clock_skew_text(long long server_date, long long now, char *out, size_t len)
{
    out[0] = '\0';
    long long d = server_date - now;
    long long a = d < 0 ? -d : d;
    if (server_date <= 0 || a < 60) {
        return 0;
    }
    char span[64];
    if (a >= 86400) {
        snprintf(span, sizeof(span), "%lldd%02lldh%02lldm", a / 86400, a % 86400 / 3600,
                 a % 3600 / 60);
    } else if (a >= 3600) {
        snprintf(span, sizeof(span), "%lldh%02lldm%02llds", a / 3600, a % 3600 / 60, a % 60);
    } else {
        snprintf(span, sizeof(span), "%lldm%02llds", a / 60, a % 60);
    }
    snprintf(out, len, "local clock is %s %s the server", span, d > 0 ? "behind" : "ahead of");
    return 1;
}

/* Keeps the Date header of the answer: the server's clock, to tell a skewed local clock. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct hw_http_resp *resp = arg;
    size_t len = size * n;
    if (len > 5 && len < 128 && strncasecmp(p, "Date:", 5) == 0) {
        char v[128];
        snprintf(v, sizeof(v), "%.*s", (int)(len - 5), p + 5);
        resp->server_date = hw_http_date_parse(v + strspn(v, " \t"));
    } else if (len > 19 && len < 128 && strncasecmp(p, "x-amzn-query-error:", 19) == 0) {
        char v[128]; /* curl's header text is not NUL-terminated */
        snprintf(v, sizeof(v), "%.*s", (int)(len - 19), p + 19);
        const char *s = v + strspn(v, " \t");
        snprintf(resp->query_error, sizeof(resp->query_error), "%.*s",
                 (int)strcspn(s, "\r\n"), s);
    }
    return len;
}

/* The CURLcodes of a failed TLS handshake or certificate check: worth their own message. */
static int is_tls_error(CURLcode rc)
{
    return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
           rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
           rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_CRL_BADFILE;
}

static void set_common(struct hw_http *h, const char *method, const char *url,
                       struct curl_slist *hdrs, const void *body, size_t len,
                       struct hw_http_resp *resp)
{
    const struct netlib *L = h->lib;
    CURL *c = h->curl;
    L->curl_easy_reset(c); /* keeps the connection cache and TLS sessions */
    L->curl_easy_setopt(c, CURLOPT_URL, url);
    L->curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    L->curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    L->curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
    L->curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
    L->curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->o.tls_verify ? 1L : 0L);
    L->curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->o.tls_verify ? 2L : 0L);
    if (h->o.ca_file) {
        L->curl_easy_setopt(c, CURLOPT_CAINFO, h->o.ca_file);
    }
    if (h->o.direct) {
        L->curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    }
    L->curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    L->curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    L->curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
    L->curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    L->curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
    h->curl_detail[0] = '\0';
    L->curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_detail);
    /* No CURLOPT_PROXY: libcurl then takes http_proxy, HTTPS_PROXY and NO_PROXY from the
     * environment, as the AWS SDKs do. */
    if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        L->curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        L->curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
        L->curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
}

int hw_http_request(struct hw_http *h, const char *method, const char *url,
                     const char *const *headers, size_t nheaders, const void *body, size_t len,
                     struct hw_http_resp *resp)
{
    const struct netlib *L = h->lib;
    struct curl_slist *hdrs = NULL;
    hw_buf_reset(&resp->body);
    resp->status = 0;
    resp->transport_error = 0;
    resp->tls_error = 0;
    resp->server_date = 0;
    resp->query_error[0] = '\0';
    resp->error[0] = '\0';
    resp->retry_after_s = 0;
    for (size_t i = 0; i < nheaders; i++) {
        struct curl_slist *n = L->curl_slist_append(hdrs, headers[i]);
        if (!n) {
            L->curl_slist_free_all(hdrs);
            snprintf(resp->error, sizeof(resp->error), "out of memory");
            return -1;
        }
        hdrs = n;
    }
    /* libcurl would add "Expect: 100-continue" to large POSTs: one round trip wasted. */
    struct curl_slist *n = L->curl_slist_append(hdrs, "Expect:");
    hdrs = n ? n : hdrs;
    set_common(h, method, url, hdrs, body, len, resp);
    CURLcode rc = L->curl_easy_perform(h->curl);
    L->curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        resp->transport_error = 1;
        resp->tls_error = is_tls_error(rc);
        if (rc == CURLE_WRITE_ERROR) {
            snprintf(resp->error, sizeof(resp->error), "answer larger than 1 MiB");
        } else {
            snprintf(resp->error, sizeof(resp->error), "%s%s%.200s%s", L->curl_easy_strerror(rc),
                     h->curl_detail[0] ? " (" : "", h->curl_detail, h->curl_detail[0] ? ")" : "");
        }
        return -1;
    }
    L->curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
#if LIBCURL_VERSION_NUM >= 0x074200 /* 7.66: an older runtime library answers an error, not 0 */
    curl_off_t after = 0;
    if (L->curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0) {
        resp->retry_after_s = after > 86400 ? 86400 : (long)after;
    }
#endif
    return 0;
}

void hw_http_error_code(const struct hw_http_resp *r, char *code, size_t len, char *msg,
                         size_t mlen)
{
    code[0] = msg[0] = '\0';
    const char *b = r->body.data;
    const char *c = b ? strstr(b, "<Code>") : NULL;
    const char *m = b ? strstr(b, "<Message>") : NULL;
    if (c) {
        snprintf(code, len, "%.*s", (int)strcspn(c + 6, "<"), c + 6);
    }
    if (m) {
        snprintf(msg, mlen, "%.*s", (int)strcspn(m + 9, "<"), m + 9);
    }
}

void hw_url_split(const char *url, char *host, size_t hlen, char *path, size_t plen)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/?#");
    snprintf(host, hlen, "%.*s", (int)n, p);
    snprintf(path, plen, "%.*s", (int)strcspn(p + n, "?#"), p + n);
    if (!path[0]) {
        snprintf(path, plen, "/");
    }
}

const char *aws_endpoint_override(const char *configured, const char *service_env)
{
    const char *ep = configured;
    if (!ep || !*ep) {
        ep = getenv(service_env);
    }
    if (!ep || !*ep) {
        ep = getenv("AWS_ENDPOINT_URL");
    }
    return ep && *ep ? ep : NULL;
}

/* Host part of an http URL: "[::1]" or "host" before ':' or '/'. */
static void url_host(const char *rest, char *host, size_t len)
{
    size_t n;
    if (*rest == '[') {
        rest++;
        n = strcspn(rest, "]");
    } else {
        n = strcspn(rest, ":/?#");
    }
    snprintf(host, len, "%.*s", (int)n, rest);
}

int aws_url_allowed(const char *url, const char **why)
{
    if (strncasecmp(url, "https://", 8) == 0) {
        return 1;
    }
    if (strncasecmp(url, "http://", 7) != 0) {
        *why = "not an http(s) URL";
        return 0;
    }
    char host[256];
    url_host(url + 7, host, sizeof(host));
    struct in_addr a4;
    struct in6_addr a6;
    if (strcasecmp(host, "localhost") == 0) {
        return 1;
    }
    if (inet_pton(AF_INET, host, &a4) == 1) {
        uint32_t ip = ntohl(a4.s_addr);
        if ((ip >> 24) == 127 || (ip >> 16) == 0xa9fe) { /* 127/8, 169.254/16 */
            return 1;
        }
    } else if (inet_pton(AF_INET6, host, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_LINKLOCAL(&a6) ||
            (a6.s6_addr[0] == 0xfd && a6.s6_addr[1] == 0x00 && a6.s6_addr[2] == 0x0e &&
             a6.s6_addr[3] == 0xc2)) { /* fd00:ec2::254, IMDS over IPv6 */
            return 1;
        }
    }
    *why = "plain http:// is allowed only to loopback and link-local addresses; use https://";
    return 0;
}
