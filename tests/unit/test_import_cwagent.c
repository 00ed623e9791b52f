/* The CloudWatch agent config converter: fixtures written from the agent's documented schema
 * (translator/config/schema.json) and inline documents for single keys. */
#include "test_util.h"

#include "import_harness.h"

static json_t *convert_text(const char *text, struct hw_import *im)
{
    json_t *src = json_loads(text, 0, NULL);
    assert_non_null(src);
    hw_import_init(im, SRC);
    json_t *out = hw_import_cwagent(src, im);
    json_decref(src);
    return out;
}

/* The string at "a.b.c" (object keys only), or NULL. */
static const char *sget(const json_t *root, const char *path)
{
    char key[128];
    const json_t *v = root;
    while (*path && v) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof(key), "%.*s", (int)n, path);
        v = json_object_get(v, key);
        path += n + (path[n] == '.');
    }
    return json_string_value(v);
}

static void test_every_key(void **state)
{
    (void)state;
    json_t *src = load_fixture("cwagent_every_key.json");
    struct hw_import im;
    hw_import_init(&im, SRC);
    json_t *out = hw_import_cwagent(src, &im);
    assert_non_null(out);
    assert_int_equal(im.err.n, 0);
    assert_string_equal(sget(out, "agent.interval"), "30s");
    assert_string_equal(sget(out, "exporters.cloudwatch.namespace"), "Migrated/Hosts");
    assert_string_equal(sget(out, "exporters.cloudwatch.region"), "eu-west-1");
    assert_string_equal(sget(out, "exporters.cloudwatch.flush_interval"), "120s");
    const json_t *cw = json_object_get(json_object_get(out, "exporters"), "cloudwatch");
    assert_int_equal(json_integer_value(json_object_get(cw, "storage_resolution")), 1);
    json_t *want = json_loads("[\"mem_used_percent\", \"mem_available_percent\", \"mem_total\","
                              " \"mem_used\", \"disk_used_percent\", \"disk_inodes_free\","
                              " \"disk_free\", \"diskio_io_time\", \"diskio_reads\","
                              " \"diskio_write_bytes\", \"diskio_iops_in_progress\","
                              " \"swap_used_percent\"]",
                              0, NULL);
    assert_true(json_equal(json_object_get(cw, "metrics"), want));
    json_decref(want);
    want = json_loads("{\"InstanceId\": \"${aws:InstanceId}\", \"AutoScalingGroupName\": "
                      "\"${aws:AutoScalingGroupName}\"}",
                      0, NULL);
    assert_true(json_equal(json_object_get(cw, "dimensions"), want));
    json_decref(want);
    want = json_loads("[[\"AutoScalingGroupName\"], [\"InstanceId\", \"path\"], []]", 0, NULL);
    assert_true(json_equal(json_object_get(cw, "aggregation_dimensions"), want));
    json_decref(want);
    const json_t *col = json_object_get(out, "collectors");
    assert_string_equal(sget(col, "memory.used"), "cloudwatch-agent");
    assert_string_equal(sget(col, "memory.scope"), "host");
    assert_string_equal(sget(col, "memory.interval"), "10s");
    assert_null(sget(col, "disk.interval"));
    const json_t *disk = json_object_get(col, "disk");
    assert_string_equal(json_string_value(json_array_get(json_object_get(disk, "mounts"), 0)), "*");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(disk, "ignore_fs_types"), 1)), "tmpfs");
    assert_true(json_is_true(json_object_get(disk, "io")));
    assert_string_equal(json_string_value(json_object_get(disk, "io_ignore_devices")),
                        "^(?!(?:nvme0n1|xvda)$)");
    const json_t *logs = json_object_get(col, "logs");
    assert_int_equal(json_array_size(logs), 2);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_array_get(logs, 1), "paths"), 0)),
        "/u01/app/oracle/observer/*.log");
    /* one warning per item, each naming its JSON path */
    assert_true(has_msg(&im.warn, "metrics.metrics_collected.swap: ",
                        "mem every 10s and swap every 30s: they share the memory collector"));
    assert_true(has_msg(&im.warn, "metrics.metrics_collected.cpu: ", "CPU"));
    assert_true(has_msg(&im.warn, "metrics.metrics_collected.frobnicator: ", NULL));
    assert_false(has_msg(&im.warn, "metrics.metrics_collected.disk.drop_device: ", NULL));
    assert_true(json_is_true(json_object_get(disk, "drop_device")));
    assert_true(has_msg(&im.warn, "metrics.metrics_collected.disk.append_dimensions: ", NULL));
    assert_true(
        has_msg(&im.warn, "metrics.metrics_collected.disk.measurement[3]: ", "no_such_field"));
    assert_true(has_msg(&im.warn, "metrics.metrics_collected.mem.measurement[3]: ", "MemoryUsed"));
    assert_true(has_msg(&im.warn, "metrics.metrics_collected.mem.measurement[3]: ", "Megabytes"));
    assert_false(has_msg(&im.warn, "metrics.metrics_collected.mem.measurement[2]: ", NULL));
    assert_true(has_msg(&im.warn, "metrics.metrics_collected.diskio: ", "every 30s"));
    assert_true(has_msg(&im.warn, "logs: ", "not shipped"));
    assert_true(has_msg(&im.warn, "logs.logs_collected.files.collect_list[1].filters: ", NULL));
    assert_true(has_msg(&im.warn, "traces: ", NULL));
    assert_true(has_msg(&im.warn, "agent.logfile: ", NULL));
    assert_true(has_msg(&im.warn, "logs.logs_collected.journald: ", "log files only"));
    assert_true(has_msg(&im.warn, "logs.metrics_collected: ", "EMF"));
    assert_int_equal(im.warn.n, 16);
    import_done(out, src, &im);
}

