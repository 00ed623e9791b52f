/* Unit tests of the /proc/meminfo parser, the node_exporter name mapping and the host
 * used/available formulas, on fixtures from several kernels. */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "collectors/memory/meminfo.h"

#define KIB 1024.0

/* Exact double comparison that prints both values when it fails. */
#define assert_double_exact(got, want) double_exact((got), (want), #got, __FILE__, __LINE__)

static void double_exact(double got, double want, const char *expr, const char *file, int line)
{
    if (got != want) {
        print_error("%s:%d: %s = %.17g, want %.17g\n", file, line, expr, got, want);
        _fail(file, line);
    }
}

/* cmocka 1.1's assert_float_equal compares floats; this keeps double precision. */
#define assert_double_near(got, want, eps)                                                         \
    double_near((got), (want), (eps), #got, __FILE__, __LINE__)

static void double_near(double got, double want, double eps, const char *expr, const char *file,
                        int line)
{
    if (!(got - want <= eps && want - got <= eps)) {
        print_error("%s:%d: %s = %.17g, want %.17g\n", file, line, expr, got, want);
        _fail(file, line);
    }
}

/* Parses tests/fixtures/proc/<name>/meminfo into mi. */
static void parse_fixture(const char *name, struct meminfo *mi)
{
    char path[512];
    struct hw_buf b;
    hw_buf_init(&b);
    const int n = snprintf(path, sizeof(path), "%s/proc/%s/meminfo", HW_FIXTURES, name);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    assert_int_equal(hw_buf_read_file(&b, path, 1 << 20), 0);
    assert_true(meminfo_parse(b.data, b.len, mi) >= 0);
    hw_buf_free(&b);
}

static void assert_field(const struct meminfo *mi, const char *name, uint64_t value, int has_kb)
{
    const struct meminfo_field *f = meminfo_find(mi, name);
    if (!f) {
        print_error("field %s missing\n", name);
        fail();
    }
    assert_int_equal(f->value, value);
    assert_int_equal(f->has_kb, has_kb);
}

/* ---- kernels ---------------------------------------------------------------------------- */

static void test_linux68(void **state)
{
    (void)state;
    struct meminfo mi;
    parse_fixture("linux-6.8", &mi);
    assert_int_equal(mi.nfields, 55);
    assert_int_equal(mi.nskipped, 0);
    assert_string_equal(mi.fields[0].name, "MemTotal");
    assert_string_equal(mi.fields[54].name, "DirectMap1G");
    assert_true(mi.has_mem_total);
    assert_true(mi.has_mem_available);
    assert_double_exact(mi.mem_total, 8131813376.0);
    assert_double_exact(mi.mem_free, 1203456 * KIB);
    assert_double_exact(mi.mem_available, 5612340 * KIB);
    assert_double_exact(mi.buffers, 187644 * KIB);
    assert_double_exact(mi.cached, 4023512 * KIB);
    assert_double_exact(mi.sreclaimable, 298716 * KIB);
    assert_double_exact(mi.shmem, 45312 * KIB);
    assert_double_exact(mi.active, 2398120 * KIB);
    assert_double_exact(mi.inactive, 3387204 * KIB);
    assert_double_exact(mi.swap_total, 2097148 * KIB);
    assert_double_exact(mi.swap_free, 2097148 * KIB);
    assert_field(&mi, "Active(anon)", 1508360, 1);
    assert_field(&mi, "Inactive(file)", 3289084, 1);
    assert_field(&mi, "Zswap", 0, 1);
    assert_field(&mi, "Zswapped", 0, 1);
    assert_field(&mi, "Unaccepted", 0, 1);
    assert_field(&mi, "HugePages_Total", 16, 0);
    assert_field(&mi, "HugePages_Free", 8, 0);
    assert_field(&mi, "HugePages_Rsvd", 2, 0);
    assert_field(&mi, "Hugetlb", 32768, 1);
    assert_double_exact(meminfo_field_bytes(meminfo_find(&mi, "VmallocTotal")), 35184372087808.0);
    assert_double_exact(meminfo_field_bytes(meminfo_find(&mi, "HugePages_Total")), 16.0);
}

static void test_centos7(void **state)
{
    (void)state;
    struct meminfo mi;
    parse_fixture("centos7-3.10", &mi);
    assert_int_equal(mi.nfields, 46);
    assert_int_equal(mi.nskipped, 0);
    assert_true(mi.has_mem_available);
    assert_double_exact(mi.mem_total, 3973287936.0);
    assert_double_exact(mi.mem_available, 3317866496.0);
    assert_field(&mi, "CmaTotal", 0, 1);
    assert_field(&mi, "VmallocChunk", 34359715580ull, 1);
    assert_null(meminfo_find(&mi, "Zswap"));
    assert_null(meminfo_find(&mi, "KReclaimable"));
}

static void test_rhel6_without_memavailable(void **state)
{
    (void)state;
    struct meminfo mi;
    parse_fixture("rhel6-2.6.32", &mi);
    assert_int_equal(mi.nfields, 42);
    assert_int_equal(mi.nskipped, 0);
    assert_true(mi.has_mem_total);
    assert_false(mi.has_mem_available);
    assert_null(meminfo_find(&mi, "MemAvailable"));
    assert_double_exact(mi.mem_available, 0.0);
    assert_double_exact(mi.mem_total, 1968267264.0);
}

/* The running kernel's file must parse without a single skipped line. */
static void test_live_proc(void **state)
{
    (void)state;
    struct hw_buf b;
    struct meminfo mi;
    hw_buf_init(&b);
    if (hw_buf_read_file(&b, "/proc/meminfo", 1 << 20) != 0) {
        hw_buf_free(&b);
        skip();
    }
    assert_true(meminfo_parse(b.data, b.len, &mi) > 10);
    hw_buf_free(&b);
    assert_int_equal(mi.nskipped, 0);
    assert_true(mi.has_mem_total);
    assert_true(mi.mem_total > 0);
}

/* ---- edge cases ------------------------------------------------------------------------- */

static void test_huge_values(void **state)
{
    (void)state;
    struct meminfo mi;
    parse_fixture("huge", &mi);
    assert_int_equal(mi.nfields, 10);
    assert_int_equal(mi.nskipped, 2); /* 99999999999999999999 and 2^64 overflow uint64 */
    assert_null(meminfo_find(&mi, "Committed_AS"));
    assert_null(meminfo_find(&mi, "CommitLimit"));
    assert_double_exact(mi.mem_total, 1152921504606846976.0); /* 2^50 kB = 2^60 B */
    assert_field(&mi, "VmallocTotal", UINT64_MAX, 1);
    /* 2^64-1 kB saturates at 2^64-1 bytes, which as a double is 2^64 */
    assert_double_exact(meminfo_field_bytes(meminfo_find(&mi, "VmallocTotal")),
                        18446744073709551616.0);
    assert_double_exact(meminfo_field_bytes(meminfo_find(&mi, "DirectMap1G")),
                        18446744073709551616.0);
    /* (2^54-1) kB = 2^64-1024 B fits; the double rounds it to 2^64, but it never wraps */
    assert_field(&mi, "DirectMap2M", (UINT64_C(1) << 54) - 1, 1);
    assert_double_exact(meminfo_field_bytes(meminfo_find(&mi, "DirectMap2M")),
                        18446744073709551616.0);
    assert_field(&mi, "HugePages_Total", UINT64_MAX, 0);

    struct meminfo_usage u;
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_AVAILABLE, &u), 0);
    assert_double_exact(u.used, 288230376151711744.0); /* 2^58 */
    assert_double_exact(u.used_percent, 25.0);
    assert_double_exact(u.available_percent, 75.0);
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_CWAGENT, &u), 0);
    assert_double_exact(u.used, 144115188075855872.0); /* 2^57 */
    assert_double_exact(u.used_percent, 12.5);
}

