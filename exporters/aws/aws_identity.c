/* IMDSv2, ECS task metadata, region and ${...} expansion. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws_identity.h"
#include "aws_internal.h"
#include "buf.h"

/* IMDS base URL, or NULL when IMDS is disabled. */
static const char *imds_base(void)
{
    const char *off = getenv("AWS_EC2_METADATA_DISABLED");
    if (off && strcasecmp(off, "true") == 0) {
        return NULL;
    }
    const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    return ep && *ep ? ep : "http://169.254.169.254";
}

/* A session token first (IMDSv2), then the GET; out is NUL-terminated. 0 or -1. */
int aws_imds_get(struct hw_http *http, const char *path, char *out, size_t len)
{
    const char *base = imds_base();
    char url[512], hdr[600];
    struct hw_http_resp r = {0};
    int rc = -1;
    if (!base) {
        return -1;
    }
    snprintf(url, sizeof(url), "%s/latest/api/token", base);
    const char *th[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600"};
    if (hw_http_request(http, "PUT", url, th, 1, "", 0, &r) != 0 || r.status != 200 ||
        !r.body.data || r.body.len >= 512) {
        goto out;
    }
    snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", r.body.data);
    snprintf(url, sizeof(url), "%s%s", base, path);
    const char *gh[] = {hdr};
    if (hw_http_request(http, "GET", url, gh, 1, NULL, 0, &r) == 0 && r.status == 200 &&
        r.body.data && r.body.len < len) {
        memcpy(out, r.body.data, r.body.len + 1);
        rc = 0;
    }
out:
    hw_http_resp_free(&r);
    return rc;
}

static int read_file_text(const char *path, char *out, size_t len)
{
    struct hw_buf b;
    hw_buf_init(&b);
    int rc = hw_buf_read_file(&b, path, 1 << 20);
    if (rc == 0 && b.data && b.len < len) {
        memcpy(out, b.data, b.len + 1);
    } else {
        rc = -1;
    }
    hw_buf_free(&b);
    return rc;
}

const char *aws_profile_name(void)
{
    const char *p = getenv("AWS_PROFILE");
    return p && *p ? p : "default";
}

int aws_profile_file(int config_file, char *path, size_t len)
{
    const char *f = getenv(config_file ? "AWS_CONFIG_FILE" : "AWS_SHARED_CREDENTIALS_FILE");
    const char *home = getenv("HOME");
    if (f && *f) {
        snprintf(path, len, "%s", f);
    } else if (home) {
        snprintf(path, len, "%s/.aws/%s", home, config_file ? "config" : "credentials");
    } else {
        return -1;
    }
    return 0;
}

int aws_profile_lookup(const char *key, char *out, size_t len, char *where, size_t wlen)
{
    char text[65536];
    for (int config_file = 0; config_file < 2; config_file++) {
        if (aws_profile_file(config_file, where, wlen) == 0 &&
            read_file_text(where, text, sizeof(text)) == 0 &&
            aws_profile_value(text, aws_profile_name(), config_file, key, out, len)) {
            return 1;
        }
    }
    return 0;
}

/* ~/.aws/config (or AWS_CONFIG_FILE) value for the current profile. */
static int profile_config(const char *key, char *out, size_t len)
{
    char path[1024], text[65536];
    return aws_profile_file(1, path, sizeof(path)) == 0 &&
           read_file_text(path, text, sizeof(text)) == 0 &&
           aws_profile_value(text, aws_profile_name(), 1, key, out, len);
}

int aws_region_resolve(struct hw_http *http, const char *configured, char *out, size_t len)
{
    const char *env;
    if (configured && *configured && strcmp(configured, "auto") != 0) {
        snprintf(out, len, "%s", configured);
        return 0;
    }
    if ((env = getenv("AWS_REGION")) && *env) {
        snprintf(out, len, "%s", env);
        return 0;
    }
    if ((env = getenv("AWS_DEFAULT_REGION")) && *env) {
        snprintf(out, len, "%s", env);
        return 0;
    }
    if (profile_config("region", out, len)) {
        return 0;
    }
    return http ? aws_imds_get(http, "/latest/meta-data/placement/region", out, len) : -1;
}

/* ECS task metadata v4: a field of the task document. */
static int ecs_task_field(struct hw_http *http, const char *field, char *out, size_t len)
{
    const char *base = getenv("ECS_CONTAINER_METADATA_URI_V4");
    char url[512];
    struct hw_http_resp r = {0};
    int rc = -1;
    if (!base || !*base || !http) {
        return -1;
    }
    snprintf(url, sizeof(url), "%s/task", base);
    if (hw_http_request(http, "GET", url, NULL, 0, NULL, 0, &r) == 0 && r.status == 200) {
        json_t *doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
        const json_t *v = json_object_get(doc, field);
        if (json_is_string(v)) {
            snprintf(out, len, "%s", json_string_value(v));
            rc = 0;
        }
        json_decref(doc);
    }
    hw_http_resp_free(&r);
    return rc;
}

/* ${ecs:NAME}: a field of the task document by its name there, or a short form Container
 * Insights uses as a dimension (ClusterName: the name of Cluster's ARN; TaskDefinitionFamily:
 * Family; TaskId: the last part of TaskARN). "" when it cannot be found. */
static void ecs_expand(struct hw_http *http, const char *name, char *out, size_t len)
{
    static const struct {
        const char *name, *field;
    } alias[] = {{"TaskArn", "TaskARN"}, {"ClusterName", "Cluster"},
                 {"TaskDefinitionFamily", "Family"}, {"TaskId", "TaskARN"},
                 {"TaskDefinitionRevision", "Revision"}};
    const char *field = name;
    for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
        if (strcmp(name, alias[i].name) == 0) {
            field = alias[i].field;
        }
    }
    if (ecs_task_field(http, field, out, len) != 0) {
        out[0] = '\0';
        return;
    }
    const char *cut = strcmp(name, "ClusterName") == 0 ? strrchr(out, '/')
                      : strcmp(name, "TaskId") == 0    ? strrchr(out, '/')
                                                       : NULL;
    if (cut) {
        memmove(out, cut + 1, strlen(cut + 1) + 1);
    }
}

