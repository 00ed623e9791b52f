/* Unit tests of the cgroup memory reader (pure parsers and fake procfs/sysfs trees for cgroup
 * v1 and v2) and end-to-end tests of the memory collector plugin through the registry. */
#include "test_util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "opt.h"
#include "plugin.h"
#include "registry.h"
#include "collectors/memory/cgroupmem.h"
#include "collectors/memory/memory.h"

#define CG_FIXTURES HW_FIXTURES "/cgroup/"
#define V1_UNLIMITED UINT64_C(9223372036854771712)
/* Host figures of tests/fixtures/proc/linux-6.8/meminfo, which every cgroup tree uses. */
#define HOST_TOTAL 8131813376.0
#define HOST_USED 2384777216.0    /* MemTotal - MemAvailable */
#define HOST_USED_CW 2281365504.0 /* MemTotal - MemFree - Buffers - Cached - SReclaimable */
#define HOST_CACHED 4425961472.0  /* Cached + SReclaimable */
#define HOST_AVAILABLE 5747036160.0

#define assert_double_exact(got, want) double_exact((got), (want), #got, __FILE__, __LINE__)

static void double_exact(double got, double want, const char *expr, const char *file, int line)
{
    if (got != want) {
        print_error("%s:%d: %s = %.17g, want %.17g\n", file, line, expr, got, want);
        _fail(file, line);
    }
}

/* ---- pure parsers ----------------------------------------------------------------------- */

static void test_parse_self_v2(void **state)
{
    (void)state;
    struct cgroupmem_self s;
    const char text[] = "0::/ecs/4f2a9c/hostwatch\n";
    assert_int_equal(cgroupmem_parse_self(text, sizeof(text) - 1, &s), 0);
    assert_true(s.has_v2);
    assert_false(s.has_v1);
    assert_string_equal(s.v2_path, "/ecs/4f2a9c/hostwatch");
    assert_int_equal(cgroupmem_parse_self("0::/", 4, &s), 0); /* no newline */
    assert_true(s.has_v2);
    assert_string_equal(s.v2_path, "/");
    assert_int_equal(cgroupmem_parse_self(NULL, 0, &s), -1);
    assert_int_equal(cgroupmem_parse_self(text, 0, NULL), -1);
}

static void test_parse_self_v1(void **state)
{
    (void)state;
    struct cgroupmem_self s;
    const char docker[] = "12:pids:/docker/abc\n"
                          "10:net_cls,net_prio:/docker/abc\n"
                          "4:memory:/docker/abc\n"
                          "3:cpu,cpuacct:/docker/abc\n"
                          "1:name=systemd:/docker/abc\n";
    assert_int_equal(cgroupmem_parse_self(docker, sizeof(docker) - 1, &s), 0);
    assert_true(s.has_v1);
    assert_false(s.has_v2);
    assert_string_equal(s.v1_path, "/docker/abc");

    const char combined[] = "5:name=memory:/nope\n3:cpu,memory,blkio:/together\n";
    assert_int_equal(cgroupmem_parse_self(combined, sizeof(combined) - 1, &s), 0);
    assert_true(s.has_v1);
    assert_string_equal(s.v1_path, "/together");

    const char hybrid[] = "9:name=systemd:/\n4:memory:/process_api/759f\n0::/\n";
    assert_int_equal(cgroupmem_parse_self(hybrid, sizeof(hybrid) - 1, &s), 0);
    assert_true(s.has_v1);
    assert_true(s.has_v2);
    assert_string_equal(s.v1_path, "/process_api/759f");
    assert_string_equal(s.v2_path, "/");
}

