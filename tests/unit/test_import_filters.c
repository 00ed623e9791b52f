/* The metric-filter converter: the FSFO recipe's 1/0 pair, JSON and space-delimited patterns
 * with field values and dimensions, an unsupported pattern, unmapped log groups. */
#include "test_util.h"

#include "import_harness.h"

static const json_t *source(const json_t *cfg, size_t i)
{
    return json_array_get(json_object_get(json_object_get(cfg, "collectors"), "logs"), i);
}

static const json_t *filter(const json_t *cfg, size_t src, size_t i)
{
    return json_array_get(json_object_get(source(cfg, src), "filters"), i);
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static void test_fsfo_pair_is_one_gauge(void **state)
{
    (void)state;
    json_t *src = load_fixture("fsfo_metric_filters.json");
    const struct hw_import_path paths[] = {{"/oracle/fsfo/observer", "/u01/observer/*.log"}};
    struct hw_import im;
    hw_import_init(&im, SRC);
    json_t *out = hw_import_filters(src, paths, 1, &im);
    assert_non_null(out);
    assert_int_equal(im.warn.n, 0);
    assert_string_equal(str(source(out, 0), "name"), "oracle_fsfo_observer");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(source(out, 0), "paths"), 0)),
        "/u01/observer/*.log");
    const json_t *a = filter(out, 0, 0), *b = filter(out, 0, 1);
    assert_string_equal(str(a, "metric"), "Mktdb02IsPrimary");
    assert_string_equal(str(b, "metric"), "Mktdb02IsPrimary");
    assert_string_equal(str(a, "type"), "gauge");
    assert_string_equal(str(b, "type"), "gauge");
    assert_int_equal(json_integer_value(json_object_get(a, "value")), 1);
    assert_int_equal(json_integer_value(json_object_get(b, "value")), 0);
    assert_string_equal(str(a, "name"), "fsfo-mktdb02-became-primary");
    assert_string_equal(str(a, "pattern"), "\"new primary is \\\"mktdb02\\\"\"");
    const json_t *cw = json_object_get(json_object_get(out, "exporters"), "cloudwatch");
    assert_string_equal(str(cw, "namespace"), "Oracle/FSFO");
    assert_int_equal(json_array_size(json_object_get(cw, "metrics")), 1);
    import_done(out, src, &im);
}

static void test_json_delimited_and_unsupported(void **state)
{
    (void)state;
    json_t *src = load_fixture("json_and_delimited_filters.json");
    /* "*" first: a group's own --path still wins */
    const struct hw_import_path paths[] = {{"*", "/var/log/other.log"},
                                           {"/app/checkout", "/var/log/checkout.log"},
                                           {"/web/access", "/var/log/nginx/access.log"},
                                           {"/web/access", "/var/log/nginx/access.log.1"}};
    struct hw_import im;
    hw_import_init(&im, SRC);
    json_t *out = hw_import_filters(src, paths, 4, &im);
    assert_non_null(out);
    /* JSON pattern, $. value: a counter summing the field, as the metric filter's Sum */
    const json_t *f = filter(out, 0, 0);
    assert_string_equal(str(f, "metric"), "CheckoutLatency");
    assert_string_equal(str(f, "type"), "counter");
    assert_string_equal(str(f, "value"), "$.latency_ms");
    assert_string_equal(str(f, "unit"), "Milliseconds");
    /* space-delimited, $field value, dimension renamed onto the label */
    assert_string_equal(str(source(out, 1), "name"), "web_access");
    assert_int_equal(json_array_size(json_object_get(source(out, 1), "paths")), 2);
    f = filter(out, 1, 0);
    assert_string_equal(str(f, "value"), "$size");
    assert_string_equal(str(f, "unit"), "Bytes");
    assert_string_equal(json_string_value(json_array_get(json_object_get(f, "labels"), 0)),
                        "StatusCode=$status");
    f = filter(out, 1, 1);
    assert_string_equal(str(f, "metric"), "ErrorCount");
    assert_int_equal(json_integer_value(json_object_get(f, "value")), 1);
    assert_null(json_object_get(f, "unit"));
    assert_int_equal(json_array_size(json_object_get(source(out, 1), "filters")), 2);
    assert_int_equal(json_array_size(json_object_get(json_object_get(out, "collectors"), "logs")),
                     3);
    /* three App filters against one Web: App is the exporter's, Web is reported */
    const json_t *cw = json_object_get(json_object_get(out, "exporters"), "cloudwatch");
    assert_string_equal(str(cw, "namespace"), "App");
    assert_true(has_msg(&im.warn, "metricFilters[2].metricTransformations[0]: ", "\"Web\""));
    assert_true(has_msg(&im.warn, "metricFilters[3].metricTransformations[0]: ",
                        "filter \"broken\": pattern not supported: column 11"));
    /* /not/mapped falls to "*": a third source */
    const json_t *other = source(out, 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(other, "paths"), 0)),
                        "/var/log/other.log");
    assert_string_equal(str(json_array_get(json_object_get(other, "filters"), 0), "metric"),
                        "Warnings");
    assert_true(has_msg(&im.warn, "metricFilters[0].metricTransformations[0]: ", "Sum"));
    assert_int_equal(im.warn.n, 4);
    json_decref(out);
    hw_import_free(&im);
    /* without "*", the unmapped group is reported */
    hw_import_init(&im, SRC);
    out = hw_import_filters(src, paths + 1, 3, &im);
    assert_non_null(out);
    assert_true(has_msg(&im.warn, "metricFilters[4].metricTransformations[0]: ",
                        "no --path for log group \"/not/mapped\""));
    assert_int_equal(im.warn.n, 5);
    import_done(out, src, &im);
}

