#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "disk.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "buf.h"
#include "filters/regex.h"
#include "hash.h"
#include "diag.h"
#include "log.h"
#include "diskstats.h"
#include "fsstat.h"
#include "mountinfo.h"
#include "collectors/procroot.h"

/* A mountinfo of 4096 mounts is about 600 KiB; diskstats of hundreds of devices far less. */
#define DISK_MOUNTINFO_MAX (8u * 1024 * 1024)
#define DISK_DISKSTATS_MAX (4u * 1024 * 1024)
/* Series per family: mounts are capped by the mountinfo parser, this caps devices. */
#define DISK_MAX_SERIES 8192

#define DISK_COMP "disk"

/* ---- families ----------------------------------------------------------------------------- */

/* One family of this collector; all are HW_FAM_REPLACE since mounts and devices come and go. */
struct disk_fam {
    const char *name, *unit, *help;
    enum hw_mtype type;
    unsigned views;
};

/* Per-mount families, in the order of fs_fams. */
enum {
    FS_SIZE,
    FS_FREE,
    FS_AVAIL,
    FS_FILES,
    FS_FILES_FREE,
    FS_READONLY,
    FS_DEVICE_ERROR,
    CW_TOTAL,
    CW_FREE,
    CW_USED,
    CW_USED_PERCENT,
    CW_INODES_TOTAL,
    CW_INODES_FREE,
    CW_INODES_USED,
    FS_NFAM,
};

static const struct disk_fam fs_fams[FS_NFAM] = {
    [FS_SIZE] = {"node_filesystem_size_bytes", "Bytes", "Filesystem size in bytes.", HW_GAUGE,
                 HW_VIEW_NODE},
    [FS_FREE] = {"node_filesystem_free_bytes", "Bytes", "Filesystem free space in bytes.", HW_GAUGE,
                 HW_VIEW_NODE},
    [FS_AVAIL] = {"node_filesystem_avail_bytes", "Bytes",
                  "Filesystem space available to non-root users in bytes.", HW_GAUGE, HW_VIEW_NODE},
    [FS_FILES] = {"node_filesystem_files", "Count", "Filesystem total file nodes.", HW_GAUGE,
                  HW_VIEW_NODE},
    [FS_FILES_FREE] = {"node_filesystem_files_free", "Count", "Filesystem total free file nodes.",
                       HW_GAUGE, HW_VIEW_NODE},
    [FS_READONLY] = {"node_filesystem_readonly", "None", "Filesystem read-only status.", HW_GAUGE,
                     HW_VIEW_NODE},
    [FS_DEVICE_ERROR] = {"node_filesystem_device_error", "None",
                         "Whether statvfs of the mount point failed or timed out.", HW_GAUGE,
                         HW_VIEW_NODE},
    [CW_TOTAL] = {"disk_total", "Bytes", "Filesystem size.", HW_GAUGE, HW_VIEW_CW},
    [CW_FREE] = {"disk_free", "Bytes", "Space available to non-root users.", HW_GAUGE, HW_VIEW_CW},
    [CW_USED] = {"disk_used", "Bytes", "Space in use (blocks minus free blocks).", HW_GAUGE,
                 HW_VIEW_CW},
    [CW_USED_PERCENT] = {"disk_used_percent", "Percent",
                         "100 * used / (used + free), as df's Use%.", HW_GAUGE, HW_VIEW_CW},
    [CW_INODES_TOTAL] = {"disk_inodes_total", "Count", "Total inodes.", HW_GAUGE, HW_VIEW_CW},
    [CW_INODES_FREE] = {"disk_inodes_free", "Count", "Free inodes.", HW_GAUGE, HW_VIEW_CW},
    [CW_INODES_USED] = {"disk_inodes_used", "Count", "Inodes in use.", HW_GAUGE, HW_VIEW_CW},
};

/* How a diskstats counter becomes a metric value. */
enum io_conv {
    IO_RAW,     /* as is */
    IO_BYTES,   /* 512-byte sectors to bytes */
    IO_SECONDS, /* milliseconds to seconds */
};

struct io_metric {
    struct disk_fam f;
    enum diskstats_field field;
    enum io_conv conv;
};

