/* Unit tests of the time-boxed statvfs pool (with an injected blocking call for the timeout
 * paths) and end-to-end tests of the disk collector on fixture /proc trees. */
#include "test_util.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "diag.h"
#include "opt.h"
#include "plugin.h"
#include "registry.h"
#include "collectors/disk/disk.h"
#include "collectors/disk/fsstat.h"

#define MS 1000000LL
#define SEC 1000000000LL

/* ---- an injectable statvfs that blocks on a gate ------------------------------------------ */

/* Paths starting with "/stuck" block until the gate opens; "/missing" fails; others succeed
 * with f_blocks = 42. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    int open;
    int entered;  /* blocking calls started */
    int released; /* release callbacks run */
};

static void gate_init(struct gate *g)
{
    pthread_condattr_t attr;
    memset(g, 0, sizeof(*g));
    assert_int_equal(pthread_mutex_init(&g->mu, NULL), 0);
    assert_int_equal(pthread_condattr_init(&attr), 0);
    assert_int_equal(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC), 0);
    assert_int_equal(pthread_cond_init(&g->cv, &attr), 0);
    pthread_condattr_destroy(&attr);
}

static void gate_destroy(struct gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

static int gated_statvfs(const char *path, struct statvfs *out, void *arg)
{
    struct gate *g = arg;
    if (strncmp(path, "/stuck", 6) == 0) {
        pthread_mutex_lock(&g->mu);
        g->entered++;
        pthread_cond_broadcast(&g->cv);
        while (!g->open) {
            pthread_cond_wait(&g->cv, &g->mu);
        }
        pthread_mutex_unlock(&g->mu);
    }
    if (strcmp(path, "/missing") == 0) {
        return -ENOENT;
    }
    memset(out, 0, sizeof(*out));
    out->f_blocks = 42;
    out->f_frsize = 4096;
    return 0;
}

static void gate_release(void *arg)
{
    struct gate *g = arg;
    pthread_mutex_lock(&g->mu);
    g->released++;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* Waits (bounded) until *counter reaches want; returns its value. */
static int gate_wait(struct gate *g, const int *counter, int want)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&g->mu);
    while (*counter < want) {
        if (pthread_cond_timedwait(&g->cv, &g->mu, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    const int v = *counter;
    pthread_mutex_unlock(&g->mu);
    return v;
}

static struct fsstat_pool *gated_pool(struct gate *g)
{
    const struct fsstat_pool_opts opts = {.fn = gated_statvfs, .arg = g, .release = gate_release};
    struct fsstat_pool *pool = fsstat_pool_new_with(&opts);
    assert_non_null(pool);
    return pool;
}

/* ---- pool tests --------------------------------------------------------------------------- */

static void test_real_statvfs(void **ctx)
{
    (void)ctx;
    struct statvfs want, got;
    assert_int_equal(statvfs("/", &want), 0);
    struct fsstat_pool *pool = fsstat_pool_new();
    assert_non_null(pool);
    for (int i = 0; i < 3; i++) {
        memset(&got, 0, sizeof(got));
        assert_int_equal(fsstat_statvfs(pool, "/", 2 * SEC, &got), 0);
        assert_int_equal(got.f_blocks, want.f_blocks);
        assert_int_equal(got.f_frsize, want.f_frsize);
        assert_int_equal(got.f_files, want.f_files);
    }
    assert_int_equal(fsstat_statvfs(pool, "/nonexistent/hostwatch-fsstat", 2 * SEC, &got), -ENOENT);
    assert_int_equal(fsstat_statvfs(pool, "/", 0, &got), -EINVAL);
    char *longpath = malloc(8192);
    assert_non_null(longpath);
    memset(longpath, 'a', 8191);
    longpath[0] = '/';
    longpath[8191] = '\0';
    assert_int_equal(fsstat_statvfs(pool, longpath, SEC, &got), -ENAMETOOLONG);
    free(longpath);
    assert_int_equal(fsstat_stuck_count(pool), 0);
    fsstat_pool_free(pool);
    fsstat_pool_free(NULL);
}

/* A blocked call times out, marks its path stuck (-EBUSY at once), a fresh worker serves the
 * other paths, and the mark clears when the blocked call returns. */
static void test_timeout_marks_stuck(void **ctx)
{
    (void)ctx;
    struct gate g;
    gate_init(&g);
    struct fsstat_pool *pool = gated_pool(&g);
    struct statvfs st;

    assert_int_equal(fsstat_statvfs(pool, "/ok", SEC, &st), 0);
    assert_int_equal(st.f_blocks, 42);
    assert_int_equal(fsstat_statvfs(pool, "/stuck/nfs", 50 * MS, &st), -ETIMEDOUT);
    assert_int_equal(gate_wait(&g, &g.entered, 1), 1);
    assert_true(fsstat_is_stuck(pool, "/stuck/nfs"));
    assert_false(fsstat_is_stuck(pool, "/ok"));
    assert_int_equal(fsstat_stuck_count(pool), 1);
    assert_int_equal(fsstat_statvfs(pool, "/stuck/nfs", 50 * MS, &st), -EBUSY);
    assert_int_equal(g.entered, 1); /* the stuck path was not called again */

    memset(&st, 0, sizeof(st));
    assert_int_equal(fsstat_statvfs(pool, "/ok", SEC, &st), 0);
    assert_int_equal(st.f_blocks, 42);
    assert_int_equal(fsstat_statvfs(pool, "/missing", SEC, &st), -ENOENT);
    assert_int_equal(fsstat_pool_drain(pool, 10 * MS), -ETIMEDOUT);

    gate_open(&g);
    assert_int_equal(fsstat_pool_drain(pool, 10 * SEC), 0);
    assert_int_equal(fsstat_stuck_count(pool), 0);
    assert_false(fsstat_is_stuck(pool, "/stuck/nfs"));
    assert_int_equal(fsstat_statvfs(pool, "/stuck/nfs", SEC, &st), 0);
    assert_int_equal(g.entered, 2);

    assert_int_equal(g.released, 0);
    fsstat_pool_free(pool);
    assert_int_equal(gate_wait(&g, &g.released, 1), 1);
    gate_destroy(&g);
}

/* Freeing the pool while a worker is blocked returns at once; the worker cleans up after
 * itself (and hands arg back) when its call returns. */
static void test_free_while_stuck(void **ctx)
{
    (void)ctx;
    struct gate g;
    gate_init(&g);
    struct fsstat_pool *pool = gated_pool(&g);
    struct statvfs st;
    assert_int_equal(fsstat_statvfs(pool, "/stuck/a", 20 * MS, &st), -ETIMEDOUT);
    assert_int_equal(fsstat_statvfs(pool, "/ok", SEC, &st), 0); /* a live idle worker too */
    assert_int_equal(gate_wait(&g, &g.entered, 1), 1);
    fsstat_pool_free(pool);
    assert_int_equal(g.released, 0); /* the blocked worker still holds arg */
    gate_open(&g);
    assert_int_equal(gate_wait(&g, &g.released, 1), 1);
    gate_destroy(&g);
}

/* Abandoned workers are bounded: past FSSTAT_MAX_STUCK calls fail with -EAGAIN. */
static void test_stuck_workers_bounded(void **ctx)
{
    (void)ctx;
    struct gate g;
    gate_init(&g);
    struct fsstat_pool *pool = gated_pool(&g);
    struct statvfs st;
    char path[64];
    for (int i = 0; i < FSSTAT_MAX_STUCK; i++) {
        snprintf(path, sizeof(path), "/stuck/%d", i);
        assert_int_equal(fsstat_statvfs(pool, path, 5 * MS, &st), -ETIMEDOUT);
    }
    assert_int_equal(fsstat_stuck_count(pool), FSSTAT_MAX_STUCK);
    assert_int_equal(fsstat_statvfs(pool, "/ok", SEC, &st), -EAGAIN);
    assert_int_equal(fsstat_statvfs(pool, "/stuck/0", SEC, &st), -EBUSY);
    gate_open(&g);
    assert_int_equal(fsstat_pool_drain(pool, 10 * SEC), 0);
    assert_int_equal(fsstat_statvfs(pool, "/ok", SEC, &st), 0);
    fsstat_pool_free(pool);
    assert_int_equal(gate_wait(&g, &g.released, 1), 1);
    gate_destroy(&g);
}

/* ---- the disk collector end to end -------------------------------------------------------- */

struct e2e {
    struct hw_registry *reg;
    struct hw_paths paths;
    struct disk_conf conf;
    void *state;
    const struct hw_snapshot *snap;
    char procfs[512];
};

/* Parses json with the collector's option table; returns the number of errors. */
static int e2e_conf(struct disk_conf *conf, const char *json, struct hw_diag *d)
{
    json_error_t jerr;
    json_t *obj = json ? json_loads(json, 0, &jerr) : NULL;
    if (json) {
        assert_non_null(obj);
    }
    memset(conf, 0, sizeof(*conf));
    int errs = hw_opt_parse(hw_collector_disk.opts, conf, obj, "collectors.disk", d);
    json_decref(obj);
    return errs + hw_collector_disk.validate(conf, "collectors.disk", d);
}

/* Creates the collector on the fixture tree tests/fixtures/proc/<tree>, runs one collection
 * the way the core does (begin, collect, sweep, publish) and takes the snapshot. */
static void e2e_run(struct e2e *t, const char *tree, const char *rootfs, const char *json,
                    int want_rc)
{
    struct hw_diag d;
    memset(t, 0, sizeof(*t));
    snprintf(t->procfs, sizeof(t->procfs), "%s/proc/%s", HW_FIXTURES, tree);
    t->paths = (struct hw_paths){.procfs = t->procfs, .sysfs = "/sys", .rootfs = rootfs};
    hw_diag_init(&d, "test.json");
    assert_int_equal(e2e_conf(&t->conf, json, &d), 0);
    hw_diag_free(&d);
    t->reg = hw_registry_new();
    assert_non_null(t->reg);
    const struct hw_ctx ctx = {
        .reg = t->reg, .paths = &t->paths, .instance = "disk", .interval_ns = 10 * SEC};
    assert_int_equal(hw_collector_disk.create(&t->conf, &ctx, &t->state), 0);
    for (int i = 0; i < 2; i++) { /* twice: the second collection must not duplicate */
        hw_registry_begin(t->reg, "disk");
        assert_int_equal(hw_collector_disk.collect(t->state), want_rc);
        hw_registry_sweep(t->reg, "disk");
    }
    assert_int_equal(hw_registry_publish(t->reg), 0);
    t->snap = hw_registry_acquire(t->reg);
    assert_non_null(t->snap);
}

static void e2e_free(struct e2e *t)
{
    hw_snapshot_release(t->snap);
    hw_collector_disk.destroy(t->state);
    hw_opt_free(hw_collector_disk.opts, &t->conf);
    hw_registry_free(t->reg);
}

static const struct hw_snap_family *fam(const struct e2e *t, const char *name, enum hw_mtype type,
                                        unsigned views)
{
    const struct hw_snap_family *f = hw_snapshot_find(t->snap, name);
    if (!f) {
        print_error("family %s missing\n", name);
        fail();
    }
    assert_int_equal(f->type, type);
    assert_int_equal(f->views, views);
    return f;
}

static const char *label(const struct hw_snap_series *s, const char *key)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        if (strcmp(s->labels[i].key, key) == 0) {
            return s->labels[i].value;
        }
    }
    return NULL;
}

/* The series of f whose label key equals value (NULL when none); at most one may match. */
static const struct hw_snap_series *series(const struct hw_snap_family *f, const char *key,
                                           const char *value)
{
    const struct hw_snap_series *found = NULL;
    for (size_t i = 0; i < f->nseries; i++) {
        const char *v = label(&f->series[i], key);
        if (v && strcmp(v, value) == 0) {
            assert_null(found);
            found = &f->series[i];
        }
    }
    return found;
}

/* The value of the series of family name whose label key is value; fails when absent. */
static double value(const struct e2e *t, const char *name, const char *key, const char *val)
{
    const struct hw_snap_family *f = hw_snapshot_find(t->snap, name);
    assert_non_null(f);
    const struct hw_snap_series *s = series(f, key, val);
    if (!s) {
        print_error("%s{%s=\"%s\"} missing\n", name, key, val);
        fail();
    }
    return s->value;
}

#define assert_value(t, name, key, val, want) assert_true(value(t, name, key, val) == (want))

static void test_plugin_filesystems(void **ctx)
{
    (void)ctx;
    struct e2e t;
    struct statvfs root, proc;
    assert_int_equal(statvfs("/", &root), 0);
    assert_int_equal(statvfs("/proc", &proc), 0);
    e2e_run(&t, "hostview", "/", "{\"mounts\": [\"*\", \"/proc\"]}", 0);

    /* "/" (listed twice), "/proc" (named exactly, despite both ignore lists) and the missing
     * mount; not /sys, /dev, /dev/shm (ignore_mounts), overlay or squashfs (ignore_fs_types). */
    const struct hw_snap_family *f =
        fam(&t, "node_filesystem_device_error", HW_GAUGE, HW_VIEW_NODE);
    assert_int_equal(f->nseries, 3);
    assert_value(&t, "node_filesystem_device_error", "mountpoint", "/", 0);
    assert_value(&t, "node_filesystem_device_error", "mountpoint", "/proc", 0);
    assert_value(&t, "node_filesystem_device_error", "mountpoint", "/nonexistent/hostwatch test",
                 1);
    f = fam(&t, "node_filesystem_readonly", HW_GAUGE, HW_VIEW_NODE);
    assert_int_equal(f->nseries, 3);
    assert_value(&t, "node_filesystem_readonly", "mountpoint", "/", 0);
    assert_value(&t, "node_filesystem_readonly", "mountpoint", "/proc", 1);
    assert_value(&t, "node_filesystem_readonly", "mountpoint", "/nonexistent/hostwatch test", 0);

    /* A failed mount has only device_error and readonly. */
    f = fam(&t, "node_filesystem_size_bytes", HW_GAUGE, HW_VIEW_NODE);
    assert_int_equal(f->nseries, 2);
    const struct hw_snap_series *s = series(f, "mountpoint", "/");
    assert_non_null(s);
    assert_int_equal(s->nlabels, 3);
    assert_string_equal(s->labels[0].key, "device");
    assert_string_equal(s->labels[0].value, "/dev/nvme0n1p1");
    assert_string_equal(s->labels[1].key, "fstype");
    assert_string_equal(s->labels[1].value, "ext4");
    assert_string_equal(s->labels[2].key, "mountpoint");
    const double frsize = (double)root.f_frsize;
    assert_true(s->value == (double)root.f_blocks * frsize);
    assert_value(&t, "node_filesystem_files", "mountpoint", "/", (double)root.f_files);
    fam(&t, "node_filesystem_free_bytes", HW_GAUGE, HW_VIEW_NODE);
    fam(&t, "node_filesystem_avail_bytes", HW_GAUGE, HW_VIEW_NODE);
    fam(&t, "node_filesystem_files_free", HW_GAUGE, HW_VIEW_NODE);
    assert_value(&t, "node_filesystem_size_bytes", "mountpoint", "/proc",
                 (double)proc.f_blocks * (double)proc.f_frsize);

    /* The CloudWatch agent's view: device without /dev/, path, df's percentage. */
    f = fam(&t, "disk_total", HW_GAUGE, HW_VIEW_CW);
    assert_string_equal(f->unit, "Bytes");
    assert_int_equal(f->nseries, 2);
    s = series(f, "path", "/");
    assert_non_null(s);
    assert_string_equal(label(s, "device"), "nvme0n1p1");
    assert_string_equal(label(s, "fstype"), "ext4");
    assert_null(label(s, "mountpoint"));
    assert_true(s->value == (double)root.f_blocks * frsize);
    assert_value(&t, "disk_inodes_total", "path", "/", (double)root.f_files);
    f = fam(&t, "disk_used_percent", HW_GAUGE, HW_VIEW_CW);
    assert_string_equal(f->unit, "Percent");
    const double pct = value(&t, "disk_used_percent", "path", "/");
    assert_true(pct >= 0 && pct <= 100);
    assert_value(&t, "disk_used_percent", "path", "/proc", 0); /* used + avail = 0 */
    assert_string_equal(fam(&t, "disk_inodes_used", HW_GAUGE, HW_VIEW_CW)->unit, "Count");
    fam(&t, "disk_free", HW_GAUGE, HW_VIEW_CW);
    fam(&t, "disk_used", HW_GAUGE, HW_VIEW_CW);
    fam(&t, "disk_inodes_free", HW_GAUGE, HW_VIEW_CW);
    e2e_free(&t);
}

static void test_plugin_diskstats(void **ctx)
{
    (void)ctx;
    struct e2e t;
    e2e_run(&t, "hostview", "/", "{\"mounts\": [\"/\"]}", 0);
    /* Whole disks and dm-0 stay; the partition nvme0n1p1 and loop3 are ignored by default. */
    const struct hw_snap_family *f =
        fam(&t, "node_disk_read_bytes_total", HW_COUNTER, HW_VIEW_NODE);
    assert_int_equal(f->nseries, 3);
    assert_null(series(f, "device", "nvme0n1p1"));
    assert_null(series(f, "device", "loop3"));
    assert_value(&t, "node_disk_read_bytes_total", "device", "nvme0n1", 1153442.0 * 512);
    assert_value(&t, "node_disk_written_bytes_total", "device", "nvme0n1", 2124322.0 * 512);
    assert_value(&t, "node_disk_reads_completed_total", "device", "nvme0n1", 21245);
    assert_value(&t, "node_disk_reads_merged_total", "device", "nvme0n1", 58);
    assert_value(&t, "node_disk_writes_completed_total", "device", "dm-0", 119120);
    assert_value(&t, "node_disk_writes_merged_total", "device", "nvme0n1", 23421);
    assert_value(&t, "node_disk_read_time_seconds_total", "device", "nvme0n1", 11.234);
    assert_value(&t, "node_disk_write_time_seconds_total", "device", "nvme0n1", 54.322);
    assert_value(&t, "node_disk_io_time_seconds_total", "device", "nvme0n1", 45.321);
    assert_value(&t, "node_disk_io_time_weighted_seconds_total", "device", "nvme0n1", 70.234);
    assert_value(&t, "node_disk_discards_completed_total", "device", "nvme1n1", 64);
    assert_value(&t, "node_disk_discards_merged_total", "device", "nvme1n1", 0);
    assert_value(&t, "node_disk_discarded_sectors_total", "device", "nvme1n1", 268435456);
    assert_value(&t, "node_disk_discard_time_seconds_total", "device", "nvme1n1", 0.113);
    assert_value(&t, "node_disk_flush_requests_total", "device", "nvme0n1", 11234);
    assert_value(&t, "node_disk_flush_requests_time_seconds_total", "device", "nvme0n1", 4.532);
    fam(&t, "node_disk_io_now", HW_GAUGE, HW_VIEW_NODE);
    assert_value(&t, "node_disk_io_now", "device", "nvme0n1", 3);

    f = fam(&t, "diskio_read_bytes", HW_COUNTER, HW_VIEW_CW);
    assert_string_equal(f->unit, "Bytes");
    assert_int_equal(f->nseries, 3);
    assert_value(&t, "diskio_read_bytes", "name", "nvme1n1", 1411320.0 * 512);
    assert_value(&t, "diskio_write_bytes", "name", "nvme1n1", 31239872.0 * 512);
    assert_value(&t, "diskio_reads", "name", "dm-0", 4490);
    assert_value(&t, "diskio_writes", "name", "dm-0", 119120);
    f = fam(&t, "diskio_io_time", HW_COUNTER, HW_VIEW_CW);
    assert_string_equal(f->unit, "Milliseconds");
    assert_value(&t, "diskio_io_time", "name", "nvme0n1", 45321);
    assert_value(&t, "diskio_read_time", "name", "nvme0n1", 11234);
    assert_value(&t, "diskio_write_time", "name", "nvme0n1", 54322);
    fam(&t, "diskio_iops_in_progress", HW_GAUGE, HW_VIEW_CW);
    assert_value(&t, "diskio_iops_in_progress", "name", "nvme0n1", 3);

    /* Only "/" was asked for. */
    assert_int_equal(fam(&t, "node_filesystem_readonly", HW_GAUGE, HW_VIEW_NODE)->nseries, 1);
    e2e_free(&t);
}

/* A 3.10 kernel's 11-counter lines: no discard or flush series. Its procfs has no 1/ (as
 * under hidepid), so the collector falls back to self/mountinfo, whose mounts all lie outside
 * the configured rootfs and are therefore not the host's. */
static void test_plugin_old_kernel_fallback(void **ctx)
{
    (void)ctx;
    struct e2e t;
    e2e_run(&t, "el7-3.10", "/nonexistent-rootfs-hostwatch", NULL, 0);
    assert_int_equal(fam(&t, "node_filesystem_readonly", HW_GAUGE, HW_VIEW_NODE)->nseries, 0);
    const struct hw_snap_family *f =
        fam(&t, "node_disk_reads_completed_total", HW_COUNTER, HW_VIEW_NODE);
    assert_int_equal(f->nseries, 7); /* xvda xvdb sr0 dm-0 dm-1 dm-2 md0 */
    assert_null(series(f, "device", "xvda1"));
    assert_null(series(f, "device", "loop0"));
    assert_value(&t, "node_disk_reads_completed_total", "device", "xvda", 18537);
    assert_value(&t, "node_disk_read_bytes_total", "device", "xvda", 1084218.0 * 512);
    assert_value(&t, "node_disk_io_time_weighted_seconds_total", "device", "dm-0", 262.575);
    assert_value(&t, "diskio_write_bytes", "name", "md0", 96.0 * 512);
    assert_int_equal(
        fam(&t, "node_disk_discards_completed_total", HW_COUNTER, HW_VIEW_NODE)->nseries, 0);
    assert_int_equal(fam(&t, "node_disk_flush_requests_total", HW_COUNTER, HW_VIEW_NODE)->nseries,
                     0);
    e2e_free(&t);
}

/* In a container: our own mountinfo, the host's root bind-mounted at /rootfs. Mount points are
 * reported without the prefix; the container's own mounts are skipped; io off. */
static void test_plugin_container_rootfs(void **ctx)
{
    (void)ctx;
    struct e2e t;
    e2e_run(&t, "docker-al2023-6.1", "/rootfs", "{\"io\": false, \"mount_timeout\": \"500ms\"}", 0);
    const struct hw_snap_family *f = fam(&t, "node_filesystem_readonly", HW_GAUGE, HW_VIEW_NODE);
    assert_int_equal(f->nseries, 4);
    assert_value(&t, "node_filesystem_readonly", "mountpoint", "/", 1);
    assert_value(&t, "node_filesystem_readonly", "mountpoint", "/data", 1);
    assert_value(&t, "node_filesystem_readonly", "mountpoint", "/boot/efi", 1);
    assert_value(&t, "node_filesystem_readonly", "mountpoint", "/tmp", 1);
    const struct hw_snap_series *s = series(f, "mountpoint", "/data");
    assert_string_equal(label(s, "device"), "/dev/nvme1n1");
    assert_string_equal(label(s, "fstype"), "ext4");
    assert_null(series(f, "mountpoint", "/etc/hosts"));
    assert_null(hw_snapshot_find(t.snap, "node_disk_reads_completed_total"));
    assert_null(hw_snapshot_find(t.snap, "diskio_reads"));
    e2e_free(&t);
}

static void test_plugin_options(void **ctx)
{
    (void)ctx;
    struct hw_diag d;
    struct disk_conf c;
    hw_diag_init(&d, "test.json");
    assert_int_equal(e2e_conf(&c, NULL, &d), 0);
    assert_int_equal(c.mounts.n, 1);
    assert_string_equal(c.mounts.v[0], "*");
    assert_int_equal(c.ignore_mounts.n, 9);
    assert_string_equal(c.ignore_mounts.v[8], "/var/lib/containers/storage/*");
    assert_int_equal(c.ignore_fs_types.n, 25);
    assert_string_equal(c.ignore_fs_types.v[0], "autofs");
    assert_string_equal(c.ignore_fs_types.v[24], "tracefs");
    assert_int_equal(c.io, 1);
    assert_string_equal(c.io_ignore_devices,
                        "^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$");
    assert_true(c.mount_timeout_ns == 2 * SEC);
    hw_opt_free(hw_collector_disk.opts, &c);

    /* A bad regex is reported with its JSON path, PCRE2's message and the offset. */
    assert_int_equal(
        e2e_conf(&c, "{\"io_ignore_devices\": \"^(sd\", \"mounts\": [\"/\", \"\"]}", &d), 2);
    assert_int_equal(hw_diag_count(&d), 2);
    assert_string_equal(d.msgs[0], "test.json: collectors.disk.mounts[1]: empty mount point");
    assert_non_null(strstr(d.msgs[1], "test.json: collectors.disk.io_ignore_devices: "
                                      "invalid regular expression at offset 4: "));
    assert_non_null(strstr(d.msgs[1], "missing closing parenthesis"));

    /* create() refuses it too (validate is the place that explains why). */
    struct hw_registry *reg = hw_registry_new();
    const struct hw_paths paths = {.procfs = "/proc", .sysfs = "/sys", .rootfs = "/"};
    const struct hw_ctx hctx = {.reg = reg, .paths = &paths, .instance = "disk"};
    void *state = (void *)&c;
    assert_int_equal(hw_collector_disk.create(&c, &hctx, &state), -EINVAL);
    assert_null(state);
    hw_collector_disk.destroy(NULL);
    hw_opt_free(hw_collector_disk.opts, &c);
    hw_registry_free(reg);
    hw_diag_free(&d);
}

/* The agent's real /proc: whatever the machine has, one collection succeeds. */
static void test_plugin_live_proc(void **ctx)
{
    (void)ctx;
    struct hw_diag d;
    struct disk_conf c;
    hw_diag_init(&d, "test.json");
    assert_int_equal(e2e_conf(&c, NULL, &d), 0);
    struct hw_registry *reg = hw_registry_new();
    const struct hw_paths paths = {.procfs = "/proc", .sysfs = "/sys", .rootfs = "/"};
    const struct hw_ctx hctx = {.reg = reg, .paths = &paths, .instance = "disk"};
    void *state = NULL;
    assert_int_equal(hw_collector_disk.create(&c, &hctx, &state), 0);
    hw_registry_begin(reg, "disk");
    const int rc = hw_collector_disk.collect(state);
    assert_true(rc == 0 || rc == -ENOENT); /* some sandboxes have no /proc/diskstats */
    hw_registry_sweep(reg, "disk");
    hw_collector_disk.destroy(state);
    hw_opt_free(hw_collector_disk.opts, &c);
    hw_registry_free(reg);
    hw_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_statvfs),
        cmocka_unit_test(test_timeout_marks_stuck),
        cmocka_unit_test(test_free_while_stuck),
        cmocka_unit_test(test_stuck_workers_bounded),
        cmocka_unit_test(test_plugin_filesystems),
        cmocka_unit_test(test_plugin_diskstats),
        cmocka_unit_test(test_plugin_old_kernel_fallback),
        cmocka_unit_test(test_plugin_container_rootfs),
        cmocka_unit_test(test_plugin_options),
        cmocka_unit_test(test_plugin_live_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
