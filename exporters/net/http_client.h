/* A small HTTP client for AWS endpoints on libcurl (loaded lazily through netlib): one easy
 * handle per client, so connections and TLS sessions are reused across requests. Used from
 * one thread at a time. */
#ifndef HW_HTTP_CLIENT_H
#define HW_HTTP_CLIENT_H

#include <stddef.h>

#include "netlib.h"
#include "buf.h"

#define HW_HTTP_MAX_BODY (1u << 20) /* larger answers are an error, not a memory hazard */

struct hw_http_opts {
    long connect_timeout_ms;
    long timeout_ms;
    int tls_verify;      /* 1 unless a config key turned it off for a custom endpoint */
    const char *ca_file; /* NULL: the system store */
    int direct;          /* 1: never through a proxy (the agent's own loopback listener) */
};

struct hw_http_resp {
    long status;      /* 0 when no HTTP answer came (see error) */
    struct hw_buf body;
    int transport_error; /* a connection error or timeout: retryable */
    int tls_error;       /* the TLS handshake or the certificate check failed */
    long long server_date; /* the answer's Date header (Unix seconds); 0 without one */
    long retry_after_s;  /* the answer's Retry-After in seconds (delta or date), 0 without */
    char query_error[96]; /* x-amzn-query-error ("Code;Sender", JSON 1.0 answers), "" without */
    char error[256];     /* what went wrong, for the log */
};

struct hw_http;

struct hw_http *hw_http_new(const struct netlib *lib, const struct hw_http_opts *o);
void hw_http_free(struct hw_http *h);
/* method "GET" "PUT" "POST"; headers "Name: value". resp->body is reset first. 0 when an HTTP
 * answer arrived (any status), -1 otherwise. */
int hw_http_request(struct hw_http *h, const char *method, const char *url,
                     const char *const *headers, size_t nheaders, const void *body, size_t len,
                     struct hw_http_resp *resp);
void hw_http_resp_free(struct hw_http_resp *r);

/* The <Code> and <Message> of a Query-protocol (XML) error answer; "" when there are none. */
void hw_http_error_code(const struct hw_http_resp *r, char *code, size_t len, char *msg,
                         size_t mlen);
/* An HTTP Date header value (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT") as Unix seconds;
 * 0 when it is not one. */
long long hw_http_date_parse(const char *value);
/* When the server's clock (server_date) and the local one (now) differ by a minute or more:
 * "local clock is 7m12s behind the server" in out, and 1; otherwise 0 and out empty. */
int aws_clock_skew_text(long long server_date, long long now, char *out, size_t len);

/* "https://host:port/path?q" -> host "host:port" and path "/path" ("/" when none): what SigV4
 * signs. */
void hw_url_split(const char *url, char *host, size_t hlen, char *path, size_t plen);
/* An AWS service's endpoint as the SDKs pick it: configured, else the service's environment
 * variable (AWS_ENDPOINT_URL_<SERVICE>), else AWS_ENDPOINT_URL; NULL when none is set. */
const char *aws_endpoint_override(const char *configured, const char *service_env);

/* Plain http:// only to loopback or link-local hosts (IMDS, ECS agent, tests); https anywhere.
 * 1 allowed, 0 not (why says why). */
int aws_url_allowed(const char *url, const char **why);

#endif