/* node_exporter's diskstats names (label device), then the CloudWatch agent's (label name). */
static const struct io_metric io_metrics[] = {
    {{"node_disk_reads_completed_total", "Count",
      "The total number of reads completed successfully.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_READS,
     IO_RAW},
    {{"node_disk_reads_merged_total", "Count", "The total number of reads merged.", HW_COUNTER,
      HW_VIEW_NODE},
     DISKSTATS_READS_MERGED,
     IO_RAW},
    {{"node_disk_read_bytes_total", "Bytes", "The total number of bytes read successfully.",
      HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_READ_SECTORS,
     IO_BYTES},
    {{"node_disk_read_time_seconds_total", "Seconds",
      "The total number of seconds spent by all reads.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_READ_MS,
     IO_SECONDS},
    {{"node_disk_writes_completed_total", "Count",
      "The total number of writes completed successfully.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_WRITES,
     IO_RAW},
    {{"node_disk_writes_merged_total", "Count", "The number of writes merged.", HW_COUNTER,
      HW_VIEW_NODE},
     DISKSTATS_WRITES_MERGED,
     IO_RAW},
    {{"node_disk_written_bytes_total", "Bytes", "The total number of bytes written successfully.",
      HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_WRITE_SECTORS,
     IO_BYTES},
    {{"node_disk_write_time_seconds_total", "Seconds",
      "The total number of seconds spent by all writes.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_WRITE_MS,
     IO_SECONDS},
    {{"node_disk_io_now", "Count", "The number of I/Os currently in progress.", HW_GAUGE,
      HW_VIEW_NODE},
     DISKSTATS_IO_NOW,
     IO_RAW},
    {{"node_disk_io_time_seconds_total", "Seconds", "Total seconds spent doing I/Os.", HW_COUNTER,
      HW_VIEW_NODE},
     DISKSTATS_IO_MS,
     IO_SECONDS},
    {{"node_disk_io_time_weighted_seconds_total", "Seconds",
      "The weighted number of seconds spent doing I/Os.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_IO_WEIGHTED_MS,
     IO_SECONDS},
    {{"node_disk_discards_completed_total", "Count",
      "The total number of discards completed successfully.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_DISCARDS,
     IO_RAW},
    {{"node_disk_discards_merged_total", "Count", "The total number of discards merged.",
      HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_DISCARDS_MERGED,
     IO_RAW},
    {{"node_disk_discarded_sectors_total", "Count",
      "The total number of 512-byte sectors discarded successfully.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_DISCARD_SECTORS,
     IO_RAW},
    {{"node_disk_discard_time_seconds_total", "Seconds",
      "The total number of seconds spent by all discards.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_DISCARD_MS,
     IO_SECONDS},
    {{"node_disk_flush_requests_total", "Count",
      "The total number of flush requests completed successfully.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_FLUSHES,
     IO_RAW},
    {{"node_disk_flush_requests_time_seconds_total", "Seconds",
      "The total number of seconds spent by all flush requests.", HW_COUNTER, HW_VIEW_NODE},
     DISKSTATS_FLUSH_MS,
     IO_SECONDS},
    {{"diskio_reads", "Count", "Reads completed.", HW_COUNTER, HW_VIEW_CW},
     DISKSTATS_READS,
     IO_RAW},
    {{"diskio_writes", "Count", "Writes completed.", HW_COUNTER, HW_VIEW_CW},
     DISKSTATS_WRITES,
     IO_RAW},
    {{"diskio_read_bytes", "Bytes", "Bytes read.", HW_COUNTER, HW_VIEW_CW},
     DISKSTATS_READ_SECTORS,
     IO_BYTES},
    {{"diskio_write_bytes", "Bytes", "Bytes written.", HW_COUNTER, HW_VIEW_CW},
     DISKSTATS_WRITE_SECTORS,
     IO_BYTES},
    {{"diskio_read_time", "Milliseconds", "Milliseconds spent reading.", HW_COUNTER, HW_VIEW_CW},
     DISKSTATS_READ_MS,
     IO_RAW},
    {{"diskio_write_time", "Milliseconds", "Milliseconds spent writing.", HW_COUNTER, HW_VIEW_CW},
     DISKSTATS_WRITE_MS,
     IO_RAW},
    {{"diskio_io_time", "Milliseconds", "Milliseconds spent doing I/Os.", HW_COUNTER, HW_VIEW_CW},
     DISKSTATS_IO_MS,
     IO_RAW},
    {{"diskio_iops_in_progress", "Count", "I/Os currently in progress.", HW_GAUGE, HW_VIEW_CW},
     DISKSTATS_IO_NOW,
     IO_RAW},
};

#define IO_NFAM (sizeof(io_metrics) / sizeof(io_metrics[0]))

/* ---- options ------------------------------------------------------------------------------ */

#define DISK_IGNORE_MOUNTS                                                                         \
    "/dev\n/dev/*\n/proc\n/proc/*\n/sys\n/sys/*\n/run/credentials/*\n/var/lib/docker/*\n"          \
    "/var/lib/containers/storage/*"
#define DISK_IGNORE_FS_TYPES                                                                       \
    "autofs\nbinfmt_misc\nbpf\ncgroup\ncgroup2\nconfigfs\ndebugfs\ndevpts\ndevtmpfs\nfusectl\n"    \
    "hugetlbfs\niso9660\nmqueue\nnsfs\noverlay\nproc\nprocfs\npstore\nrpc_pipefs\nsecurityfs\n"    \
    "selinuxfs\nsquashfs\nerofs\nsysfs\ntracefs"
#define DISK_IGNORE_DEVICES "^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\\d+n\\d+p)\\d+$"

static const struct hw_opt disk_opts[] = {
    {.key = "mounts",
     .type = HW_OPT_STRLIST,
     .def = "*",
     .offset = offsetof(struct disk_conf, mounts),
     .help = "mount points or globs to collect; a mount point named exactly is always collected"},
    {.key = "ignore_mounts",
     .type = HW_OPT_STRLIST,
     .def = DISK_IGNORE_MOUNTS,
     .offset = offsetof(struct disk_conf, ignore_mounts),
     .help = "globs of mount points skipped when only a glob of mounts selected them"},
    {.key = "ignore_fs_types",
     .type = HW_OPT_STRLIST,
     .def = DISK_IGNORE_FS_TYPES,
     .offset = offsetof(struct disk_conf, ignore_fs_types),
     .help = "filesystem types (globs) skipped when only a glob of mounts selected them"},
    {.key = "io",
     .type = HW_OPT_BOOL,
     .def = "true",
     .offset = offsetof(struct disk_conf, io),
     .help = "publish block device I/O counters from /proc/diskstats"},
    {.key = "io_ignore_devices",
     .type = HW_OPT_STRING,
     .def = DISK_IGNORE_DEVICES,
     .offset = offsetof(struct disk_conf, io_ignore_devices),
     .help = "PCRE2 regex of device names left out of the I/O metrics (\"\": none)"},
    {.key = "mount_timeout",
     .type = HW_OPT_DURATION,
     .def = "2s",
     .offset = offsetof(struct disk_conf, mount_timeout_ns),
     .min = 1e6,
     .max = 300e9,
     .help = "longest wait for statvfs of one mount before it is reported as stuck"},
    {.key = "drop_device",
     .type = HW_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct disk_conf, drop_device),
     .help = "disk_* metrics without the device dimension (the CloudWatch agent's drop_device)"},
    HW_OPT_END,
};

/* ---- state -------------------------------------------------------------------------------- */

struct disk_state {
    struct hw_registry *reg;
    char owner[128]; /* instance name: owns this collector's families */
    char *procfs, *rootfs;
    int host_view;    /* procfs is not /proc: read the host's mounts from <procfs>/1 */
    int use_self;     /* <procfs>/1/mountinfo was unreadable (hidepid): read self */
    int rootfs_slash; /* rootfs is "/" */
    struct hw_strlist mounts, ignore_mounts, ignore_fs_types;
    int io;
    int drop_device; /* CloudWatch labels: path and fstype only */
    int64_t timeout_ns;
    struct hw_regex *ignore_re; /* io_ignore_devices; NULL: none */
    struct fsstat_pool *pool;
    struct mountinfo mi;
    struct hw_buf buf;
    uint32_t *seen; /* open-addressing set of mount indexes + 1, to publish each once */
    size_t seen_cap;
    char path[PATH_MAX];
    struct hw_family *fs[FS_NFAM];
    struct hw_family *iofam[IO_NFAM];
    size_t dropped; /* values the registry refused (series limit or memory) */
};

/* The core may free the parsed configuration after create(): keep private copies. */
static int strlist_copy(struct hw_strlist *dst, const struct hw_strlist *src)
{
    dst->n = 0;
    dst->v = src->n ? calloc(src->n, sizeof(*dst->v)) : NULL;
    if (src->n && !dst->v) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < src->n; i++) {
        dst->v[i] = strdup(src->v[i]);
        if (!dst->v[i]) {
            return -ENOMEM;
        }
        dst->n++;
    }
    return 0;
}

/* Compiles io_ignore_devices; NULL with err set ("" for an empty pattern) when none. */
static struct hw_regex *disk_compile(const char *re, char *err, size_t errlen, size_t *col)
{
    err[0] = '\0';
    *col = 0;
    return re && *re ? regex_compile(re, err, errlen, col) : NULL;
}

static int disk_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct disk_conf *c = conf;
    char where[512];
    int errs = 0;
    for (size_t i = 0; i < c->mounts.n; i++) {
        if (!*c->mounts.v[i]) {
            char key[512];
            hw_diag_add(
                d,
                hw_path_idx(where, sizeof(where), hw_path_key(key, sizeof(key), path, "mounts"), i),
                "empty mount point");
            errs++;
        }
    }
    char err[256];
    size_t col;
    struct hw_regex *re = disk_compile(c->io_ignore_devices, err, sizeof(err), &col);
    if (re) {
        regex_free(re);
    } else if (err[0]) {
        hw_diag_add(d, hw_path_key(where, sizeof(where), path, "io_ignore_devices"),
                    "invalid regular expression at offset %zu: %s", col ? col - 1 : 0, err);
        errs++;
    }
    return errs;
}

static void disk_destroy(void *state)
{
    struct disk_state *st = state;
    if (!st) {
        return;
    }
    fsstat_pool_free(st->pool);
    regex_free(st->ignore_re);
    hw_strlist_free(&st->mounts);
    hw_strlist_free(&st->ignore_mounts);
    hw_strlist_free(&st->ignore_fs_types);
    mountinfo_free(&st->mi);
    hw_buf_free(&st->buf);
    free(st->seen);
    free(st->procfs);
    free(st->rootfs);
    free(st);
}

/* True when p names dir once trailing slashes are ignored ("/proc/" is "/proc"). */
static int path_is(const char *p, const char *dir)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') {
        n--;
    }
    return n == strlen(dir) && strncmp(p, dir, n) == 0;
}

/* Compiles the device filter once (validate() reported a bad one). */
static int disk_setup_regex(struct disk_state *st, const char *pattern)
{
    char err[256];
    size_t col;
    st->ignore_re = disk_compile(pattern, err, sizeof(err), &col);
    return st->ignore_re || !err[0] ? 0 : -EINVAL;
}

static struct hw_family *disk_family(struct disk_state *st, const struct disk_fam *f)
{
    const struct hw_family_desc d = {.name = f->name,
                                     .help = f->help,
                                     .unit = f->unit,
                                     .type = f->type,
                                     .views = f->views,
                                     .flags = HW_FAM_REPLACE};
    return hw_registry_family(st->reg, &d, st->owner);
}

static int disk_families(struct disk_state *st)
{
    for (size_t i = 0; i < FS_NFAM; i++) {
        st->fs[i] = disk_family(st, &fs_fams[i]);
        if (!st->fs[i]) {
            return -ENOMEM; /* or a family of that name with another type */
        }
    }
    for (size_t i = 0; st->io && i < IO_NFAM; i++) {
        st->iofam[i] = disk_family(st, &io_metrics[i].f);
        if (!st->iofam[i]) {
            return -ENOMEM;
        }
    }
    return 0;
}

static int disk_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    const struct disk_conf *c = conf;
    const struct hw_paths *paths = ctx->paths;
    int rc = -ENOMEM;
    *state = NULL;
    struct disk_state *st = calloc(1, sizeof(*st));
    if (!st) {
        return -ENOMEM;
    }
    mountinfo_init(&st->mi);
    hw_buf_init(&st->buf);
    st->reg = ctx->reg;
    snprintf(st->owner, sizeof(st->owner), "%s", ctx->instance ? ctx->instance : "");
    st->procfs = strdup(paths && paths->procfs ? paths->procfs : "/proc");
    st->rootfs = strdup(paths && paths->rootfs ? paths->rootfs : "/");
    if (!st->procfs || !st->rootfs) {
        goto fail;
    }
    st->host_view = !path_is(st->procfs, "/proc");
    st->rootfs_slash = path_is(st->rootfs, "/");
    st->io = c->io;
    st->drop_device = c->drop_device;
    st->timeout_ns = c->mount_timeout_ns > 0 ? c->mount_timeout_ns : 2000000000;
    if ((rc = strlist_copy(&st->mounts, &c->mounts)) != 0 ||
        (rc = strlist_copy(&st->ignore_mounts, &c->ignore_mounts)) != 0 ||
        (rc = strlist_copy(&st->ignore_fs_types, &c->ignore_fs_types)) != 0 ||
        (rc = st->io ? disk_setup_regex(st, c->io_ignore_devices) : 0) != 0) {
        goto fail;
    }
    st->pool = fsstat_pool_new();
    if (!st->pool) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = disk_families(st)) != 0) {
        goto fail;
    }
    *state = st;
    return 0;
fail:
    disk_destroy(st); /* families already made stay: they belong to the instance name */
    return rc;
}

/* ---- mounts ------------------------------------------------------------------------------- */

static int has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int any_fnmatch(const struct hw_strlist *globs, const char *s)
{
    for (size_t i = 0; i < globs->n; i++) {
        if (fnmatch(globs->v[i], s, 0) == 0) {
            return 1;
        }
    }
    return 0;
}

/* An exact entry of `mounts` wins over the ignore lists; a glob match is subject to them. */
static int disk_selected(const struct disk_state *st, const char *mnt, const char *fstype)
{
    int globbed = 0;
    for (size_t i = 0; i < st->mounts.n; i++) {
        const char *m = st->mounts.v[i];
        if (!has_glob(m)) {
            if (strcmp(m, mnt) == 0) {
                return 1;
            }
        } else if (!globbed && fnmatch(m, mnt, 0) == 0) {
            globbed = 1;
        }
    }
    return globbed && !any_fnmatch(&st->ignore_mounts, mnt) &&
           !any_fnmatch(&st->ignore_fs_types, fstype);
}

/* Sizes the duplicate filter for n mounts (load at most one half) and empties it. */
static int seen_reset(struct disk_state *st, size_t n)
{
    size_t cap = 64;
    while (cap < 2 * n) {
        cap *= 2;
    }
    if (cap > st->seen_cap) {
        uint32_t *s = realloc(st->seen, cap * sizeof(*s));
        if (!s) {
            return -ENOMEM;
        }
        st->seen = s;
        st->seen_cap = cap;
    }
    memset(st->seen, 0, st->seen_cap * sizeof(*st->seen));
    return 0;
}

/* The mount point as published: rootfs prefix stripped. NULL for a mount of our own mount
 * namespace that lies outside the host's rootfs (only when reading self/mountinfo). */
static const char *disk_mountpoint(const struct disk_state *st, const char *mnt, int from_self)
{
    const char *p = procroot_strip(mnt, st->rootfs);
    if (from_self && !st->rootfs_slash && p == mnt) {
        return NULL;
    }
    return p;
}

/* 1 when (device, mountpoint, fstype) of mount i was not seen yet in this collection. */
static int seen_insert(struct disk_state *st, size_t i, const char *mnt, int from_self)
{
    const struct mountinfo_entry *e = &st->mi.v[i];
    const size_t mask = st->seen_cap - 1;
    size_t slot =
        (size_t)hw_fnv1a_str(hw_fnv1a_str(hw_fnv1a_str(HW_FNV_OFFSET, e->source), mnt), e->fstype) &
        mask;
    for (; st->seen[slot]; slot = (slot + 1) & mask) {
        const struct mountinfo_entry *o = &st->mi.v[st->seen[slot] - 1];
        const char *omnt = disk_mountpoint(st, o->mountpoint, from_self);
        if (strcmp(o->source, e->source) == 0 && strcmp(o->fstype, e->fstype) == 0 && omnt &&
            strcmp(omnt, mnt) == 0) {
            return 0;
        }
    }
    st->seen[slot] = (uint32_t)(i + 1);
    return 1;
}

static void disk_put(struct disk_state *st, struct hw_family *fam, const struct hw_label *l,
                     size_t n, double v)
{
    struct hw_series *s = hw_family_series(fam, l, n, DISK_MAX_SERIES);
    if (!s) {
        st->dropped++;
        return;
    }
    hw_series_set(s, v);
}

/* Computes the per-mount values: node_exporter's from statvfs directly, the CloudWatch agent's
 * as its disk plugin does (free = avail, used% like df). */
static void disk_fs_values(const struct statvfs *sv, double v[FS_NFAM])
{
    const double frsize = (double)(sv->f_frsize ? sv->f_frsize : sv->f_bsize);
    const double size = (double)sv->f_blocks * frsize;
    const double avail = (double)sv->f_bavail * frsize;
    const double used =
        sv->f_blocks > sv->f_bfree ? (double)(sv->f_blocks - sv->f_bfree) * frsize : 0;
    v[FS_SIZE] = size;
    v[FS_FREE] = (double)sv->f_bfree * frsize;
    v[FS_AVAIL] = avail;
    v[FS_FILES] = (double)sv->f_files;
    v[FS_FILES_FREE] = (double)sv->f_ffree;
    v[FS_DEVICE_ERROR] = 0;
    v[CW_TOTAL] = size;
    v[CW_FREE] = avail;
    v[CW_USED] = used;
    v[CW_USED_PERCENT] = used + avail > 0 ? 100.0 * used / (used + avail) : 0;
    v[CW_INODES_TOTAL] = (double)sv->f_files;
    v[CW_INODES_FREE] = (double)sv->f_ffree;
    v[CW_INODES_USED] = sv->f_files > sv->f_ffree ? (double)(sv->f_files - sv->f_ffree) : 0;
}

/* Logs a failed statvfs: a timeout once as a warning (later calls see -EBUSY), others at
 * debug level since e.g. EACCES on a private mount repeats every interval. */
static void disk_log_error(const char *mnt, int rc, int64_t timeout_ns)
{
    if (rc == -ETIMEDOUT) {
        hw_warn(DISK_COMP, "statvfs timed out, mount marked stuck",
                "mountpoint=\"%s\" timeout_ms=%lld", mnt, (long long)(timeout_ns / 1000000));
    } else {
        hw_debug(DISK_COMP, "statvfs failed", "mountpoint=\"%s\" error=\"%s\"", mnt, strerror(-rc));
    }
}

static void disk_collect_mount(struct disk_state *st, const struct mountinfo_entry *e,
                               const char *mnt)
{
    const char *cwdev = strncmp(e->source, "/dev/", 5) == 0 ? e->source + 5 : e->source;
    const struct hw_label node[] = {
        {"device", e->source}, {"fstype", e->fstype}, {"mountpoint", mnt}};
    const struct hw_label cw[] = {{"path", mnt}, {"device", cwdev}, {"fstype", e->fstype}};
    const struct hw_label cw_nodev[] = {{"path", mnt}, {"fstype", e->fstype}};
    double v[FS_NFAM];
    struct statvfs sv;
    int rc = procroot_join(st->path, sizeof(st->path), st->rootfs, mnt) != 0
                 ? -ENAMETOOLONG
                 : fsstat_statvfs(st->pool, st->path, st->timeout_ns, &sv);
    v[FS_READONLY] = mountinfo_readonly(e);
    if (rc != 0) {
        disk_log_error(mnt, rc, st->timeout_ns);
        disk_put(st, st->fs[FS_READONLY], node, 3, v[FS_READONLY]);
        disk_put(st, st->fs[FS_DEVICE_ERROR], node, 3, 1);
        return;
    }
    disk_fs_values(&sv, v);
    for (size_t i = 0; i < FS_NFAM; i++) {
        const int is_cw = fs_fams[i].views == HW_VIEW_CW;
        if (is_cw && st->drop_device) {
            disk_put(st, st->fs[i], cw_nodev, 2, v[i]);
        } else {
            disk_put(st, st->fs[i], is_cw ? cw : node, 3, v[i]);
        }
    }
}

/* Reads <procfs>/1/mountinfo for the host's view, else (or when hidden by hidepid)
 * <procfs>/self/mountinfo. A file beyond the size cap is parsed as far as it was read. */
static int disk_read_mounts(struct disk_state *st, int *from_self)
{
    char path[PATH_MAX];
    int rc = -ENOENT;
    if (st->host_view && !st->use_self) {
        if (procroot_join(path, sizeof(path), st->procfs, "1/mountinfo") != 0) {
            return -ENAMETOOLONG;
        }
        rc = hw_buf_read_file(&st->buf, path, DISK_MOUNTINFO_MAX);
        if (rc != 0 && rc != -EFBIG) {
            hw_info(DISK_COMP, "host mount table unreadable, using our own",
                    "path=\"%s\" error=\"%s\"", path, strerror(-rc));
            st->use_self = 1;
        }
    }
    *from_self = !st->host_view || st->use_self;
    if (*from_self) {
        if (procroot_join(path, sizeof(path), st->procfs, "self/mountinfo") != 0) {
            return -ENAMETOOLONG;
        }
        rc = hw_buf_read_file(&st->buf, path, DISK_MOUNTINFO_MAX);
    }
    if (rc != 0 && rc != -EFBIG) {
        return rc;
    }
    rc = mountinfo_parse(&st->mi, st->buf.data, st->buf.len);
    if (rc == 0 && (st->mi.malformed || st->mi.truncated)) {
        hw_debug(DISK_COMP, "mountinfo lines skipped", "malformed=%zu truncated=%zu",
                 st->mi.malformed, st->mi.truncated);
    }
    return rc;
}

static int disk_collect_mounts(struct disk_state *st)
{
    int from_self;
    int rc = disk_read_mounts(st, &from_self);
    if (rc != 0) {
        return rc;
    }
    if ((rc = seen_reset(st, st->mi.n)) != 0) {
        return rc;
    }
    for (size_t i = 0; i < st->mi.n; i++) {
        const struct mountinfo_entry *e = &st->mi.v[i];
        const char *mnt = disk_mountpoint(st, e->mountpoint, from_self);
        if (mnt && disk_selected(st, mnt, e->fstype) && seen_insert(st, i, mnt, from_self)) {
            disk_collect_mount(st, e, mnt);
        }
    }
    return 0;
}

/* ---- diskstats ---------------------------------------------------------------------------- */

static int disk_device_ignored(const struct disk_state *st, const char *name)
{
    if (!st->ignore_re) {
        return 0;
    }
    return regex_match(st->ignore_re, name, strlen(name)) == 1;
}

static double io_value(const struct diskstats_entry *e, const struct io_metric *m)
{
    const uint64_t raw = e->v[m->field];
    switch (m->conv) {
    case IO_BYTES:
        return diskstats_bytes(raw);
    case IO_SECONDS:
        return (double)raw / 1000.0;
    case IO_RAW:
    default:
        return (double)raw;
    }
}

static int disk_collect_io(struct disk_state *st)
{
    char path[PATH_MAX];
    if (procroot_join(path, sizeof(path), st->procfs, "diskstats") != 0) {
        return -ENAMETOOLONG;
    }
    const int rc = hw_buf_read_file(&st->buf, path, DISK_DISKSTATS_MAX);
    if (rc != 0 && rc != -EFBIG) {
        return rc;
    }
    struct diskstats_iter it;
    struct diskstats_entry e;
    diskstats_iter_init(&it, st->buf.data, st->buf.len);
    while (diskstats_next(&it, &e)) {
        if (disk_device_ignored(st, e.name)) {
            continue;
        }
        const struct hw_label node[] = {{"device", e.name}};
        const struct hw_label cw[] = {{"name", e.name}};
        for (size_t i = 0; i < IO_NFAM; i++) {
            const struct io_metric *m = &io_metrics[i];
            if (diskstats_has(&e, m->field)) {
                disk_put(st, st->iofam[i], m->f.views == HW_VIEW_CW ? cw : node, 1,
                         io_value(&e, m));
            }
        }
    }
    if (it.malformed) {
        hw_debug(DISK_COMP, "diskstats lines skipped", "malformed=%zu", it.malformed);
    }
    return 0;
}

/* Publishes mounts, then devices; an unreadable diskstats does not hide the mounts. */
static int disk_collect(void *state)
{
    struct disk_state *st = state;
    const size_t dropped = st->dropped;
    int rc = disk_collect_mounts(st);
    if (st->io) {
        const int io_rc = disk_collect_io(st);
        if (rc == 0) {
            rc = io_rc;
        }
    }
    if (st->dropped != dropped) {
        hw_warn(DISK_COMP, "series dropped", "count=%zu", st->dropped - dropped);
    }
    return rc;
}

const struct hw_collector hw_collector_disk = {
    .name = "disk",
    .help = "filesystem usage (statvfs per mount) and block device I/O (/proc/diskstats)",
    .opts = disk_opts,
    .conf_size = sizeof(struct disk_conf),
    .multi = 0,
    .validate = disk_validate,
    .create = disk_create,
    .collect = disk_collect,
    .destroy = disk_destroy,
};
