/* The SigV4 headers of one push request (CloudWatch, remote write to Amazon Managed
 * Prometheus), built fresh for each POST since the signature covers the body and the time. */
#ifndef HW_PUSH_SIGN_H
#define HW_PUSH_SIGN_H

#include <stddef.h>

#include "exporters/aws/aws_credentials.h"
#include "exporters/net/netlib.h"
#include "push.h"
#include "exporters/aws/sigv4.h"

struct push_sigv4_req {
    struct aws_cred_chain *creds;
    struct netlib *lib;
    const char *region, *service, *path;
    const char *method, *query; /* NULL: "POST", no query string */
    const struct sigv4_header *headers; /* the signed ones, host among them */
    size_t nheaders;
    const void *body;
    size_t len;
};

struct push_sigv4 {
    char auth[SIGV4_AUTH_MAX + 32];
    char date[64];
    char token[4200];
    const char *h[3]; /* "Authorization: ...", "X-Amz-Date: ...", the session token's */
    size_t n;
    /* who signed, for the message when the service refuses them (no secret) */
    char identity[400];
    const char *source;
};

/* PUSH_SENT with a->h set; PUSH_HOLD when no credentials can be had or signing failed, the batch
 * then waits in the spool, *cause ("NoCredentials", "SigningFailed") and err say why. The
 * credentials are wiped as soon as the headers hold what they need; wipe *a (push_sigv4_wipe)
 * once the request is sent. */
enum push_outcome push_sigv4_sign(const struct push_sigv4_req *r, struct push_sigv4 *a,
                                  const char **cause, char *err, size_t errlen);
void push_sigv4_wipe(const struct push_sigv4_req *r, struct push_sigv4 *a);

#endif
