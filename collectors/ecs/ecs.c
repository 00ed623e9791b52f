#include "ecs.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "ecs_fetch.h"
#include "exporters/net/http_client.h"
#include "log.h"
#include "loop.h"

/* A result older than this many intervals is not published again: its series go away. */
#define ECS_STALE_INTERVALS 3
#define ECS_MAX_LABELS 6

enum {
    ECS_F_WS,
    ECS_F_USAGE,
    ECS_F_LIMIT,
    ECS_F_CPU,
    ECS_F_RX,
    ECS_F_TX,
    ECS_F_MEM_UTIL,
    ECS_F_MEM_RES,
    ECS_F_CPU_UTIL,
    ECS_F_CPU_RES,
    ECS_F_NET_RX,
    ECS_F_NET_TX,
    ECS_F_PCT,
    ECS_F_N,
};

static const struct hw_family_desc ecs_descs[ECS_F_N] = {
    [ECS_F_WS] = {.name = "container_memory_working_set_bytes",
                  .help =
                      "Working set (usage minus inactive file) of an ECS container, or of the task "
                      "without container_name.",
                  .unit = "Bytes",
                  .type = HW_GAUGE,
                  .views = HW_VIEW_NODE,
                  .flags = HW_FAM_REPLACE},
    [ECS_F_USAGE] = {.name = "container_memory_usage_bytes",
                     .help =
                         "Memory usage of an ECS container including page cache, or of the task.",
                     .unit = "Bytes",
                     .type = HW_GAUGE,
                     .views = HW_VIEW_NODE,
                     .flags = HW_FAM_REPLACE},
    [ECS_F_LIMIT] = {.name = "container_spec_memory_limit_bytes",
                     .help = "Memory limit of an ECS container, or of the task (0: none).",
                     .unit = "Bytes",
                     .type = HW_GAUGE,
                     .views = HW_VIEW_NODE,
                     .flags = HW_FAM_REPLACE},
    [ECS_F_CPU] = {.name = "container_cpu_usage_seconds_total",
                   .help = "CPU time consumed by an ECS container, or by the task.",
                   .unit = "Seconds",
                   .type = HW_COUNTER,
                   .views = HW_VIEW_NODE,
                   .flags = HW_FAM_REPLACE},
    [ECS_F_RX] = {.name = "container_network_receive_bytes_total",
                  .help = "Bytes received by an ECS container, or by the task.",
                  .unit = "Bytes",
                  .type = HW_COUNTER,
                  .views = HW_VIEW_NODE,
                  .flags = HW_FAM_REPLACE},
    [ECS_F_TX] = {.name = "container_network_transmit_bytes_total",
                  .help = "Bytes sent by an ECS container, or by the task.",
                  .unit = "Bytes",
                  .type = HW_COUNTER,
                  .views = HW_VIEW_NODE,
                  .flags = HW_FAM_REPLACE},
    [ECS_F_MEM_UTIL] = {.name = "MemoryUtilized",
                        .help = "Working set of the task or container in MiB.",
                        .unit = "Megabytes",
                        .type = HW_GAUGE,
                        .views = HW_VIEW_CW,
                        .flags = HW_FAM_REPLACE},
    [ECS_F_MEM_RES] = {.name = "MemoryReserved",
                       .help = "Memory reserved by the task definition in MiB.",
                       .unit = "Megabytes",
                       .type = HW_GAUGE,
                       .views = HW_VIEW_CW,
                       .flags = HW_FAM_REPLACE},
    [ECS_F_CPU_UTIL] = {.name = "CpuUtilized",
                        .help = "CPU units used (1024 = one vCPU busy).",
                        .unit = "None",
                        .type = HW_GAUGE,
                        .views = HW_VIEW_CW,
                        .flags = HW_FAM_REPLACE},
    [ECS_F_CPU_RES] = {.name = "CpuReserved",
                       .help = "CPU units reserved by the task definition.",
                       .unit = "None",
                       .type = HW_GAUGE,
                       .views = HW_VIEW_CW,
                       .flags = HW_FAM_REPLACE},
    [ECS_F_NET_RX] = {.name = "NetworkRxBytes",
                      .help = "Bytes received per second.",
                      .unit = "Bytes/Second",
                      .type = HW_GAUGE,
                      .views = HW_VIEW_CW,
                      .flags = HW_FAM_REPLACE},
    [ECS_F_NET_TX] = {.name = "NetworkTxBytes",
                      .help = "Bytes sent per second.",
                      .unit = "Bytes/Second",
                      .type = HW_GAUGE,
                      .views = HW_VIEW_CW,
                      .flags = HW_FAM_REPLACE},
    [ECS_F_PCT] = {.name = "mem_used_percent",
                   .help = "mem_used as a percentage of mem_total.",
                   .unit = "Percent",
                   .type = HW_GAUGE,
                   .views = HW_VIEW_CW,
                   .flags = HW_FAM_REPLACE},
};

