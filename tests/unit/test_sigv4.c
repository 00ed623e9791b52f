/* Unit tests of the SigV4 signer: every case of AWS's SigV4 test suite (canonical request,
 * string to sign and Authorization compared byte for byte), CloudWatch- and AMP-shaped requests
 * against signatures computed with botocore, canonicalisation details and input validation.
 *
 * No suite case is skipped. Two need the session token passed through the API because it is not
 * in their .req: get-vanilla-with-session-token (token taken from its .creq) and, in a second
 * test, post-sts-header-before (token from post-sts-token/readme.txt). post-sts-header-after is
 * signed without a token: the suite adds the token after signing, which the signer never does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/awslib.h"
#include "exporters/sigv4.h"

#define SUITE_DIR HW_FIXTURES "/sigv4/"
#define MAX_HEADERS 16
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char suite_access[] = "AKIDEXAMPLE";
static const char suite_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const char vanilla_token[] =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
static const char sts_token[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxf"
    "pSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQ"
    "DYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
static const char empty_sha256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* A suite .req split in place: request line, headers (folded lines kept inside the value, the
 * signer folds them), body. */
struct parsed_req {
    char *buf;
    const char *method;
    const char *path;
    const char *query;
    struct sigv4_header headers[MAX_HEADERS];
    size_t nheaders;
    const char *body;
    size_t body_len;
    const char *amz_date;
};

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        print_error("cannot open %s\n", path);
        fail();
    }
    size_t cap = 4096;
    size_t n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) {
            break;
        }
        cap *= 2;
        char *grown = realloc(buf, cap);
        if (!grown) {
            free(buf);
        }
        assert_non_null(grown);
        buf = grown;
    }
    assert_int_equal(ferror(f), 0);
    assert_int_equal(fclose(f), 0);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static char *suite_file(const char *rel, const char *ext, size_t *len)
{
    char path[512];
    const int n = snprintf(path, sizeof(path), "%s%s%s", SUITE_DIR, rel, ext);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    return read_file(path, len);
}

/* Splits "METHOD target HTTP/1.1": the target may contain spaces (normalize-path/get-space). */
static void parse_request_line(struct parsed_req *r, char *line)
{
    char *sp1 = strchr(line, ' ');
    char *sp2 = strrchr(line, ' ');
    assert_non_null(sp1);
    assert_true(sp2 > sp1);
    *sp1 = '\0';
    *sp2 = '\0';
    r->method = line;
    r->path = sp1 + 1;
    char *q = strchr(sp1 + 1, '?');
    if (q != NULL) {
        *q = '\0';
        r->query = q + 1;
    }
}

static void parse_req(const char *rel, struct parsed_req *r)
{
    memset(r, 0, sizeof(*r));
    size_t len = 0;
    r->buf = suite_file(rel, ".req", &len);
    char *const end = r->buf + len;
    char *p = strchr(r->buf, '\n');
    assert_non_null(p);
    *p++ = '\0';
    parse_request_line(r, r->buf);
    while (p < end) {
        if (*p == '\n') {
            r->body = p + 1;
            r->body_len = (size_t)(end - (p + 1));
            break;
        }
        char *e = strchr(p, '\n');
        while (e != NULL && (e[1] == ' ' || e[1] == '\t')) {
            e = strchr(e + 1, '\n');
        }
        e = e != NULL ? e : end;
        *e = '\0';
        char *colon = strchr(p, ':');
        assert_non_null(colon);
        *colon = '\0';
        assert_true(r->nheaders < MAX_HEADERS);
        r->headers[r->nheaders].name = p;
        r->headers[r->nheaders].value = colon + 1;
        if (strcmp(p, "X-Amz-Date") == 0) {
            r->amz_date = colon + 1;
        }
        r->nheaders++;
        p = e + 1;
    }
    assert_non_null(r->amz_date);
}

static struct sigv4_input suite_input(const struct parsed_req *r, const struct awslib *lib)
{
    struct sigv4_input in;
    memset(&in, 0, sizeof(in));
    in.method = r->method;
    in.path = r->path;
    in.query = r->query;
    in.headers = r->headers;
    in.nheaders = r->nheaders;
    in.payload = r->body;
    in.payload_len = r->body_len;
    in.region = "us-east-1";
    in.service = "service";
    in.amz_date = r->amz_date;
    in.access_key = suite_access;
    in.secret_key = suite_secret;
    in.crypto = lib;
    in.normalize_path = 1;
    return in;
}

