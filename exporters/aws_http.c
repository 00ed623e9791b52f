#include "aws_http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct aws_http {
    const struct awslib *lib;
    CURL *curl;
    struct aws_http_opts o;
};

struct aws_http *aws_http_new(const struct awslib *lib, const struct aws_http_opts *o)
{
    struct aws_http *h = calloc(1, sizeof(*h));
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

void aws_http_free(struct aws_http *h)
{
    if (!h) {
        return;
    }
    h->lib->curl_easy_cleanup(h->curl);
    free(h);
}

void aws_http_resp_free(struct aws_http_resp *r)
{
    hw_buf_free(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct hw_buf *b = arg;
    size_t len = size * n;
    if (b->len + len > AWS_HTTP_MAX_BODY) {
        return 0; /* aborts the transfer: an answer this big is garbage */
    }
    hw_buf_append(b, p, len);
    return b->oom ? 0 : len;
}

static void set_common(struct aws_http *h, const char *method, const char *url,
                       struct curl_slist *hdrs, const void *body, size_t len,
                       struct aws_http_resp *resp)
{
    const struct awslib *L = h->lib;
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
    L->curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    L->curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    L->curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
    if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        L->curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        L->curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
        L->curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
}

int aws_http_request(struct aws_http *h, const char *method, const char *url,
                     const char *const *headers, size_t nheaders, const void *body, size_t len,
                     struct aws_http_resp *resp)
{
    const struct awslib *L = h->lib;
    struct curl_slist *hdrs = NULL;
    hw_buf_reset(&resp->body);
    resp->status = 0;
    resp->transport_error = 0;
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
        snprintf(resp->error, sizeof(resp->error), "%s",
                 rc == CURLE_WRITE_ERROR ? "answer larger than 1 MiB" : L->curl_easy_strerror(rc));
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