static void test_garbage_lines(void **state)
{
    (void)state;
    struct meminfo mi;
    parse_fixture("garbage", &mi);
    assert_int_equal(mi.nfields, 9);
    assert_int_equal(mi.nskipped, 16);
    const char *const kept[] = {"MemTotal", "MemFree",         "MemAvailable", "Cached",   "Mapped",
                                "Dirty",    "HugePages_Total", "Hugepagesize", "SwapTotal"};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        assert_string_equal(mi.fields[i].name, kept[i]);
    }
    assert_field(&mi, "Cached", 256000, 1); /* the first well-formed line wins */
    assert_field(&mi, "Mapped", 4096, 1);   /* CRLF */
    assert_field(&mi, "Dirty", 12, 1);      /* trailing blanks */
    assert_field(&mi, "HugePages_Total", 4, 0);
    assert_field(&mi, "SwapTotal", 0, 1); /* no final newline */
    assert_null(meminfo_find(&mi, "Buffers"));
    assert_null(meminfo_find(&mi, "Shmem"));
    assert_null(meminfo_find(&mi, "Slab"));
    assert_null(meminfo_find(&mi, "Active"));
    assert_null(meminfo_find(&mi, "Writeback"));
    assert_null(meminfo_find(&mi, "Bounce"));
    assert_double_exact(mi.buffers, 0.0);
    assert_double_exact(mi.cached, 256000 * KIB);
}

