#include "test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

static const struct hw_family_desc gauge_desc = {
    .name = "g", .help = "a gauge", .unit = "Bytes", .type = HW_GAUGE, .views = HW_VIEW_NODE,
    .flags = HW_FAM_REPLACE};
static const struct hw_family_desc counter_desc = {
    .name = "c_total", .help = "a counter", .unit = "Count", .type = HW_COUNTER,
    .views = HW_VIEW_ALL};
static const double bounds[] = {1, 5, 10};
static const struct hw_family_desc hist_desc = {
    .name = "h", .help = "a histogram", .unit = "Milliseconds", .type = HW_HISTOGRAM,
    .views = HW_VIEW_ALL, .buckets = bounds, .nbuckets = 3};

static void test_series_identity(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    const char *owner = "x";
    struct hw_family *f = hw_registry_family(reg, &counter_desc, owner);
    assert_non_null(f);
    assert_ptr_equal(hw_registry_family(reg, &counter_desc, owner), f);
    const struct hw_label ab[] = {{"a", "1"}, {"b", "2"}};
    const struct hw_label ba[] = {{"b", "2"}, {"a", "1"}};
    const struct hw_label split[] = {{"a", "12"}, {"b", ""}};
    struct hw_series *s1 = hw_family_series(f, ab, 2, 0);
    struct hw_series *s2 = hw_family_series(f, ba, 2, 0);
    struct hw_series *s3 = hw_family_series(f, split, 2, 0);
    assert_ptr_equal(s1, s2);
    assert_ptr_not_equal(s1, s3);
    hw_series_add(s1, 2);
    hw_series_add(s2, 3);
    assert_true(hw_series_value(s1) == 5);
    /* A family with the same name but another type is refused. */
    struct hw_family_desc clash = counter_desc;
    clash.type = HW_GAUGE;
    assert_null(hw_registry_family(reg, &clash, owner));
    hw_registry_free(reg);
}

static void test_max_series_and_growth(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = hw_registry_family(reg, &counter_desc, NULL);
    char v[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(v, sizeof(v), "%d", i);
        const struct hw_label l[] = {{"i", v}};
        assert_non_null(hw_family_series(f, l, 1, 1000));
    }
    const struct hw_label over[] = {{"i", "new"}};
    assert_null(hw_family_series(f, over, 1, 1000));
    const struct hw_label old[] = {{"i", "999"}};
    assert_non_null(hw_family_series(f, old, 1, 1000));
    assert_int_equal(hw_family_nseries(f), 1000);
    /* Many families force the name index to grow. */
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof(name), "fam_%d", i);
        struct hw_family_desc d = gauge_desc;
        d.name = name;
        assert_non_null(hw_registry_family(reg, &d, NULL));
    }
    assert_int_equal(hw_registry_publish(reg), 0);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    assert_int_equal(snap->nfamilies, 301);
    assert_string_equal(snap->families[0].name, "c_total");
    assert_non_null(hw_snapshot_find(snap, "fam_299"));
    assert_null(hw_snapshot_find(snap, "fam_300"));
    hw_snapshot_release(snap);
    hw_registry_free(reg);
}

static void test_sweep(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *g = hw_registry_family(reg, &gauge_desc, "disk");
    struct hw_family *c = hw_registry_family(reg, &counter_desc, "disk");
    const struct hw_label sda[] = {{"device", "sda"}};
    const struct hw_label sdb[] = {{"device", "sdb"}};
    hw_registry_begin(reg, "disk");
    hw_family_set(g, sda, 1, 1);
    hw_family_set(g, sdb, 1, 2);
    hw_family_set(c, sdb, 1, 2);
    hw_registry_sweep(reg, "disk");
    assert_int_equal(hw_family_nseries(g), 2);
    /* Another owner's collection does not touch these. */
    hw_registry_begin(reg, "memory");
    hw_registry_sweep(reg, "memory");
    assert_int_equal(hw_family_nseries(g), 2);
    hw_registry_begin(reg, "disk");
    hw_family_set(g, sda, 1, 3);
    hw_registry_sweep(reg, "disk");
    /* sdb vanished from the gauge; counters are never swept. */
    assert_int_equal(hw_family_nseries(g), 1);
    assert_int_equal(hw_family_nseries(c), 1);
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    const struct hw_snap_family *sg = hw_snapshot_find(snap, "g");
    assert_int_equal(sg->nseries, 1);
    assert_string_equal(sg->series[0].labels[0].value, "sda");
    assert_true(sg->series[0].value == 3);
    hw_snapshot_release(snap);
    hw_registry_drop_owner(reg, "memory");
    assert_ptr_equal(hw_registry_family(reg, &gauge_desc, "disk"), g);
    hw_registry_drop_owner(reg, "disk");
    hw_registry_publish(reg);
    snap = hw_registry_acquire(reg);
    assert_int_equal(snap->nfamilies, 0);
    hw_snapshot_release(snap);
    hw_registry_free(reg);
}

