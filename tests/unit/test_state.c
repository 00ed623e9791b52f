#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filters/metricstate.h"
#include "registry.h"
#include "state.h"

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/hw-state-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rmdir_all(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static void test_roundtrip(void **state)
{
    (void)state;
    char *dir = tmpdir();
    const char *why = "unset";
    char aside[4200];
    assert_null(hw_state_load(dir, &why, aside, sizeof(aside)));
    assert_null(why); /* no file is not an error */
    json_t *in = json_pack("{s:{s:[{s:s, s:I}]}}", "logs:app", "files", "path", "/var/log/a.log",
                           "offset", (json_int_t)12345);
    assert_int_equal(hw_state_save(dir, in), 0);
    json_t *out = hw_state_load(dir, &why, aside, sizeof(aside));
    assert_non_null(out);
    assert_null(why);
    assert_true(json_equal(in, out));
    json_decref(in);
    json_decref(out);
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", dir);
    assert_int_not_equal(access(tmp, F_OK), 0); /* renamed into place */
    rmdir_all(dir);
    free(dir);
}

/* Every kind of damage is detected, reported, and the file set aside, never trusted. */
static void test_corrupt_files(void **state)
{
    (void)state;
    char *dir = tmpdir();
    json_t *in = json_pack("{s:{s:i}}", "logs:app", "x", 1);
    assert_int_equal(hw_state_save(dir, in), 0);
    char path[512];
    snprintf(path, sizeof(path), "%s/state.json", dir);
    FILE *f = fopen(path, "rb");
    char good[4096];
    size_t n = fread(good, 1, sizeof(good), f);
    fclose(f);
    static const struct {
        const char *name;
        int truncate_at; /* -1: use text */
        const char *text;
        const char *why;
    } cases[] = {
        {"truncated", 20, NULL, "not valid JSON"},
        {"empty", 0, NULL, "not valid JSON"},
        {"binary", -1, "\x01\x02\xff", "not valid JSON"},
        {"edited", -1, NULL, "checksum mismatch"},
        {"other format", -1, "{\"format\":\"other/9\",\"instances\":{},\"crc32\":1}",
         "unknown format"},
        {"no crc", -1, "{\"format\":\"hostwatch-state/1\",\"instances\":{}}", "missing"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].truncate_at >= 0) {
            write_file(path, good, (size_t)cases[i].truncate_at);
        } else if (cases[i].text) {
            write_file(path, cases[i].text, strlen(cases[i].text));
        } else {
            char edited[4096];
            memcpy(edited, good, n);
            char *one = strstr(edited, "\"x\":1");
            assert_non_null(one);
            one[4] = '2';
            write_file(path, edited, n);
        }
        const char *why = NULL;
        char aside[4200];
        assert_null(hw_state_load(dir, &why, aside, sizeof(aside)));
        assert_non_null(why);
        if (!strstr(why, cases[i].why)) {
            fail_msg("%s: got \"%s\"", cases[i].name, why);
        }
        assert_int_equal(access(aside, F_OK), 0); /* kept for inspection */
        assert_int_not_equal(access(path, F_OK), 0);
        unlink(aside);
    }
    json_decref(in);
    rmdir_all(dir);
    free(dir);
}

static void test_unwritable_dir(void **state)
{
    (void)state;
    json_t *in = json_object();
    assert_true(hw_state_save("/nonexistent/dir", in) < 0);
    json_decref(in);
}

static const double bounds[] = {1, 10};

static void test_metricstate_roundtrip(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    const struct hw_family_desc hd = {.name = "lat", .help = "h", .type = HW_HISTOGRAM,
                                      .views = HW_VIEW_ALL, .buckets = bounds, .nbuckets = 2};
    const struct hw_family_desc cd = {.name = "c_total", .help = "c", .type = HW_COUNTER,
                                      .views = HW_VIEW_ALL};
    struct hw_family *h = hw_registry_family(reg, &hd, "a");
    struct hw_family *c = hw_registry_family(reg, &cd, "a");
    const struct hw_label l[] = {{"status", "500"}};
    hw_family_observe(h, hw_family_series(h, l, 1, 0), 0.5);
    hw_family_observe(h, hw_family_series(h, l, 1, 0), 20);
    hw_series_add(hw_family_series(c, NULL, 0, 0), 7);
    json_t *hs = metricstate_save(h, HW_HISTOGRAM);
    json_t *cs = metricstate_save(c, HW_COUNTER);
    assert_non_null(hs);
    assert_non_null(cs);

    struct hw_registry *reg2 = hw_registry_new();
    struct hw_family *h2 = hw_registry_family(reg2, &hd, "a");
    struct hw_family *c2 = hw_registry_family(reg2, &cd, "a");
    const char *why = NULL;
    assert_int_equal(metricstate_restore(h2, HW_HISTOGRAM, hs, 1000, &why), 0);
    assert_int_equal(metricstate_restore(c2, HW_COUNTER, cs, 1000, &why), 0);
    /* Another type or bucket layout is refused whole. */
    assert_int_equal(metricstate_restore(c2, HW_GAUGE, cs, 1000, &why), -1);
    assert_non_null(strstr(why, "another type"));
    json_t *bad = json_pack("{s:s, s:i, s:[{s:{}, s:f, s:i, s:[i]}]}", "type", "histogram",
                            "nbuckets", 2, "series", "labels", "value", 1.0, "count", 1,
                            "buckets", 1);
    assert_int_equal(metricstate_restore(h2, HW_HISTOGRAM, bad, 1000, &why), -1);
    json_decref(bad);

    hw_registry_publish(reg2);
    const struct hw_snapshot *snap = hw_registry_acquire(reg2);
    const struct hw_snap_family *fh = hw_snapshot_find(snap, "lat");
    assert_int_equal(fh->nseries, 1);
    assert_int_equal(fh->series[0].count, 2);
    assert_true(fh->series[0].value == 20.5);
    assert_int_equal(fh->series[0].bucket[0], 1);
    assert_int_equal(fh->series[0].bucket[1], 1);
    assert_true(hw_snapshot_find(snap, "c_total")->series[0].value == 7);
    hw_snapshot_release(snap);
    json_decref(hs);
    json_decref(cs);
    hw_registry_free(reg);
    hw_registry_free(reg2);
}