static void assert_matches_file(const char *rel, const char *ext, const char *got)
{
    size_t len = 0;
    char *want = suite_file(rel, ext, &len);
    int same = strlen(got) == len && memcmp(got, want, len) == 0;
    if (!same) {
        print_error("%s%s differs\n--- want\n%s\n--- got\n%s\n", rel, ext, want, got);
    }
    free(want);
    assert_true(same);
}

/* Signs a parsed case and compares .creq, .sts and .authz. */
static void check_case(const char *rel, const struct sigv4_input *in)
{
    char *creq = NULL;
    char *sts = NULL;
    struct sigv4_output out;
    assert_int_equal(sigv4_canonical_request(in, &creq), SIGV4_OK);
    assert_matches_file(rel, ".creq", creq);
    assert_int_equal(sigv4_string_to_sign(in, creq, &sts), SIGV4_OK);
    assert_matches_file(rel, ".sts", sts);
    assert_int_equal(sigv4_sign(in, &out), SIGV4_OK);
    assert_matches_file(rel, ".authz", out.authorization);
    free(creq);
    free(sts);
}

static void run_case(const char *rel, const char *token, const struct awslib *lib)
{
    struct parsed_req r;
    parse_req(rel, &r);
    struct sigv4_input in = suite_input(&r, lib);
    in.session_token = token;
    check_case(rel, &in);
    free(r.buf);
}

/* One cmocka test per suite case, so the report names each one. */
#define SUITE_CASE(fn, dir, name, token)                                                           \
    static void fn(void **state)                                                                   \
    {                                                                                              \
        run_case(dir name "/" name, token, *state);                                                \
    }

SUITE_CASE(test_get_header_key_duplicate, "", "get-header-key-duplicate", NULL)
SUITE_CASE(test_get_header_value_multiline, "", "get-header-value-multiline", NULL)
SUITE_CASE(test_get_header_value_order, "", "get-header-value-order", NULL)
SUITE_CASE(test_get_header_value_trim, "", "get-header-value-trim", NULL)
SUITE_CASE(test_get_unreserved, "", "get-unreserved", NULL)
SUITE_CASE(test_get_utf8, "", "get-utf8", NULL)
SUITE_CASE(test_get_vanilla, "", "get-vanilla", NULL)
SUITE_CASE(test_get_vanilla_empty_query_key, "", "get-vanilla-empty-query-key", NULL)
SUITE_CASE(test_get_vanilla_query, "", "get-vanilla-query", NULL)
SUITE_CASE(test_get_vanilla_query_order_encoded, "", "get-vanilla-query-order-encoded", NULL)
SUITE_CASE(test_get_vanilla_query_order_key, "", "get-vanilla-query-order-key", NULL)
SUITE_CASE(test_get_vanilla_query_order_key_case, "", "get-vanilla-query-order-key-case", NULL)
SUITE_CASE(test_get_vanilla_query_order_value, "", "get-vanilla-query-order-value", NULL)
SUITE_CASE(test_get_vanilla_query_unreserved, "", "get-vanilla-query-unreserved", NULL)
SUITE_CASE(test_get_vanilla_utf8_query, "", "get-vanilla-utf8-query", NULL)
SUITE_CASE(test_get_vanilla_with_session_token, "", "get-vanilla-with-session-token", vanilla_token)
SUITE_CASE(test_get_relative, "normalize-path/", "get-relative", NULL)
SUITE_CASE(test_get_relative_relative, "normalize-path/", "get-relative-relative", NULL)
SUITE_CASE(test_get_slash, "normalize-path/", "get-slash", NULL)
SUITE_CASE(test_get_slash_dot_slash, "normalize-path/", "get-slash-dot-slash", NULL)
SUITE_CASE(test_get_slash_pointless_dot, "normalize-path/", "get-slash-pointless-dot", NULL)
SUITE_CASE(test_get_slashes, "normalize-path/", "get-slashes", NULL)
SUITE_CASE(test_get_space, "normalize-path/", "get-space", NULL)
SUITE_CASE(test_get_special_character, "normalize-path/", "get-special-character", NULL)
SUITE_CASE(test_post_header_key_case, "", "post-header-key-case", NULL)
SUITE_CASE(test_post_header_key_sort, "", "post-header-key-sort", NULL)
SUITE_CASE(test_post_header_value_case, "", "post-header-value-case", NULL)
SUITE_CASE(test_post_sts_header_after, "post-sts-token/", "post-sts-header-after", NULL)
SUITE_CASE(test_post_sts_header_before, "post-sts-token/", "post-sts-header-before", NULL)
SUITE_CASE(test_post_vanilla, "", "post-vanilla", NULL)
SUITE_CASE(test_post_vanilla_empty_query_value, "", "post-vanilla-empty-query-value", NULL)
SUITE_CASE(test_post_vanilla_query, "", "post-vanilla-query", NULL)
SUITE_CASE(test_post_x_www_form_urlencoded, "", "post-x-www-form-urlencoded", NULL)
SUITE_CASE(test_post_x_www_form_urlencoded_parameters, "", "post-x-www-form-urlencoded-parameters",
           NULL)

