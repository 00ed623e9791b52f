/* Unit tests of the SigV4 signer against every case of AWS's SigV4 test suite (canonical
 * request, string to sign and Authorization compared byte for byte) and the signing key.
 * CloudWatch- and AMP-shaped requests, canonicalisation details and input validation are in
 * test_sigv4_forms.c.
 *
 * No suite case is skipped. Two need the session token passed through the API because it is not
 * in their .req: get-vanilla-with-session-token (token taken from its .creq) and, in a second
 * test, post-sts-header-before (token from post-sts-token/readme.txt). post-sts-header-after is
 * signed without a token: the suite adds the token after signing, which the signer never does. */
#include "sigv4_harness.h"

#define SUITE_DIR HW_FIXTURES "/sigv4/"
#define MAX_HEADERS 16

static const char vanilla_token[] =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
static const char sts_token[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxf"
    "pSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQ"
    "DYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

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

static struct sigv4_input suite_input(const struct parsed_req *r, const struct netlib *lib)
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

static void run_case(const char *rel, const char *token, const struct netlib *lib)
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
    const struct netlib *lib = *state;
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
    const struct netlib *lib = *state;
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
    };
    return cmocka_run_group_tests(tests, open_lib, close_lib);
}
