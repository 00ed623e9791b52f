/* The Route 53 exporter's per-record state machine, on a simulated clock: read first, change
 * only what differs, min_interval, backoff, refusals, polling to INSYNC. */
#include "test_util.h"

#include <string.h>

#include "exporters/route53/r53_plan.h"

#define MIN_MS 10000

struct fx {
    struct r53_record_conf c;
    struct r53_record r;
    struct r53_state s;
};

static void fx_init(struct fx *f)
{
    const char *where, *why;
    memset(f, 0, sizeof(*f));
    f->c.name = "db.corp.internal";
    f->c.type = R53_CNAME;
    f->c.ttl = 10;
    f->c.metric = "oracle_fsfo_is_primary";
    f->c.label = "database";
    f->c.values = json_pack("{ssss}", "orclviq", "orclviq.corp.internal", "orclstd",
                            "orclstd.corp.internal");
    assert_int_equal(r53_record_init(&f->r, &f->c, &where, &why), 0);
    r53_state_init(&f->s);
}

static void fx_free(struct fx *f)
{
    r53_record_free(&f->r);
    json_decref(f->c.values);
}

static enum r53_action next(struct fx *f, int64_t now, int64_t *due)
{
    *due = INT64_MAX;
    return r53_next(&f->s, &f->r, now, MIN_MS, due);
}

/* Nothing is changed before the record was read, and nothing after when it already holds the
 * desired value (an agent restart sends nothing). */
static void test_read_first_then_nothing(void **state)
{
    (void)state;
    struct fx f;
    int64_t due;
    fx_init(&f);
    r53_set_desired(&f.s, 1);
    assert_int_equal(next(&f, 1000, &due), R53_ACT_LIST);
    r53_on_list(&f.s, R53_OK, 1, "orclstd.corp.internal", 10, 1000, 0);
    assert_int_equal(next(&f, 1000, &due), R53_ACT_NONE);
    assert_int_equal(due, INT64_MAX);
    assert_true(r53_in_place(&f.s, &f.r, 1));
    /* the other one becomes primary: changed at once, even right after start */
    r53_set_desired(&f.s, 0);
    assert_int_equal(next(&f, 1001, &due), R53_ACT_UPSERT);
    fx_free(&f);
}

/* A failover missed while down: the record holds the old value (or another TTL, or nothing). */
static void test_corrects_after_start(void **state)
{
    (void)state;
    struct fx f;
    int64_t due;
    fx_init(&f);
    r53_on_list(&f.s, R53_OK, 1, "orclviq.corp.internal", 10, 0, 0);
    assert_int_equal(next(&f, 5, &due), R53_ACT_NONE); /* no desired value yet */
    r53_set_desired(&f.s, 1);
    assert_int_equal(next(&f, 6, &due), R53_ACT_UPSERT);
    r53_on_upsert(&f.s, &f.r, 1, R53_OK, "C1", 6, 0);
    assert_true(r53_in_place(&f.s, &f.r, 1));
    assert_string_equal(f.s.current, "orclstd.corp.internal");
    fx_free(&f);
    fx_init(&f);
    r53_on_list(&f.s, R53_OK, 1, "orclstd.corp.internal", 300, 0, 0); /* another TTL */
    r53_set_desired(&f.s, 1);
    assert_int_equal(next(&f, 1, &due), R53_ACT_UPSERT);
    r53_on_list(&f.s, R53_OK, 0, NULL, 0, 0, 0); /* no record at all */
    assert_int_equal(next(&f, 1, &due), R53_ACT_UPSERT);
    /* the read refused for good: the change is made anyway (UPSERT is idempotent) */
    r53_on_list(&f.s, R53_REFUSED, 0, NULL, 0, 0, 0);
    assert_int_equal(f.s.listed, 1);
    assert_int_equal(next(&f, 1, &due), R53_ACT_UPSERT);
    fx_free(&f);
}

/* Three role changes in two seconds: one change at once, the newest after min_interval. */
static void test_min_interval_settles_on_newest(void **state)
{
    (void)state;
    struct fx f;
    int64_t due;
    int changes = 0;
    fx_init(&f);
    r53_on_list(&f.s, R53_OK, 1, "orclviq.corp.internal", 10, 0, 0);
    const int64_t at[] = {100, 800, 1900};
    const int to[] = {1, 0, 1};
    for (int t = 0, k = 0; t <= 30000; t += 50) {
        if (k < 3 && t >= at[k]) {
            r53_set_desired(&f.s, to[k++]);
        }
        if (next(&f, t, &due) == R53_ACT_UPSERT) {
            r53_on_upsert(&f.s, &f.r, f.s.desired, R53_OK, "", t, 0);
            changes++;
            assert_true(changes == 1 ? t == 100 : t >= 100 + MIN_MS);
        }
    }
    assert_int_equal(changes, 1); /* 1 -> 0 -> 1 within the interval: the newest is in place */
    assert_true(r53_in_place(&f.s, &f.r, 1));
    /* 1 -> 0 and it stays 0: the second change waits for the interval, then goes */
    r53_set_desired(&f.s, 0);
    f.s.last_change_ms = 30000;
    assert_int_equal(next(&f, 31000, &due), R53_ACT_NONE);
    assert_int_equal(due, 30000 + MIN_MS);
    assert_int_equal(next(&f, 30000 + MIN_MS, &due), R53_ACT_UPSERT);
    fx_free(&f);
}