/* post-sts-header-before again, but with the token given as session_token (how the agent signs
 * with temporary credentials); a listed token header must agree with it. */
static void test_post_sts_token_via_api(void **state)
{
    const struct awslib *lib = *state;
    const char *rel = "post-sts-token/post-sts-header-before/post-sts-header-before";
    struct parsed_req r;
    parse_req(rel, &r);
    assert_int_equal(r.nheaders, 3);
    assert_string_equal(r.headers[2].name, "X-Amz-Security-Token");
    struct sigv4_input in = suite_input(&r, lib);
    in.session_token = sts_token;
    check_case(rel, &in); /* token header listed and equal */
    in.nheaders = 2;
    check_case(rel, &in); /* token header added by the signer */
    in.nheaders = 3;
    in.session_token = "another-token";
    struct sigv4_output out;
    assert_int_equal(sigv4_sign(&in, &out), SIGV4_EINVAL);
    assert_string_equal(out.authorization, "");
    free(r.buf);
}

static void test_signing_key(void **state)
{
    const struct awslib *lib = *state;
    unsigned char key[SIGV4_KEY_LEN];
    char hex[2 * SIGV4_KEY_LEN + 1];
    /* Intermediate value given in the suite's README. */
    assert_int_equal(sigv4_signing_key(lib, suite_secret, "20150830", "us-east-1", "service", key),
                     SIGV4_OK);
    for (size_t i = 0; i < sizeof(key); i++) {
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    }
    assert_string_equal(hex, "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");
    assert_int_equal(
        sigv4_signing_key(lib, suite_secret, "20150830", "us-east-1", "monitoring", key), SIGV4_OK);
    for (size_t i = 0; i < sizeof(key); i++) {
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    }
    assert_string_equal(hex, "afe29d050bccd19b47b684e23de3d3f4d622d628f34ed8b78e7cc24201a5f3ca");
    assert_int_equal(sigv4_signing_key(lib, suite_secret, "2015083", "us-east-1", "x", key),
                     SIGV4_EINVAL);
    assert_int_equal(sigv4_signing_key(lib, "", "20150830", "us-east-1", "x", key), SIGV4_EINVAL);
    assert_int_equal(sigv4_signing_key(lib, suite_secret, "20150830", "us/east", "x", key),
                     SIGV4_EINVAL);
}

/* ---- CloudWatch and AMP shapes, checked against botocore -------------------------------- */

/* The worked example of the protocol notes (section 3.2): PutMetricData, form body, us-east-1.
 * Reproduced with botocore 1.29.27 SigV4Auth (see test_putmetricdata_gzip for the method). */
static void test_putmetricdata_form(void **state)
{
    const struct awslib *lib = *state;
    static const char body[] =
        "Action=PutMetricData&Version=2010-08-01&Namespace=Demo&MetricData.member.1.MetricName="
        "Role&MetricData.member.1.Dimensions.member.1.Name=Host&MetricData.member.1.Dimensions."
        "member.1.Value=db1&MetricData.member.1.Value=1&MetricData.member.1.Unit=None&MetricData."
        "member.1.StorageResolution=1";
    const struct sigv4_header hdrs[] = {
        {"Host", "monitoring.us-east-1.amazonaws.com"},
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
    };
    struct sigv4_input in = {
        .method = "POST",
        .path = "/",
        .headers = hdrs,
        .nheaders = ARRAY_LEN(hdrs),
        .payload = body,
        .payload_len = sizeof(body) - 1,
        .region = "us-east-1",
        .service = "monitoring",
        .amz_date = "20150830T123600Z",
        .access_key = suite_access,
        .secret_key = suite_secret,
        .crypto = lib,
        .normalize_path = 1,
    };
    assert_int_equal(sizeof(body) - 1, 288);
    struct sigv4_output out;
    char *creq = NULL;
    char hash[SIGV4_HEX_LEN + 1];
    assert_int_equal(sigv4_canonical_request(&in, &creq), SIGV4_OK);
    assert_int_equal(sigv4_sha256_hex(lib, creq, strlen(creq), hash), SIGV4_OK);
    assert_string_equal(hash, "7bf389170c4f3b4a2dbe64211d28903dc0c70bfec3cafa3dae242e1b1797fabc");
    free(creq);
    assert_int_equal(sigv4_sign(&in, &out), SIGV4_OK);
    assert_string_equal(out.payload_hash,
                        "e7b449b9be3761af7c8396c56b2976bae3167ed26a384ae7658931750ec35999");
    assert_string_equal(out.signature,
                        "313774ec5610b6e7e71fb0c46b6397d5d1deaaabd959df81813ff063c7377188");
    in.session_token = "EXAMPLETOKEN";
    assert_int_equal(sigv4_sign(&in, &out), SIGV4_OK);
    assert_string_equal(out.authorization,
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/monitoring/"
                        "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                        "x-amz-security-token, Signature="
                        "522ba24aa02667210dbc079fce8197fe26dad7e1fc9fb5bc51ed135dabde30c6");
}