static void test_intervals_number_and_string(void **state)
{
    (void)state;
    struct hw_import im;
    json_t *out = convert_text("{\"agent\": {\"metrics_collection_interval\": 15},"
                               " \"metrics\": {\"metrics_collected\": {\"mem\": "
                               "{\"measurement\": [\"used_percent\"],"
                               " \"metrics_collection_interval\": \"5\"}}}}",
                               &im);
    assert_non_null(out);
    assert_string_equal(sget(out, "agent.interval"), "15s");
    assert_string_equal(sget(out, "collectors.memory.interval"), "5s");
    /* no disk plugin: the disk collector is off */
    const json_t *disk = json_object_get(json_object_get(out, "collectors"), "disk");
    assert_true(json_is_false(json_object_get(disk, "enabled")));
    assert_checks(out);
    json_decref(out);
    hw_import_free(&im);
}

static void test_swap_alone(void **state)
{
    (void)state;
    struct hw_import im;
    json_t *out = convert_text("{\"metrics\": {\"append_dimensions\": {\"InstanceId\":"
                               " \"${aws:InstanceId}\"}, \"metrics_collected\": {\"swap\":"
                               " {\"measurement\": [\"used_percent\", \"swap_free\","
                               " \"swap_total\"]}}}}",
                               &im);
    assert_non_null(out);
    assert_string_equal(sget(out, "collectors.memory.used"), "cloudwatch-agent");
    const json_t *cw = json_object_get(json_object_get(out, "exporters"), "cloudwatch");
    json_t *want = json_loads("[\"swap_used_percent\", \"swap_free\"]", 0, NULL);
    assert_true(json_equal(json_object_get(cw, "metrics"), want));
    json_decref(want);
    assert_true(has_msg(&im.warn, "metrics.metrics_collected.swap.measurement[2]: ",
                        "\"swap_total\" is not a metric"));
    assert_int_equal(im.warn.n, 1);
    assert_checks(out);
    json_decref(out);
    hw_import_free(&im);
}

