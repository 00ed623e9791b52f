#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "filters/binding.h"
#include "registry.h"

static struct binding *make(struct hw_registry *reg, struct binding_conf *c)
{
    char err[256] = "";
    if (!c->max_series) {
        c->max_series = 1000;
    }
    struct binding *b = binding_new(c, reg, "logs:test", err, sizeof(err));
    if (!b) {
        print_message("binding_new: %s\n", err);
    }
    assert_non_null(b);
    return b;
}

static int apply(struct binding *b, const char *line)
{
    return binding_apply(b, line, strlen(line), NULL);
}

static const struct hw_snap_family *find(struct hw_registry *reg, const struct hw_snapshot **snap,
                                         const char *name)
{
    hw_registry_publish(reg);
    *snap = hw_registry_acquire(reg);
    return hw_snapshot_find(*snap, name);
}

static void test_counter_with_labels(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    char *labels[] = {"status"};
    struct binding_conf c = {.metric = "app_responses_total",
                             .regex = "status=(?<status>\\d{3})",
                             .labels = {labels, 1}};
    struct binding *b = make(reg, &c);
    assert_int_equal(apply(b, "GET / status=200"), 1);
    assert_int_equal(apply(b, "GET / status=500"), 1);
    assert_int_equal(apply(b, "GET / status=200"), 1);
    assert_int_equal(apply(b, "no status here"), 0);
    const struct hw_snapshot *snap;
    const struct hw_snap_family *f = find(reg, &snap, "app_responses_total");
    assert_int_equal(f->type, HW_COUNTER);
    assert_int_equal(f->nseries, 2);
    assert_string_equal(f->series[0].labels[0].key, "status");
    assert_string_equal(f->series[0].labels[0].value, "200");
    assert_true(f->series[0].value == 2);
    assert_true(f->series[1].value == 1);
    assert_int_equal(binding_stats(b)->matches, 3);
    hw_snapshot_release(snap);
    binding_free(b);
    hw_registry_free(reg);
}

static void test_value_gauge_histogram(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct binding_conf g = {.metric = "queue_depth", .type = HW_GAUGE,
                             .regex = "depth=(?<value>-?\\d+)"};
    double bk[] = {10, 100};
    struct binding_conf h = {.metric = "latency_ms", .type = HW_HISTOGRAM,
                             .regex = "latency_ms=(?<ms>[0-9.]+)", .value = "$ms",
                             .buckets = {bk, 2}};
    struct binding_conf k = {.metric = "bytes_total", .regex = "sent (?<n>\\d+)", .value = "n"};
    struct binding *bg = make(reg, &g), *bh = make(reg, &h), *bc = make(reg, &k);
    assert_int_equal(apply(bg, "depth=5"), 1);
    assert_int_equal(apply(bg, "depth=-3"), 1);
    assert_int_equal(apply(bh, "latency_ms=7.5"), 1);
    assert_int_equal(apply(bh, "latency_ms=100"), 1);
    assert_int_equal(apply(bh, "latency_ms=1e9x"), 1); /* "1" matched; rest ignored by regex */
    assert_int_equal(apply(bc, "sent 10"), 1);
    assert_int_equal(apply(bc, "sent 32"), 1);
    const struct hw_snapshot *snap;
    const struct hw_snap_family *f = find(reg, &snap, "queue_depth");
    assert_true(f->series[0].value == -3);
    f = hw_snapshot_find(snap, "latency_ms");
    assert_int_equal(f->series[0].count, 3);
    assert_int_equal(f->series[0].bucket[0], 2); /* 7.5, 1 */
    assert_int_equal(f->series[0].bucket[1], 3); /* 100 (le) */
    assert_true(f->series[0].value == 108.5);
    assert_true(hw_snapshot_find(snap, "bytes_total")->series[0].value == 42);
    hw_snapshot_release(snap);
    binding_free(bg);
    binding_free(bh);
    binding_free(bc);
    hw_registry_free(reg);
}

static void test_bad_values_and_limits(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    char *labels[] = {"user"};
    struct binding_conf c = {.metric = "logins_total", .regex = "user=(?<user>\\S+) n=(?<value>\\S+)",
                             .labels = {labels, 1}, .max_series = 2};
    struct binding *b = make(reg, &c);
    assert_int_equal(apply(b, "user=a n=1"), 1);
    assert_int_equal(apply(b, "user=b n=abc"), -1); /* not a number */
    assert_int_equal(apply(b, "user=b n=-1"), -1);  /* a counter never goes down */
    assert_int_equal(apply(b, "user=b n=1"), 1);
    assert_int_equal(apply(b, "user=c n=1"), 1);     /* third label set: dropped */
    const struct binding_stats *s = binding_stats(b);
    assert_int_equal(s->bad_values, 2);
    assert_int_equal(s->dropped, 1);
    assert_int_equal(s->matches, 3);
    const struct hw_snapshot *snap;
    assert_int_equal(find(reg, &snap, "logins_total")->nseries, 2);
    hw_snapshot_release(snap);
    binding_free(b);
    hw_registry_free(reg);
}

static void test_label_sanitising(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    char *labels[] = {"$who"};
    struct binding_conf c = {.metric = "w_total", .regex = "who=(?<who>.*)", .labels = {labels, 1}};
    struct binding *b = make(reg, &c);
    const char line[] = "who=ok\xff\xc3\xa9\xe2\x82";
    struct binding_hit hit;
    assert_int_equal(binding_apply(b, line, sizeof(line) - 1, &hit), 1);
    assert_string_equal(hit.labels[0].key, "who");
    assert_string_equal(hit.labels[0].value, "ok?\xc3\xa9??");
    binding_free(b);
    hw_registry_free(reg);
}