/* gzip -9 (mtime 0) of a one-metric PutMetricData form body, 169 bytes. */
static const unsigned char pmd_gzip[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x8d, 0x8e, 0x3b, 0x0f, 0x82, 0x30,
    0x14, 0x85, 0xff, 0x4d, 0x37, 0x48, 0xeb, 0x03, 0x5c, 0x3a, 0x60, 0x18, 0x5c, 0x30, 0x2e, 0xb2,
    0x92, 0xdb, 0x72, 0x13, 0x9b, 0xf4, 0x61, 0xda, 0x8b, 0x86, 0x7f, 0xaf, 0x95, 0x81, 0x85, 0xc1,
    0xf5, 0x3b, 0xe7, 0xbb, 0xe7, 0x36, 0x9a, 0x4c, 0xf0, 0xf2, 0x36, 0x51, 0x87, 0x14, 0x8d, 0x6e,
    0x81, 0x80, 0xf5, 0x18, 0x53, 0xa6, 0x3b, 0x2e, 0x78, 0xc1, 0x4f, 0x05, 0x17, 0xec, 0x0a, 0x0e,
    0xd3, 0x13, 0x34, 0xca, 0x4b, 0x48, 0xf4, 0x06, 0xd2, 0x0f, 0xb6, 0x1a, 0xa5, 0x43, 0xa7, 0x30,
    0x96, 0xa2, 0x5c, 0x58, 0x6e, 0x4b, 0x1f, 0x46, 0x1c, 0xbe, 0x41, 0x88, 0xf3, 0xd0, 0xa1, 0x6b,
    0x5e, 0x60, 0x2c, 0x28, 0x8b, 0x83, 0x9a, 0x09, 0xd3, 0xa6, 0xdd, 0x1a, 0x87, 0x3e, 0x4f, 0xa7,
    0x95, 0xfd, 0x6e, 0xe5, 0xd1, 0xbf, 0x8d, 0x1e, 0xec, 0x84, 0x72, 0x54, 0x62, 0xd3, 0x58, 0xd2,
    0x63, 0x7d, 0xa8, 0xf9, 0xbe, 0x12, 0x15, 0xdf, 0x2c, 0xdd, 0xbd, 0x21, 0x79, 0xce, 0x7f, 0x7e,
    0x00, 0xa8, 0x6c, 0xc7, 0xfd, 0x21, 0x01, 0x00, 0x00,
};

/* Expected values produced with botocore 1.29.27 (python3-botocore): an AWSRequest with the
 * same method, URL, headers and body, Credentials("AKIDEXAMPLE", <suite secret>, token) and
 * SigV4Auth(creds, "monitoring", "eu-west-1").add_auth(request), with botocore.auth's
 * datetime.datetime replaced by a subclass whose utcnow() returns 2026-03-15 08:15:00 (add_auth
 * overwrites request.context["timestamp"] from utcnow()). */
