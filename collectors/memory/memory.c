#include "memory.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "cgroupmem.h"
#include "meminfo.h"
#include "collectors/procroot.h"

/* /proc/meminfo is about 1.5 KiB; anything near this is not meminfo. */
#define MEMORY_FILE_MAX (64 * 1024)
#define MEMORY_PATH_MAX 1024

/* The CloudWatch-agent families, in the order of memory_cw_descs. */
enum {
    MEMORY_CW_TOTAL,
    MEMORY_CW_AVAILABLE,
    MEMORY_CW_USED,
    MEMORY_CW_FREE,
    MEMORY_CW_CACHED,
    MEMORY_CW_BUFFERED,
    MEMORY_CW_ACTIVE,
    MEMORY_CW_INACTIVE,
    MEMORY_CW_SHARED,
    MEMORY_CW_USED_PERCENT,
    MEMORY_CW_AVAILABLE_PERCENT,
    MEMORY_CW_SWAP_USED,
    MEMORY_CW_SWAP_FREE,
    MEMORY_CW_SWAP_USED_PERCENT,
    MEMORY_CW_N,
};

/* The cAdvisor-style families published in cgroup scope. */
enum {
    MEMORY_CTR_WORKING_SET,
    MEMORY_CTR_USAGE,
    MEMORY_CTR_LIMIT,
    MEMORY_CTR_N,
};

struct memory_fam_desc {
    const char *name, *unit, *help;
};

static const struct memory_fam_desc memory_cw_descs[MEMORY_CW_N] = {
    {"mem_total", "Bytes", "Total memory (the effective cgroup limit in cgroup scope)."},
    {"mem_available", "Bytes", "Memory available to new work without swapping."},
    {"mem_used", "Bytes", "Used memory (per collectors.memory.used; working set in cgroup scope)."},
    {"mem_free", "Bytes", "Free memory (MemFree; mem_available in cgroup scope)."},
    {"mem_cached", "Bytes", "Page cache and reclaimable slab (Cached + SReclaimable)."},
    {"mem_buffered", "Bytes", "Block device buffers (Buffers)."},
    {"mem_active", "Bytes", "Recently used memory (Active)."},
    {"mem_inactive", "Bytes", "Memory not recently used (Inactive)."},
    {"mem_shared", "Bytes", "Shared memory and tmpfs (Shmem)."},
    {"mem_used_percent", "Percent", "mem_used as a percentage of mem_total."},
    {"mem_available_percent", "Percent", "mem_available as a percentage of mem_total."},
    {"swap_used", "Bytes", "Swap in use on the host (SwapTotal - SwapFree)."},
    {"swap_free", "Bytes", "Free swap on the host (SwapFree)."},
    {"swap_used_percent", "Percent", "swap_used as a percentage of SwapTotal (0 without swap)."},
};

static const struct memory_fam_desc memory_ctr_descs[MEMORY_CTR_N] = {
    {"container_memory_working_set_bytes", "Bytes",
     "Current working set of the agent's cgroup in bytes (usage minus inactive file)."},
    {"container_memory_usage_bytes", "Bytes",
     "Current memory usage of the agent's cgroup in bytes, including all memory."},
    {"container_spec_memory_limit_bytes", "Bytes",
     "Memory limit of the agent's cgroup in bytes (0 when unlimited)."},
};

/* A node_memory_* family remembered by its meminfo field, so that a steady /proc/meminfo
 * costs no registry lookups. */
struct memory_node_fam {
    char field[MEMINFO_NAME_MAX];
    int has_kb;
    struct hw_family *fam;
};

struct memory_state {
    struct hw_registry *reg;
    char owner[128]; /* instance name: owns this collector's families */
    int scope; /* enum memory_scope */
    int in_ecs; /* auto scope inside an ECS task: the cgroup is this container's only */
    enum meminfo_used_mode used;
    char procfs[MEMORY_PATH_MAX], sysfs[MEMORY_PATH_MAX];
    char meminfo_path[MEMORY_PATH_MAX];
    struct hw_buf buf; /* reused by every read */
    struct meminfo mi;
    struct memory_node_fam node[MEMINFO_MAX_FIELDS];
    struct hw_family *cw[MEMORY_CW_N];
    struct hw_family *ctr[MEMORY_CTR_N];
};

static const char *const memory_scope_choices[] = {"auto", "host", "cgroup", NULL};
static const char *const memory_used_choices[] = {"available", "cloudwatch-agent", NULL};

static const struct hw_opt memory_opts[] = {
    {.key = "scope",
     .type = HW_OPT_ENUM,
     .def = "auto",
     .offset = offsetof(struct memory_conf, scope),
     .choices = memory_scope_choices,
     .help = "host, cgroup, or auto: cgroup when the agent runs under a cgroup memory limit"},
    {.key = "used",
     .type = HW_OPT_ENUM,
     .def = "available",
     .offset = offsetof(struct memory_conf, used),
     .choices = memory_used_choices,
     .help = "mem_used formula: available (MemTotal-MemAvailable) or cloudwatch-agent"},
    HW_OPT_END,
};