/* Rates of a container derived when its result was taken (-1: not known). */
struct ecs_rates {
    double cpu_units, rx, tx;
};

struct ecs_state {
    struct hw_registry *reg;
    char owner[128];
    int64_t interval_ns;
    int once, task_labels;
    struct ecs_fetch *fetch;
    struct ecs_result *cur, *next; /* the result published, the one being taken */
    int have_cur;
    int64_t cur_at_ns; /* monotonic time cur was taken */
    struct ecs_rates rates[ECS_MAX_CONTAINERS];
    char last_err[1000];                          /* logged once until it changes or clears */
    char missing[ECS_MAX_CONTAINERS][ECS_ID_MAX]; /* containers whose missing stats were logged */
    size_t nmissing;
    struct hw_family *fam[ECS_F_N];
};

static const struct hw_opt ecs_opts[] = {
    {.key = "endpoint",
     .type = HW_OPT_STRING,
     .def = "auto",
     .offset = offsetof(struct ecs_conf, endpoint),
     .help = "task metadata URI; auto: ECS_CONTAINER_METADATA_URI_V4"},
    {.key = "timeout",
     .type = HW_OPT_DURATION,
     .def = "2s",
     .offset = offsetof(struct ecs_conf, timeout_ns),
     .min = 1e8,
     .max = 60e9,
     .help = "time limit of each of the two requests"},
    {.key = "task_labels",
     .type = HW_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct ecs_conf, task_labels),
     .help = "add task_arn and cluster labels to the Prometheus series"},
    {.key = "optional",
     .type = HW_OPT_BOOL,
     .def = "false",
     .offset = offsetof(struct ecs_conf, optional),
     .help = "outside an ECS task stay idle instead of failing (one config for ECS and elsewhere)"},
    HW_OPT_END,
};

/* A configured endpoint is checked by `hostwatch check` already, not only when the agent starts. */
static int ecs_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct ecs_conf *c = conf;
    const char *why = NULL;
    char kp[300];
    if (!c->endpoint || strcmp(c->endpoint, "auto") == 0 || aws_url_allowed(c->endpoint, &why)) {
        return 0;
    }
    hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "endpoint"), "%s", why);
    return 1;
}

static void ecs_destroy(void *state)
{
    struct ecs_state *st = state;
    if (!st) {
        return;
    }
    ecs_fetch_free(st->fetch);
    free(st->cur);
    free(st->next);
    free(st);
}

static int ecs_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    const struct ecs_conf *c = conf;
    *state = NULL;
    const char *ep = c && c->endpoint ? c->endpoint : "auto";
    if (strcmp(ep, "auto") == 0) {
        ep = getenv("ECS_CONTAINER_METADATA_URI_V4");
    }
    const int idle = (!ep || !*ep) && c && c->optional;
    if (idle) {
        hw_info("ecs", "not in an ECS task: the collector stays idle",
                "instance=%s why=\"ECS_CONTAINER_METADATA_URI_V4 is not set\"", ctx->instance);
    } else if (!ep || !*ep) {
        hw_error("ecs", "no task metadata endpoint",
                 "instance=%s why=\"ECS_CONTAINER_METADATA_URI_V4 is not set: not in an ECS task "
                 "(or an ECS agent older than 1.39); set collectors.ecs.endpoint\"",
                 ctx->instance);
        return -EINVAL;
    }
    struct ecs_state *st = calloc(1, sizeof(*st));
    if (!st || !(st->cur = calloc(1, sizeof(*st->cur))) ||
        !(st->next = calloc(1, sizeof(*st->next)))) {
        ecs_destroy(st);
        return -ENOMEM;
    }
    st->reg = ctx->reg;
    snprintf(st->owner, sizeof(st->owner), "%s", ctx->instance ? ctx->instance : "");
    st->interval_ns = ctx->interval_ns;
    st->once = ctx->mode == HW_MODE_ONCE;
    st->task_labels = c ? c->task_labels : 0;
    char err[256];
    const long tmo = (long)((c ? c->timeout_ns : 2000000000) / 1000000);
    if (idle) {
        *state = st;
        return 0;
    }
    if (!(st->fetch = ecs_fetch_new(ep, tmo, !st->once, err, sizeof(err)))) {
        hw_error("ecs", "cannot start", "instance=%s error=\"%s\"", st->owner, err);
        ecs_destroy(st);
        return -EINVAL;
    }
    if (!st->once) {
        ecs_fetch_kick(st->fetch); /* the first result is ready for the next collection */
    }
    *state = st;
    return 0;
}

