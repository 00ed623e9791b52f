#include "test_util.h"

#include <string.h>

#include "config.h"
#include "diag.h"
#include "health.h"
#include "registry.h"

static struct hw_config *load(const char *text, struct hw_diag *d)
{
    hw_diag_init(d, "hw.json");
    return hw_config_parse(text, strlen(text), "hw.json", d);
}

static void test_rules(void **state)
{
    (void)state;
    struct hw_diag d;
    struct hw_config *cfg = load(
        "{\"collectors\":{},\"exporters\":{},\"health\":{\"rules\":["
        "{\"name\":\"primary\",\"metric\":\"oracle_fsfo_is_primary\","
        "\"labels\":{\"database\":\"orclviq\"},\"equals\":1},"
        "{\"metric\":\"mem_used_percent\",\"below\":90}]}}",
        &d);
    assert_non_null(cfg);
    struct hw_health *h = hw_health_new();
    assert_int_equal(hw_health_set(h, &cfg->health), 0);
    struct hw_registry *reg = hw_registry_new();
    char why[512];

    /* Unknown: nothing published yet -> not healthy, and it says why. */
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    assert_int_equal(hw_health_eval(h, snap, why, sizeof(why)), 0);
    assert_string_equal(why, "rule failed: primary: oracle_fsfo_is_primary{database=\"orclviq\"} "
                             "== 1 (no such series: the value is unknown)\n");
    hw_snapshot_release(snap);

    const struct hw_family_desc pd = {.name = "oracle_fsfo_is_primary", .type = HW_GAUGE};
    const struct hw_family_desc md = {.name = "mem_used_percent", .type = HW_GAUGE};
    struct hw_family *pf = hw_registry_family(reg, &pd, NULL);
    struct hw_family *mf = hw_registry_family(reg, &md, NULL);
    const struct hw_label a[] = {{"database", "orclviq"}};
    const struct hw_label b[] = {{"database", "orclstd"}};
    hw_family_set(pf, a, 1, 1);
    hw_family_set(pf, b, 1, 0);
    hw_family_set(mf, NULL, 0, 42);
    hw_registry_publish(reg);
    snap = hw_registry_acquire(reg);
    assert_int_equal(hw_health_eval(h, snap, why, sizeof(why)), 1);
    assert_string_equal(why, "ok\n");
    hw_snapshot_release(snap);

    hw_family_set(pf, a, 1, 0); /* failover away from orclviq */
    hw_family_set(mf, NULL, 0, 95);
    hw_registry_publish(reg);
    snap = hw_registry_acquire(reg);
    assert_int_equal(hw_health_eval(h, snap, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "== 1 (value is 0)"));
    hw_snapshot_release(snap);

    /* No rules at all: healthy. */
    assert_int_equal(hw_health_set(h, NULL), 0);
    assert_int_equal(hw_health_eval(h, NULL, why, sizeof(why)), 1);
    hw_registry_free(reg);
    hw_health_free(h);
    hw_config_free(cfg);
    hw_diag_free(&d);
}

static void test_validation(void **state)
{
    (void)state;
    struct hw_diag d;
    assert_null(load("{\"health\":{\"rules\":[{\"metric\":\"x\"},"
                     "{\"metric\":\"y\",\"equals\":1,\"above\":2},{\"equals\":1},"
                     "{\"metric\":\"z\",\"equal\":1}]}}",
                     &d));
    const char *want[] = {
        "hw.json: health.rules[3].equal: unknown key (did you mean \"equals\"?)",
        "hw.json: health.rules[0]: needs exactly one of equals, not_equals, above, below, "
        "at_least, at_most (has 0)",
        "hw.json: health.rules[1]: needs exactly one of equals, not_equals, above, below, "
        "at_least, at_most (has 2)",
        "hw.json: health.rules[2].metric: required",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        int found = 0;
        for (size_t j = 0; j < d.n; j++) {
            found |= strcmp(d.msgs[j], want[i]) == 0;
        }
        if (!found) {
            for (size_t j = 0; j < d.n; j++) {
                print_message("got: %s\n", d.msgs[j]);
            }
            fail_msg("missing: %s", want[i]);
        }
    }
    hw_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
