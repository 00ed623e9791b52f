#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "opt.h"

struct sub {
    char *name;
    int64_t n;
};

struct conf {
    int flag;
    int64_t count;
    double ratio;
    char *text;
    int choice;
    int64_t dur;
    uint64_t size;
    struct hw_strlist list;
    struct hw_strmap map;
    struct hw_dbllist nums;
    struct sub obj;
    struct hw_objlist objs;
};

static const char *const choices[] = {"alpha", "beta", NULL};

static const struct hw_opt sub_opts[] = {
    {.key = "name", .type = HW_OPT_STRING, .def = "anon", .offset = offsetof(struct sub, name)},
    {.key = "n", .type = HW_OPT_INT, .def = "3", .offset = offsetof(struct sub, n), .min = 0,
     .max = 10},
    HW_OPT_END,
};

static const struct hw_opt opts[] = {
    {.key = "flag", .type = HW_OPT_BOOL, .def = "true", .offset = offsetof(struct conf, flag)},
    {.key = "count", .type = HW_OPT_INT, .def = "5", .offset = offsetof(struct conf, count),
     .min = 1, .max = 100},
    {.key = "ratio", .type = HW_OPT_DOUBLE, .def = "0.5", .offset = offsetof(struct conf, ratio)},
    {.key = "text", .type = HW_OPT_STRING, .def = "hello", .offset = offsetof(struct conf, text)},
    {.key = "choice", .type = HW_OPT_ENUM, .def = "beta", .offset = offsetof(struct conf, choice),
     .choices = choices},
    {.key = "interval", .type = HW_OPT_DURATION, .def = "10s", .offset = offsetof(struct conf, dur)},
    {.key = "max_size", .type = HW_OPT_SIZE, .def = "64KiB", .offset = offsetof(struct conf, size)},
    {.key = "list", .type = HW_OPT_STRLIST, .def = "a\nb", .offset = offsetof(struct conf, list)},
    {.key = "map", .type = HW_OPT_STRMAP, .offset = offsetof(struct conf, map)},
    {.key = "nums", .type = HW_OPT_DBLLIST, .offset = offsetof(struct conf, nums)},
    {.key = "obj", .type = HW_OPT_OBJECT, .offset = offsetof(struct conf, obj), .sub = sub_opts},
    {.key = "objs", .type = HW_OPT_OBJLIST, .offset = offsetof(struct conf, objs), .sub = sub_opts,
     .elem_size = sizeof(struct sub)},
    HW_OPT_END,
};

static int parse(const char *json, struct conf *c, struct hw_diag *d)
{
    memset(c, 0, sizeof(*c));
    hw_diag_init(d, "t.json");
    json_t *root = json ? json_loads(json, 0, NULL) : NULL;
    int errs = hw_opt_parse(opts, c, root, "x", d);
    json_decref(root);
    return errs;
}

static void test_defaults(void **state)
{
    (void)state;
    struct conf c;
    struct hw_diag d;
    assert_int_equal(parse(NULL, &c, &d), 0);
    assert_true(c.flag);
    assert_int_equal(c.count, 5);
    assert_true(c.ratio == 0.5);
    assert_string_equal(c.text, "hello");
    assert_int_equal(c.choice, 1);
    assert_int_equal(c.dur, 10000000000LL);
    assert_int_equal(c.size, 65536);
    assert_int_equal(c.list.n, 2);
    assert_string_equal(c.list.v[1], "b");
    assert_string_equal(c.obj.name, "anon");
    assert_int_equal(c.obj.n, 3);
    hw_opt_free(opts, &c);
    hw_diag_free(&d);
}

static void test_values(void **state)
{
    (void)state;
    struct conf c;
    struct hw_diag d;
    const char *json = "{\"flag\":false,\"count\":7,\"ratio\":2,\"text\":\"x\",\"choice\":\"alpha\","
                       "\"interval\":\"1m30s\",\"max_size\":\"10MiB\",\"list\":[\"p\"],"
                       "\"map\":{\"k\":\"v\"},\"nums\":[1,2.5],\"obj\":{\"name\":\"o\"},"
                       "\"objs\":[{\"n\":1},{\"name\":\"z\",\"n\":2}]}";
    assert_int_equal(parse(json, &c, &d), 0);
    assert_false(c.flag);
    assert_int_equal(c.count, 7);
    assert_true(c.ratio == 2.0);
    assert_string_equal(c.text, "x");
    assert_int_equal(c.choice, 0);
    assert_int_equal(c.dur, 90000000000LL);
    assert_int_equal(c.size, 10485760);
    assert_int_equal(c.list.n, 1);
    assert_string_equal(c.map.keys[0], "k");
    assert_string_equal(c.map.values[0], "v");
    assert_int_equal(c.nums.n, 2);
    assert_true(c.nums.v[1] == 2.5);
    assert_string_equal(c.obj.name, "o");
    assert_int_equal(c.objs.n, 2);
    struct sub *s = c.objs.items;
    assert_string_equal(s[0].name, "anon");
    assert_int_equal(s[1].n, 2);
    hw_opt_free(opts, &c);
    hw_diag_free(&d);
}