static void test_putmetricdata_gzip(void **state)
{
    const struct awslib *lib = *state;
    const struct sigv4_header hdrs[] = {
        {"Host", "monitoring.eu-west-1.amazonaws.com"},
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
        {"Content-Encoding", "gzip"},
        {"X-Amz-Date", "20260315T081500Z"},
    };
    struct sigv4_input in = {
        .method = "POST",
        .path = "/",
        .headers = hdrs,
        .nheaders = ARRAY_LEN(hdrs),
        .payload = pmd_gzip,
        .payload_len = sizeof(pmd_gzip),
        .region = "eu-west-1",
        .service = "monitoring",
        .amz_date = "20260315T081500Z",
        .access_key = suite_access,
        .secret_key = suite_secret,
        .crypto = lib,
        .session_token = "EXAMPLESESSIONTOKEN+/=",
        .normalize_path = 1,
    };
    struct sigv4_output out;
    assert_int_equal(sigv4_sign(&in, &out), SIGV4_OK);
    assert_string_equal(out.payload_hash,
                        "47231a7fb55ca1dadbec8d259cda08994c0e6959d95367d690468d25a12ccfad");
    assert_string_equal(out.authorization,
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260315/eu-west-1/monitoring/"
                        "aws4_request, SignedHeaders=content-encoding;content-type;host;"
                        "x-amz-date;x-amz-security-token, Signature="
                        "6c58905528793cfd2e7e17ac8859e9c4cd84396d531fd30bbf200699561d3129");
    in.session_token = NULL;
    in.nheaders = 3; /* x-amz-date now added by the signer */
    assert_int_equal(sigv4_sign(&in, &out), SIGV4_OK);
    assert_string_equal(out.authorization,
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260315/eu-west-1/monitoring/"
                        "aws4_request, SignedHeaders=content-encoding;content-type;host;"
                        "x-amz-date, Signature="
                        "a5f3b2003197ce4cfebf524a12e6bfcaa4bb3934c863f40b55a7d7f82fd2d403");
}

/* Remote write to AMP; the body stands in for snappy bytes (0..255 four times). Expected value
 * from botocore as above, service "aps", URL
 * https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-x/api/v1/remote_write. */
static void test_amp_remote_write(void **state)
{
    const struct awslib *lib = *state;
    unsigned char body[1024];
    for (size_t i = 0; i < sizeof(body); i++) {
        body[i] = (unsigned char)(i & 255);
    }
    const struct sigv4_header hdrs[] = {
        {"Host", "aps-workspaces.eu-west-1.amazonaws.com"},
        {"Content-Type", "application/x-protobuf"},
        {"Content-Encoding", "snappy"},
        {"X-Prometheus-Remote-Write-Version", "0.1.0"},
    };
    struct sigv4_input in = {
        .method = "POST",
        .path = "/workspaces/ws-x/api/v1/remote_write",
        .headers = hdrs,
        .nheaders = ARRAY_LEN(hdrs),
        .payload = body,
        .payload_len = sizeof(body),
        .region = "eu-west-1",
        .service = "aps",
        .amz_date = "20260315T081500Z",
        .access_key = suite_access,
        .secret_key = suite_secret,
        .crypto = lib,
        .normalize_path = 1,
    };
    static const char want[] =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260315/eu-west-1/aps/aws4_request, "
        "SignedHeaders=content-encoding;content-type;host;x-amz-date;"
        "x-prometheus-remote-write-version, "
        "Signature=2c45fce68aa994e78af6761a460458aa701b7f9d68334a72e3d29a5a53417adf";
    struct sigv4_output out;
    assert_int_equal(sigv4_sign(&in, &out), SIGV4_OK);
    assert_string_equal(out.authorization, want);
    /* Same with the hash supplied by the caller and no body. */
    in.payload = NULL;
    in.payload_len = 0;
    in.payload_sha256_hex = "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9";
    assert_int_equal(sigv4_sign(&in, &out), SIGV4_OK);
    assert_string_equal(out.authorization, want);
}

/* ---- canonicalisation details ------------------------------------------------------------ */

/* Line `line` (0-based) of the canonical request of in. */
static void assert_creq_line(const struct sigv4_input *in, int line, const char *want)
{
    char *creq = NULL;
    assert_int_equal(sigv4_canonical_request(in, &creq), SIGV4_OK);
    const char *p = creq;
    for (int i = 0; i < line; i++) {
        p = strchr(p, '\n');
        assert_non_null(p);
        p++;
    }
    const size_t n = strcspn(p, "\n");
    if (strlen(want) != n || strncmp(p, want, n) != 0) {
        print_error("canonical line %d: want '%s', got '%.*s'\n", line, want, (int)n, p);
        free(creq);
        fail();
    }
    free(creq);
}

static struct sigv4_input minimal_input(const struct sigv4_header *hdrs, size_t n,
                                        const struct awslib *lib)
{
    struct sigv4_input in = {
        .method = "GET",
        .path = "/",
        .headers = hdrs,
        .nheaders = n,
        .region = "us-east-1",
        .service = "service",
        .amz_date = "20150830T123600Z",
        .access_key = suite_access,
        .secret_key = suite_secret,
        .crypto = lib,
        .normalize_path = 1,
    };
    return in;
}