static void test_field_cap(void **state)
{
    (void)state;
    struct hw_buf b;
    struct meminfo mi;
    hw_buf_init(&b);
    for (int i = 0; i < 200; i++) {
        hw_buf_printf(&b, "Field%d: %d kB\n", i, i);
    }
    assert_false(b.oom);
    assert_int_equal(meminfo_parse(b.data, b.len, &mi), MEMINFO_MAX_FIELDS);
    hw_buf_free(&b);
    assert_int_equal(mi.nfields, MEMINFO_MAX_FIELDS);
    assert_int_equal(mi.nskipped, 200 - MEMINFO_MAX_FIELDS);
    assert_string_equal(mi.fields[127].name, "Field127");
    assert_false(mi.has_mem_total);
}

static void test_length_bounded(void **state)
{
    (void)state;
    struct meminfo mi;
    const char text[] = "MemTotal: 10 kB\nMemFree: 5 kB\n";
    /* stops inside "MemFree: 5 kB": "MemFree: 5 k" is malformed, "MemFree: 5" is a count */
    assert_int_equal(meminfo_parse(text, 28, &mi), 1);
    assert_int_equal(mi.nskipped, 1);
    assert_int_equal(meminfo_parse(text, 26, &mi), 2);
    assert_field(&mi, "MemFree", 5, 0);
    assert_int_equal(meminfo_parse(text, 0, &mi), 0);
    assert_int_equal(mi.nskipped, 0);
    assert_int_equal(meminfo_parse(NULL, 0, &mi), -1);
    assert_int_equal(meminfo_parse(text, sizeof(text) - 1, NULL), -1);
}

/* ---- names ------------------------------------------------------------------------------ */

static void assert_name(const char *field, int has_kb, const char *want)
{
    char out[64];
    assert_int_equal(meminfo_metric_name(field, has_kb, out, sizeof(out)), 0);
    assert_string_equal(out, want);
}

static void test_metric_names(void **state)
{
    (void)state;
    assert_name("MemTotal", 1, "node_memory_MemTotal_bytes");
    assert_name("MemAvailable", 1, "node_memory_MemAvailable_bytes");
    assert_name("Active(anon)", 1, "node_memory_Active_anon_bytes");
    assert_name("Inactive(file)", 1, "node_memory_Inactive_file_bytes");
    assert_name("NFS_Unstable", 1, "node_memory_NFS_Unstable_bytes");
    assert_name("Committed_AS", 1, "node_memory_Committed_AS_bytes");
    assert_name("DirectMap4k", 1, "node_memory_DirectMap4k_bytes");
    assert_name("HugePages_Total", 0, "node_memory_HugePages_Total");
    assert_name("HugePages_Surp", 0, "node_memory_HugePages_Surp");
    assert_name("Hugepagesize", 1, "node_memory_Hugepagesize_bytes");

    char out[64], help[96];
    assert_int_equal(meminfo_metric_help("Active(anon)", 1, help, sizeof(help)), 0);
    assert_string_equal(help, "Memory information field Active_anon_bytes.");
    assert_int_equal(meminfo_metric_help("HugePages_Free", 0, help, sizeof(help)), 0);
    assert_string_equal(help, "Memory information field HugePages_Free.");

    assert_int_equal(meminfo_metric_name("Bad Name", 1, out, sizeof(out)), -1);
    assert_int_equal(meminfo_metric_name("a-b", 1, out, sizeof(out)), -1);
    assert_int_equal(meminfo_metric_name("", 1, out, sizeof(out)), -1);
    assert_int_equal(meminfo_metric_name("MemTotal\n", 1, out, sizeof(out)), -1);
    assert_int_equal(meminfo_metric_name("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", 1, out, sizeof(out)),
                     -1);
    assert_int_equal(meminfo_metric_name("MemTotal", 1, out, 26), -1); /* needs 27 */
    assert_int_equal(meminfo_metric_name("MemTotal", 1, out, 27), 0);
    assert_true(meminfo_name_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234"));
    assert_false(meminfo_name_valid("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"));
}

/* ---- formulas --------------------------------------------------------------------------- */

static void test_usage_linux68(void **state)
{
    (void)state;
    struct meminfo mi;
    struct meminfo_usage u;
    parse_fixture("linux-6.8", &mi);
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_AVAILABLE, &u), 0);
    assert_double_exact(u.total, 8131813376.0);
    assert_double_exact(u.available, 5747036160.0);
    assert_double_exact(u.used, 2384777216.0); /* (7941224 - 5612340) kB */
    assert_double_exact(u.free, 1203456 * KIB);
    assert_double_exact(u.used_percent, 100.0 * 2384777216.0 / 8131813376.0);
    assert_double_exact(u.available_percent, 100.0 * 5747036160.0 / 8131813376.0);
    assert_double_near(u.used_percent, 29.326511882802954, 1e-9);
    assert_double_near(u.available_percent, 70.67348811719705, 1e-9);

    /* CloudWatch agent: 7941224 - 1203456 - 187644 - 4023512 - 298716 = 2227896 kB */
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_CWAGENT, &u), 0);
    assert_double_exact(u.used, 2281365504.0);
    assert_double_exact(u.available, 5747036160.0);
    assert_double_exact(u.used_percent, 100.0 * 2281365504.0 / 8131813376.0);
    assert_double_near(u.used_percent, 28.05481875338109, 1e-9);
}