/* A family two instances write (one metric from two log sources) outlives either of them. */
static void test_shared_family(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *a = hw_registry_family(reg, &counter_desc, "logs[0]");
    struct hw_family *b = hw_registry_family(reg, &counter_desc, "logs[1]");
    assert_ptr_equal(a, b);
    hw_family_set(a, NULL, 0, 5);
    hw_registry_drop_owner(reg, "logs[0]");
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    assert_non_null(hw_snapshot_find(snap, "c_total"));
    hw_snapshot_release(snap);
    hw_registry_free(reg);
}

static void test_histogram(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *h = hw_registry_family(reg, &hist_desc, NULL);
    struct hw_series *s = hw_family_series(h, NULL, 0, 0);
    const double obs[] = {0.5, 1, 2, 5, 7, 100};
    for (size_t i = 0; i < 6; i++) {
        hw_family_observe(h, s, obs[i]);
    }
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    const struct hw_snap_family *f = hw_snapshot_find(snap, "h");
    assert_int_equal(f->nbuckets, 3);
    assert_int_equal(f->series[0].bucket[0], 2); /* 0.5, 1 (le is inclusive) */
    assert_int_equal(f->series[0].bucket[1], 4); /* + 2, 5 */
    assert_int_equal(f->series[0].bucket[2], 5); /* + 7 */
    assert_int_equal(f->series[0].count, 6);
    assert_true(f->series[0].value == 115.5);
    hw_snapshot_release(snap);
    hw_registry_free(reg);
}

static void test_snapshot_isolation(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = hw_registry_family(reg, &counter_desc, NULL);
    const struct hw_label b[] = {{"k", "b"}};
    const struct hw_label a[] = {{"k", "a"}};
    hw_family_set(f, b, 1, 1);
    hw_registry_publish(reg);
    const struct hw_snapshot *old = hw_registry_acquire(reg);
    hw_family_set(f, a, 1, 2);
    hw_family_set(f, b, 1, 10);
    hw_registry_publish(reg);
    const struct hw_snapshot *cur = hw_registry_acquire(reg);
    assert_true(cur->generation > old->generation);
    assert_int_equal(old->families[0].nseries, 1);
    assert_true(old->families[0].series[0].value == 1);
    assert_int_equal(cur->families[0].nseries, 2);
    assert_string_equal(cur->families[0].series[0].labels[0].value, "a"); /* sorted */
    assert_true(cur->families[0].series[1].value == 10);
    hw_snapshot_release(old);
    hw_snapshot_release(cur);
    hw_registry_free(reg);
}

struct reader_arg {
    struct hw_registry *reg;
    int stop;
    long reads;
};

static void *reader(void *p)
{
    struct reader_arg *ra = p;
    while (!__atomic_load_n(&ra->stop, __ATOMIC_ACQUIRE)) {
        const struct hw_snapshot *s = hw_registry_acquire(ra->reg);
        if (s && s->nfamilies == 1) {
            /* every series of one snapshot holds the same value */
            const struct hw_snap_family *f = &s->families[0];
            for (size_t i = 1; i < f->nseries; i++) {
                if (f->series[i].value != f->series[0].value) {
                    abort();
                }
            }
        }
        hw_snapshot_release(s);
        __atomic_add_fetch(&ra->reads, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = hw_registry_family(reg, &counter_desc, NULL);
    struct reader_arg ra = {.reg = reg};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader, &ra), 0);
    /* Publish until the reader has overlapped many publishes (bounded in count). */
    for (int round = 0; round < 2000 || (__atomic_load_n(&ra.reads, __ATOMIC_ACQUIRE) < 1000 &&
                                         round < 2000000);
         round++) {
        for (int i = 0; i < 8; i++) {
            char v[8];
            snprintf(v, sizeof(v), "%d", i);
            const struct hw_label l[] = {{"i", v}};
            hw_family_set(f, l, 1, round);
        }
        assert_int_equal(hw_registry_publish(reg), 0);
        if (round % 64 == 0) {
            sched_yield(); /* a serialising scheduler (valgrind) lets the reader run too */
        }
    }
    __atomic_store_n(&ra.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    assert_true(ra.reads >= 1000);
    hw_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_series_identity),   cmocka_unit_test(test_max_series_and_growth),
        cmocka_unit_test(test_sweep),             cmocka_unit_test(test_shared_family),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_snapshot_isolation), cmocka_unit_test(test_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