/* The packed form keeps any label bytes and exact values; the earlier per-series objects are
 * still read; every truncation or corruption of the text is refused whole. */
static void test_metricstate_packed(void **state)
{
    (void)state;
    const struct hw_family_desc cd = {.name = "c_total", .help = "c", .type = HW_COUNTER,
                                      .views = HW_VIEW_ALL};
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *c = hw_registry_family(reg, &cd, "a");
    const struct hw_label odd[] = {{"path", "/a b\n7:x\"\\"}, {"k", ""}};
    hw_series_add(hw_family_series(c, odd, 2, 0), 0.1 + 0.2);
    const struct hw_label big[] = {{"id", "9"}};
    hw_series_add(hw_family_series(c, big, 1, 0), 9007199254740993.0);
    json_t *cs = metricstate_save(c, HW_COUNTER);
    const char *packed = json_string_value(json_object_get(cs, "packed"));
    assert_non_null(packed);
    if (!strstr(packed, "0.30000000000000004 0 2 1:k 0: 4:path 10:/a b\n7:x\"\\\n")) {
        fail_msg("packed: %s", packed);
    }

    struct hw_registry *reg2 = hw_registry_new();
    struct hw_family *c2 = hw_registry_family(reg2, &cd, "a");
    const char *why = NULL;
    assert_int_equal(metricstate_restore(c2, HW_COUNTER, cs, 1000, &why), 0);
    hw_registry_publish(reg2);
    const struct hw_snapshot *snap = hw_registry_acquire(reg2);
    const struct hw_snap_family *f = hw_snapshot_find(snap, "c_total");
    assert_int_equal(f->nseries, 2);
    double sum = f->series[0].value + f->series[1].value;
    assert_true(sum == (0.1 + 0.2) + 9007199254740993.0);
    hw_snapshot_release(snap);

    /* A prefix is refused unless it ends exactly after the first series' line (a value
     * holding a newline does not end a line). */
    size_t len = strlen(packed), valid = 0;
    struct hw_family *c3 = hw_registry_family(reg2, &(struct hw_family_desc){
        .name = "d_total", .help = "d", .type = HW_COUNTER, .views = HW_VIEW_ALL}, "a");
    for (size_t cut = 1; cut < len; cut++) {
        json_t *t = json_pack("{s:s, s:i, s:s%}", "type", "counter", "nbuckets", 0, "packed",
                              packed, cut);
        int rc = metricstate_restore(c3, HW_COUNTER, t, 1000, &why);
        json_decref(t);
        assert_true(rc == 0 || rc == -1);
        valid += rc == 0;
        if (rc == 0) {
            assert_int_equal(packed[cut - 1], '\n');
        }
    }
    assert_int_equal(valid, 1);
    static const char *const corrupt[] = {"x 0 0\n", "1 0 1 9:short\n", "1 -1 0\n",
                                          "1 0 33\n", "1 0 0", "1 0 1 1:a 1:b extra\n"};
    for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
        json_t *t = json_pack("{s:s, s:i, s:s}", "type", "counter", "nbuckets", 0, "packed",
                              corrupt[i]);
        assert_int_equal(metricstate_restore(c3, HW_COUNTER, t, 1000, &why), -1);
        assert_string_equal(why, "malformed saved series");
        json_decref(t);
    }
    /* The earlier form: one object per series. */
    json_t *old = json_pack("{s:s, s:i, s:[{s:{s:s}, s:f, s:i, s:[]}]}", "type", "counter",
                            "nbuckets", 0, "series", "labels", "id", "old", "value", 41.5,
                            "count", 0, "buckets");
    assert_int_equal(metricstate_restore(c3, HW_COUNTER, old, 1000, &why), 0);
    hw_registry_publish(reg2);
    snap = hw_registry_acquire(reg2);
    f = hw_snapshot_find(snap, "d_total");
    assert_true(f && f->nseries >= 1);
    int found = 0;
    for (size_t i = 0; i < f->nseries; i++) {
        found |= f->series[i].value == 41.5;
    }
    assert_true(found);
    hw_snapshot_release(snap);
    json_decref(old);
    json_decref(cs);
    hw_registry_free(reg);
    hw_registry_free(reg2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_unwritable_dir),
        cmocka_unit_test(test_metricstate_roundtrip),
        cmocka_unit_test(test_metricstate_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