/* Logs msg once while it stays the same; "" clears it (and says so when one was logged). */
static void ecs_note(struct ecs_state *st, int warn, const char *msg)
{
    if (strcmp(st->last_err, msg) == 0) {
        return;
    }
    if (!*msg) {
        hw_info("ecs", "task metadata complete again", "instance=%s", st->owner);
    } else if (warn) {
        hw_warn("ecs", "task metadata incomplete", "instance=%s error=\"%s\"", st->owner, msg);
    } else {
        hw_error("ecs", "task metadata unavailable", "instance=%s error=\"%s\"", st->owner, msg);
    }
    snprintf(st->last_err, sizeof(st->last_err), "%s", msg);
}

/* Containers listed by /task without stats (stopped, or not started yet): once each. */
static void ecs_note_missing(struct ecs_state *st, const struct ecs_task *t)
{
    size_t kept = 0;
    char seen[ECS_MAX_CONTAINERS][ECS_ID_MAX];
    for (size_t i = 0; i < t->ncontainers; i++) {
        const struct ecs_container *c = &t->c[i];
        if (c->has_stats) {
            continue;
        }
        int known = 0;
        for (size_t j = 0; j < st->nmissing && !known; j++) {
            known = strcmp(st->missing[j], c->id) == 0;
        }
        if (!known) {
            hw_warn("ecs", "container without stats; its series are left out",
                    "instance=%s container_name=%s container_id=%s", st->owner, c->name,
                    c->short_id);
        }
        memcpy(seen[kept++], c->id, ECS_ID_MAX);
    }
    memcpy(st->missing, seen, kept * ECS_ID_MAX);
    st->nmissing = kept;
}

/* The rates of each container of n against the previous result (same container id), or from
 * the stats' own precpu sample when it has one. */
static void ecs_derive_rates(struct ecs_state *st, const struct ecs_result *n)
{
    for (size_t i = 0; i < n->task.ncontainers; i++) {
        const struct ecs_container *c = &n->task.c[i];
        const struct ecs_container *p = NULL;
        for (size_t j = 0; st->have_cur && j < st->cur->task.ncontainers && !p; j++) {
            const struct ecs_container *q = &st->cur->task.c[j];
            p = q->has_stats && strcmp(q->id, c->id) == 0 ? q : NULL;
        }
        struct ecs_rates *r = &st->rates[i];
        r->cpu_units = ecs_cpu_units(c->cpu_ns, c->precpu_ns, c->read_ns, c->preread_ns);
        if (r->cpu_units < 0 && p) {
            r->cpu_units = ecs_cpu_units(c->cpu_ns, p->cpu_ns, c->read_ns, p->read_ns);
        }
        r->rx = p && c->has_net ? ecs_rate(c->rx_bytes, p->rx_bytes, c->read_ns, p->read_ns) : -1;
        r->tx = p && c->has_net ? ecs_rate(c->tx_bytes, p->tx_bytes, c->read_ns, p->read_ns) : -1;
        if (!c->has_stats) {
            *r = (struct ecs_rates){-1, -1, -1};
        }
    }
}

/* Takes a new result when one is there; logs what it lacks. */
static void ecs_take(struct ecs_state *st)
{
    struct ecs_result *n = st->next;
    if (st->once) {
        ecs_fetch_now(st->fetch, n);
    } else if (!ecs_fetch_take(st->fetch, n)) {
        ecs_fetch_kick(st->fetch);
        return; /* the last fetch is still under way */
    }
    if (!st->once) {
        ecs_fetch_kick(st->fetch);
    }
    if (!n->task_ok) {
        ecs_note(st, 0, n->task_err);
        return;
    }
    if (!n->stats_ok && n->stats_status == 404) {
        char msg[1000];
        snprintf(msg, sizeof(msg), "%s (an ECS agent too old to serve task stats: limits only)",
                 n->stats_err);
        ecs_note(st, 1, msg);
    } else {
        ecs_note(st, 1, n->stats_ok ? "" : n->stats_err);
    }
    if (n->stats_ok) {
        ecs_note_missing(st, &n->task);
    }
    ecs_derive_rates(st, n);
    st->next = st->cur;
    st->cur = n;
    st->have_cur = 1;
    st->cur_at_ns = hw_now_mono_ns();
}