static void test_usage_centos7(void **state)
{
    (void)state;
    struct meminfo mi;
    struct meminfo_usage u;
    parse_fixture("centos7-3.10", &mi);
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_AVAILABLE, &u), 0);
    assert_double_exact(u.used, 655421440.0);
    assert_double_exact(u.used_percent, 100.0 * 655421440.0 / 3973287936.0);
    /* 3880164 - 286732 - 2108 - 3134500 - 146868 = 309956 kB */
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_CWAGENT, &u), 0);
    assert_double_exact(u.used, 317394944.0);
    assert_double_exact(u.used_percent, 100.0 * 317394944.0 / 3973287936.0);
    assert_double_near(u.used_percent, 7.988219054658514, 1e-9);
}

/* Without MemAvailable, available = MemFree + Buffers + Cached. */
static void test_usage_fallback(void **state)
{
    (void)state;
    struct meminfo mi;
    struct meminfo_usage u;
    parse_fixture("rhel6-2.6.32", &mi);
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_AVAILABLE, &u), 0);
    assert_double_exact(u.available, (122464 + 167060 + 1205584) * KIB);
    assert_double_exact(u.available, 1530990592.0);
    assert_double_exact(u.used, 437276672.0);
    assert_double_exact(u.used_percent, 100.0 * 437276672.0 / 1968267264.0);
    assert_double_exact(u.available_percent, 100.0 * 1530990592.0 / 1968267264.0);
    assert_double_near(u.used_percent, 22.21632600398723, 1e-9);
    /* 1922136 - 122464 - 167060 - 1205584 - 135588 = 291440 kB */
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_CWAGENT, &u), 0);
    assert_double_exact(u.used, 298434560.0);
    assert_double_exact(u.available, 1530990592.0);
}

static void test_usage_edge(void **state)
{
    (void)state;
    struct meminfo mi;
    struct meminfo_usage u;
    /* the CloudWatch agent's uint64 would wrap here; we floor at 0 */
    const char over[] = "MemTotal: 100 kB\nMemFree: 60 kB\nMemAvailable: 90 kB\n"
                        "Buffers: 10 kB\nCached: 30 kB\nSReclaimable: 20 kB\n";
    assert_int_equal(meminfo_parse(over, sizeof(over) - 1, &mi), 6);
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_CWAGENT, &u), 0);
    assert_double_exact(u.used, 0.0);
    assert_double_exact(u.used_percent, 0.0);
    assert_double_exact(u.available_percent, 90.0);

    const char nototal[] = "MemFree: 60 kB\n";
    assert_int_equal(meminfo_parse(nototal, sizeof(nototal) - 1, &mi), 1);
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_AVAILABLE, &u), -1);
    const char zero[] = "MemTotal: 0 kB\n";
    assert_int_equal(meminfo_parse(zero, sizeof(zero) - 1, &mi), 1);
    assert_int_equal(meminfo_host_usage(&mi, MEMINFO_USED_AVAILABLE, &u), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux68),
        cmocka_unit_test(test_centos7),
        cmocka_unit_test(test_rhel6_without_memavailable),
        cmocka_unit_test(test_live_proc),
        cmocka_unit_test(test_huge_values),
        cmocka_unit_test(test_garbage_lines),
        cmocka_unit_test(test_field_cap),
        cmocka_unit_test(test_length_bounded),
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_usage_linux68),
        cmocka_unit_test(test_usage_centos7),
        cmocka_unit_test(test_usage_fallback),
        cmocka_unit_test(test_usage_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
