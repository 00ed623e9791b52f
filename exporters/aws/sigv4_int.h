/* Internals shared by the SigV4 halves: canonicalisation (sigv4_canon.c) and signing
 * (sigv4.c). */
#ifndef HW_SIGV4_INT_H
#define HW_SIGV4_INT_H

#include <stddef.h>

#include "sigv4.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"

/* Growable string. The first failed append records the error in err and every later append is
 * a no-op, so builders check once at the end instead of after every piece. */
struct sigv4_buf {
    char *data;
    size_t len;
    size_t cap;
    int err;
};

/* What a string input may contain: methods and header names are RFC 9110 tokens; region,
 * service and key id go into the credential scope, so never '/', ',' or spaces; header values
 * take anything but control characters (whitespace is folded); the session token is sent
 * verbatim, so printable ASCII without spaces only. */
enum sigv4_class { SIGV4_TOKEN, SIGV4_NAME, SIGV4_VALUE, SIGV4_OPAQUE };

/* Appends n bytes of s (or the string s) to b; the first failure sticks in b->err. */
void sigv4_buf_add(struct sigv4_buf *b, const char *s, size_t n);
void sigv4_buf_str(struct sigv4_buf *b, const char *s);
/* Lower-case hex of n bytes, NUL-terminated (out holds 2n + 1). */
void sigv4_hex(const unsigned char *in, size_t n, char *out);
/* Non-NULL, non-empty (header values excepted), at most max bytes, all of class k. */
int sigv4_check(const char *s, enum sigv4_class k, size_t max);
/* Everything the canonical request and the string to sign depend on. */
int sigv4_check_request(const struct sigv4_input *in);
/* Builds the canonical request of validated input for a given payload hash; the signed header
 * list goes to signed_names for the Authorization header. */
int sigv4_build(const struct sigv4_input *in, const char *payload_hex, struct sigv4_buf *creq,
                struct sigv4_buf *signed_names);

#endif
