/* The push exporters' sampler: which publishes are samples of which families, and their
 * timestamps, driven with hand-made snapshots and a simulated clock. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "exporters/push/sampler.h"

#define T0 1795309323000LL /* 2026-11-22T01:02:03Z */

/* A snapshot of three families: "a_periodic" and "c_periodic" written by collections (their
 * counts and times as given), "b_events" event-driven. */
struct fixture {
    struct hw_snap_family fams[3];
    struct hw_snapshot snap;
    struct sampler s;
};

static void fixture_init(struct fixture *f, enum sampler_mode mode, int64_t sample_ns)
{
    memset(f, 0, sizeof(*f));
    sampler_init(&f->s, mode, sample_ns, 1000000000);
    f->fams[0].name = "a_periodic";
    f->fams[1].name = "b_events";
    f->fams[2].name = "c_periodic";
    f->snap.families = f->fams;
    f->snap.nfamilies = 3;
}

static void collect(struct fixture *f, size_t i, int64_t at)
{
    f->fams[i].collections++;
    f->fams[i].collected_ms = at;
}

/* Publishes every 5 ms for `ms` (a busy log), collecting family i every period[i] ms (0: it is
 * event-driven); counts each family's samples and checks that they are gap ms apart at least,
 * and that a periodic family's sample carries its collection's time. */
static void run_clock(struct sampler *s, struct fixture *f, int64_t ms, const int64_t period[3],
                      int64_t gap, size_t per[3])
{
    int64_t last[3] = {0};
    for (int64_t t = 0; t <= ms; t += 5) {
        for (size_t i = 0; i < 3; i++) {
            if (period[i] && t % period[i] == 0) {
                collect(f, i, T0 + t);
            }
        }
        f->snap.generation++;
        assert_true(sampler_take(s, &f->snap, T0 + t, 0) >= 0);
        for (size_t i = 0; i < 3; i++) {
            const int64_t x = s->stamps[i];
            if (!x) {
                continue;
            }
            assert_true(last[i] == 0 || x - last[i] >= gap);
            assert_true(!period[i] || x == f->fams[i].collected_ms || x == T0 + t);
            last[i] = x;
            per[i]++;
        }
    }
}

/* A busy log beside a collection every second: every collection is one sample, stamped with its
 * time; the log's family one sample per interval. */
static void test_aggregate_follows_collections(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, SAMPLER_AGGREGATE, 0);
    struct sampler *s = &f.s;
    size_t per[3] = {0};
    run_clock(s, &f, 10000, (const int64_t[]){1000, 0, 1000}, 1000, per);
    assert_int_equal(per[0], 11);
    assert_int_equal(per[2], 11);
    assert_int_equal(per[1], 11); /* 0, 1000, ..., 10000 */
    sampler_free(s);
}

/* A role change forces the event-driven families now, and only them. */
static void test_events_now(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, SAMPLER_AGGREGATE, 10000000000);
    struct sampler *s = &f.s;
    collect(&f, 0, T0);
    collect(&f, 2, T0);
    assert_int_equal(sampler_take(s, &f.snap, T0, 0), 3);
    assert_int_equal(sampler_take(s, &f.snap, T0 + 1000, 0), 0);
    assert_int_equal(sampler_take(s, &f.snap, T0 + 1001, SAMPLE_EVENTS_NOW), 1);
    assert_int_equal(s->stamps[0], 0);
    assert_int_equal(s->stamps[1], T0 + 1001);
    assert_int_equal(sampler_take(s, &f.snap, T0 + 9000, 0), 0);
    assert_int_equal(sampler_take(s, &f.snap, T0 + 11001, 0), 1);
    /* Stopping: an event-driven family that changed since its last sample goes now; unchanged,
     * it is not repeated. */
    assert_int_equal(sampler_take(s, &f.snap, T0 + 11002, SAMPLE_FINAL), 0);
    struct hw_snap_series one = {.value = 7};
    f.fams[1].series = &one;
    f.fams[1].nseries = 1;
    assert_int_equal(sampler_take(s, &f.snap, T0 + 11003, SAMPLE_FINAL), 1);
    assert_int_equal(s->stamps[1], T0 + 11003);
    /* The wall clock stepped back an hour: not an hour without samples. */
    assert_int_equal(sampler_take(s, &f.snap, T0 - 3600000, 0), 1);
    sampler_free(s);
}