static void test_canonical_path(void **state)
{
    const struct awslib *lib = *state;
    /* Normalised cases agree with botocore's canonical_request(). */
    static const struct {
        const char *path;
        int normalize;
        const char *want;
    } cases[] = {
        {"/a/b/../c/./d//", 1, "/a/c/d/"},
        {"/example%20space/", 1, "/example%2520space/"},
        {"/a/b/..", 1, "/a"},
        {"/a/./", 1, "/a/"},
        {"/..", 1, "/"},
        {"/a/b/../../..//c", 1, "/c"},
        {"/~user/$x", 1, "/~user/%24x"},
        {"/a:b@c", 1, "/a%3Ab%40c"},
        {"/%2F", 1, "/%252F"},
        {"", 1, "/"},
        {NULL, 1, "/"},
        {"//a//./b/", 0, "//a//./b/"},
        {"/a b", 0, "/a%20b"},
    };
    const struct sigv4_header host = {"host", "h"};
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct sigv4_input in = minimal_input(&host, 1, lib);
        in.path = cases[i].path;
        in.normalize_path = cases[i].normalize;
        assert_creq_line(&in, 1, cases[i].want);
    }
    struct sigv4_input in = minimal_input(&host, 1, lib);
    char *creq = NULL;
    in.path = "relative";
    assert_int_equal(sigv4_canonical_request(&in, &creq), SIGV4_EINVAL);
    assert_null(creq);
}

static void test_canonical_query(void **state)
{
    const struct awslib *lib = *state;
    static const struct {
        const char *query;
        const char *want;
    } cases[] = {
        {"b=2&a=1&a", "a=&a=1&b=2"},
        {"x=a%2fb", "x=a%2Fb"},
        {"x=a b+c", "x=a%20b%2Bc"},
        {"x=%zz%4", "x=%25zz%254"},
        {"&&a=1&", "a=1"},
        {"k=v=w", "k=v%3Dw"},
        {"=v", "=v"},
        {"%41%7e=%2D", "A~=-"},
        {"Action=PutMetricData&Version=2010-08-01", "Action=PutMetricData&Version=2010-08-01"},
        {"", ""},
    };
    const struct sigv4_header host = {"host", "h"};
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct sigv4_input in = minimal_input(&host, 1, lib);
        in.query = cases[i].query;
        assert_creq_line(&in, 2, cases[i].want);
    }
}

static void test_canonical_headers(void **state)
{
    const struct awslib *lib = *state;
    const struct sigv4_header hdrs[] = {
        {"X-B", "  two\t\twords  "},          {"host", "h"},
        {"x-b", "second\r\n folded"},         {"A", ""},
        {"X-Amz-Date", " 20150830T123600Z "},
    };
    struct sigv4_input in = minimal_input(hdrs, ARRAY_LEN(hdrs), lib);
    assert_creq_line(&in, 3, "a:");
    assert_creq_line(&in, 4, "host:h");
    assert_creq_line(&in, 5, "x-amz-date:20150830T123600Z");
    assert_creq_line(&in, 6, "x-b:two words,second folded");
    assert_creq_line(&in, 7, "");
    assert_creq_line(&in, 8, "a;host;x-amz-date;x-b");
    assert_creq_line(&in, 9, empty_sha256);
}

/* ---- errors ------------------------------------------------------------------------------ */

static int sign_rc(const struct sigv4_input *in)
{
    struct sigv4_output out;
    const int rc = sigv4_sign(in, &out);
    if (rc != SIGV4_OK) {
        assert_string_equal(out.authorization, "");
    }
    return rc;
}