/* Copies s into dst of MEMORY_PATH_MAX bytes; 0 or -ENAMETOOLONG. */
static int memory_copy_path(char *dst, const char *s)
{
    const size_t n = strlen(s);
    if (n >= MEMORY_PATH_MAX) {
        return -ENAMETOOLONG;
    }
    memcpy(dst, s, n + 1);
    return 0;
}

static void memory_destroy(void *state)
{
    struct memory_state *st = state;
    if (!st) {
        return;
    }
    hw_buf_free(&st->buf);
    free(st);
}

/* With cgroup namespaces a sidecar sees only its own cgroup: in auto scope the figures are the
 * agent container's, not the task's, and the log says so instead of letting them pass for the
 * task's. The cAdvisor container_* families are then left to the ecs collector, which has them
 * per container and for the task. */
static void memory_note_ecs(struct memory_state *st)
{
    const char *ecs = getenv("ECS_CONTAINER_METADATA_URI_V4");
    if (st->scope != MEMORY_SCOPE_AUTO || !ecs || !*ecs) {
        return;
    }
    st->in_ecs = 1;
    hw_info("memory", "inside an ECS task the agent's cgroup is its own container's",
            "instance=%s note=\"mem_* describe the hostwatch container, not the task or the "
            "application; collectors.ecs reports the task and each container\"", st->owner);
}

static int memory_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    const struct memory_conf *c = conf;
    const struct hw_paths *paths = ctx->paths;
    int rc = -ENOMEM;
    *state = NULL;
    struct memory_state *st = calloc(1, sizeof(*st));
    if (!st) {
        goto fail;
    }
    hw_buf_init(&st->buf);
    st->reg = ctx->reg;
    snprintf(st->owner, sizeof(st->owner), "%s", ctx->instance ? ctx->instance : "");
    st->scope = c ? c->scope : MEMORY_SCOPE_AUTO;
    st->used =
        (c && c->used == MEMORY_USED_CWAGENT) ? MEMINFO_USED_CWAGENT : MEMINFO_USED_AVAILABLE;
    rc = memory_copy_path(st->procfs, paths && paths->procfs ? paths->procfs : "/proc");
    if (rc == 0) {
        rc = memory_copy_path(st->sysfs, paths && paths->sysfs ? paths->sysfs : "/sys");
    }
    if (rc == 0 &&
        procroot_join(st->meminfo_path, sizeof(st->meminfo_path), st->procfs, "meminfo") != 0) {
        rc = -ENAMETOOLONG;
    }
    if (rc != 0) {
        goto fail;
    }
    memory_note_ecs(st);
    *state = st;
    return 0;
fail:
    memory_destroy(st);
    return rc;
}

/* Converts a non-negative double to uint64 without the UB of out-of-range conversions. */
static uint64_t memory_to_u64(double v)
{
    if (!(v > 0)) {
        return 0;
    }
    return v >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)v;
}

/* cgroup scope: the limit (or the host's MemTotal when none, or when it is larger) is the
 * total, the working set is used, and what is left is both available and free. */
static void memory_cgroup_usage(const struct cgroupmem *cg, double host_total,
                                struct meminfo_usage *u)
{
    const double limit = (double)cg->limit_bytes;
    u->total = (cg->limit_bytes > 0 && limit < host_total) ? limit : host_total;
    u->used = (double)cg->working_set_bytes;
    u->available = u->total > u->used ? u->total - u->used : 0;
    u->free = u->available;
    u->used_percent = 100.0 * u->used / u->total;
    u->available_percent = 100.0 * u->available / u->total;
}

/* The family for meminfo field i, from the cache when the field did not change. */
static struct hw_family *memory_node_family(struct memory_state *st, size_t i,
                                            const struct meminfo_field *f)
{
    struct memory_node_fam *slot = &st->node[i];
    if (slot->fam && slot->has_kb == f->has_kb && strcmp(slot->field, f->name) == 0) {
        return slot->fam;
    }
    char name[MEMINFO_NAME_MAX + 32], help[MEMINFO_NAME_MAX + 48];
    if (meminfo_metric_name(f->name, f->has_kb, name, sizeof(name)) != 0 ||
        meminfo_metric_help(f->name, f->has_kb, help, sizeof(help)) != 0) {
        return NULL;
    }
    const struct hw_family_desc d = {.name = name,
                                     .help = help,
                                     .unit = f->has_kb ? "Bytes" : "Count",
                                     .type = HW_GAUGE,
                                     .views = HW_VIEW_NODE};
    slot->fam = hw_registry_family(st->reg, &d, st->owner);
    memcpy(slot->field, f->name, sizeof(slot->field));
    slot->has_kb = f->has_kb;
    return slot->fam;
}

