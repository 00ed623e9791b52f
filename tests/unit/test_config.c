#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"

struct result {
    struct hw_config *cfg;
    struct hw_diag d;
};

static void parse(struct result *r, const char *text)
{
    hw_diag_init(&r->d, "hw.json");
    r->cfg = hw_config_parse(text, strlen(text), "hw.json", &r->d);
}

static void done(struct result *r)
{
    hw_config_free(r->cfg);
    hw_diag_free(&r->d);
}

static int has_msg(const struct result *r, const char *msg)
{
    for (size_t i = 0; i < r->d.n; i++) {
        if (strcmp(r->d.msgs[i], msg) == 0) {
            return 1;
        }
    }
    for (size_t i = 0; i < r->d.n; i++) {
        print_message("got: %s\n", r->d.msgs[i]);
    }
    return 0;
}

static void test_empty_object_gets_defaults(void **state)
{
    (void)state;
    struct result r;
    unsetenv("HOST_PROC");
    parse(&r, "{}");
    assert_non_null(r.cfg);
    assert_int_equal(r.cfg->ncollectors, 2);
    assert_int_equal(r.cfg->nexporters, 1);
    assert_string_equal(r.cfg->insts[0].name, "memory");
    assert_string_equal(r.cfg->insts[1].name, "disk");
    assert_string_equal(r.cfg->insts[2].name, "prometheus");
    assert_string_equal(r.cfg->insts[2].path, "exporters.prometheus");
    assert_int_equal(r.cfg->agent.interval_ns, 10000000000LL);
    assert_string_equal(r.cfg->agent.procfs, "/proc");
    assert_string_equal(r.cfg->agent.state_dir, "/var/lib/hostwatch");
    assert_true(r.cfg->insts[0].common.enabled);
    done(&r);
}

static void test_sections(void **state)
{
    (void)state;
    struct result r;
    parse(&r, "{\"agent\":{\"interval\":\"2s\",\"log_level\":\"debug\"},"
              "\"collectors\":{\"memory\":{\"interval\":\"500ms\"},\"disk\":{\"enabled\":false}},"
              "\"exporters\":{\"prometheus\":{\"listen\":\"127.0.0.1:0\"}}}");
    assert_non_null(r.cfg);
    assert_int_equal(r.cfg->agent.interval_ns, 2000000000LL);
    assert_int_equal(r.cfg->agent.log_level, 3);
    assert_int_equal(r.cfg->insts[0].common.interval_ns, 500000000LL);
    assert_false(r.cfg->insts[1].common.enabled);
    done(&r);
}

static void test_env_paths(void **state)
{
    (void)state;
    struct result r;
    setenv("HOST_PROC", "/host/proc", 1);
    parse(&r, "{}");
    assert_string_equal(r.cfg->agent.procfs, "/host/proc");
    done(&r);
    parse(&r, "{\"agent\":{\"procfs\":\"/p\"}}");
    assert_string_equal(r.cfg->agent.procfs, "/p"); /* the file wins */
    done(&r);
    unsetenv("HOST_PROC");
}

static void test_parse_error_position(void **state)
{
    (void)state;
    struct result r;
    parse(&r, "{\n  \"agent\": {\n    \"interval\": \"10s\",\n  }\n}");
    assert_null(r.cfg);
    assert_int_equal(r.d.n, 1);
    assert_true(strncmp(r.d.msgs[0], "hw.json:4:3: ", 13) == 0);
    done(&r);
    parse(&r, "{\"agent\": {}, \"agent\": {}}");
    assert_null(r.cfg);
    assert_true(strncmp(r.d.msgs[0], "hw.json:1:", 10) == 0);
    assert_non_null(strstr(r.d.msgs[0], "duplicate"));
    done(&r);
    parse(&r, "[1, 2]");
    assert_null(r.cfg);
    assert_true(has_msg(&r, "hw.json: the configuration must be a JSON object"));
    done(&r);
}

static void test_semantic_errors_all_at_once(void **state)
{
    (void)state;
    struct result r;
    parse(&r, "{\"agnet\":{},\"agent\":{\"interval\":\"10\",\"log_level\":\"loud\"},"
              "\"collectors\":{\"memroy\":{},\"memory\":{\"scope\":\"pod\",\"enabeld\":true},"
              "\"disk\":{\"mounts\":\"/\",\"mount_timeout\":5}},"
              "\"exporters\":{\"prometheus\":{\"listen\":\"nohost\"},\"cloudwach\":{}}}");
    assert_null(r.cfg);
    assert_true(has_msg(&r, "hw.json: agnet: unknown key (did you mean \"agent\"?)"));
    assert_true(has_msg(&r, "hw.json: agent.interval: \"10\": missing duration unit (use ns, us, "
                            "ms, s, m, h, d)"));
    assert_true(has_msg(&r, "hw.json: agent.log_level: \"loud\" is not one of: error, warn, "
                            "info, debug"));
    assert_true(has_msg(&r, "hw.json: collectors.memroy: unknown collector (did you mean "
                            "\"memory\"?)"));
    assert_true(has_msg(&r, "hw.json: collectors.memory.scope: \"pod\" is not one of: auto, "
                            "host, cgroup"));
    assert_true(has_msg(&r, "hw.json: collectors.memory.enabeld: unknown key"));
    assert_true(has_msg(&r, "hw.json: collectors.disk.mounts: expected an array of strings"));
    assert_true(has_msg(&r, "hw.json: collectors.disk.mount_timeout: expected a duration string"));
    assert_true(has_msg(&r, "hw.json: exporters.prometheus.listen: \"nohost\": expected "
                            "HOST:PORT, e.g. \"127.0.0.1:9273\""));
    assert_true(has_msg(&r, "hw.json: exporters.cloudwach: unknown exporter (did you mean "
                            "\"cloudwatch\"?)"));
    assert_int_equal(r.d.n, 10);
    done(&r);
}

static void test_wrong_shapes(void **state)
{
    (void)state;
    struct result r;
    parse(&r, "{\"collectors\":[],\"exporters\":{\"prometheus\":7}}");
    assert_null(r.cfg);
    assert_true(has_msg(&r, "hw.json: collectors: expected an object"));
    assert_true(has_msg(&r, "hw.json: exporters.prometheus: expected an object"));
    done(&r);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    struct hw_diag d;
    hw_diag_init(&d, "/nonexistent/hw.json");
    assert_null(hw_config_load("/nonexistent/hw.json", &d));
    assert_string_equal(d.msgs[0], "/nonexistent/hw.json: cannot open: No such file or directory");
    hw_diag_free(&d);
}

static void test_example_configs_load(void **state)
{
    (void)state;
    static const char *const files[] = {"/packaging/examples/hostwatch.json",
                                        "/packaging/examples/ecs-sidecar.json",
                                        "/packaging/examples/minimal.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/../..%s", HW_FIXTURES, files[i]);
        struct hw_diag d;
        hw_diag_init(&d, path);
        struct hw_config *cfg = hw_config_load(path, &d);
        for (size_t j = 0; j < d.n; j++) {
            print_message("%s\n", d.msgs[j]);
        }
        assert_non_null(cfg);
        hw_config_free(cfg);
        hw_diag_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_object_gets_defaults),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_env_paths),
        cmocka_unit_test(test_parse_error_position),
        cmocka_unit_test(test_semantic_errors_all_at_once),
        cmocka_unit_test(test_wrong_shapes),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_example_configs_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