static void test_invalid_inputs(void **state)
{
    const struct awslib *lib = *state;
    const struct sigv4_header ok[] = {{"Host", "h"}};
    const struct sigv4_header nohost[] = {{"X-A", "1"}};
    const struct sigv4_header twohosts[] = {{"Host", "h"}, {"host", "h"}};
    const struct sigv4_header baddate[] = {{"Host", "h"}, {"X-Amz-Date", "20150830T123601Z"}};
    const struct sigv4_header ctl[] = {{"Host", "h\001"}};
    const struct sigv4_header badname[] = {{"Host", "h"}, {"My Header", "v"}};
    const struct sigv4_header emptyname[] = {{"Host", "h"}, {"", "v"}};
    const struct sigv4_header nullvalue[] = {{"Host", NULL}};
    struct sigv4_input in = minimal_input(ok, 1, lib);
    assert_int_equal(sign_rc(&in), SIGV4_OK);
    assert_int_equal(sigv4_sign(NULL, NULL), SIGV4_EINVAL);
    assert_int_equal(sign_rc(NULL), SIGV4_EINVAL);

    const struct {
        const struct sigv4_header *h;
        size_t n;
    } bad_headers[] = {{nohost, 1},  {twohosts, 2},  {baddate, 2},   {ctl, 1},
                       {badname, 2}, {emptyname, 2}, {nullvalue, 1}, {NULL, 1}};
    for (size_t i = 0; i < ARRAY_LEN(bad_headers); i++) {
        in = minimal_input(bad_headers[i].h, bad_headers[i].n, lib);
        assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    }
    static const char *const bad_dates[] = {
        NULL, "", "20150830T123600", "20150830 123600Z", "2015083XT123600Z", "20150830T123600ZZ"};
    for (size_t i = 0; i < ARRAY_LEN(bad_dates); i++) {
        in = minimal_input(ok, 1, lib);
        in.amz_date = bad_dates[i];
        assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    }
    in = minimal_input(ok, 1, lib);
    in.method = "GE T";
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    in = minimal_input(ok, 1, lib);
    in.region = "us-east-1/x";
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    in = minimal_input(ok, 1, lib);
    in.service = NULL;
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    in = minimal_input(ok, 1, lib);
    in.access_key = "AKID, x";
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    in = minimal_input(ok, 1, lib);
    in.secret_key = NULL;
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    in = minimal_input(ok, 1, lib);
    in.session_token = "";
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    in = minimal_input(ok, 1, lib);
    in.session_token = "tok\nen";
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    in = minimal_input(ok, 1, lib);
    in.payload_len = 3;
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    in = minimal_input(ok, 1, lib);
    in.payload_sha256_hex = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);

    /* Without a loaded libcrypto nothing is signed. */
    in = minimal_input(ok, 1, NULL);
    assert_int_equal(sign_rc(&in), SIGV4_EINVAL);
    char hex[SIGV4_HEX_LEN + 1];
    unsigned char key[SIGV4_KEY_LEN];
    assert_int_equal(sigv4_sha256_hex(NULL, "", 0, hex), SIGV4_EINVAL);
    assert_int_equal(sigv4_signing_key(NULL, suite_secret, "20150830", "us-east-1", "s", key),
                     SIGV4_EINVAL);

    /* The test-only entry points validate too. */
    char *s = NULL;
    in = minimal_input(ok, 1, lib);
    assert_int_equal(sigv4_canonical_request(&in, NULL), SIGV4_EINVAL);
    assert_int_equal(sigv4_string_to_sign(&in, NULL, &s), SIGV4_EINVAL);
    assert_null(s);
    assert_int_equal(sigv4_string_to_sign(&in, "creq", NULL), SIGV4_EINVAL);
    in.region = "";
    assert_int_equal(sigv4_canonical_request(&in, &s), SIGV4_EINVAL);
    assert_int_equal(sigv4_string_to_sign(&in, "creq", &s), SIGV4_EINVAL);
    assert_null(s);
}