static void test_parse_self_rejects(void **state)
{
    (void)state;
    struct cgroupmem_self s;
    const char *const bad[] = {
        "0::/../../outside\n", "0::relative\n", "0::\n",
        "4:memory:/a/..\n",    "4:memory:\n",   "garbage line\n",
        "4:memory\n",          "1:cpu:/x\n",    "00::/x\n",
        "0:memory:/x/../y\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cgroupmem_parse_self(bad[i], strlen(bad[i]), &s), 0);
        if (s.has_v1 || s.has_v2) {
            print_error("accepted: %s", bad[i]);
            fail();
        }
    }
    /* ".." inside a name is not a parent reference */
    assert_int_equal(cgroupmem_parse_self("0::/a/..b/c..\n", 14, &s), 0);
    assert_true(s.has_v2);
    assert_string_equal(s.v2_path, "/a/..b/c..");

    char longp[CGROUPMEM_PATH_MAX + 16] = "0::/";
    memset(longp + 4, 'x', CGROUPMEM_PATH_MAX);
    longp[CGROUPMEM_PATH_MAX + 4] = '\0';
    assert_int_equal(cgroupmem_parse_self(longp, strlen(longp), &s), 0);
    assert_false(s.has_v2);
}

static void test_parse_numbers(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(cgroupmem_parse_u64("123\n", 4, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(cgroupmem_parse_u64("  42 \n", 6, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(cgroupmem_parse_u64("18446744073709551615\n", 21, &v), 0);
    assert_int_equal(v, UINT64_MAX);
    v = 7;
    assert_int_equal(cgroupmem_parse_u64("18446744073709551616\n", 21, &v), -1);
    assert_int_equal(cgroupmem_parse_u64("", 0, &v), -1);
    assert_int_equal(cgroupmem_parse_u64("\n", 1, &v), -1);
    assert_int_equal(cgroupmem_parse_u64("12a\n", 4, &v), -1);
    assert_int_equal(cgroupmem_parse_u64("-1\n", 3, &v), -1);
    assert_int_equal(cgroupmem_parse_u64("1 2\n", 4, &v), -1);
    assert_int_equal(cgroupmem_parse_u64("max\n", 4, &v), -1);
    assert_int_equal(v, 7); /* untouched on failure */

    assert_int_equal(cgroupmem_parse_max("max\n", 4, &v), 0);
    assert_true(v == CGROUPMEM_MAX);
    assert_int_equal(cgroupmem_parse_max("536870912\n", 10, &v), 0);
    assert_int_equal(v, 536870912);
    assert_int_equal(cgroupmem_parse_max("maximum\n", 8, &v), -1);
    assert_int_equal(cgroupmem_parse_max("max 1\n", 6, &v), -1);
    assert_int_equal(cgroupmem_parse_max("ma", 2, &v), -1);
}

static void test_stat_get(void **state)
{
    (void)state;
    const char text[] = "cache 62914560\n"
                        "inactive_file 41943040\n"
                        "anon x\n"
                        "hierarchical_memory_limit 268435456\n"
                        "total_inactive_file 52428800";
    const size_t n = sizeof(text) - 1;
    uint64_t v = 0;
    assert_int_equal(cgroupmem_stat_get(text, n, "inactive_file", &v), 0);
    assert_int_equal(v, 41943040);
    assert_int_equal(cgroupmem_stat_get(text, n, "total_inactive_file", &v), 0);
    assert_int_equal(v, 52428800);
    assert_int_equal(cgroupmem_stat_get(text, n, "hierarchical_memory_limit", &v), 0);
    assert_int_equal(v, 268435456);
    assert_int_equal(cgroupmem_stat_get(text, n, "inactive", &v), -1);
    assert_int_equal(cgroupmem_stat_get(text, n, "file", &v), -1);
    assert_int_equal(cgroupmem_stat_get(text, n, "anon", &v), -1);
    assert_int_equal(cgroupmem_stat_get(text, n, "missing", &v), -1);
    assert_int_equal(cgroupmem_stat_get(text, 0, "cache", &v), -1);
}

static void test_limits_and_working_set(void **state)
{
    (void)state;
    assert_int_equal(cgroupmem_working_set(100, 30), 70);
    assert_int_equal(cgroupmem_working_set(30, 100), 0);
    assert_int_equal(cgroupmem_working_set(30, 30), 0);
    assert_int_equal(cgroupmem_v1_limit(V1_UNLIMITED, 0), 0);
    assert_int_equal(cgroupmem_v1_limit(UINT64_C(1) << 62, 0), 0);
    assert_int_equal(cgroupmem_v1_limit((UINT64_C(1) << 62) - 1, 0), (UINT64_C(1) << 62) - 1);
    assert_int_equal(cgroupmem_v1_limit(268435456, 8131813376), 268435456);
    assert_int_equal(cgroupmem_v1_limit(17179869184, 8131813376), 0); /* above the host */
    assert_int_equal(cgroupmem_v1_limit(8131813376, 8131813376), 0);
    assert_int_equal(cgroupmem_v1_limit(8131813375, 8131813376), 8131813375);

    struct cgroupmem cg = {.ok = 1, .limit_bytes = 0};
    assert_false(cgroupmem_limited(&cg));
    cg.limit_bytes = 1;
    assert_true(cgroupmem_limited(&cg));
    cg.ok = 0;
    assert_false(cgroupmem_limited(&cg));
}

/* ---- fake trees ------------------------------------------------------------------------- */

static int read_tree(const char *name, uint64_t host_total, struct cgroupmem *cg)
{
    char procfs[512], sysfs[512];
    struct hw_buf b;
    snprintf(procfs, sizeof(procfs), "%s%s/proc", CG_FIXTURES, name);
    snprintf(sysfs, sizeof(sysfs), "%s%s/sys", CG_FIXTURES, name);
    hw_buf_init(&b);
    const int rc = cgroupmem_read(procfs, sysfs, host_total, &b, cg);
    hw_buf_free(&b);
    return rc;
}

static void assert_cg(const struct cgroupmem *cg, int version, uint64_t usage, uint64_t ws,
                      uint64_t limit)
{
    assert_int_equal(cg->ok, 1);
    assert_int_equal(cg->version, version);
    assert_int_equal(cg->usage_bytes, usage);
    assert_int_equal(cg->working_set_bytes, ws);
    assert_int_equal(cg->limit_bytes, limit);
}

static void test_read_v2(void **state)
{
    (void)state;
    struct cgroupmem cg;
    /* own memory.max 1 GiB, the parent (task) 512 MiB, the grandparent "max" */
    assert_int_equal(read_tree("v2-limited", 8131813376, &cg), 0);
    assert_cg(&cg, 2, 322961408, 322961408 - 157286400, 536870912);
    assert_true(cgroupmem_limited(&cg));

    assert_int_equal(read_tree("v2-unlimited", 8131813376, &cg), 0);
    assert_cg(&cg, 2, 52428800, 52428800 - 10485760, 0);
    assert_false(cgroupmem_limited(&cg));

    /* cgroup namespace: "0::/" and the container's files at the mount root */
    assert_int_equal(read_tree("v2-nsroot", 8131813376, &cg), 0);
    assert_cg(&cg, 2, 104857600, 104857600 - 20971520, 268435456);

    /* a limit above the host's memory is still reported as set (cAdvisor does the same) */
    assert_int_equal(read_tree("v2-overcommit", 8131813376, &cg), 0);
    assert_cg(&cg, 2, 104857600, 104857600 - 20971520, 17179869184);
}

static void test_read_v1(void **state)
{
    (void)state;
    struct cgroupmem cg;
    /* "/docker/<id>" is not under the mount, which is the container's own cgroup */
    assert_int_equal(read_tree("v1-docker", 8131813376, &cg), 0);
    assert_cg(&cg, 1, 209715200, 209715200 - 52428800, 268435456);

    /* ECS on EC2: the task's limit (an invisible parent) shows in hierarchical_memory_limit */
    assert_int_equal(read_tree("v1-ecs-task", 8131813376, &cg), 0);
    assert_cg(&cg, 1, 209715200, 209715200 - 52428800, 536870912);

    /* hybrid: "0::/" exists but holds no memory controller; v1 limit means "none" */
    assert_int_equal(read_tree("v1-hybrid-unlimited", 8131813376, &cg), 0);
    assert_cg(&cg, 1, 30543872, 30543872, 0);
    assert_false(cgroupmem_limited(&cg));

    /* limit only on an ancestor and no hierarchical_memory_limit line */
    assert_int_equal(read_tree("v1-nested", 8131813376, &cg), 0);
    assert_cg(&cg, 1, 734003200, 734003200 - 52428800, 1073741824);
    /* a limit at or above the host's memory is no limit */
    assert_int_equal(read_tree("v1-nested", 1073741824, &cg), 0);
    assert_int_equal(cg.limit_bytes, 0);
    assert_int_equal(read_tree("v1-nested", 1073741825, &cg), 0);
    assert_int_equal(cg.limit_bytes, 1073741824);
    assert_int_equal(read_tree("v1-nested", 0, &cg), 0);
    assert_int_equal(cg.limit_bytes, 1073741824);
}

static void test_read_missing(void **state)
{
    (void)state;
    struct cgroupmem cg;
    assert_int_equal(read_tree("none", 8131813376, &cg), -ENOENT);
    assert_int_equal(cg.ok, 0);
    assert_int_equal(read_tree("does-not-exist", 8131813376, &cg), -ENOENT);
    assert_int_equal(cg.ok, 0);
}

/* ---- the plugin, end to end ------------------------------------------------------------- */

struct run {
    struct hw_registry *reg;
    void *state;
    const struct hw_snapshot *snap;
    int rc; /* collect()'s */
};

/* Creates the plugin over a fixture tree (procfs/sysfs relative to HW_FIXTURES), collects
 * `times` times and publishes. */
static void run_plugin(struct run *r, const char *procfs_rel, const char *sysfs_rel, int scope,
                       int used, int times)
{
    char procfs[512], sysfs[512];
    snprintf(procfs, sizeof(procfs), "%s/%s", HW_FIXTURES, procfs_rel);
    snprintf(sysfs, sizeof(sysfs), "%s/%s", HW_FIXTURES, sysfs_rel);
    const struct hw_paths paths = {.procfs = procfs, .sysfs = sysfs, .rootfs = "/"};
    const struct memory_conf conf = {.scope = scope, .used = used};
    memset(r, 0, sizeof(*r));
    r->reg = hw_registry_new();
    assert_non_null(r->reg);
    const struct hw_ctx ctx = {
        .reg = r->reg, .paths = &paths, .instance = "memory", .interval_ns = 10000000000};
    assert_int_equal(hw_collector_memory.create(&conf, &ctx, &r->state), 0);
    assert_non_null(r->state);
    for (int i = 0; i < times; i++) {
        r->rc = hw_collector_memory.collect(r->state);
    }
    assert_int_equal(hw_registry_publish(r->reg), 0);
    r->snap = hw_registry_acquire(r->reg);
    assert_non_null(r->snap);
}

static void run_tree(struct run *r, const char *tree, int scope, int used)
{
    char procfs[256], sysfs[256];
    snprintf(procfs, sizeof(procfs), "cgroup/%s/proc", tree);
    snprintf(sysfs, sizeof(sysfs), "cgroup/%s/sys", tree);
    run_plugin(r, procfs, sysfs, scope, used, 1);
}

static void run_done(struct run *r)
{
    hw_snapshot_release(r->snap);
    hw_collector_memory.destroy(r->state);
    hw_registry_free(r->reg);
}

/* The value of the single unlabelled series of family name. */
static double value_of(const struct run *r, const char *name)
{
    const struct hw_snap_family *f = hw_snapshot_find(r->snap, name);
    if (!f) {
        print_error("family %s missing\n", name);
        fail();
    }
    assert_int_equal(f->type, HW_GAUGE);
    assert_int_equal(f->nseries, 1);
    assert_int_equal(f->series[0].nlabels, 0);
    return f->series[0].value;
}

static void assert_family(const struct run *r, const char *name, unsigned views, const char *unit,
                          const char *help)
{
    const struct hw_snap_family *f = hw_snapshot_find(r->snap, name);
    assert_non_null(f);
    assert_int_equal(f->views, views);
    assert_string_equal(f->unit, unit);
    if (help) {
        assert_string_equal(f->help, help);
    }
}

static void test_plugin_host_available(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "none", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.snap->nfamilies, 55 + 14);
    assert_double_exact(value_of(&r, "node_memory_MemTotal_bytes"), HOST_TOTAL);
    assert_double_exact(value_of(&r, "node_memory_Active_anon_bytes"), 1508360 * 1024.0);
    assert_double_exact(value_of(&r, "node_memory_Zswap_bytes"), 0.0);
    assert_double_exact(value_of(&r, "node_memory_HugePages_Total"), 16.0);
    assert_double_exact(value_of(&r, "node_memory_VmallocTotal_bytes"), 35184372087808.0);
    assert_family(&r, "node_memory_MemTotal_bytes", HW_VIEW_NODE, "Bytes",
                  "Memory information field MemTotal_bytes.");
    assert_family(&r, "node_memory_Inactive_file_bytes", HW_VIEW_NODE, "Bytes",
                  "Memory information field Inactive_file_bytes.");
    assert_family(&r, "node_memory_HugePages_Total", HW_VIEW_NODE, "Count",
                  "Memory information field HugePages_Total.");

    assert_double_exact(value_of(&r, "mem_total"), HOST_TOTAL);
    assert_double_exact(value_of(&r, "mem_used"), HOST_USED);
    assert_double_exact(value_of(&r, "mem_available"), HOST_AVAILABLE);
    assert_double_exact(value_of(&r, "mem_free"), 1203456 * 1024.0);
    assert_double_exact(value_of(&r, "mem_cached"), HOST_CACHED);
    assert_double_exact(value_of(&r, "mem_buffered"), 187644 * 1024.0);
    assert_double_exact(value_of(&r, "mem_active"), 2398120 * 1024.0);
    assert_double_exact(value_of(&r, "mem_inactive"), 3387204 * 1024.0);
    assert_double_exact(value_of(&r, "mem_shared"), 45312 * 1024.0);
    assert_double_exact(value_of(&r, "mem_used_percent"), 100.0 * HOST_USED / HOST_TOTAL);
    assert_double_exact(value_of(&r, "mem_available_percent"), 100.0 * HOST_AVAILABLE / HOST_TOTAL);
    assert_true(value_of(&r, "mem_used_percent") > 29.3265118828 &&
                value_of(&r, "mem_used_percent") < 29.3265118829);
    assert_family(&r, "mem_used_percent", HW_VIEW_CW, "Percent", NULL);
    assert_family(&r, "mem_available_percent", HW_VIEW_CW, "Percent", NULL);
    assert_family(&r, "mem_used", HW_VIEW_CW, "Bytes", NULL);
    /* the swap plugin's names: SwapTotal 2097148 kB, all of it free */
    assert_double_exact(value_of(&r, "swap_free"), 2097148 * 1024.0);
    assert_double_exact(value_of(&r, "swap_used"), 0.0);
    assert_double_exact(value_of(&r, "swap_used_percent"), 0.0);
    assert_family(&r, "swap_used_percent", HW_VIEW_CW, "Percent", NULL);
    assert_family(&r, "swap_free", HW_VIEW_CW, "Bytes", NULL);
    assert_null(hw_snapshot_find(r.snap, "container_memory_working_set_bytes"));
    run_done(&r);
}

static void test_plugin_host_cwagent(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "none", MEMORY_SCOPE_HOST, MEMORY_USED_CWAGENT);
    assert_int_equal(r.rc, 0);
    assert_double_exact(value_of(&r, "mem_used"), HOST_USED_CW);
    assert_double_exact(value_of(&r, "mem_used_percent"), 100.0 * HOST_USED_CW / HOST_TOTAL);
    assert_true(value_of(&r, "mem_used_percent") > 28.0548187533 &&
                value_of(&r, "mem_used_percent") < 28.0548187534);
    assert_double_exact(value_of(&r, "mem_available"), HOST_AVAILABLE);
    assert_double_exact(value_of(&r, "mem_cached"), HOST_CACHED);
    run_done(&r);
}

/* RHEL 6 kernel: the fallback available, and the node families only for fields present. */
static void test_plugin_old_kernel(void **state)
{
    (void)state;
    struct run r;
    run_plugin(&r, "proc/rhel6-2.6.32", "cgroup/none/sys", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE,
               1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.snap->nfamilies, 42 + 14);
    assert_null(hw_snapshot_find(r.snap, "node_memory_MemAvailable_bytes"));
    assert_double_exact(value_of(&r, "mem_available"), 1530990592.0);
    assert_double_exact(value_of(&r, "mem_used"), 437276672.0);
    assert_double_exact(value_of(&r, "mem_used_percent"), 100.0 * 437276672.0 / 1968267264.0);
    /* SwapTotal 4063224 kB, SwapFree 4056048 kB */
    assert_double_exact(value_of(&r, "swap_used"), (4063224 - 4056048) * 1024.0);
    assert_double_exact(value_of(&r, "swap_used_percent"),
                        100.0 * (4063224 - 4056048) * 1024.0 / (4063224 * 1024.0));
    run_done(&r);
}

static void test_plugin_v2_auto_limited(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "v2-limited", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.snap->nfamilies, 55 + 14 + 3);
    /* 158 MiB working set of a 512 MiB limit */
    assert_double_exact(value_of(&r, "mem_total"), 536870912.0);
    assert_double_exact(value_of(&r, "mem_used"), 165675008.0);
    assert_double_exact(value_of(&r, "mem_available"), 371195904.0);
    assert_double_exact(value_of(&r, "mem_free"), 371195904.0);
    assert_double_exact(value_of(&r, "mem_used_percent"), 30.859375);
    assert_double_exact(value_of(&r, "mem_available_percent"), 69.140625);
    assert_double_exact(value_of(&r, "mem_cached"), HOST_CACHED); /* host values stay */
    assert_double_exact(value_of(&r, "mem_shared"), 45312 * 1024.0);
    assert_double_exact(value_of(&r, "node_memory_MemTotal_bytes"), HOST_TOTAL);
    assert_double_exact(value_of(&r, "container_memory_working_set_bytes"), 165675008.0);
    assert_double_exact(value_of(&r, "container_memory_usage_bytes"), 322961408.0);
    assert_double_exact(value_of(&r, "container_spec_memory_limit_bytes"), 536870912.0);
    assert_family(&r, "container_memory_working_set_bytes", HW_VIEW_NODE, "Bytes", NULL);
    run_done(&r);
}

/* Auto scope inside an ECS task: the mem_* figures are still the agent's own cgroup against its
 * limit, but the cAdvisor families are not published as if they were the task's (the ecs
 * collector has them); an explicit cgroup scope keeps them. */
static void test_plugin_auto_in_ecs(void **state)
{
    (void)state;
    struct run r;
    assert_int_equal(setenv("ECS_CONTAINER_METADATA_URI_V4", "http://169.254.170.2/v4/x", 1), 0);
    run_tree(&r, "v2-limited", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.snap->nfamilies, 55 + 14);
    assert_double_exact(value_of(&r, "mem_total"), 536870912.0);
    assert_double_exact(value_of(&r, "mem_used"), 165675008.0);
    assert_null(hw_snapshot_find(r.snap, "container_memory_working_set_bytes"));
    run_done(&r);
    run_tree(&r, "v2-limited", MEMORY_SCOPE_CGROUP, MEMORY_USED_AVAILABLE);
    assert_double_exact(value_of(&r, "container_memory_working_set_bytes"), 165675008.0);
    run_done(&r);
    assert_int_equal(unsetenv("ECS_CONTAINER_METADATA_URI_V4"), 0);
}

/* memory.max above the host's MemTotal: cgroup scope, but the host's memory is the total. */
static void test_plugin_v2_overcommit(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "v2-overcommit", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0);
    assert_double_exact(value_of(&r, "mem_total"), HOST_TOTAL);
    assert_double_exact(value_of(&r, "mem_used"), 83886080.0);
    assert_double_exact(value_of(&r, "mem_used_percent"), 100.0 * 83886080.0 / HOST_TOTAL);
    assert_double_exact(value_of(&r, "container_spec_memory_limit_bytes"), 17179869184.0);
    run_done(&r);
}

