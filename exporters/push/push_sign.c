#include "push_sign.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum push_outcome push_sigv4_sign(const struct push_sigv4_req *r, struct push_sigv4 *a,
                                  const char **cause, char *err, size_t errlen)
{
    struct aws_creds c;
    char date[SIGV4_DATE_LEN + 1];
    memset(a, 0, sizeof(*a));
    *cause = "NoCredentials";
    if (aws_creds_get(r->creds, &c, err, errlen) != 0) {
        return PUSH_HOLD;
    }
    snprintf(a->identity, sizeof(a->identity), "%s", c.identity);
    a->source = c.source;
    int rc = sigv4_amz_date(time(NULL), date) == 0 ? SIGV4_OK : SIGV4_EINVAL;
    const struct sigv4_input in = {.method = r->method ? r->method : "POST", .path = r->path,
                                   .query = r->query, .headers = r->headers,
                                   .nheaders = r->nheaders, .payload = r->body,
                                   .payload_len = r->len, .region = r->region,
                                   .service = r->service, .amz_date = date,
                                   .access_key = c.access_key, .secret_key = c.secret_key,
                                   .session_token = c.token[0] ? c.token : NULL,
                                   .normalize_path = 1, .crypto = r->lib};
    struct sigv4_output out;
    rc = rc == SIGV4_OK ? sigv4_sign(&in, &out) : rc;
    if (rc == SIGV4_OK) {
        snprintf(a->auth, sizeof(a->auth), "Authorization: %s", out.authorization);
        snprintf(a->date, sizeof(a->date), "X-Amz-Date: %s", date);
        a->h[a->n++] = a->auth;
        a->h[a->n++] = a->date;
        if (in.session_token) {
            snprintf(a->token, sizeof(a->token), "X-Amz-Security-Token: %s", c.token);
            a->h[a->n++] = a->token;
        }
        r->lib->cleanse(&out, sizeof(out));
    }
    r->lib->cleanse(&c, sizeof(c)); /* after the token was copied into its header */
    if (rc != SIGV4_OK) {
        *cause = "SigningFailed";
        snprintf(err, errlen, "%s", sigv4_strerror(rc));
        return PUSH_HOLD;
    }
    return PUSH_SENT;
}

void push_sigv4_wipe(const struct push_sigv4_req *r, struct push_sigv4 *a)
{
    r->lib->cleanse(a->auth, sizeof(a->auth));
    r->lib->cleanse(a->token, sizeof(a->token));
}