/* Sets one value of family f, creating the family on first use. */
static int ecs_set(struct ecs_state *st, int f, const struct hw_label *l, size_t n, double v)
{
    if (!st->fam[f] && !(st->fam[f] = hw_registry_family(st->reg, &ecs_descs[f], st->owner))) {
        return -1;
    }
    return hw_family_set(st->fam[f], l, n, v);
}

/* Appends the label when its value is known. */
static size_t ecs_label(struct hw_label *l, size_t n, const char *key, const char *value)
{
    if (value && *value && n < ECS_MAX_LABELS) {
        l[n++] = (struct hw_label){key, value};
    }
    return n;
}

/* The CloudWatch dimensions of the task (ContainerName added for a container). */
static size_t ecs_cw_labels(const struct ecs_task *t, const char *container, struct hw_label *l)
{
    size_t n = ecs_label(l, 0, "ClusterName", t->cluster_name);
    n = ecs_label(l, n, "TaskDefinitionFamily", t->family);
    n = ecs_label(l, n, "ServiceName", t->service);
    return ecs_label(l, n, "ContainerName", container);
}

/* The Prometheus labels of a container (NULL: the task). */
static size_t ecs_prom_labels(const struct ecs_state *st, const struct ecs_task *t,
                              const struct ecs_container *c, struct hw_label *l)
{
    size_t n = 0;
    if (c) {
        n = ecs_label(l, n, "container_name", c->name);
        n = ecs_label(l, n, "container_id", c->short_id);
    }
    if (st->task_labels) {
        n = ecs_label(l, n, "task_arn", t->task_arn);
        n = ecs_label(l, n, "cluster", t->cluster_name);
    }
    return n;
}

/* One container's series; the number of values that could not be set. */
static int ecs_publish_container(struct ecs_state *st, const struct ecs_task *t, size_t i)
{
    const struct ecs_container *c = &t->c[i];
    const struct ecs_rates *r = &st->rates[i];
    struct hw_label pl[ECS_MAX_LABELS], cl[ECS_MAX_LABELS];
    const size_t np = ecs_prom_labels(st, t, c, pl), nc = ecs_cw_labels(t, c->name, cl);
    int errs = 0;
    if (c->limit_mib > 0) {
        errs += ecs_set(st, ECS_F_MEM_RES, cl, nc, c->limit_mib) != 0;
    }
    if (c->cpu_units > 0) {
        errs += ecs_set(st, ECS_F_CPU_RES, cl, nc, c->cpu_units) != 0;
    }
    errs += ecs_set(st, ECS_F_LIMIT, pl, np, ecs_limit_bytes(c)) != 0;
    if (!c->has_stats) {
        return errs;
    }
    const double ws = (double)ecs_working_set(c);
    errs += ecs_set(st, ECS_F_WS, pl, np, ws) != 0;
    errs += ecs_set(st, ECS_F_USAGE, pl, np, (double)c->usage) != 0;
    errs += ecs_set(st, ECS_F_CPU, pl, np, (double)c->cpu_ns / 1e9) != 0;
    errs += ecs_set(st, ECS_F_MEM_UTIL, cl, nc, ws / ECS_MIB) != 0;
    if (r->cpu_units >= 0) {
        errs += ecs_set(st, ECS_F_CPU_UTIL, cl, nc, r->cpu_units) != 0;
    }
    if (c->has_net) {
        errs += ecs_set(st, ECS_F_RX, pl, np, (double)c->rx_bytes) != 0;
        errs += ecs_set(st, ECS_F_TX, pl, np, (double)c->tx_bytes) != 0;
    }
    if (r->rx >= 0 && r->tx >= 0) {
        errs += ecs_set(st, ECS_F_NET_RX, cl, nc, r->rx) != 0;
        errs += ecs_set(st, ECS_F_NET_TX, cl, nc, r->tx) != 0;
    }
    return errs;
}