/* Remote write: a collector ten times faster than the interval is thinned to one sample per
 * interval (within 5 %), one three times slower is repeated; never two within one interval. */
static void test_scrape_thins_and_repeats(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, SAMPLER_SCRAPE, 0);
    struct sampler *s = &f.s;
    size_t per[3] = {0};
    run_clock(s, &f, 30000, (const int64_t[]){100, 0, 3000}, 950, per);
    assert_in_range(per[0], 30, 32);
    assert_in_range(per[1], 30, 31);
    /* every 3 s: the collection, then a repeat 1.5 s later */
    assert_in_range(per[2], 20, 21);
    sampler_free(s);
}

/* A collection a hair late is not replaced by a repeat of the previous one. */
static void test_scrape_waits_for_a_late_collection(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, SAMPLER_SCRAPE, 10000000000);
    struct sampler *s = &f.s;
    collect(&f, 0, T0);
    assert_true(sampler_take(s, &f.snap, T0 + 1, 0) >= 1);
    assert_int_equal(s->stamps[0], T0);
    assert_true(sampler_take(s, &f.snap, T0 + 10003, 0) >= 0); /* a log's publish */
    assert_int_equal(s->stamps[0], 0);
    collect(&f, 0, T0 + 10004);
    assert_true(sampler_take(s, &f.snap, T0 + 10005, 0) >= 1);
    assert_int_equal(s->stamps[0], T0 + 10004);
    sampler_free(s);
}

/* Families appearing and going keep the others' state. */
static void test_family_set_changes(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, SAMPLER_AGGREGATE, 0);
    struct sampler *s = &f.s;
    collect(&f, 0, T0);
    collect(&f, 2, T0);
    struct hw_snapshot two = {.families = (const struct hw_snap_family[]){f.fams[0], f.fams[2]},
                              .nfamilies = 2};
    assert_int_equal(sampler_take(s, &two, T0, 0), 2);
    assert_int_equal(sampler_take(s, &f.snap, T0 + 10, 0), 1); /* b appears: its first sample */
    assert_int_equal(s->stamps[1], T0 + 10);
    collect(&f, 2, T0 + 1000);
    struct hw_snapshot one = {.families = &f.fams[2], .nfamilies = 1};
    assert_int_equal(sampler_take(s, &one, T0 + 1000, 0), 1);
    assert_int_equal(s->stamps[0], T0 + 1000);
    assert_int_equal(s->n, 1);
    sampler_free(s);
}

static void test_watch(void **state)
{
    (void)state;
    struct hw_label primary[] = {{"database", "orclviq"}};
    struct hw_label standby[] = {{"database", "orclstd"}};
    struct hw_snap_series ser[2] = {{.labels = primary, .nlabels = 1, .value = 1},
                                    {.labels = standby, .nlabels = 1, .value = 0}};
    struct hw_snap_family fam = {.name = "oracle_fsfo_is_primary", .series = ser, .nseries = 2};
    struct hw_snapshot snap = {.families = &fam, .nfamilies = 1};
    const char *const names[] = {"oracle_fsfo_is_primary", "absent"};
    struct sampler_watch w;
    assert_int_equal(sampler_watch_init(&w, names, 2), 0);
    assert_int_equal(sampler_watch_changed(&w, &snap), 0);
    assert_int_equal(sampler_watch_changed(&w, &snap), 0);
    ser[0].value = 0;
    ser[1].value = 1;
    assert_int_equal(sampler_watch_changed(&w, &snap), 1);
    assert_int_equal(sampler_watch_changed(&w, &snap), 0);
    sampler_watch_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_follows_collections),
        cmocka_unit_test(test_events_now),
        cmocka_unit_test(test_scrape_thins_and_repeats),
        cmocka_unit_test(test_scrape_waits_for_a_late_collection),
        cmocka_unit_test(test_family_set_changes),
        cmocka_unit_test(test_watch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