/* Sets one unlabelled gauge, creating its family on first use; 0 or -1. */
static int memory_set(struct memory_state *st, struct hw_family **cache,
                      const struct memory_fam_desc *fd, unsigned views, unsigned flags, double v)
{
    if (!*cache) {
        const struct hw_family_desc d = {.name = fd->name,
                                         .help = fd->help,
                                         .unit = fd->unit,
                                         .type = HW_GAUGE,
                                         .views = views,
                                         .flags = flags};
        *cache = hw_registry_family(st->reg, &d, st->owner);
        if (!*cache) {
            return -1;
        }
    }
    return hw_family_set(*cache, NULL, 0, v);
}

/* Publishes the parsed meminfo, the mem_* figures u and, when cg is given, the container_*
 * families. Returns the number of values that could not be set. */
static int memory_publish(struct memory_state *st, const struct meminfo_usage *u,
                          const struct cgroupmem *cg)
{
    const struct meminfo *mi = &st->mi;
    int errs = 0;
    for (size_t i = 0; i < mi->nfields; i++) {
        const struct meminfo_field *f = &mi->fields[i];
        struct hw_family *fam = memory_node_family(st, i, f);
        if (!fam || hw_family_set(fam, NULL, 0, meminfo_field_bytes(f)) != 0) {
            errs++;
        }
    }
    double cw[MEMORY_CW_N];
    cw[MEMORY_CW_TOTAL] = u->total;
    cw[MEMORY_CW_AVAILABLE] = u->available;
    cw[MEMORY_CW_USED] = u->used;
    cw[MEMORY_CW_FREE] = u->free;
    cw[MEMORY_CW_CACHED] = mi->cached + mi->sreclaimable;
    cw[MEMORY_CW_BUFFERED] = mi->buffers;
    cw[MEMORY_CW_ACTIVE] = mi->active;
    cw[MEMORY_CW_INACTIVE] = mi->inactive;
    cw[MEMORY_CW_SHARED] = mi->shmem;
    cw[MEMORY_CW_USED_PERCENT] = u->used_percent;
    cw[MEMORY_CW_AVAILABLE_PERCENT] = u->available_percent;
    /* the CloudWatch agent's swap plugin (gopsutil): used = total - free */
    cw[MEMORY_CW_SWAP_USED] = mi->swap_total - mi->swap_free;
    cw[MEMORY_CW_SWAP_FREE] = mi->swap_free;
    cw[MEMORY_CW_SWAP_USED_PERCENT] =
        mi->swap_total > 0 ? 100.0 * (mi->swap_total - mi->swap_free) / mi->swap_total : 0;
    for (size_t i = 0; i < MEMORY_CW_N; i++) {
        errs += memory_set(st, &st->cw[i], &memory_cw_descs[i], HW_VIEW_CW, 0, cw[i]) != 0;
    }
    if (cg) {
        const double ctr[MEMORY_CTR_N] = {
            [MEMORY_CTR_WORKING_SET] = (double)cg->working_set_bytes,
            [MEMORY_CTR_USAGE] = (double)cg->usage_bytes,
            [MEMORY_CTR_LIMIT] = (double)cg->limit_bytes,
        };
        /* HW_FAM_REPLACE: they vanish when auto scope goes back to the host. */
        for (size_t i = 0; i < MEMORY_CTR_N; i++) {
            errs += memory_set(st, &st->ctr[i], &memory_ctr_descs[i], HW_VIEW_NODE, HW_FAM_REPLACE,
                               ctr[i]) != 0;
        }
    }
    return errs;
}

/* Reads everything first and publishes only when all reads succeeded, so a failed
 * collection leaves the previous values in place. */
static int memory_collect(void *state)
{
    struct memory_state *st = state;
    int rc = hw_buf_read_file(&st->buf, st->meminfo_path, MEMORY_FILE_MAX);
    if (rc != 0) {
        return rc;
    }
    if (meminfo_parse(st->buf.data ? st->buf.data : "", st->buf.len, &st->mi) < 0) {
        return -EINVAL;
    }
    struct meminfo_usage u;
    if (meminfo_host_usage(&st->mi, st->used, &u) != 0) {
        return -EINVAL; /* no MemTotal: not a meminfo file */
    }
    struct cgroupmem cg;
    int use_cgroup = 0;
    if (st->scope != MEMORY_SCOPE_HOST) {
        rc = cgroupmem_read(st->procfs, st->sysfs, memory_to_u64(u.total), &st->buf, &cg);
        if (rc != 0 && st->scope == MEMORY_SCOPE_CGROUP) {
            return rc;
        }
        use_cgroup = st->scope == MEMORY_SCOPE_CGROUP || cgroupmem_limited(&cg);
    }
    if (use_cgroup) {
        memory_cgroup_usage(&cg, u.total, &u);
    }
    const int ctr = use_cgroup && !st->in_ecs;
    return memory_publish(st, &u, ctr ? &cg : NULL) == 0 ? 0 : -ENOMEM;
}

const struct hw_collector hw_collector_memory = {
    .name = "memory",
    .help = "memory usage from /proc/meminfo and the agent's cgroup",
    .opts = memory_opts,
    .conf_size = sizeof(struct memory_conf),
    .multi = 0,
    .validate = NULL,
    .create = memory_create,
    .collect = memory_collect,
    .destroy = memory_destroy,
};
