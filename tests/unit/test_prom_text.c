#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exporters/prometheus/prom_text.h"
#include "exporters/prometheus/prometheus.h"
#include "registry.h"

static const double bounds[] = {0.25, 1, 2.5};

static char *render(struct hw_registry *reg, unsigned view)
{
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    struct hw_buf b;
    hw_buf_init(&b);
    prom_text_render(&b, snap, view);
    hw_snapshot_release(snap);
    return b.data; /* caller frees */
}

static void test_render_families(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    const struct hw_family_desc mem = {.name = "node_memory_MemTotal_bytes",
                                       .help = "Memory information field MemTotal.",
                                       .type = HW_GAUGE, .views = HW_VIEW_NODE};
    const struct hw_family_desc cw = {.name = "mem_used_percent", .help = "x", .type = HW_GAUGE,
                                      .views = HW_VIEW_CW};
    const struct hw_family_desc lat = {.name = "app_latency_seconds", .help = "Latency.",
                                       .type = HW_HISTOGRAM, .views = HW_VIEW_ALL,
                                       .buckets = bounds, .nbuckets = 3};
    const struct hw_family_desc empty = {.name = "a_empty", .help = "no series",
                                         .type = HW_GAUGE, .views = HW_VIEW_ALL};
    hw_family_set(hw_registry_family(reg, &mem, NULL), NULL, 0, 16777216000.0);
    hw_family_set(hw_registry_family(reg, &cw, NULL), NULL, 0, 42.5);
    hw_registry_family(reg, &empty, NULL);
    struct hw_family *h = hw_registry_family(reg, &lat, NULL);
    const struct hw_label l[] = {{"path", "/api"}};
    struct hw_series *s = hw_family_series(h, l, 1, 0);
    hw_family_observe(h, s, 0.1);
    hw_family_observe(h, s, 2);
    char *text = render(reg, HW_VIEW_NODE);
    const char *want = "# HELP app_latency_seconds Latency.\n"
                       "# TYPE app_latency_seconds histogram\n"
                       "app_latency_seconds_bucket{path=\"/api\",le=\"0.25\"} 1\n"
                       "app_latency_seconds_bucket{path=\"/api\",le=\"1\"} 1\n"
                       "app_latency_seconds_bucket{path=\"/api\",le=\"2.5\"} 2\n"
                       "app_latency_seconds_bucket{path=\"/api\",le=\"+Inf\"} 2\n"
                       "app_latency_seconds_sum{path=\"/api\"} 2.1\n"
                       "app_latency_seconds_count{path=\"/api\"} 2\n"
                       "# HELP node_memory_MemTotal_bytes Memory information field MemTotal.\n"
                       "# TYPE node_memory_MemTotal_bytes gauge\n"
                       "node_memory_MemTotal_bytes 16777216000\n";
    assert_string_equal(text, want);
    free(text);
    text = render(reg, HW_VIEW_CW);
    assert_non_null(strstr(text, "mem_used_percent 42.5\n"));
    assert_null(strstr(text, "node_memory"));
    free(text);
    hw_registry_free(reg);
}

static void test_escaping(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    const struct hw_family_desc d = {.name = "node_filesystem_size_bytes",
                                     .help = "back\\slash\nnewline \"quotes\"",
                                     .type = HW_GAUGE, .views = HW_VIEW_NODE};
    const struct hw_label l[] = {{"mountpoint", "/mnt/a \"b\"\\c\nd"}};
    hw_family_set(hw_registry_family(reg, &d, NULL), l, 1, 1.5e300);
    char *text = render(reg, HW_VIEW_NODE);
    assert_string_equal(text,
                        "# HELP node_filesystem_size_bytes back\\\\slash\\nnewline \"quotes\"\n"
                        "# TYPE node_filesystem_size_bytes gauge\n"
                        "node_filesystem_size_bytes{mountpoint=\"/mnt/a \\\"b\\\"\\\\c\\nd\"} "
                        "1.5e+300\n");
    free(text);
    hw_registry_free(reg);
}

static void test_numbers(void **state)
{
    (void)state;
    char out[HW_DOUBLE_LEN];
    hw_fmt_double(out, 0.1);
    assert_string_equal(out, "0.1");
    hw_fmt_double(out, 1.0 / 3.0);
    assert_string_equal(out, "0.3333333333333333");
    hw_fmt_double(out, -42);
    assert_string_equal(out, "-42");
    hw_fmt_double(out, 18446744073709551616.0);
    assert_string_equal(out, "1.8446744073709552e+19");
    hw_fmt_double(out, 0.0 / 0.0);
    assert_string_equal(out, "NaN");
    hw_fmt_double(out, -1.0 / 0.0);
    assert_string_equal(out, "-Inf");
    hw_fmt_double(out, 9007199254740991.0);
    assert_string_equal(out, "9007199254740991");
}

