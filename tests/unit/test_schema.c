#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "agent/cli/schema.h"
#include "filters/regex.h"
#include "opt.h"

static json_t *schema;

static int setup(void **state)
{
    (void)state;
    schema = hw_schema_build();
    return schema ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(schema);
    return 0;
}

/* The schema of a config key: "exporters.cloudwatch.gauge"; a multi collector's instance with
 * "collectors.logs[]". NULL when some step is missing. */
static const json_t *key_schema(const char *dotted)
{
    const json_t *s = schema;
    const char *p = dotted;
    while (s && *p) {
        char part[64];
        size_t n = strcspn(p, ".");
        int items = n > 2 && strncmp(p + n - 2, "[]", 2) == 0;
        snprintf(part, sizeof(part), "%.*s", (int)(items ? n - 2 : n), p);
        const json_t *props = json_object_get(s, "properties");
        s = json_object_get(props, part);
        if (s && items) {
            s = json_object_get(s, "items");
        }
        p += n + (p[n] == '.');
    }
    return s;
}

static void test_header(void **state)
{
    (void)state;
    assert_string_equal(json_string_value(json_object_get(schema, "$schema")),
                        "https://json-schema.org/draft/2020-12/schema");
    assert_string_equal(json_string_value(json_object_get(schema, "$id")), HW_SCHEMA_ID);
    assert_non_null(json_string_value(json_object_get(schema, "title")));
    /* the top keys config.c accepts, in this order */
    const char *want[] = {"agent", "collectors", "exporters", "health", "cost"};
    const json_t *props = json_object_get(schema, "properties");
    assert_int_equal(json_object_size(props), 5);
    size_t i = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)props, k, v)
    {
        assert_string_equal(k, want[i++]);
    }
}

static void test_known_keys(void **state)
{
    (void)state;
    const json_t *sr = key_schema("exporters.cloudwatch.storage_resolution");
    assert_non_null(sr);
    assert_string_equal(json_string_value(json_object_get(sr, "type")), "integer");
    assert_int_equal(json_integer_value(json_object_get(sr, "minimum")), 1);
    assert_int_equal(json_integer_value(json_object_get(sr, "maximum")), 60);
    assert_true(json_is_integer(json_object_get(sr, "default")));
    assert_int_equal(json_integer_value(json_object_get(sr, "default")), 60);

    const json_t *iv = key_schema("agent.interval");
    assert_string_equal(json_string_value(json_object_get(iv, "type")), "string");
    assert_string_equal(json_string_value(json_object_get(iv, "default")), "10s");
    assert_non_null(json_string_value(json_object_get(iv, "pattern")));
    assert_non_null(strstr(json_string_value(json_object_get(iv, "description")), "(100ms..1d)"));

    json_t *want = json_pack("[s,s]", "statistics", "last");
    assert_true(json_equal(json_object_get(key_schema("exporters.cloudwatch.gauge"), "enum"), want));
    json_decref(want);

    const json_t *en = key_schema("exporters.emf.enabled");
    assert_true(json_is_true(json_object_get(en, "default")));
    assert_string_equal(json_string_value(json_object_get(en, "type")), "boolean");
    /* a multi collector: an array of instances, each with the common keys and its own */
    const json_t *logs = key_schema("collectors.logs");
    assert_string_equal(json_string_value(json_object_get(logs, "type")), "array");
    assert_non_null(key_schema("collectors.logs[].enabled"));
    assert_string_equal(json_string_value(json_object_get(
                            key_schema("collectors.logs[].interval"), "default")), "1s");
    const json_t *ms = key_schema("collectors.logs[].filters[].max_series");
    assert_int_equal(json_integer_value(json_object_get(ms, "maximum")), 1000000);
    const json_t *ad = key_schema("exporters.cloudwatch.aggregation_dimensions");
    assert_string_equal(json_string_value(json_object_get(ad, "type")), "array");
    assert_non_null(key_schema("health.rules[].at_most"));
}

/* Every object the tables describe takes no other key. */
static void check_closed(const json_t *s, int *objects)
{
    if (!json_is_object(s)) {
        return;
    }
    if (json_object_get(s, "properties")) {
        assert_true(json_is_false(json_object_get(s, "additionalProperties")));
        (*objects)++;
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)json_object_get(s, "properties"), k, v)
        {
            check_closed(v, objects);
        }
    }
    check_closed(json_object_get(s, "items"), objects);
}

static void test_closed_objects(void **state)
{
    (void)state;
    int objects = 0;
    check_closed(schema, &objects);
    assert_true(objects > 15);
}

/* The patterns agree with the parsers on what they accept (hexadecimal numbers, which strtod
 * reads, and sizes that are not whole bytes are the documented differences). */
static void test_patterns(void **state)
{
    (void)state;
    static const char *const durations[] = {
        "10s", "1h30m", "500ms", "1.5s", ".5s", "5.s", "1e3ms", "2E-1s", "1d", "0s", "250us",
        "7ns", "", "s", "10", "10x", "1m30", "-1s", "+1s", " 1s", "1s ", "1.5.5s", "1sm",
        "1msx", "1S", "e3s", ".s", "1 s"};
    static const char *const sizes[] = {"64KiB", "10", "0", "1.5KiB", "1e3B", "1TB", "512B",
                                        "3GB", "KiB", "-1", "1 KiB", "1kib", "1KiB2", ".5KiB",
                                        "", "1KiBB", "1e3", "1.0MiB", "+5B", "1Ki"};
    enum hw_opt_type types[] = {HW_OPT_DURATION, HW_OPT_SIZE};
    for (int t = 0; t < 2; t++) {
        char *pattern = hw_opt_value_pattern(types[t]), err[128];
        assert_non_null(pattern);
        size_t col;
        struct hw_regex *rx = regex_compile(pattern, err, sizeof(err), &col);
        assert_non_null(rx);
        const char *const *v = t ? sizes : durations;
        size_t n = t ? sizeof(sizes) / sizeof(sizes[0]) : sizeof(durations) / sizeof(durations[0]);
        for (size_t i = 0; i < n; i++) {
            const char *why;
            int64_t ns;
            uint64_t b;
            int parsed = t ? hw_parse_size(v[i], &b, &why) == 0 : hw_parse_duration(v[i], &ns, &why) == 0;
            int matched = regex_match(rx, v[i], strlen(v[i]));
            if (matched != parsed) {
                fail_msg("\"%s\": parser %d, pattern %s %d", v[i], parsed, pattern, matched);
            }
        }
        regex_free(rx);
        free(pattern);
    }
    assert_null(hw_opt_value_pattern(HW_OPT_INT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_known_keys),
        cmocka_unit_test(test_closed_objects),
        cmocka_unit_test(test_patterns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