static void test_errors_all_at_once(void **state)
{
    (void)state;
    struct conf c;
    struct hw_diag d;
    const char *json = "{\"flag\":1,\"count\":1000,\"choice\":\"gamma\",\"interval\":\"10\","
                       "\"max_size\":\"12XB\",\"cuont\":3,\"objs\":[{\"n\":\"q\"}]}";
    assert_int_equal(parse(json, &c, &d), 7);
    assert_int_equal(d.n, 7);
    const char *want[] = {
        "t.json: x.flag: expected a boolean",
        "t.json: x.count: value is out of range (1..100)",
        "t.json: x.choice: \"gamma\" is not one of: alpha, beta",
        "t.json: x.interval: \"10\": missing duration unit (use ns, us, ms, s, m, h, d)",
        "t.json: x.max_size: \"12XB\": unknown size unit (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)",
        "t.json: x.cuont: unknown key (did you mean \"count\"?)",
        "t.json: x.objs[0].n: expected an integer",
    };
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(d.msgs[i], want[i]);
    }
    hw_opt_free(opts, &c);
    hw_diag_free(&d);
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ns;
    const char *why;
    assert_int_equal(hw_parse_duration("500ms", &ns, &why), 0);
    assert_int_equal(ns, 500000000);
    assert_int_equal(hw_parse_duration("1.5s", &ns, &why), 0);
    assert_int_equal(ns, 1500000000);
    assert_int_equal(hw_parse_duration("1h30m", &ns, &why), 0);
    assert_int_equal(ns, 5400000000000LL);
    assert_int_equal(hw_parse_duration("2d", &ns, &why), 0);
    assert_int_equal(ns, 172800000000000LL);
    assert_int_equal(hw_parse_duration("", &ns, &why), -1);
    assert_int_equal(hw_parse_duration("-1s", &ns, &why), -1);
    assert_int_equal(hw_parse_duration("10 s", &ns, &why), -1);
    assert_int_equal(hw_parse_duration("5y", &ns, &why), -1);
    assert_int_equal(hw_parse_duration("999999999999h", &ns, &why), -1);
}

static void test_sizes(void **state)
{
    (void)state;
    uint64_t b;
    const char *why;
    assert_int_equal(hw_parse_size("64KiB", &b, &why), 0);
    assert_int_equal(b, 65536);
    assert_int_equal(hw_parse_size("1GB", &b, &why), 0);
    assert_int_equal(b, 1000000000);
    assert_int_equal(hw_parse_size("512", &b, &why), 0);
    assert_int_equal(b, 512);
    assert_int_equal(hw_parse_size("1.5KiB", &b, &why), 0);
    assert_int_equal(b, 1536);
    assert_int_equal(hw_parse_size("0.3B", &b, &why), -1);
    assert_int_equal(hw_parse_size("MiB", &b, &why), -1);
    assert_int_equal(hw_parse_size("64 KiB", &b, &why), -1);
}

static void test_suggest(void **state)
{
    (void)state;
    assert_string_equal(hw_opt_suggest(opts, "intreval"), "interval");
    assert_string_equal(hw_opt_suggest(opts, "lst"), "list");
    assert_null(hw_opt_suggest(opts, "completely_different"));
    assert_int_equal(hw_edit_distance("kitten", "sitting"), 3);
}

static void collect_line(const char *line, void *arg)
{
    (*(int *)arg)++;
    assert_non_null(strstr(line, "x."));
}

static void test_describe(void **state)
{
    (void)state;
    int n = 0;
    hw_opt_describe(opts, "x", collect_line, &n);
    assert_int_equal(n, 12 + 2 + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),   cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors_all_at_once), cmocka_unit_test(test_durations),
        cmocka_unit_test(test_sizes),      cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
