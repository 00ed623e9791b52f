#include "aws_internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "loop.h"


struct aws_cred_chain {
    struct hw_http *http;
    char region[64];
    struct aws_creds cached;
    int have;
    int64_t fetched_ms;
};

static int from_env(struct aws_creds *c, char *why, size_t len)
{
    const char *k = getenv("AWS_ACCESS_KEY_ID"), *s = getenv("AWS_SECRET_ACCESS_KEY");
    const char *t = getenv("AWS_SESSION_TOKEN");
    memset(c, 0, sizeof(*c));
    if (!k || !*k || !s || !*s) {
        snprintf(why, len, "environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set");
        return -1;
    }
    if (aws_copy_field(c->access_key, sizeof(c->access_key), k) != 0 ||
        aws_copy_field(c->secret_key, sizeof(c->secret_key), s) != 0 ||
        (t && aws_copy_field(c->token, sizeof(c->token), t) != 0)) {
        snprintf(why, len, "environment: values too long");
        return -1;
    }
    c->source = "environment";
    aws_creds_set_identity(c, "AWS_ACCESS_KEY_ID");
    return 0;
}

static int from_profile(struct aws_creds *c, char *why, size_t len)
{
    char path[1024];
    const char *profile = aws_profile_name();
    struct hw_buf b;
    memset(c, 0, sizeof(*c));
    if (aws_profile_file(0, path, sizeof(path)) != 0) {
        snprintf(why, len, "profile: no HOME");
        return -1;
    }
    hw_buf_init(&b);
    int ok = hw_buf_read_file(&b, path, 1 << 20) == 0 && b.data &&
             aws_profile_value(b.data, profile, 0, "aws_access_key_id", c->access_key,
                               sizeof(c->access_key)) &&
             aws_profile_value(b.data, profile, 0, "aws_secret_access_key", c->secret_key,
                               sizeof(c->secret_key));
    if (ok) {
        (void)aws_profile_value(b.data, profile, 0, "aws_session_token", c->token,
                                sizeof(c->token));
        c->source = "profile";
        snprintf(why, len, "profile %.64s in %.180s", profile, path);
        aws_creds_set_identity(c, why);
    } else {
        snprintf(why, len, "profile: no keys for [%.64s] in %.180s", profile, path);
    }
    hw_buf_free(&b);
    return ok ? 0 : -1;
}


struct aws_cred_chain *aws_creds_new(struct hw_http *http, const char *region)
{
    struct aws_cred_chain *c = calloc(1, sizeof(*c));
    if (c) {
        c->http = http;
        snprintf(c->region, sizeof(c->region), "%s", region ? region : "");
    }
    return c;
}

void aws_creds_free(struct aws_cred_chain *c)
{
    if (c) {
        /* Keys leave no trace in freed memory. */
        volatile char *p = (volatile char *)&c->cached;
        for (size_t i = 0; i < sizeof(c->cached); i++) {
            p[i] = 0;
        }
        free(c);
    }
}

void aws_creds_invalidate(struct aws_cred_chain *c)
{
    c->have = 0;
}

/* Still good for a while: 5 minutes ahead, or half the lifetime of short-lived ones. */
static int cache_fresh(const struct aws_cred_chain *c)
{
    if (!c->have) {
        return 0;
    }
    if (c->cached.expires_ms == 0) {
        return 1;
    }
    int64_t margin = (c->cached.expires_ms - c->fetched_ms) / 2;
    margin = margin > 300000 ? 300000 : margin;
    return hw_now_wall_ms() < c->cached.expires_ms - margin;
}

int aws_creds_get(struct aws_cred_chain *c, struct aws_creds *out, char *err, size_t errlen)
{
    if (!cache_fresh(c)) {
        char why[6][600];
        struct aws_creds got;
        int ok = from_env(&got, why[0], sizeof(why[0])) == 0 ||
                 from_profile(&got, why[1], sizeof(why[1])) == 0 ||
                 aws_creds_from_process(&got, why[2], sizeof(why[2])) == 0 ||
                 aws_creds_from_web_identity(c->http, c->region, &got, why[3],
                                             sizeof(why[3])) == 0 ||
                 aws_creds_from_ecs(c->http, &got, why[4], sizeof(why[4])) == 0 ||
                 aws_creds_from_imds(c->http, &got, why[5], sizeof(why[5])) == 0;
        if (!ok) {
            snprintf(err, errlen, "no credentials: %s; %s; %s; %s; %s; %s", why[0], why[1],
                     why[2], why[3], why[4], why[5]);
            return -1;
        }
        c->cached = got;
        c->have = 1;
        c->fetched_ms = hw_now_wall_ms();
    }
    *out = c->cached;
    return 0;
}