static void test_names_dimensions_and_errors(void **state)
{
    (void)state;
    const struct hw_import_path any[] = {{"*", "/var/log/app.log"}};
    struct hw_import im;
    hw_import_init(&im, SRC);
    json_t *src = json_loads(
        "{\"metricFilters\": [{\"filterName\": \"n\", \"filterPattern\": \"[a, b]\","
        " \"metricTransformations\": [{\"metricName\": \"404 Count\", \"metricNamespace\": \"X\","
        " \"metricValue\": \"1\", \"defaultValue\": 5.0}]},"
        " {\"filterName\": \"d\", \"filterPattern\": \"[a, b]\", \"metricTransformations\":"
        " [{\"metricName\": \"M\", \"metricNamespace\": \"X\", \"metricValue\": \"1\","
        " \"dimensions\": {\"EventType\": \"$eventtype\"}}]},"
        " {\"filterName\": \"v\", \"filterPattern\": \"[a, b]\", \"metricTransformations\":"
        " [{\"metricName\": \"V\", \"metricNamespace\": \"X\", \"metricValue\": \"$c\"}]},"
        " {\"filterName\": \"pos\", \"filterPattern\": \"[a, ...]\", \"metricTransformations\":"
        " [{\"metricName\": \"P\", \"metricNamespace\": \"X\", \"metricValue\": \"$3\","
        " \"dimensions\": {\"A\": \"$a\"}}]},"
        " {\"filterName\": \"j\", \"filterPattern\": \"{ $.level = \\\"ERROR\\\" }\","
        " \"metricTransformations\": [{\"metricName\": \"J\", \"metricNamespace\": \"X\","
        " \"metricValue\": \"$.latency\", \"dimensions\": {\"Svc\": \"$.svc.name\"}}]}]}",
        0, NULL);
    json_t *out = hw_import_filters(src, any, 1, &im);
    assert_non_null(out);
    assert_string_equal(str(filter(out, 0, 0), "metric"), "_404_Count");
    assert_true(has_msg(&im.warn, "metricFilters[0].metricTransformations[0]: ", "_404_Count"));
    assert_true(has_msg(&im.warn, "metricFilters[0].metricTransformations[0]: ", "defaultValue 5"));
    assert_true(has_msg(
        &im.warn, "metricFilters[1].metricTransformations[0]: ", "$eventtype\" is not a field"));
    assert_true(has_msg(
        &im.warn, "metricFilters[2].metricTransformations[0]: ", "value \"$c\" is not a field"));
    /* a delimited field position and any JSON selector are what CloudWatch accepts too */
    assert_string_equal(str(filter(out, 0, 1), "metric"), "P");
    assert_string_equal(str(filter(out, 0, 1), "value"), "$3");
    assert_string_equal(str(filter(out, 0, 2), "metric"), "J");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(filter(out, 0, 2), "labels"), 0)),
        "Svc=$.svc.name");
    assert_null(filter(out, 0, 3));
    import_done(out, src, &im);
    src = json_loads("{\"metricFilters\": [{\"filterName\": \"x\"}]}", 0, NULL);
    hw_import_init(&im, SRC);
    assert_null(hw_import_filters(src, any, 1, &im));
    assert_true(has_msg(&im.err, "metricFilters[0]: ", "filterPattern"));
    json_decref(src);
    hw_import_free(&im);
    src = json_loads("{\"filters\": []}", 0, NULL);
    hw_import_init(&im, SRC);
    assert_null(hw_import_filters(src, any, 1, &im));
    assert_true(has_msg(&im.err, "metricFilters: ", "describe-metric-filters"));
    json_decref(src);
    hw_import_free(&im);
}

static const struct hw_import_path any_group[] = {{"*", "/var/log/app.log"}};

static json_t *convert_any(const json_t *src, struct hw_import *im)
{
    return hw_import_filters(src, any_group, 1, im);
}

/* Each of them compiles: nothing was left out. */
static void all_imported(const json_t *src, const json_t *out)
{
    size_t nf = json_array_size(json_object_get(source(out, 0), "filters"));
    assert_int_equal(nf, json_array_size(json_object_get(src, "metricFilters")));
}

/* Real filters of ../shared/import-samples/metric-filters (CIS benchmarks, docs, Terraform). */
static void test_shared_samples(void **state)
{
    (void)state;
    static const char *const files[] = {"cloudposse_cis_benchmark.json",
                                        "nozaq_secure_baseline.json",
                                        "awsdocs_logs_listing_http404_output.json",
                                        "burkitt_lambda_report_duration.json",
                                        "ansible_box_free_storage.json",
                                        "moj_iap_pdf_sizes.json",
                                        "tf_provider_docs_empty_pattern.json",
                                        "kltn_admin_access.json"};
    convert_samples("metric-filters", files, sizeof(files) / sizeof(files[0]), convert_any,
                    all_imported);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fsfo_pair_is_one_gauge),
        cmocka_unit_test(test_json_delimited_and_unsupported),
        cmocka_unit_test(test_names_dimensions_and_errors),
        cmocka_unit_test(test_shared_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
