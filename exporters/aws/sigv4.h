/* AWS Signature Version 4 (AWS4-HMAC-SHA256), header-based: the Authorization header for
 * CloudWatch (service "monitoring"), CloudWatch Logs ("logs"), Amazon Managed Prometheus ("aps")
 * and other non-S3 services. Pure computation: no clock, no I/O, no global state. SHA-256 and
 * HMAC come from the libcrypto that netlib_open() loaded, so nothing here links OpenSSL. */
#ifndef HW_SIGV4_H
#define HW_SIGV4_H

#include <stddef.h>
#include <time.h>

struct netlib; /* exporters/net/netlib.h */

#define SIGV4_DATE_LEN 16    /* "20150830T123600Z" */
#define SIGV4_HEX_LEN 64     /* lower-case hex SHA-256 / HMAC-SHA256 */
#define SIGV4_KEY_LEN 32     /* derived signing key, raw bytes */
#define SIGV4_SECRET_MAX 128 /* longest secret access key accepted */
#define SIGV4_ID_MAX 128     /* longest access key id accepted */
#define SIGV4_NAME_MAX 64    /* longest region or service name accepted */
#define SIGV4_AUTH_MAX 2048  /* Authorization value, terminating NUL included */

enum sigv4_status {
    SIGV4_OK = 0,
    SIGV4_EINVAL = -1,   /* missing or malformed input */
    SIGV4_ENOMEM = -2,   /* allocation failed */
    SIGV4_ETOOLONG = -3, /* an input or the Authorization value exceeds its limit */
    SIGV4_ECRYPTO = -4,  /* OpenSSL failed */
};

struct sigv4_header {
    const char *name;  /* an HTTP token; case is irrelevant */
    const char *value; /* as sent; whitespace runs (SP, HT, CR, LF) count as one space */
};

/* One request to sign. Every header that goes on the wire and should be signed is listed in
 * headers, "host" included (exactly once). The signer adds "x-amz-date" (from amz_date) and,
 * when session_token is set, "x-amz-security-token" to the signed set unless headers already
 * holds them with the same value; the caller must send both on the wire as well. */
struct sigv4_input {
    const char *method; /* "POST" */
    const char *path;   /* request path exactly as on the wire, "/..." (NULL or "" means "/") */
    const char *query;  /* query exactly as on the wire, without '?'; NULL or "" for none */
    const struct sigv4_header *headers;
    size_t nheaders;
    const void *payload; /* body bytes as sent (after gzip/snappy); may be NULL if 0 */
    size_t payload_len;
    const char *payload_sha256_hex; /* precomputed lower-case hex body hash, or NULL */
    const char *region;             /* "eu-west-1" */
    const char *service;            /* "monitoring", "logs", "aps", "sts" */
    const char *amz_date;           /* "YYYYMMDDTHHMMSSZ" (UTC), see sigv4_amz_date() */
    const char *access_key;
    const char *secret_key;
    const char *session_token;   /* NULL for long-term credentials */
    int normalize_path;          /* 1 for every service but S3: drop "." ".." and empty segments */
    const struct netlib *crypto; /* loaded libcrypto (required) */
};

struct sigv4_output {
    char authorization[SIGV4_AUTH_MAX]; /* value of the Authorization header */
    char signature[SIGV4_HEX_LEN + 1];
    char payload_hash[SIGV4_HEX_LEN + 1];
};

/* Signs in; fills out (zeroed on failure). Returns SIGV4_OK or a negative sigv4_status.
 *
 * Canonical form: the path is normalised (if asked) and every byte other than A-Z a-z 0-9 - . _ ~
 * and '/' is percent-encoded once more, so "%20" on the wire becomes "%2520" as non-S3 services
 * expect. Query names and values are percent-decoded (valid %XX only) and re-encoded with the
 * same unreserved set; '+' is a literal plus ("%2B"), so send spaces as "%20". Empty '&' pieces
 * are ignored. Path normalisation drops empty, "." and ".." segments and keeps a trailing '/'
 * only when the path ends in '/' ("/a/b/.." gives "/a", as botocore does).
 *
 * Refused (SIGV4_EINVAL): a missing or repeated host header, header names that are not HTTP
 * tokens, control characters in header values, a path not starting with '/', a malformed
 * amz_date. Limits (SIGV4_ETOOLONG): 256 headers, SIGV4_SECRET_MAX, SIGV4_ID_MAX,
 * SIGV4_NAME_MAX, and an Authorization value longer than SIGV4_AUTH_MAX - 1. The signer copies
 * the secret and derived keys only into stack buffers, wiped (OPENSSL_cleanse) before return.
 * A NULL in->crypto is SIGV4_EINVAL. */
int sigv4_sign(const struct sigv4_input *in, struct sigv4_output *out);

/* The canonical request of in, malloc'd into *out (for tests and debugging). */
int sigv4_canonical_request(const struct sigv4_input *in, char **out);

/* The string to sign for in and its canonical request creq, malloc'd into *out. */
int sigv4_string_to_sign(const struct sigv4_input *in, const char *creq, char **out);

/* kSigning for (secret, date "YYYYMMDD", region, service); cacheable for that day. The caller
 * should wipe key (crypto->cleanse) after use. */
int sigv4_signing_key(const struct netlib *crypto, const char *secret_key, const char *date8,
                      const char *region, const char *service, unsigned char key[SIGV4_KEY_LEN]);

/* Formats t (UTC) as an X-Amz-Date value. Fails for years outside 1000..9999. */
int sigv4_amz_date(time_t t, char out[SIGV4_DATE_LEN + 1]);

/* Lower-case hex SHA-256 of len bytes at data (data may be NULL when len is 0). */
int sigv4_sha256_hex(const struct netlib *crypto, const void *data, size_t len,
                     char out[SIGV4_HEX_LEN + 1]);

/* Short English description of a sigv4_status. */
const char *sigv4_strerror(int rc);

#endif