/* Usage above the limit: nothing available, more than 100 % used. */
static void test_plugin_v2_over_limit(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "v2-over-limit", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0);
    assert_double_exact(value_of(&r, "mem_total"), 104857600.0);
    assert_double_exact(value_of(&r, "mem_used"), 115343360.0);
    assert_double_exact(value_of(&r, "mem_available"), 0.0);
    assert_double_exact(value_of(&r, "mem_free"), 0.0);
    assert_double_exact(value_of(&r, "mem_used_percent"), 110.0);
    assert_double_exact(value_of(&r, "mem_available_percent"), 0.0);
    run_done(&r);
}

static void test_plugin_v2_unlimited(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "v2-unlimited", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0); /* auto: no limit, so the host */
    assert_double_exact(value_of(&r, "mem_total"), HOST_TOTAL);
    assert_double_exact(value_of(&r, "mem_used"), HOST_USED);
    assert_null(hw_snapshot_find(r.snap, "container_memory_usage_bytes"));
    run_done(&r);

    run_tree(&r, "v2-unlimited", MEMORY_SCOPE_CGROUP, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0); /* forced: the working set against the host's memory */
    assert_double_exact(value_of(&r, "mem_total"), HOST_TOTAL);
    assert_double_exact(value_of(&r, "mem_used"), 41943040.0);
    assert_double_exact(value_of(&r, "mem_available"), HOST_TOTAL - 41943040.0);
    assert_double_exact(value_of(&r, "mem_used_percent"), 100.0 * 41943040.0 / HOST_TOTAL);
    assert_double_exact(value_of(&r, "container_spec_memory_limit_bytes"), 0.0);
    assert_double_exact(value_of(&r, "container_memory_usage_bytes"), 52428800.0);
    run_done(&r);
}

