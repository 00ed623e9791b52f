/* The network credential sources: STS web identity, ECS container credentials, EC2 IMDSv2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_internal.h"
#include "buf.h"


/* Form-encodes s into b (RFC 3986 unreserved stay literal). */
static void form_encode(struct hw_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            hw_buf_putc(b, (char)ch);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            hw_buf_append(b, e, 3);
        }
    }
}

int aws_creds_from_web_identity(struct hw_http *http, const char *region, struct aws_creds *c,
                                char *why, size_t len)
{
    const char *tokf = getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), *role = getenv("AWS_ROLE_ARN");
    const char *sess = getenv("AWS_ROLE_SESSION_NAME");
    const char *ep = getenv("AWS_ENDPOINT_URL_STS");
    struct hw_buf tok, body;
    struct hw_http_resp r = {0};
    char url[512];
    int rc = -1;
    if (!tokf || !*tokf || !role || !*role) {
        snprintf(why, len, "web identity: AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN not set");
        return -1;
    }
    hw_buf_init(&tok);
    hw_buf_init(&body);
    if (hw_buf_read_file(&tok, tokf, 64 * 1024) != 0 || !tok.data) {
        snprintf(why, len, "web identity: cannot read the token file %s", tokf);
        goto out;
    }
    while (tok.len > 0 && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == '\r')) {
        tok.data[--tok.len] = '\0';
    }
    if (!ep || !*ep) {
        ep = getenv("AWS_ENDPOINT_URL");
    }
    if (ep && *ep) {
        snprintf(url, sizeof(url), "%s", ep);
    } else {
        snprintf(url, sizeof(url), "https://sts.%s.amazonaws.com/",
                 region && *region ? region : "us-east-1");
    }
    hw_buf_puts(&body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=");
    form_encode(&body, role);
    hw_buf_puts(&body, "&RoleSessionName=");
    form_encode(&body, sess && *sess ? sess : "hostwatch");
    hw_buf_puts(&body, "&WebIdentityToken=");
    form_encode(&body, tok.data);
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"};
    if (hw_http_request(http, "POST", url, h, 1, body.data, body.len, &r) != 0) {
        snprintf(why, len, "web identity: STS unreachable (%s)", r.error);
    } else if (r.status != 200 || !r.body.data ||
               aws_creds_parse_sts(r.body.data, r.body.len, c) != 0) {
        char code[64], msg[8], skew[128];
        hw_http_error_code(&r, code, sizeof(code), msg, sizeof(msg));
        int skewed = aws_clock_skew_text(r.server_date, (long long)time(NULL), skew, sizeof(skew));
        snprintf(why, len, "web identity: STS answered %ld %s without credentials%s%s", r.status,
                 code, skewed ? "; " : "", skew);
    } else {
        c->source = "web-identity";
        snprintf(why, len, "role %.300s", role);
        aws_creds_set_identity(c, why);
        rc = 0;
    }
out:
    hw_http_resp_free(&r);
    hw_buf_free(&tok);
    hw_buf_free(&body);
    return rc;
}

int aws_creds_from_ecs(struct hw_http *http, struct aws_creds *c, char *why, size_t len)
{
    const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *tokf = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    char url[1024], hdr[4200];
    const char *uwhy = NULL;
    struct hw_http_resp r = {0};
    const char *h[1];
    size_t nh = 0;
    if (rel && *rel) {
        snprintf(url, sizeof(url), "http://169.254.170.2%s", rel);
    } else if (full && *full) {
        snprintf(url, sizeof(url), "%s", full);
    } else {
        snprintf(why, len, "ecs: AWS_CONTAINER_CREDENTIALS_*_URI not set");
        return -1;
    }
    if (!aws_url_allowed(url, &uwhy)) {
        snprintf(why, len, "ecs: %s: %s", url, uwhy);
        return -1;
    }
    struct hw_buf tb;
    hw_buf_init(&tb);
    if (tokf && *tokf && hw_buf_read_file(&tb, tokf, 4096) == 0 && tb.data) {
        tok = tb.data; /* EKS Pod Identity and ECS Anywhere: a file that is rotated */
    }
    if (tok && *tok) {
        snprintf(hdr, sizeof(hdr), "Authorization: %.*s", (int)strcspn(tok, "\r\n"), tok);
        h[nh++] = hdr;
    }
    int rc = -1;
    if (hw_http_request(http, "GET", url, h, nh, NULL, 0, &r) != 0) {
        snprintf(why, len, "ecs: %s unreachable (%s)", url, r.error);
    } else if (r.status != 200 || !r.body.data ||
               aws_creds_parse_json(r.body.data, r.body.len, c) != 0) {
        snprintf(why, len, "ecs: %s answered %ld without credentials", url, r.status);
    } else {
        c->source = "ecs";
        if (!c->identity[0]) {
            aws_creds_set_identity(c, "the container's role");
        }
        rc = 0;
    }
    hw_buf_free(&tb);
    hw_http_resp_free(&r);
    return rc;
}

int aws_creds_from_imds(struct hw_http *http, struct aws_creds *c, char *why, size_t len)
{
    char role[256], path[512], json[8192];
    if (aws_imds_get(http, "/latest/meta-data/iam/security-credentials/", role,
                     sizeof(role)) != 0) {
        snprintf(why, len, "imds: no instance role (not on EC2, IMDS disabled, or the hop "
                           "limit is 1 inside a container)");
        return -1;
    }
    role[strcspn(role, "\r\n")] = '\0';
    snprintf(path, sizeof(path), "/latest/meta-data/iam/security-credentials/%s", role);
    if (aws_imds_get(http, path, json, sizeof(json)) != 0 ||
        aws_creds_parse_json(json, strlen(json), c) != 0) {
        snprintf(why, len, "imds: role %s gave no credentials", role);
        return -1;
    }
    c->source = "imds";
    snprintf(path, sizeof(path), "instance role %.200s", role);
    aws_creds_set_identity(c, path);
    return 0;
}
