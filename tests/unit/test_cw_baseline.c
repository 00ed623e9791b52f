/* CloudWatch counter baselines across restarts: what one aggregator saves, a new one (a new
 * process) takes back, and what its first flush then sends. */
#include "cw_agg_harness.h"

#define NS "CWAgent"
#define CONFIG 0x1234abcdull

/* A process's registry: counter lines_total{file}, a gauge and a histogram beside it. */
struct proc {
    struct hw_registry *reg;
    struct hw_family *lines, *depth, *lat;
    struct cw_agg *agg;
};

static void proc_start(struct proc *p)
{
    static const double bounds[] = {10, 100};
    const struct hw_family_desc hd = {.name = "latency_ms",
                                      .help = "h",
                                      .type = HW_HISTOGRAM,
                                      .views = HW_VIEW_ALL,
                                      .buckets = bounds,
                                      .nbuckets = 2};
    p->reg = hw_registry_new();
    assert_non_null(p->reg);
    p->lines = family(p->reg, "lines_total", HW_COUNTER, "Count", HW_VIEW_ALL);
    p->depth = family(p->reg, "queue_depth", HW_GAUGE, NULL, HW_VIEW_ALL);
    p->lat = hw_registry_family(p->reg, &hd, NULL);
    assert_non_null(p->lat);
    const struct cw_agg_opts o = {0};
    p->agg = agg_new(&o);
}

static void proc_end(struct proc *p)
{
    cw_agg_free(p->agg);
    hw_registry_free(p->reg);
}

static void set_lines(struct proc *p, const char *file, double v)
{
    hw_series_set(series1(p->lines, "file", file), v);
}

/* One interval: two series take new values, the snapshot is observed and flushed into d. */
static void interval(struct proc *p, const char *f1, double v1, const char *f2, double v2,
                     int64_t ts, struct cw_datums *d)
{
    set_lines(p, f1, v1);
    set_lines(p, f2, v2);
    observe(p->reg, p->agg);
    flush(p->agg, ts, d);
}

/* The saved list, checked entry by entry: [family, [key, value], baseline]. */
static void assert_entry(const json_t *ck, size_t i, const char *file, double v)
{
    const json_t *e = json_array_get(json_object_get(ck, "counters"), i);
    assert_string_equal(json_string_value(json_array_get(e, 0)), "lines_total");
    const json_t *labels = json_array_get(e, 1);
    assert_int_equal(json_array_size(labels), 2);
    assert_string_equal(json_string_value(json_array_get(labels, 0)), "file");
    assert_string_equal(json_string_value(json_array_get(labels, 1)), file);
    assert_true(json_number_value(json_array_get(e, 2)) == v);
}

/* Run 1 sends 3 and 4 and saves a=8, b=11; the log collector's restored values (a=12, b=15,
 * lines read again after its checkpoint) make run 2's first flush send exactly the rest. */
static void test_resume_sends_the_rest(void **state)
{
    (void)state;
    struct proc p1, p2;
    struct cw_datums d;
    cw_datums_init(&d);
    proc_start(&p1);
    set_lines(&p1, "a", 5);
    set_lines(&p1, "b", 7);
    hw_series_set(series1(p1.depth, NULL, NULL), 3);
    hw_family_observe(p1.lat, series1(p1.lat, NULL, NULL), 5);
    observe(p1.reg, p1.agg);
    flush(p1.agg, T0, &d);
    assert_null(find(&d, "lines_total", "file=a")); /* values at start only set the baseline */
    interval(&p1, "a", 8, "b", 11, T0 + 60000, &d);
    assert_value(&d, "lines_total", "file=a", 3);
    assert_value(&d, "lines_total", "file=b", 4);
    json_t *ck = cw_agg_checkpoint(p1.agg, NS, CONFIG, 100);
    assert_non_null(ck);
    assert_string_equal(json_string_value(json_object_get(ck, "format")), "cloudwatch-baselines/1");
    assert_string_equal(json_string_value(json_object_get(ck, "namespace")), NS);
    assert_string_equal(json_string_value(json_object_get(ck, "config")), "000000001234abcd");
    assert_int_equal(json_array_size(json_object_get(ck, "counters")), 2); /* counters only */
    assert_entry(ck, 0, "a", 8);
    assert_entry(ck, 1, "b", 11);
    proc_end(&p1);

    proc_start(&p2);
    const char *why = NULL;
    assert_int_equal(cw_baselines_check(ck, NS, CONFIG, &why), 0);
    assert_int_equal(cw_agg_restore(p2.agg, ck, 100, &why), 0);
    set_lines(&p2, "a", 12);
    set_lines(&p2, "b", 15);
    set_lines(&p2, "c", 2); /* not saved: its value at start is its baseline, as before */
    observe(p2.reg, p2.agg);
    flush(p2.agg, T0 + 120000, &d);
    assert_value(&d, "lines_total", "file=a", 4);
    assert_value(&d, "lines_total", "file=b", 4);
    assert_null(find(&d, "lines_total", "file=c"));
    interval(&p2, "a", 13, "c", 5, T0 + 180000, &d);
    assert_value(&d, "lines_total", "file=a", 1);
    assert_value(&d, "lines_total", "file=b", 0);
    assert_value(&d, "lines_total", "file=c", 3);
    json_decref(ck);
    cw_datums_free(&d);
    proc_end(&p2);
}