static void test_too_long(void **state)
{
    const struct awslib *lib = *state;
    char secret[SIGV4_SECRET_MAX + 2];
    memset(secret, 'k', sizeof(secret) - 1);
    secret[sizeof(secret) - 1] = '\0';
    const struct sigv4_header ok[] = {{"Host", "h"}};
    struct sigv4_input in = minimal_input(ok, 1, lib);
    in.secret_key = secret;
    assert_int_equal(sign_rc(&in), SIGV4_ETOOLONG);
    secret[SIGV4_SECRET_MAX] = '\0';
    assert_int_equal(sign_rc(&in), SIGV4_OK);

    /* 40 headers with 60-character names: the SignedHeaders list overflows Authorization. */
    char names[40][61];
    struct sigv4_header many[41];
    many[0].name = "Host";
    many[0].value = "h";
    for (size_t i = 0; i < 40; i++) {
        memset(names[i], 'a', 60);
        names[i][60] = '\0';
        names[i][0] = (char)('A' + i % 26);
        names[i][1] = (char)('a' + i / 26);
        many[i + 1].name = names[i];
        many[i + 1].value = "v";
    }
    in = minimal_input(many, ARRAY_LEN(many), lib);
    assert_int_equal(sign_rc(&in), SIGV4_ETOOLONG);
    in.nheaders = 20;
    assert_int_equal(sign_rc(&in), SIGV4_OK);

    /* More than 256 headers are refused before anything is built. */
    struct sigv4_header *lots = calloc(300, sizeof(*lots));
    assert_non_null(lots);
    for (size_t i = 0; i < 300; i++) {
        lots[i].name = i == 0 ? "Host" : "X-A";
        lots[i].value = "v";
    }
    in = minimal_input(lots, 256, lib);
    assert_int_equal(sign_rc(&in), SIGV4_OK);
    in.nheaders = 257;
    assert_int_equal(sign_rc(&in), SIGV4_ETOOLONG);
    free(lots);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static void test_amz_date(void **state)
{
    (void)state;
    char d[SIGV4_DATE_LEN + 1];
    assert_int_equal(sigv4_amz_date((time_t)1440938160, d), SIGV4_OK);
    assert_string_equal(d, "20150830T123600Z");
    assert_int_equal(sigv4_amz_date((time_t)0, d), SIGV4_OK);
    assert_string_equal(d, "19700101T000000Z");
    assert_int_equal(sigv4_amz_date((time_t)253402300799, d), SIGV4_OK);
    assert_string_equal(d, "99991231T235959Z");
    assert_int_equal(sigv4_amz_date((time_t)253402300800, d), SIGV4_EINVAL);
    assert_int_equal(sigv4_amz_date((time_t)-30610224001, d), SIGV4_EINVAL); /* year 999 */
}

static void test_sha256_and_strerror(void **state)
{
    const struct awslib *lib = *state;
    char hex[SIGV4_HEX_LEN + 1];
    assert_int_equal(sigv4_sha256_hex(lib, NULL, 0, hex), SIGV4_OK);
    assert_string_equal(hex, empty_sha256);
    assert_int_equal(sigv4_sha256_hex(lib, "abc", 3, hex), SIGV4_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(sigv4_sha256_hex(lib, NULL, 1, hex), SIGV4_EINVAL);
    assert_string_equal(sigv4_strerror(SIGV4_OK), "success");
    assert_string_equal(sigv4_strerror(SIGV4_ETOOLONG), "signing input too long");
    assert_string_equal(sigv4_strerror(42), "unknown error");
}

/* Every test gets the dlopen()ed libcrypto as its state, as the exporters hand it to sigv4. */
static int open_lib(void **state)
{
    char err[256];
    *state = awslib_open(err, sizeof(err));
    if (*state == NULL) {
        print_error("awslib_open: %s\n", err);
        return -1;
    }
    return 0;
}

static int close_lib(void **state)
{
    awslib_close(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_header_key_duplicate),
        cmocka_unit_test(test_get_header_value_multiline),
        cmocka_unit_test(test_get_header_value_order),
        cmocka_unit_test(test_get_header_value_trim),
        cmocka_unit_test(test_get_unreserved),
        cmocka_unit_test(test_get_utf8),
        cmocka_unit_test(test_get_vanilla),
        cmocka_unit_test(test_get_vanilla_empty_query_key),
        cmocka_unit_test(test_get_vanilla_query),
        cmocka_unit_test(test_get_vanilla_query_order_encoded),
        cmocka_unit_test(test_get_vanilla_query_order_key),
        cmocka_unit_test(test_get_vanilla_query_order_key_case),
        cmocka_unit_test(test_get_vanilla_query_order_value),
        cmocka_unit_test(test_get_vanilla_query_unreserved),
        cmocka_unit_test(test_get_vanilla_utf8_query),
        cmocka_unit_test(test_get_vanilla_with_session_token),
        cmocka_unit_test(test_get_relative),
        cmocka_unit_test(test_get_relative_relative),
        cmocka_unit_test(test_get_slash),
        cmocka_unit_test(test_get_slash_dot_slash),
        cmocka_unit_test(test_get_slash_pointless_dot),
        cmocka_unit_test(test_get_slashes),
        cmocka_unit_test(test_get_space),
        cmocka_unit_test(test_get_special_character),
        cmocka_unit_test(test_post_header_key_case),
        cmocka_unit_test(test_post_header_key_sort),
        cmocka_unit_test(test_post_header_value_case),
        cmocka_unit_test(test_post_sts_header_after),
        cmocka_unit_test(test_post_sts_header_before),
        cmocka_unit_test(test_post_vanilla),
        cmocka_unit_test(test_post_vanilla_empty_query_value),
        cmocka_unit_test(test_post_vanilla_query),
        cmocka_unit_test(test_post_x_www_form_urlencoded),
        cmocka_unit_test(test_post_x_www_form_urlencoded_parameters),
        cmocka_unit_test(test_post_sts_token_via_api),
        cmocka_unit_test(test_signing_key),
        cmocka_unit_test(test_putmetricdata_form),
        cmocka_unit_test(test_putmetricdata_gzip),
        cmocka_unit_test(test_amp_remote_write),
        cmocka_unit_test(test_canonical_path),
        cmocka_unit_test(test_canonical_query),
        cmocka_unit_test(test_canonical_headers),
        cmocka_unit_test(test_invalid_inputs),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_amz_date),
        cmocka_unit_test(test_sha256_and_strerror),
    };
    return cmocka_run_group_tests(tests, open_lib, close_lib);
}
