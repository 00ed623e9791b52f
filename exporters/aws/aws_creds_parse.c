/* The credential documents and files, parsed without I/O: ISO 8601 times, the JSON of IMDS, ECS
 * and credential_process, STS's XML, the shared credentials and config files' profiles, and the
 * identity line the logs name. The chain (aws_credentials.c) and every provider use them, so no
 * provider calls back into the chain. */
#include "aws_internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int aws_parse_iso8601(const char *s, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) {
        return -1;
    }
    if (*end == '.') { /* fractional seconds */
        end++;
        while (isdigit((unsigned char)*end)) {
            end++;
        }
    }
    if (*end != 'Z' && strncmp(end, "+00:00", 6) != 0) {
        return -1;
    }
    *ms = (int64_t)timegm(&tm) * 1000;
    return 0;
}

int aws_copy_field(char *dst, size_t len, const char *src)
{
    if (!src || strlen(src) >= len) {
        return -1;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int aws_creds_parse_json(const char *text, size_t len, struct aws_creds *out)
{
    json_t *doc = json_loadb(text, len, 0, NULL);
    int rc = -1;
    const char *exp = json_string_value(json_object_get(doc, "Expiration"));
    memset(out, 0, sizeof(*out));
    if (doc &&
        aws_copy_field(out->access_key, sizeof(out->access_key),
                   json_string_value(json_object_get(doc, "AccessKeyId"))) == 0 &&
        aws_copy_field(out->secret_key, sizeof(out->secret_key),
                   json_string_value(json_object_get(doc, "SecretAccessKey"))) == 0 &&
        (!json_object_get(doc, "Token") ||
         aws_copy_field(out->token, sizeof(out->token),
                    json_string_value(json_object_get(doc, "Token"))) == 0) &&
        (!exp || aws_parse_iso8601(exp, &out->expires_ms) == 0) && out->access_key[0] &&
        out->secret_key[0]) { /* an empty key is no key: found by fuzz_creds */
        rc = 0;
        const char *role = json_string_value(json_object_get(doc, "RoleArn"));
        if (role) { /* ECS and EKS say which role these belong to */
            char who[320];
            snprintf(who, sizeof(who), "role %.300s", role);
            aws_creds_set_identity(out, who);
        }
    }
    json_decref(doc);
    return rc;
}

/* The text of the first <tag>...</tag> in an XML answer (STS's shapes are flat enough). */
static int xml_value(const char *text, const char *tag, char *out, size_t len)
{
    char open[64], close[64];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    const char *a = strstr(text, open);
    const char *b = a ? strstr(a, close) : NULL;
    if (!b || (size_t)(b - a - strlen(open)) >= len) {
        return -1;
    }
    snprintf(out, len, "%.*s", (int)(b - a - strlen(open)), a + strlen(open));
    return 0;
}

int aws_creds_parse_sts(const char *text, size_t len, struct aws_creds *out)
{
    char exp[64];
    (void)len;
    memset(out, 0, sizeof(*out));
    if (xml_value(text, "AccessKeyId", out->access_key, sizeof(out->access_key)) != 0 ||
        xml_value(text, "SecretAccessKey", out->secret_key, sizeof(out->secret_key)) != 0 ||
        xml_value(text, "SessionToken", out->token, sizeof(out->token)) != 0 ||
        xml_value(text, "Expiration", exp, sizeof(exp)) != 0 ||
        aws_parse_iso8601(exp, &out->expires_ms) != 0 || !out->access_key[0] ||
        !out->secret_key[0]) {
        return -1;
    }
    return 0;
}

/* Section header matching for profile `profile` in a credentials (0) or config (1) file. */
static int section_is(const char *line, size_t n, const char *profile, int config_file)
{
    char want[300];
    if (config_file && strcmp(profile, "default") != 0) {
        snprintf(want, sizeof(want), "[profile %s]", profile);
    } else {
        snprintf(want, sizeof(want), "[%s]", profile);
    }
    while (n > 0 && isspace((unsigned char)line[n - 1])) {
        n--;
    }
    return n == strlen(want) && strncmp(line, want, n) == 0;
}

int aws_profile_value(const char *text, const char *profile, int config_file, const char *key,
                      char *out, size_t len)
{
    int in = 0;
    size_t klen = strlen(key);
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        const char *l = p;
        p += n + (p[n] == '\n');
        while (n > 0 && (*l == ' ' || *l == '\t')) {
            l++;
            n--;
        }
        if (n > 0 && *l == '[') {
            in = section_is(l, n, profile, config_file);
            continue;
        }
        if (!in || n <= klen || strncmp(l, key, klen) != 0) {
            continue;
        }
        const char *v = l + klen;
        const char *end = l + n;
        while (v < end && (*v == ' ' || *v == '\t')) {
            v++;
        }
        if (v == end || *v != '=') {
            continue;
        }
        v++;
        while (v < end && (*v == ' ' || *v == '\t')) {
            v++;
        }
        while (end > v && isspace((unsigned char)end[-1])) {
            end--;
        }
        snprintf(out, len, "%.*s", (int)(end - v), v);
        return 1;
    }
    return 0;
}

void aws_creds_set_identity(struct aws_creds *c, const char *who)
{
    snprintf(c->identity, sizeof(c->identity), "%.300s, access key %.8s...", who, c->access_key);
}
