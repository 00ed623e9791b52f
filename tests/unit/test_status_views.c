/* The two views of the status document: the terminal one of `hostwatch status` and the page
 * at GET /, on a document with every kind of detail (tests/fixtures/status/sample.json, a
 * path with markup in it). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/statuscmd.h"
#include "exporters/prometheus/prom_page.h"

static const char doc[] =
    "{\"format\":\"hostwatch-status/1\",\"version\":\"0.1.0\",\"pid\":4242,\"started_at\":\"2026-12-04T22:00"
    ":00.000Z\",\"generated_at\":\"2026-12-04T22:10:00.250Z\",\"uptime_s\":600.25,\"config\":{\"file\":\"/e"
    "tc/hostwatch/hostwatch.json\",\"loaded_at\":\"2026-12-04T22:05:00.000Z\",\"reloads\":{\"success\":1"
    ",\"failure\":1},\"last_reload\":{\"at\":\"2026-12-04T22:05:00.000Z\",\"result\":\"failure\",\"error\":\"/"
    "etc/hostwatch/hostwatch.json: exporters.cloudwatch.storage_resolution: must be 1 or 60\"}},"
    "\"collectors\":[{\"name\":\"memory\",\"plugin\":\"memory\",\"path\":\"collectors.memory\",\"state\":\"ok\",\""
    "collections\":60,\"errors\":0,\"last_duration_ms\":0.21,\"last_run_at\":\"2026-12-04T22:09:58.000Z"
    "\",\"detail\":null},{\"name\":\"app\",\"plugin\":\"logs\",\"path\":\"collectors.logs[0]\",\"state\":\"ok\",\"c"
    "ollections\":600,\"errors\":0,\"last_duration_ms\":0.05,\"last_run_at\":\"2026-12-04T22:09:59.000Z"
    "\",\"detail\":{\"lines\":120000,\"bytes\":9600000,\"lines_too_long\":0,\"rotations\":2,\"read_errors\":"
    "0,\"lines_per_s\":200.5,\"files_total\":1,\"files_shown\":1,\"files\":[{\"path\":\"/var/log/app/<scri"
    "pt>alert(1)</script>&x.log\",\"dev\":2049,\"inode\":131077,\"position\":9600000,\"size\":9600512,\"b"
    "ehind\":512,\"last_line_at\":\"2026-12-04T22:09:59.900Z\"}],\"filters\":[{\"name\":\"http_errors\",\"m"
    "etric\":\"http_errors_total\",\"matches\":420,\"bad_values\":0,\"limit_errors\":0,\"dropped\":0,\"seri"
    "es\":3,\"max_series\":1000}],\"files_truncated\":false}},{\"name\":\"fsfo\",\"plugin\":\"fsfo\",\"path\":"
    "\"collectors.fsfo\",\"state\":\"ok\",\"collections\":600,\"errors\":0,\"last_duration_ms\":0.02,\"last_"
    "run_at\":\"2026-12-04T22:09:59.000Z\",\"detail\":{\"primary\":\"orclstd\",\"observer_up\":true,\"datab"
    "ases\":[{\"name\":\"orclviq\",\"role\":\"standby\"},{\"name\":\"orclstd\",\"role\":\"primary\"}],\"failovers"
    "\":1,\"switchovers\":0,\"reinstatements\":0,\"last_event\":{\"kind\":\"failover\",\"primary\":\"orclstd\""
    ",\"file\":\"/u01/app/oracle/observer/observer.log\",\"line\":28,\"text\":\"Failover succeeded, new "
    "primary is \\\"orclstd\\\"\"},\"files\":[{\"path\":\"/u01/app/oracle/observer/observer.log\",\"positio"
    "n\":4096,\"size\":4096,\"behind\":0}]}}],\"exporters\":[{\"name\":\"prometheus\",\"plugin\":\"prometheus"
    "\",\"path\":\"exporters.prometheus\",\"state\":\"ok\",\"detail\":{\"listen\":\"127.0.0.1:9273\",\"tls\":fal"
    "se,\"basic_auth\":false,\"requests\":{\"success\":1200,\"bad_request\":0,\"error\":0}}},{\"name\":\"clo"
    "udwatch\",\"plugin\":\"cloudwatch\",\"path\":\"exporters.cloudwatch\",\"state\":\"retrying\",\"detail\":{"
    "\"endpoint\":\"https://monitoring.eu-west-1.amazonaws.com/\",\"dry_run\":false,\"requests\":{\"succ"
    "ess\":9,\"error\":2,\"throttled\":1,\"rejected\":0},\"datapoints\":{\"sent\":180,\"dropped\":0,\"spooled"
    "\":40},\"last_success_at\":\"2026-12-04T22:08:00.000Z\",\"last_error\":{\"at\":\"2026-12-04T22:09:00"
    ".000Z\",\"cause\":\"Throttling\",\"message\":\"Rate exceeded\"},\"spool\":{\"entries\":2,\"bytes\":4096},"
    "\"next_retry_at\":\"2026-12-04T22:10:01.000Z\"}},{\"name\":\"route53\",\"plugin\":\"route53\",\"path\":\""
    "exporters.route53\",\"state\":\"ok\",\"detail\":{\"zone\":\"Z0123456789ABCDEFGHIJ\",\"dry_run\":false,\""
    "records\":[{\"name\":\"db.corp.internal\",\"type\":\"CNAME\",\"desired\":\"orclstd.corp.internal\",\"cur"
    "rent\":\"orclstd.corp.internal\",\"last_change_at\":\"2026-12-04T22:07:30.000Z\",\"insync_s\":0.75,"
    "\"last_error\":null}]}}],\"health\":{\"healthy\":false,\"rules\":[{\"rule\":\"orclstd is primary: ora"
    "cle_fsfo_is_primary{database=\\\"orclstd\\\"} == 1\",\"ok\":true,\"why\":\"\"},{\"rule\":\"app lines flo"
    "w: hostwatch_log_lines_total{source=\\\"app\\\"} > 0\",\"ok\":false,\"why\":\"rule failed: app lines"
    " flow: hostwatch_log_lines_total{source=\\\"app\\\"} > 0 (value is 0)\"}]},\"limits\":{\"files_per"
    "_source\":100}}";

static char *render_text(const char *text)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    int rc = hw_status_render(text, strlen(text), f);
    fclose(f);
    if (rc != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static void test_terminal_view(void **state)
{
    (void)state;
    char *v = render_text(doc);
    assert_non_null(v);
    assert_non_null(strstr(v, "hostwatch 0.1.0, pid 4242, up 10m 0s"));
    assert_non_null(strstr(v, "NOT HEALTHY"));
    assert_non_null(strstr(v, "FAILED app lines flow"));
    assert_non_null(strstr(v, "(value is 0)"));
    assert_non_null(strstr(v, "<script>alert(1)</script>&x.log")); /* a terminal shows it as is */
    assert_non_null(strstr(v, "http_errors"));
    assert_non_null(strstr(v, "3/1000"));
    assert_non_null(strstr(v, "primary orclstd, observer up"));
    assert_non_null(strstr(v, "last event failover"));
    assert_non_null(strstr(v, "db.corp.internal"));
    assert_non_null(strstr(v, "desired orclstd.corp.internal"));
    assert_non_null(strstr(v, "Throttling")); /* the CloudWatch detail, shown generically */
    assert_non_null(strstr(v, "reload    failure"));
    free(v);
    assert_null(render_text("not json"));
    assert_null(render_text("{\"format\":\"other/1\"}"));
    char *bare = render_text("{\"format\":\"hostwatch-status/1\",\"collectors\":[{\"name\":"
                             "\"m\",\"plugin\":\"memory\",\"detail\":null}]}");
    assert_non_null(bare);
    assert_non_null(strstr(bare, "memory"));
    free(bare);
}

static void test_page(void **state)
{
    (void)state;
    struct hw_buf b;
    hw_buf_init(&b);
    assert_int_equal(prom_page_render(doc, strlen(doc), &b), 0);
    assert_non_null(strstr(b.data, "<meta http-equiv=\"refresh\" content=\"5\">"));
    assert_non_null(strstr(b.data, "href=\"/status\""));
    assert_null(strstr(b.data, "<script")); /* the path's markup is escaped */
    assert_non_null(strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;x.log"));
    assert_non_null(strstr(b.data, "http_errors"));
    assert_non_null(strstr(b.data, "orclstd"));
    assert_non_null(strstr(b.data, "NOT HEALTHY"));
    assert_non_null(strstr(b.data, "Throttling"));
    assert_non_null(strstr(b.data, "db.corp.internal"));
    hw_buf_reset(&b);
    assert_int_equal(prom_page_render("garbage", 7, &b), -1);
    assert_non_null(strstr(b.data, "cannot be read"));
    hw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terminal_view),
        cmocka_unit_test(test_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