/* Before the first flush the checkpoint holds the restored baselines, not the current values;
 * a counter below its baseline was reset, and its value is the increase. */
static void test_restored_before_first_flush(void **state)
{
    (void)state;
    struct proc p;
    struct cw_datums d;
    cw_datums_init(&d);
    json_t *saved = json_pack("{sssssss[[s[ss]f][s[ss]f]]}", "format", "cloudwatch-baselines/1",
                              "namespace", NS, "config", "000000001234abcd", "counters",
                              "lines_total", "file", "a", 100.0, "lines_total", "file", "b", 2.5);
    assert_non_null(saved);
    proc_start(&p);
    const char *why = NULL;
    assert_int_equal(cw_agg_restore(p.agg, saved, 100, &why), 0);
    set_lines(&p, "a", 40);
    set_lines(&p, "b", 10);
    observe(p.reg, p.agg); /* the checkpoint before the first flush: */
    json_t *ck = cw_agg_checkpoint(p.agg, NS, CONFIG, 100);
    assert_entry(ck, 0, "a", 100);
    assert_entry(ck, 1, "b", 2.5);
    flush(p.agg, T0, &d);
    assert_value(&d, "lines_total", "file=a", 40);
    assert_value(&d, "lines_total", "file=b", 7.5);
    json_decref(ck);
    json_decref(saved);
    cw_datums_free(&d);
    proc_end(&p);
}

/* Another namespace, configuration or format is refused with a reason; a malformed entry
 * rejects the whole list and the aggregator starts as without one. */
static void test_refused(void **state)
{
    (void)state;
    struct proc p;
    struct cw_datums d;
    cw_datums_init(&d);
    json_t *ok = json_pack("{sssssss[]}", "format", "cloudwatch-baselines/1", "namespace", NS,
                           "config", "000000001234abcd", "counters");
    const char *why = NULL;
    assert_int_equal(cw_baselines_check(ok, NS, CONFIG, &why), 0);
    assert_int_equal(cw_baselines_check(ok, "Other", CONFIG, &why), -EINVAL);
    assert_string_equal(why, "saved for another namespace");
    assert_int_equal(cw_baselines_check(ok, NS, CONFIG + 1, &why), -EINVAL);
    assert_non_null(strstr(why, "configuration"));
    json_object_set_new(ok, "format", json_string("cloudwatch-baselines/2"));
    assert_int_equal(cw_baselines_check(ok, NS, CONFIG, &why), -EINVAL);
    assert_string_equal(why, "unknown baseline format");
    json_decref(ok);

    json_t *bad = json_pack("{s[[s[ss]f][s[s]f]]}", "counters", "lines_total", "file", "a", 5.0,
                            "lines_total", "file", 1.0);
    proc_start(&p);
    assert_int_equal(cw_agg_restore(p.agg, bad, 100, &why), -EINVAL);
    assert_string_equal(why, "malformed counter baseline");
    set_lines(&p, "a", 9);
    observe(p.reg, p.agg);
    flush(p.agg, T0, &d);
    assert_null(find(&d, "lines_total", "file=a")); /* a fresh start: 9 is the baseline */
    json_decref(bad);
    cw_datums_free(&d);
    proc_end(&p);
}

/* At most max series are saved, and at most max taken back. */
static void test_bounded(void **state)
{
    (void)state;
    struct proc p1, p2;
    struct cw_datums d;
    cw_datums_init(&d);
    static const char *const files[] = {"a", "b", "c", "d", "e"};
    proc_start(&p1);
    for (size_t i = 0; i < 5; i++) {
        set_lines(&p1, files[i], 10);
    }
    observe(p1.reg, p1.agg);
    json_t *ck3 = cw_agg_checkpoint(p1.agg, NS, CONFIG, 3);
    assert_int_equal(json_array_size(json_object_get(ck3, "counters")), 3);
    json_t *ck = cw_agg_checkpoint(p1.agg, NS, CONFIG, 100);
    assert_int_equal(json_array_size(json_object_get(ck, "counters")), 5);
    proc_end(&p1);
    proc_start(&p2);
    const char *why = NULL;
    assert_int_equal(cw_agg_restore(p2.agg, ck, 2, &why), 0);
    for (size_t i = 0; i < 5; i++) {
        set_lines(&p2, files[i], 11);
    }
    observe(p2.reg, p2.agg);
    flush(p2.agg, T0, &d);
    assert_value(&d, "lines_total", "file=a", 1);
    assert_value(&d, "lines_total", "file=b", 1);
    assert_null(find(&d, "lines_total", "file=c"));
    json_decref(ck3);
    json_decref(ck);
    cw_datums_free(&d);
    proc_end(&p2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_sends_the_rest),
        cmocka_unit_test(test_restored_before_first_flush),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