/* The task's CPU units and network rates from its containers' (-1 where none is known). */
static struct ecs_rates ecs_task_rates(const struct ecs_state *st, const struct ecs_task *t)
{
    struct ecs_rates s = {-1, -1, -1};
    for (size_t i = 0; i < t->ncontainers; i++) {
        const struct ecs_rates *r = &st->rates[i];
        if (r->cpu_units >= 0) {
            s.cpu_units = (s.cpu_units < 0 ? 0 : s.cpu_units) + r->cpu_units;
        }
        if (r->rx >= 0 && r->tx >= 0) {
            /* awsvpc: one namespace seen by every container; count it once. */
            const int first = s.rx < 0;
            s.rx = first ? r->rx : (t->awsvpc ? (r->rx > s.rx ? r->rx : s.rx) : s.rx + r->rx);
            s.tx = first ? r->tx : (t->awsvpc ? (r->tx > s.tx ? r->tx : s.tx) : s.tx + r->tx);
        }
    }
    return s;
}

/* The task's series; the number of values that could not be set. */
static int ecs_publish_task(struct ecs_state *st, const struct ecs_task *t)
{
    struct ecs_task_sum s;
    ecs_task_sum(t, &s);
    const struct ecs_rates r = ecs_task_rates(st, t);
    struct hw_label pl[ECS_MAX_LABELS], cl[ECS_MAX_LABELS];
    const size_t np = ecs_prom_labels(st, t, NULL, pl), nc = ecs_cw_labels(t, NULL, cl);
    int errs = ecs_set(st, ECS_F_LIMIT, pl, np, s.limit) != 0;
    if (s.reserved_mib > 0) {
        errs += ecs_set(st, ECS_F_MEM_RES, cl, nc, s.reserved_mib) != 0;
    }
    if (s.cpu_reserved > 0) {
        errs += ecs_set(st, ECS_F_CPU_RES, cl, nc, s.cpu_reserved) != 0;
    }
    if (s.nstats == 0) {
        return errs;
    }
    errs += ecs_set(st, ECS_F_WS, pl, np, s.working_set) != 0;
    errs += ecs_set(st, ECS_F_USAGE, pl, np, s.usage) != 0;
    errs += ecs_set(st, ECS_F_CPU, pl, np, s.cpu_seconds) != 0;
    errs += ecs_set(st, ECS_F_MEM_UTIL, cl, nc, s.working_set / ECS_MIB) != 0;
    if (s.limit > 0) {
        errs += ecs_set(st, ECS_F_PCT, cl, nc, 100.0 * s.working_set / s.limit) != 0;
    }
    if (r.cpu_units >= 0) {
        errs += ecs_set(st, ECS_F_CPU_UTIL, cl, nc, r.cpu_units) != 0;
    }
    if (s.has_net) {
        errs += ecs_set(st, ECS_F_RX, pl, np, s.rx_bytes) != 0;
        errs += ecs_set(st, ECS_F_TX, pl, np, s.tx_bytes) != 0;
    }
    if (r.rx >= 0) {
        errs += ecs_set(st, ECS_F_NET_RX, cl, nc, r.rx) != 0;
        errs += ecs_set(st, ECS_F_NET_TX, cl, nc, r.tx) != 0;
    }
    return errs;
}

/* Publishes the last complete result while it is recent; a result too old is not published,
 * so the sweep after this collection removes its series instead of leaving them stale. */
static int ecs_collect(void *state)
{
    struct ecs_state *st = state;
    if (!st->fetch) {
        return 0; /* optional, and not in an ECS task */
    }
    ecs_take(st);
    const int64_t age = hw_now_mono_ns() - st->cur_at_ns;
    if (!st->have_cur || (!st->once && age > ECS_STALE_INTERVALS * st->interval_ns)) {
        return 0;
    }
    const struct ecs_task *t = &st->cur->task;
    int errs = 0;
    for (size_t i = 0; i < t->ncontainers; i++) {
        errs += ecs_publish_container(st, t, i);
    }
    errs += ecs_publish_task(st, t);
    return errs == 0 ? 0 : -ENOMEM;
}

const struct hw_collector hw_collector_ecs = {
    .name = "ecs",
    .help = "memory, CPU and network of the ECS task and its containers (task metadata v4)",
    .opts = ecs_opts,
    .conf_size = sizeof(struct ecs_conf),
    .multi = 0,
    .validate = ecs_validate,
    .create = ecs_create,
    .collect = ecs_collect,
    .destroy = ecs_destroy,
};