static void test_invalid_values_are_errors(void **state)
{
    (void)state;
    struct hw_import im;
    json_t *out = convert_text("{\"agent\": {\"metrics_collection_interval\": -3},"
                               " \"metrics\": {\"metrics_collected\": {\"disk\": "
                               "{\"measurement\": [{\"rename\": \"x\"}], \"resources\": \"/\"}}}}",
                               &im);
    assert_null(out);
    assert_true(has_msg(&im.err, "agent.metrics_collection_interval: ", "seconds"));
    assert_true(has_msg(&im.err, "metrics.metrics_collected.disk.measurement[0]: ", "name"));
    assert_true(has_msg(&im.err, "metrics.metrics_collected.disk.resources: ", "array"));
    assert_int_equal(im.err.n, 3);
    hw_import_free(&im);
    out = convert_text("[1, 2]", &im);
    assert_null(out);
    assert_int_equal(im.err.n, 1);
    hw_import_free(&im);
}

static void test_no_supported_metric_disables_exporter(void **state)
{
    (void)state;
    struct hw_import im;
    json_t *out = convert_text("{\"metrics\": {\"metrics_collected\": {\"cpu\": "
                               "{\"measurement\": [\"usage_idle\"]}}}}",
                               &im);
    assert_non_null(out);
    const json_t *cw = json_object_get(json_object_get(out, "exporters"), "cloudwatch");
    assert_true(json_is_false(json_object_get(cw, "enabled")));
    assert_true(has_msg(&im.warn, "metrics.metrics_collected: ", "disabled"));
    assert_checks(out);
    json_decref(out);
    hw_import_free(&im);
}

static void test_host_dimension_and_escaped_placeholders(void **state)
{
    (void)state;
    struct hw_import im;
    json_t *out = convert_text("{\"metrics\": {\"metrics_collected\": {\"mem\": "
                               "{\"measurement\": [\"mem_used_percent\"]}}}}",
                               &im);
    assert_true(has_msg(&im.warn, "metrics: ", "host dimension"));
    json_decref(out);
    hw_import_free(&im);
    out = convert_text("{\"metrics\": {\"append_dimensions\": {\"InstanceId\": "
                       "\"${!aws:InstanceId}\"}, \"metrics_collected\": {\"mem\": "
                       "{\"measurement\": [\"mem_used_percent\"]}}}}",
                       &im);
    assert_true(has_msg(&im.warn, "metrics.append_dimensions.InstanceId: ", "escaped"));
    const json_t *cw = json_object_get(json_object_get(out, "exporters"), "cloudwatch");
    assert_int_equal(json_object_size(json_object_get(cw, "dimensions")), 0);
    json_decref(out);
    hw_import_free(&im);
    out = convert_text("{\"agent\": {\"omit_hostname\": true}, \"metrics\": "
                       "{\"metrics_collected\": {\"mem\": {\"measurement\": [\"mem_free\"]}}}}",
                       &im);
    assert_false(has_msg(&im.warn, "metrics: ", "host dimension"));
    assert_int_equal(im.warn.n, 0);
    json_decref(out);
    hw_import_free(&im);
}

/* Every real config in ../shared/import-samples/cwagent converts and passes check. */
static void test_shared_samples(void **state)
{
    (void)state;
    static const char *const files[] = {
        "aws_basic_config_linux.json",    "aws_standard_config_linux.json",
        "aws_advanced_config_linux.json", "aws_complete_linux_config.json",
        "aws_drop_origin_linux.json",     "aws_delta_config_linux.json",
        "cwtest_all_infra_config.json",   "awsdocs_complete_linux_example.json",
        "guardian_cdk_playground.json",   "chadgeary_cloudwatch_and_ssm.json"};
    convert_samples("cwagent", files, sizeof(files) / sizeof(files[0]), hw_import_cwagent, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_intervals_number_and_string),
        cmocka_unit_test(test_swap_alone),
        cmocka_unit_test(test_invalid_values_are_errors),
        cmocka_unit_test(test_no_supported_metric_disables_exporter),
        cmocka_unit_test(test_host_dimension_and_escaped_placeholders),
        cmocka_unit_test(test_shared_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
