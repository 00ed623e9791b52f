/* credential_process: the JSON it must print, the command-line splitting, and running it with
 * a time limit and an output bound. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/aws/aws_internal.h"

#define NOW_MS 1795312800000LL /* 2026-11-22T02:00:00Z */

static int parse(const char *json, struct aws_creds *c, char *why, size_t wlen)
{
    why[0] = '\0';
    return aws_creds_parse_process(json, strlen(json), NOW_MS, c, why, wlen);
}

static void test_parse_good(void **state)
{
    (void)state;
    struct aws_creds c;
    char why[256];
    const char *full = "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": "
                       "\"s3cr3t\", \"SessionToken\": \"tok\", "
                       "\"Expiration\": \"2026-11-22T03:00:00Z\"}";
    assert_int_equal(parse(full, &c, why, sizeof(why)), 0);
    assert_string_equal(c.access_key, "ASIAPROC");
    assert_string_equal(c.secret_key, "s3cr3t");
    assert_string_equal(c.token, "tok");
    assert_int_equal(c.expires_ms, NOW_MS + 3600000LL);
    const char *lasting = "{\"Version\":1,\"AccessKeyId\":\"AKIAP\",\"SecretAccessKey\":\"x\"}";
    assert_int_equal(parse(lasting, &c, why, sizeof(why)), 0);
    assert_string_equal(c.token, "");
    assert_int_equal(c.expires_ms, 0);
}

/* Each bad document is refused with a reason that names what is wrong and shows no value. */
static void test_parse_bad(void **state)
{
    (void)state;
    static const struct {
        const char *json, *reason;
    } bad[] = {
        {"{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"SEKRIT\"}", "Version must be the number 1 (it is missing)"},
        {"{\"Version\":2,\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"SEKRIT\"}", "Version must be the number 1 (it is another number)"},
        {"{\"Version\":\"1\",\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"SEKRIT\"}", "Version must be the number 1 (it is not a number)"},
        {"{\"Version\":1,\"SecretAccessKey\":\"SEKRIT\"}", "AccessKeyId is missing"},
        {"{\"Version\":1,\"AccessKeyId\":\"a\"}", "SecretAccessKey is missing"},
        {"{\"Version\":1,\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"\"}", "SecretAccessKey is not a non-empty string"},
        {"{\"Version\":1,\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"SEKRIT\",\"SessionToken\":5}", "SessionToken is not a non-empty string"},
        {"{\"Version\":1,\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"SEKRIT\",\"Expiration\":\"2026-11-22T01:59:59Z\"}", "the credentials expired at 2026-11-22T01:59:59Z"},
        {"{\"Version\":1,\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"SEKRIT\",\"Expiration\":\"tomorrow\"}", "Expiration is not an ISO 8601 UTC time such as 2026-05-26T12:34:56Z"},
        {"[1, 2]", "its output is not a JSON object (another JSON value at line"},
        {"Enter MFA code: ", "its output is not a JSON object ("},
        {"", "its output is not a JSON object ("},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct aws_creds c;
        char why[256];
        assert_int_equal(parse(bad[i].json, &c, why, sizeof(why)), -1);
        if (strncmp(why, bad[i].reason, strlen(bad[i].reason)) != 0) {
            fail_msg("case %zu: got \"%s\", want \"%s...\"", i, why, bad[i].reason);
        }
        assert_null(strstr(why, "SEKRIT"));
    }
}

static void test_split(void **state)
{
    (void)state;
    char buf[256], why[128];
    char *argv[8];
    assert_int_equal(aws_split_command("  /bin/helper --profile 'my prof' \"a \\\"b\\\" $c\" d\\ e ",
                                       buf, sizeof(buf), argv, 8, why, sizeof(why)), 5);
    assert_string_equal(argv[0], "/bin/helper");
    assert_string_equal(argv[1], "--profile");
    assert_string_equal(argv[2], "my prof");
    assert_string_equal(argv[3], "a \"b\" $c");
    assert_string_equal(argv[4], "d e");
    assert_null(argv[5]);
    assert_int_equal(aws_split_command("x 'it''s' \"\\n\"", buf, sizeof(buf), argv, 8, why,
                                       sizeof(why)), 3);
    assert_string_equal(argv[1], "its");
    assert_string_equal(argv[2], "\\n");
    assert_int_equal(aws_split_command("helper 'open", buf, sizeof(buf), argv, 8, why, sizeof(why)), -1);
    assert_string_equal(why, "unterminated ' quote");
    assert_int_equal(aws_split_command("   ", buf, sizeof(buf), argv, 8, why, sizeof(why)), -1);
    assert_string_equal(why, "empty command");
    assert_int_equal(aws_split_command("a b c d e f g h", buf, sizeof(buf), argv, 8, why, sizeof(why)), -1);
    assert_string_equal(why, "more than 7 words");
    assert_int_equal(aws_split_command("abcdefghij", buf, 8, argv, 8, why, sizeof(why)), -1);
    assert_string_equal(why, "longer than 7 bytes");
}

static int run(const char *cmd, int timeout_ms, struct hw_buf *out, char *why, size_t wlen)
{
    char words[512];
    char *argv[16];
    assert_true(aws_split_command(cmd, words, sizeof(words), argv, 16, why, wlen) > 0);
    hw_buf_reset(out);
    why[0] = '\0';
    return aws_run_captured(argv, timeout_ms, out, why, wlen);
}

static void test_run(void **state)
{
    (void)state;
    struct hw_buf out;
    char why[512];
    hw_buf_init(&out);
    assert_int_equal(run("/bin/sh -c 'echo \"{}\"; echo noise >&2'", 5000, &out, why, sizeof(why)), 0);
    assert_string_equal(out.data, "{}\n");
    assert_int_equal(run("/bin/sh -c 'echo denied by policy >&2; exit 3'", 5000, &out, why, sizeof(why)), -1);
    assert_string_equal(why, "it exited with status 3; stderr: denied by policy");
    assert_int_equal(run("/bin/sh -c 'kill -9 $$'", 5000, &out, why, sizeof(why)), -1);
    assert_string_equal(why, "it was killed by signal 9");
    assert_int_equal(run("/bin/sleep 5", 200, &out, why, sizeof(why)), -1);
    assert_string_equal(why, "it did not finish within 200 ms");
    assert_int_equal(run("/bin/sh -c 'head -c 200000 /dev/zero'", 5000, &out, why, sizeof(why)), -1);
    assert_string_equal(why, "it printed more than 64 KiB");
    assert_int_equal(run("/nonexistent/helper", 5000, &out, why, sizeof(why)), -1);
    /* glibc reports the failed exec as an error, valgrind's emulation as exit status 127 */
    assert_true(strcmp(why, "cannot run /nonexistent/helper: No such file or directory") == 0 ||
                strcmp(why, "cannot run /nonexistent/helper: not found or not executable") == 0);
    hw_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good), cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_split), cmocka_unit_test(test_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