static void test_plugin_v1(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "v1-docker", MEMORY_SCOPE_AUTO, MEMORY_USED_CWAGENT);
    assert_int_equal(r.rc, 0);
    /* 150 MiB of 256 MiB; the "used" mode does not apply to a cgroup */
    assert_double_exact(value_of(&r, "mem_total"), 268435456.0);
    assert_double_exact(value_of(&r, "mem_used"), 157286400.0);
    assert_double_exact(value_of(&r, "mem_used_percent"), 58.59375);
    assert_double_exact(value_of(&r, "mem_available_percent"), 41.40625);
    assert_double_exact(value_of(&r, "container_spec_memory_limit_bytes"), 268435456.0);
    run_done(&r);

    run_tree(&r, "v1-hybrid-unlimited", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0);
    assert_double_exact(value_of(&r, "mem_total"), HOST_TOTAL);
    assert_null(hw_snapshot_find(r.snap, "container_memory_usage_bytes"));
    run_done(&r);
}

static void test_plugin_scope_host_ignores_cgroup(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "v2-limited", MEMORY_SCOPE_HOST, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, 0);
    assert_double_exact(value_of(&r, "mem_total"), HOST_TOTAL);
    assert_double_exact(value_of(&r, "mem_used_percent"), 100.0 * HOST_USED / HOST_TOTAL);
    assert_null(hw_snapshot_find(r.snap, "container_spec_memory_limit_bytes"));
    run_done(&r);
}