/* The value of one ${name}; "" when it cannot be found. */
static void expand_one(struct hw_http *http, const char *region, const char *name, char *out,
                       size_t len)
{
    static const struct {
        const char *name, *imds;
    } imds[] = {{"aws:InstanceId", "/latest/meta-data/instance-id"},
                {"aws:ImageId", "/latest/meta-data/ami-id"},
                {"aws:InstanceType", "/latest/meta-data/instance-type"},
                {"aws:AutoScalingGroupName",
                 "/latest/meta-data/tags/instance/aws:autoscaling:groupName"}};
    out[0] = '\0';
    if (strcmp(name, "aws:Region") == 0) {
        snprintf(out, len, "%s", region ? region : "");
        return;
    }
    for (size_t i = 0; i < sizeof(imds) / sizeof(imds[0]); i++) {
        if (strcmp(name, imds[i].name) == 0) {
            if (!http || aws_imds_get(http, imds[i].imds, out, len) != 0) {
                out[0] = '\0';
            }
            return;
        }
    }
    if (strncmp(name, "ecs:", 4) == 0) {
        ecs_expand(http, name + 4, out, len);
        return;
    }
    const char *env = getenv(name);
    snprintf(out, len, "%s", env ? env : "");
}

int aws_expand(struct hw_http *http, const char *region, const char *s, char *out, size_t len)
{
    size_t n = 0;
    while (*s) {
        const char *close = strncmp(s, "${", 2) == 0 ? strchr(s, '}') : NULL;
        char val[1024];
        const char *piece = s;
        size_t plen = 1;
        if (close && close - s - 2 < 200) {
            char name[256];
            snprintf(name, sizeof(name), "%.*s", (int)(close - s - 2), s + 2);
            expand_one(http, region, name, val, sizeof(val));
            piece = val;
            plen = strlen(val);
            s = close + 1;
        } else {
            s++;
        }
        if (n + plen >= len) {
            return -1;
        }
        memcpy(out + n, piece, plen);
        n += plen;
    }
    out[n] = '\0';
    return 0;
}