/* Throttling and PriorRequestNotComplete: retried after the delay given, the count grows. */
static void test_backoff(void **state)
{
    (void)state;
    struct fx f;
    int64_t due;
    fx_init(&f);
    assert_int_equal(next(&f, 0, &due), R53_ACT_LIST);
    r53_on_list(&f.s, R53_RETRY, 0, NULL, 0, 0, 300);
    assert_int_equal(next(&f, 299, &due), R53_ACT_NONE);
    assert_int_equal(due, 300);
    assert_int_equal(next(&f, 300, &due), R53_ACT_LIST);
    r53_on_list(&f.s, R53_OK, 0, NULL, 0, 300, 0);
    assert_int_equal(f.s.attempt, 0);
    r53_set_desired(&f.s, 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(next(&f, 1000 * i, &due), R53_ACT_UPSERT);
        r53_on_upsert(&f.s, &f.r, 0, R53_RETRY, "", 1000 * i, 500);
        assert_int_equal(f.s.attempt, i);
        assert_int_equal(next(&f, 1000 * i + 499, &due), R53_ACT_NONE);
        assert_int_equal(due, 1000 * i + 500);
    }
    assert_int_equal(next(&f, 3500, &due), R53_ACT_UPSERT);
    r53_on_upsert(&f.s, &f.r, 0, R53_OK, "C9", 3500, 0);
    assert_int_equal(f.s.attempt, 0);
    assert_true(r53_in_place(&f.s, &f.r, 0));
    assert_int_equal(f.s.last_change_ms, 3500); /* min_interval counts from the accepted one */
    fx_free(&f);
}

/* A permanent refusal is not retried until the desired value changes (even back again). */
static void test_refusal_waits_for_a_new_value(void **state)
{
    (void)state;
    struct fx f;
    int64_t due;
    fx_init(&f);
    r53_on_list(&f.s, R53_OK, 0, NULL, 0, 0, 0);
    r53_set_desired(&f.s, 0);
    assert_int_equal(next(&f, 10, &due), R53_ACT_UPSERT);
    r53_on_upsert(&f.s, &f.r, 0, R53_REFUSED, "", 10, 0);
    for (int t = 11; t < 100000; t += 997) {
        assert_int_equal(next(&f, t, &due), R53_ACT_NONE);
    }
    r53_set_desired(&f.s, 0); /* the same value again: still refused */
    assert_int_equal(next(&f, 100000, &due), R53_ACT_NONE);
    r53_set_desired(&f.s, 1);
    assert_int_equal(next(&f, 100001, &due), R53_ACT_UPSERT);
    r53_set_desired(&f.s, -1);
    r53_set_desired(&f.s, 0); /* changed away and back: tried again */
    assert_int_equal(next(&f, 100002, &due), R53_ACT_UPSERT);
    /* no desired value: nothing, ever */
    r53_set_desired(&f.s, -1);
    assert_int_equal(next(&f, 200000, &due), R53_ACT_NONE);
    fx_free(&f);
}

/* GetChange is polled with growing waits until INSYNC, whose time is reported; a change that
 * never gets there is given up, bounded. */
static void test_poll_to_insync(void **state)
{
    (void)state;
    struct fx f;
    int64_t due;
    fx_init(&f);
    r53_on_list(&f.s, R53_OK, 0, NULL, 0, 0, 0);
    r53_set_desired(&f.s, 1);
    r53_on_upsert(&f.s, &f.r, 1, R53_OK, "C42", 1000, 0);
    assert_string_equal(f.s.change_id, "C42");
    assert_int_equal(next(&f, 1100, &due), R53_ACT_NONE);
    assert_int_equal(due, 1000 + R53_POLL_FIRST_MS);
    assert_int_equal(next(&f, 1250, &due), R53_ACT_POLL);
    assert_int_equal(r53_on_poll(&f.s, R53_OK, 0, 1250), -1);
    assert_int_equal(f.s.poll_at_ms, 1250 + 2 * R53_POLL_FIRST_MS);
    assert_int_equal(r53_on_poll(&f.s, R53_RETRY, 0, 1750), -1); /* an error: asked again */
    assert_int_equal(f.s.poll_at_ms, 1750 + 4 * R53_POLL_FIRST_MS);
    assert_int_equal(r53_on_poll(&f.s, R53_OK, 1, 2750), 1750);
    assert_string_equal(f.s.change_id, "");
    assert_int_equal(next(&f, 3000, &due), R53_ACT_NONE);
    /* never INSYNC: polls are at most R53_POLL_MAX_MS apart and stop after the give-up time */
    r53_set_desired(&f.s, 0);
    f.s.last_change_ms = INT64_MIN;
    r53_on_upsert(&f.s, &f.r, 0, R53_OK, "C43", 10000, 0);
    int polls = 0;
    for (int64_t t = 10000; t < 10000 + R53_POLL_GIVE_UP_MS + 60000; t += 100) {
        if (next(&f, t, &due) == R53_ACT_POLL) {
            polls++;
            assert_int_equal(r53_on_poll(&f.s, R53_OK, 0, t), -1);
            assert_true(f.s.poll_at_ms - t <= R53_POLL_MAX_MS);
        }
    }
    assert_string_equal(f.s.change_id, "");
    assert_true(polls > 100 && polls < 200);
    /* a dry run's change has nothing to poll */
    r53_set_desired(&f.s, 1);
    f.s.last_change_ms = INT64_MIN;
    r53_on_upsert(&f.s, &f.r, 1, R53_OK, "", 2000000, 0);
    assert_int_equal(next(&f, 2000000 + 60000, &due), R53_ACT_NONE);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_first_then_nothing),
        cmocka_unit_test(test_corrects_after_start),
        cmocka_unit_test(test_min_interval_settles_on_newest),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_refusal_waits_for_a_new_value),
        cmocka_unit_test(test_poll_to_insync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