/* Errors publish nothing: a forced cgroup scope without a cgroup, a missing meminfo, a file
 * that is not meminfo. */
static void test_plugin_errors(void **state)
{
    (void)state;
    struct run r;
    run_tree(&r, "none", MEMORY_SCOPE_CGROUP, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, -ENOENT);
    assert_int_equal(r.snap->nfamilies, 0);
    run_done(&r);

    run_tree(&r, "does-not-exist", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE);
    assert_int_equal(r.rc, -ENOENT);
    assert_int_equal(r.snap->nfamilies, 0);
    run_done(&r);

    /* a memory.stat where meminfo should be: no MemTotal line */
    run_plugin(&r, "proc/not-meminfo", "cgroup/none/sys", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE,
               1);
    assert_int_equal(r.rc, -EINVAL);
    assert_int_equal(r.snap->nfamilies, 0);
    run_done(&r);
}

/* Garbage lines are skipped; repeated collections reuse the families. */
static void test_plugin_garbage_repeat(void **state)
{
    (void)state;
    struct run r;
    run_plugin(&r, "proc/garbage", "cgroup/none/sys", MEMORY_SCOPE_AUTO, MEMORY_USED_AVAILABLE, 3);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.snap->nfamilies, 9 + 14);
    assert_double_exact(value_of(&r, "node_memory_Cached_bytes"), 256000 * 1024.0);
    assert_double_exact(value_of(&r, "node_memory_HugePages_Total"), 4.0);
    assert_double_exact(value_of(&r, "mem_used_percent"), 50.0);
    run_done(&r);
}