static void test_prefilter_never_hides_a_match(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct binding_conf c = {.metric = "e_total", .regex = "timeout after (?<value>\\d+)ms"};
    struct binding *b = make(reg, &c);
    assert_int_equal(apply(b, "ERROR timeout after 30ms"), 1);
    assert_int_equal(apply(b, "ERROR timeout at 30ms"), 0);
    binding_free(b);
    hw_registry_free(reg);
}

static int validate(struct binding_conf *c, struct hw_diag *d)
{
    hw_diag_init(d, "hw.json");
    if (!c->max_series) {
        c->max_series = 1000;
    }
    return binding_validate(c, "collectors.logs[0].filters[1]", d);
}

static void test_validation(void **state)
{
    (void)state;
    struct hw_diag d;
    struct binding_conf c1 = {.metric = "x_total", .regex = "status=(\\d+"};
    assert_int_equal(validate(&c1, &d), 1);
    assert_string_equal(d.msgs[0], "hw.json: collectors.logs[0].filters[1].regex: column 12: "
                                   "missing closing parenthesis");
    hw_diag_free(&d);
    struct binding_conf c2 = {.metric = "bad-name", .regex = "x"};
    assert_int_equal(validate(&c2, &d), 1);
    assert_non_null(strstr(d.msgs[0], "filters[1].metric: \"bad-name\" is not a valid metric"));
    hw_diag_free(&d);
    struct binding_conf c3 = {.metric = "x", .regex = "x", .pattern = "x"};
    assert_int_equal(validate(&c3, &d), 1);
    assert_non_null(strstr(d.msgs[0], "exactly one of \"regex\" and \"pattern\""));
    hw_diag_free(&d);
    char *labels[] = {"nope"};
    double bk[] = {5, 1};
    struct binding_conf c4 = {.metric = "x", .type = HW_COUNTER, .regex = "(?<a>x)",
                              .labels = {labels, 1}, .buckets = {bk, 2}, .value = "zz"};
    assert_int_equal(validate(&c4, &d), 4);
    assert_non_null(strstr(d.msgs[0], "filters[1].labels[0]: the regex has no named group"));
    assert_non_null(strstr(d.msgs[1], "filters[1].value: \"zz\" is neither a number"));
    assert_non_null(strstr(d.msgs[2], "filters[1].buckets: only for type histogram"));
    assert_non_null(strstr(d.msgs[3], "strictly ascending"));
    hw_diag_free(&d);
    struct binding_conf c5 = {.regex = "x"};
    assert_int_equal(validate(&c5, &d), 1);
    assert_non_null(strstr(d.msgs[0], "filters[1].metric: required"));
    hw_diag_free(&d);
}

/* "Name=$field": a CloudWatch dimension name that is not the field's (metric-filter imports). */
static void test_label_named_by_the_config(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    char *labels[] = {"StatusCode=$status"};
    struct binding_conf c = {.metric = "BytesSent", .pattern = "[ip, status, size]",
                             .value = "$size", .labels = {labels, 1}};
    struct hw_diag d;
    hw_diag_init(&d, "t");
    assert_int_equal(binding_validate(&c, "f", &d), 0);
    hw_diag_free(&d);
    struct binding *b = make(reg, &c);
    assert_int_equal(apply(b, "10.0.0.1 200 512"), 1);
    assert_int_equal(apply(b, "10.0.0.1 200 100"), 1);
    assert_int_equal(apply(b, "10.0.0.2 404 7"), 1);
    const struct hw_snapshot *snap;
    const struct hw_snap_family *f = find(reg, &snap, "BytesSent");
    assert_int_equal(f->nseries, 2);
    assert_string_equal(f->series[0].labels[0].key, "StatusCode");
    assert_string_equal(f->series[0].labels[0].value, "200");
    assert_true(f->series[0].value == 612);
    assert_string_equal(f->series[1].labels[0].value, "404");
    assert_true(f->series[1].value == 7);
    hw_snapshot_release(snap);
    binding_free(b);
    hw_registry_free(reg);
    /* a regex group under another name */
    reg = hw_registry_new();
    char *rl[] = {"Who=who", "=who"};
    struct binding_conf r = {.metric = "w_total", .regex = "who=(?<who>\\w+)", .labels = {rl, 1}};
    hw_diag_init(&d, "t");
    assert_int_equal(binding_validate(&r, "f", &d), 0);
    r.labels.n = 2; /* "=who" names nothing: the whole entry is the source, no such group */
    assert_int_equal(binding_validate(&r, "f", &d), 1);
    hw_diag_free(&d);
    r.labels.n = 1;
    b = make(reg, &r);
    assert_int_equal(apply(b, "who=alice"), 1);
    f = find(reg, &snap, "w_total");
    assert_string_equal(f->series[0].labels[0].key, "Who");
    assert_string_equal(f->series[0].labels[0].value, "alice");
    hw_snapshot_release(snap);
    binding_free(b);
    hw_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_with_labels),
        cmocka_unit_test(test_value_gauge_histogram),
        cmocka_unit_test(test_bad_values_and_limits),
        cmocka_unit_test(test_label_sanitising),
        cmocka_unit_test(test_prefilter_never_hides_a_match),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_label_named_by_the_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
