/* check --cost: the price table, tiered pricing, counting distinct metrics, totals. */
#include "test_util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/cli/cost.h"
#include "exporters/cloudwatch/cw_cost.h"

static void assert_near(double a, double b)
{
    if (fabs(a - b) > 1e-9 * (fabs(b) + 1)) {
        print_message("%.12f != %.12f\n", a, b);
        fail();
    }
}

static void test_default_tiers(void **state)
{
    (void)state;
    struct hw_prices p;
    hw_prices_default(&p);
    assert_string_equal(p.region, "us-east-1");
    assert_string_equal(p.read_on, "2026-12-04");
    assert_near(hw_prices_metrics(&p, 0), 0);
    assert_near(hw_prices_metrics(&p, 1), 0.30);
    assert_near(hw_prices_metrics(&p, 10000), 3000);
    assert_near(hw_prices_metrics(&p, 20000), 3000 + 1000);
    assert_near(hw_prices_metrics(&p, 300000), 3000 + 24000 + 2500);
    assert_near(hw_prices_metrics(&p, 2000000), 3000 + 24000 + 37500 + 20000);
    assert_near(p.per_1000_requests, 0.01);
    assert_near(p.logs_ingestion_per_gb, 0.50);
}

/* The checked-in packaging/cloudwatch-prices.json is the built-in table. */
static void test_packaged_table_equals_builtin(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/../../packaging/cloudwatch-prices.json", HW_FIXTURES);
    json_t *j = json_load_file(path, 0, NULL);
    assert_non_null(j);
    struct hw_prices a, b;
    hw_prices_default(&a);
    memset(&b, 0, sizeof(b));
    char err[256] = "";
    assert_int_equal(hw_prices_apply(&b, j, "packaged", err, sizeof(err)), 0);
    assert_string_equal(a.source, b.source);
    assert_string_equal(a.read_on, b.read_on);
    assert_string_equal(a.region, b.region);
    assert_int_equal(a.ntiers, b.ntiers);
    for (size_t i = 0; i < a.ntiers; i++) {
        assert_near(a.tiers[i].up_to, b.tiers[i].up_to);
        assert_near(a.tiers[i].per_metric_month, b.tiers[i].per_metric_month);
    }
    assert_near(a.per_1000_requests, b.per_1000_requests);
    assert_near(a.logs_ingestion_per_gb, b.logs_ingestion_per_gb);
    json_decref(j);
}

static void test_overrides_and_errors(void **state)
{
    (void)state;
    struct hw_prices p;
    hw_prices_default(&p);
    char err[256] = "";
    json_t *j = json_loads("{\"region\": \"eu-west-1\", \"requests_per_1000\": 0.02,"
                           " \"metrics_tiers\": [{\"up_to\": 100, \"per_metric_month\": 1},"
                           " {\"per_metric_month\": 0.5}]}",
                           0, NULL);
    assert_int_equal(hw_prices_apply(&p, j, "p.json", err, sizeof(err)), 0);
    assert_string_equal(p.region, "eu-west-1");
    assert_near(p.per_1000_requests, 0.02);
    assert_near(hw_prices_metrics(&p, 150), 100 + 25);
    assert_near(p.logs_ingestion_per_gb, 0.50); /* untouched */
    json_decref(j);
    static const char *const bad[][2] = {
        {"{\"requests_per_1000\": \"cheap\"}", "p.json: requests_per_1000: expected"},
        {"{\"metrics_tiers\": [{\"up_to\": 5, \"per_metric_month\": 1},"
         " {\"up_to\": 3, \"per_metric_month\": 1}]}",
         "p.json: metrics_tiers[1]"},
        {"{\"metrics_tiers\": []}", "p.json: metrics_tiers: expected 1 to 8"},
        {"{\"currency\": \"EUR\"}", "p.json: currency"},
        {"{\"requests\": 1}", "p.json: requests: unknown key"},
        {"[]", "p.json: expected an object"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = json_loads(bad[i][0], JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        err[0] = '\0';
        assert_int_equal(hw_prices_apply(&p, j, "p.json", err, sizeof(err)), -1);
        if (strncmp(err, bad[i][1], strlen(bad[i][1])) != 0) {
            print_message("%s -> %s\n", bad[i][0], err);
            fail();
        }
        json_decref(j);
    }
}

static void test_count_distinct(void **state)
{
    (void)state;
    const struct cw_dim d1[] = {{"path", "/"}}, d2[] = {{"path", "/data"}}, d0[1] = {{0, 0}};
    struct cw_datums d;
    cw_datums_init(&d);
    const struct cw_datum v[] = {
        {.name = "disk_used_percent", .dims = d1, .ndims = 1},
        {.name = "disk_used_percent", .dims = d2, .ndims = 1},
        {.name = "disk_used_percent", .dims = d0, .ndims = 0},
        {.name = "disk_used_percent", .dims = d1, .ndims = 1}, /* the same metric again */
        {.name = "mem_used_percent", .dims = d0, .ndims = 0}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(cw_datums_push(&d, &v[i]), 0);
    }
    struct hw_cost_metric m[8];
    assert_int_equal(cw_cost_count(&d, m), 2);
    assert_string_equal(m[0].name, "disk_used_percent");
    assert_int_equal(m[0].n, 3);
    assert_string_equal(m[1].name, "mem_used_percent");
    assert_int_equal(m[1].n, 1);
    cw_datums_free(&d);
}

static void test_totals(void **state)
{
    (void)state;
    struct hw_prices p;
    hw_prices_default(&p);
    const struct hw_cost_line l[] = {
        {.metrics = 40, .metrics_max = 100, .requests_month = 43800},
        {.metrics = 5, .metrics_max = 5, .bytes_month = 2.0 * 1073741824.0}};
    struct hw_cost_total t;
    hw_cost_total(l, 2, &p, &t);
    assert_int_equal(t.metrics, 105);
    assert_near(t.usd_metrics, 31.5);
    assert_near(t.usd_requests, 0.438);
    assert_near(t.usd_logs, 1.0);
    assert_near(t.usd_total, 31.5 + 0.438 + 1.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_tiers),
        cmocka_unit_test(test_packaged_table_equals_builtin),
        cmocka_unit_test(test_overrides_and_errors),
        cmocka_unit_test(test_count_distinct),
        cmocka_unit_test(test_totals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
