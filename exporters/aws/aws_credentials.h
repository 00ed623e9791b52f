/* AWS credentials, region and instance/task identity, found the way the AWS SDKs find them:
 * environment → shared credentials/config files (profile) → web identity (STS) → ECS container
 * credentials → EC2 IMDSv2. Every endpoint can be overridden by the SDKs' environment variables,
 * so tests point them at 127.0.0.1. Secrets are never logged. One thread uses a chain. */
#ifndef HW_AWS_CREDENTIALS_H
#define HW_AWS_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>

#include "exporters/net/http_client.h"

struct aws_creds {
    char access_key[128];
    char secret_key[128];
    char token[4096];   /* "" without a session token */
    int64_t expires_ms; /* wall clock; 0 = does not expire */
    const char *source; /* "environment", "profile", "process", "web-identity", "ecs", "imds" */
    char identity[400]; /* who these are, for the log: role or profile, and the key id's prefix */
};

struct aws_cred_chain;

/* http: a client for the credential endpoints (short timeouts are the caller's choice). */
struct aws_cred_chain *aws_creds_new(struct hw_http *http, const char *region);
void aws_creds_free(struct aws_cred_chain *c);
/* Cached credentials, refreshed before they expire (5 minutes ahead, or half the lifetime of
 * short-lived ones). 0, or -1 with err saying which sources were tried and why each failed. */
int aws_creds_get(struct aws_cred_chain *c, struct aws_creds *out, char *err, size_t errlen);
/* Drops the cache (after an ExpiredToken answer). */
void aws_creds_invalidate(struct aws_cred_chain *c);

/* Parsers, exposed for tests: the credentials JSON of IMDS and ECS, STS's XML, ISO 8601. */
int aws_creds_parse_json(const char *text, size_t len, struct aws_creds *out);
int aws_creds_parse_sts(const char *text, size_t len, struct aws_creds *out);
int aws_parse_iso8601(const char *s, int64_t *ms);
/* One value of an INI-style AWS config file for a profile ("default" or a name). 1 found. */
int aws_profile_value(const char *text, const char *profile, int config_file, const char *key,
                      char *out, size_t len);

#endif