static void test_accept_encoding(void **state)
{
    (void)state;
    assert_true(prom_accepts_gzip("gzip"));
    assert_true(prom_accepts_gzip("deflate, gzip;q=1.0, *;q=0.5"));
    assert_true(prom_accepts_gzip("GZIP"));
    assert_true(prom_accepts_gzip("x-gzip"));
    assert_false(prom_accepts_gzip("gzip;q=0"));
    assert_false(prom_accepts_gzip("identity"));
    assert_false(prom_accepts_gzip("gzipx"));
    assert_false(prom_accepts_gzip(""));
    assert_false(prom_accepts_gzip(NULL));
}

static void test_openmetrics(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    const struct hw_family_desc c = {.name = "node_disk_reads_completed_total",
                                     .help = "Reads \"done\".", .type = HW_COUNTER,
                                     .views = HW_VIEW_NODE};
    const struct hw_family_desc c2 = {.name = "app_errors", .help = "Errors.",
                                      .type = HW_COUNTER, .views = HW_VIEW_NODE};
    const struct hw_family_desc h = {.name = "lat_seconds", .help = "Latency.",
                                     .type = HW_HISTOGRAM, .views = HW_VIEW_NODE,
                                     .buckets = bounds, .nbuckets = 1};
    const struct hw_label l[] = {{"device", "sda"}};
    hw_family_set(hw_registry_family(reg, &c, NULL), l, 1, 12);
    hw_family_set(hw_registry_family(reg, &c2, NULL), NULL, 0, 3);
    struct hw_family *hf = hw_registry_family(reg, &h, NULL);
    hw_family_observe(hf, hw_family_series(hf, NULL, 0, 0), 0.5);
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    struct hw_buf b;
    hw_buf_init(&b);
    prom_openmetrics_render(&b, snap, HW_VIEW_NODE);
    assert_string_equal(b.data, "# TYPE app_errors counter\n"
                                "# HELP app_errors Errors.\n"
                                "app_errors_total 3\n"
                                "# TYPE lat_seconds histogram\n"
                                "# HELP lat_seconds Latency.\n"
                                "lat_seconds_bucket{le=\"0.25\"} 0\n"
                                "lat_seconds_bucket{le=\"+Inf\"} 1\n"
                                "lat_seconds_sum 0.5\n"
                                "lat_seconds_count 1\n"
                                "# TYPE node_disk_reads_completed counter\n"
                                "# HELP node_disk_reads_completed Reads \\\"done\\\".\n"
                                "node_disk_reads_completed_total{device=\"sda\"} 12\n"
                                "# EOF\n");
    hw_buf_free(&b);
    hw_snapshot_release(snap);
    hw_registry_free(reg);
}

static void test_negotiation(void **state)
{
    (void)state;
    /* What Prometheus 2.x sends. */
    assert_int_equal(prom_negotiate("application/openmetrics-text;version=1.0.0,"
                                    "application/openmetrics-text;version=0.0.1;q=0.75,"
                                    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
                     PROM_FMT_OPENMETRICS);
    assert_int_equal(prom_negotiate(NULL), PROM_FMT_TEXT);
    assert_int_equal(prom_negotiate("*/*"), PROM_FMT_TEXT);
    assert_int_equal(prom_negotiate("text/plain"), PROM_FMT_TEXT);
    assert_int_equal(prom_negotiate("application/openmetrics-text; version=1.0.0"),
                     PROM_FMT_OPENMETRICS);
    assert_int_equal(prom_negotiate("application/openmetrics-text;q=0.2, text/plain;q=0.9"),
                     PROM_FMT_TEXT);
    assert_int_equal(prom_negotiate("application/openmetrics-text;q=0"), PROM_FMT_TEXT);
    assert_int_equal(prom_negotiate("application/openmetrics-text;version=9.9.9"), PROM_FMT_TEXT);
    assert_int_equal(prom_negotiate("application/openmetrics-text; version=0.0.1;q=0.5"),
                     PROM_FMT_OPENMETRICS);
    assert_int_equal(prom_negotiate("application/openmetrics-text;version="), PROM_FMT_TEXT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_families),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_accept_encoding),
        cmocka_unit_test(test_openmetrics),
        cmocka_unit_test(test_negotiation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
