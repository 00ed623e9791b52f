#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "exporters/aws/aws_identity.h"
#include "exporters/aws/aws_credentials.h"
#include "exporters/net/http_client.h"

static void test_json(void **state)
{
    (void)state;
    struct aws_creds c;
    const char *ok = "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s3cr3t\","
                     "\"Token\":\"tok\",\"Expiration\":\"2026-11-22T02:00:00Z\"}";
    assert_int_equal(aws_creds_parse_json(ok, strlen(ok), &c), 0);
    assert_string_equal(c.access_key, "ASIA1");
    assert_string_equal(c.secret_key, "s3cr3t");
    assert_string_equal(c.token, "tok");
    assert_int_equal(c.expires_ms, 1795312800000LL);
    const char *bad[] = {"", "{}", "[1]", "{\"AccessKeyId\":1,\"SecretAccessKey\":\"x\"}",
                         "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"b\",\"Expiration\":\"soon\"}",
                         /* empty keys are no keys (found by fuzz_creds) */
                         "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"\"}",
                         "{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"b\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(aws_creds_parse_json(bad[i], strlen(bad[i]), &c), -1);
    }
}

static void test_sts(void **state)
{
    (void)state;
    struct aws_creds c;
    const char *xml =
        "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
        "<AccessKeyId>ASIAW</AccessKeyId><SecretAccessKey>sk</SecretAccessKey>"
        "<SessionToken>st</SessionToken><Expiration>2026-11-22T02:00:00.123Z</Expiration>"
        "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
    assert_int_equal(aws_creds_parse_sts(xml, strlen(xml), &c), 0);
    assert_string_equal(c.access_key, "ASIAW");
    assert_string_equal(c.token, "st");
    assert_int_equal(c.expires_ms, 1795312800000LL);
    assert_int_equal(aws_creds_parse_sts("<Error>denied</Error>", 21, &c), -1);
    const char *empty = "<Credentials><AccessKeyId>ASIAW</AccessKeyId><SecretAccessKey>"
                        "</SecretAccessKey><SessionToken>st</SessionToken><Expiration>"
                        "2026-11-22T02:00:00Z</Expiration></Credentials>";
    assert_int_equal(aws_creds_parse_sts(empty, strlen(empty), &c), -1);
}

static void test_profiles(void **state)
{
    (void)state;
    const char *creds = "[default]\naws_access_key_id = AK1\naws_secret_access_key=SK1\n\n"
                        "[prod]\n  aws_access_key_id=AK2  \naws_secret_access_key = SK2\n";
    const char *config = "[default]\nregion = eu-west-1\n[profile prod]\nregion=us-east-2\n";
    char v[64];
    assert_int_equal(aws_profile_value(creds, "default", 0, "aws_access_key_id", v, sizeof(v)), 1);
    assert_string_equal(v, "AK1");
    assert_int_equal(aws_profile_value(creds, "prod", 0, "aws_access_key_id", v, sizeof(v)), 1);
    assert_string_equal(v, "AK2");
    assert_int_equal(aws_profile_value(creds, "prod", 0, "aws_session_token", v, sizeof(v)), 0);
    assert_int_equal(aws_profile_value(config, "prod", 1, "region", v, sizeof(v)), 1);
    assert_string_equal(v, "us-east-2");
    assert_int_equal(aws_profile_value(config, "default", 1, "region", v, sizeof(v)), 1);
    assert_string_equal(v, "eu-west-1");
    assert_int_equal(aws_profile_value(config, "nope", 1, "region", v, sizeof(v)), 0);
}

static void test_urls(void **state)
{
    (void)state;
    const char *why;
    assert_true(aws_url_allowed("https://monitoring.eu-west-1.amazonaws.com/", &why));
    assert_true(aws_url_allowed("http://127.0.0.1:8080/", &why));
    assert_true(aws_url_allowed("http://169.254.169.254", &why));
    assert_true(aws_url_allowed("http://[::1]:9/x", &why));
    assert_true(aws_url_allowed("http://[fd00:ec2::254]/latest", &why));
    assert_false(aws_url_allowed("http://10.0.0.5/", &why));
    assert_false(aws_url_allowed("http://monitoring.amazonaws.com/", &why));
    assert_false(aws_url_allowed("ftp://x/", &why));
}

static void test_expand_and_region(void **state)
{
    (void)state;
    char out[256];
    setenv("HW_TEST_ENV", "value1", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    assert_int_equal(aws_expand(NULL, "eu-west-1", "host-${HW_TEST_ENV}-${aws:Region}-${aws:InstanceId}",
                                out, sizeof(out)), 0);
    assert_string_equal(out, "host-value1-eu-west-1-");
    assert_int_equal(aws_expand(NULL, "r", "${unterminated", out, sizeof(out)), 0);
    assert_string_equal(out, "${unterminated");
    assert_int_equal(aws_expand(NULL, "r", "${HW_TEST_ENV}", out, 4), -1);
    setenv("AWS_REGION", "ap-south-1", 1);
    assert_int_equal(aws_region_resolve(NULL, "auto", out, sizeof(out)), 0);
    assert_string_equal(out, "ap-south-1");
    assert_int_equal(aws_region_resolve(NULL, "eu-north-1", out, sizeof(out)), 0);
    assert_string_equal(out, "eu-north-1");
    unsetenv("AWS_REGION");
    unsetenv("HW_TEST_ENV");
}

static void test_iso8601(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(aws_parse_iso8601("1970-01-01T00:00:10Z", &ms), 0);
    assert_int_equal(ms, 10000);
    assert_int_equal(aws_parse_iso8601("2026-11-22T02:00:00+00:00", &ms), 0);
    assert_int_equal(aws_parse_iso8601("2026-11-22 02:00:00", &ms), -1);
    assert_int_equal(aws_parse_iso8601("2026-11-22T02:00:00+02:00", &ms), -1);
}

static void test_http_date_and_skew(void **state)
{
    (void)state;
    char out[128];
    assert_int_equal(hw_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777LL);
    assert_int_equal(hw_http_date_parse("Sun, 22 Nov 2026 03:01:17 GMT"), 1795316477LL);
    assert_int_equal(hw_http_date_parse("Sun, 06 Foo 1994 08:49:37 GMT"), 0);
    assert_int_equal(hw_http_date_parse("Sun, 06 Nov 1994 25:49:37 GMT"), 0);
    assert_int_equal(hw_http_date_parse("yesterday"), 0);
    assert_int_equal(aws_clock_skew_text(1000432, 1000000, out, sizeof(out)), 1);
    assert_string_equal(out, "local clock is 7m12s behind the server");
    assert_int_equal(aws_clock_skew_text(1000000, 1003725, out, sizeof(out)), 1);
    assert_string_equal(out, "local clock is 1h02m05s ahead of the server");
    assert_int_equal(aws_clock_skew_text(1000000 + 2 * 86400 + 7200, 1000000, out, sizeof(out)), 1);
    assert_string_equal(out, "local clock is 2d02h00m behind the server");
    assert_int_equal(aws_clock_skew_text(1000059, 1000000, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(aws_clock_skew_text(0, 1000000, out, sizeof(out)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),     cmocka_unit_test(test_sts),
        cmocka_unit_test(test_profiles), cmocka_unit_test(test_urls),
        cmocka_unit_test(test_expand_and_region), cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_http_date_and_skew),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