static void test_plugin_create_errors(void **state)
{
    (void)state;
    char longp[2048];
    memset(longp, 'p', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    const struct hw_paths paths = {.procfs = longp, .sysfs = "/sys", .rootfs = "/"};
    const struct memory_conf conf = {0};
    const struct hw_ctx ctx = {.paths = &paths};
    void *st = &st;
    assert_int_equal(hw_collector_memory.create(&conf, &ctx, &st), -ENAMETOOLONG);
    assert_null(st);
    hw_collector_memory.destroy(NULL);
}

static void test_plugin_options(void **state)
{
    (void)state;
    struct hw_diag d;
    struct memory_conf conf;
    hw_diag_init(&d, "test.json");
    assert_string_equal(hw_collector_memory.name, "memory");
    assert_int_equal(hw_collector_memory.conf_size, sizeof(struct memory_conf));
    assert_int_equal(hw_collector_memory.multi, 0);

    memset(&conf, 0xff, sizeof(conf));
    assert_int_equal(hw_opt_parse(hw_collector_memory.opts, &conf, NULL, "collectors.memory", &d),
                     0);
    assert_int_equal(conf.scope, MEMORY_SCOPE_AUTO);
    assert_int_equal(conf.used, MEMORY_USED_AVAILABLE);

    json_t *obj = json_loads("{\"scope\": \"cgroup\", \"used\": \"cloudwatch-agent\"}", 0, NULL);
    assert_non_null(obj);
    assert_int_equal(hw_opt_parse(hw_collector_memory.opts, &conf, obj, "collectors.memory", &d),
                     0);
    json_decref(obj);
    assert_int_equal(conf.scope, MEMORY_SCOPE_CGROUP);
    assert_int_equal(conf.used, MEMORY_USED_CWAGENT);

    obj = json_loads("{\"scope\": \"host\"}", 0, NULL);
    assert_int_equal(hw_opt_parse(hw_collector_memory.opts, &conf, obj, "collectors.memory", &d),
                     0);
    json_decref(obj);
    assert_int_equal(conf.scope, MEMORY_SCOPE_HOST);
    assert_int_equal(conf.used, MEMORY_USED_AVAILABLE);

    obj = json_loads("{\"scope\": \"container\", \"enabled\": true}", 0, NULL);
    assert_int_equal(hw_opt_parse(hw_collector_memory.opts, &conf, obj, "collectors.memory", &d),
                     2); /* enabled belongs to the core's table, not ours */
    json_decref(obj);
    assert_int_equal(hw_diag_count(&d), 2);
    hw_opt_free(hw_collector_memory.opts, &conf);
    hw_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_self_v2),
        cmocka_unit_test(test_parse_self_v1),
        cmocka_unit_test(test_parse_self_rejects),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_stat_get),
        cmocka_unit_test(test_limits_and_working_set),
        cmocka_unit_test(test_read_v2),
        cmocka_unit_test(test_read_v1),
        cmocka_unit_test(test_read_missing),
        cmocka_unit_test(test_plugin_host_available),
        cmocka_unit_test(test_plugin_host_cwagent),
        cmocka_unit_test(test_plugin_old_kernel),
        cmocka_unit_test(test_plugin_v2_auto_limited),
        cmocka_unit_test(test_plugin_auto_in_ecs),
        cmocka_unit_test(test_plugin_v2_overcommit),
        cmocka_unit_test(test_plugin_v2_over_limit),
        cmocka_unit_test(test_plugin_v2_unlimited),
        cmocka_unit_test(test_plugin_v1),
        cmocka_unit_test(test_plugin_scope_host_ignores_cgroup),
        cmocka_unit_test(test_plugin_errors),
        cmocka_unit_test(test_plugin_garbage_repeat),
        cmocka_unit_test(test_plugin_create_errors),
        cmocka_unit_test(test_plugin_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
