#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"
#include "sdnotify.h"
#include "selfmetrics.h"
#include "status.h"

void hw_agent_print_diag(const struct hw_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        fprintf(stderr, "%s\n", d->msgs[i]);
    }
}

int64_t hw_inst_interval(const struct hw_config *cfg, const struct hw_inst_conf *ic)
{
    if (ic->common.interval_ns) {
        return ic->common.interval_ns;
    }
    if (ic->col && ic->col->default_interval_ns) {
        return ic->col->default_interval_ns;
    }
    return cfg->agent.interval_ns;
}

static int64_t inst_interval(const struct hw_agent *a, const struct hw_inst *in)
{
    return hw_inst_interval(a->cfg, in->ic);
}

static void request_publish(void *core);
static void request_checkpoint(void *core);
static void checkpoint_due(void *arg, uint32_t events);

static void set_paths(struct hw_paths *p, const struct hw_config *cfg)
{
    p->procfs = cfg->agent.procfs;
    p->sysfs = cfg->agent.sysfs;
    p->rootfs = cfg->agent.rootfs;
}

/* Creates the plugin state of one instance of cfg; it keeps pointers into in->ic->conf. */
int hw_agent_create_inst(struct hw_agent *a, struct hw_inst *in, const struct hw_config *cfg,
                         const struct hw_paths *paths)
{
    struct hw_ctx ctx = {.reg = a->reg,
                         .paths = paths,
                         .loop = a->loop,
                         .instance = in->ic->name,
                         .interval_ns = in->ic->col ? hw_inst_interval(cfg, in->ic)
                                                    : cfg->agent.interval_ns,
                         .state_dir = cfg->agent.state_dir,
                         .mode = a->mode,
                         .request_publish = request_publish,
                         .request_checkpoint = request_checkpoint,
                         .core = a,
                         .health = a->health,
                         .status = a->status};
    int rc = in->ic->col ? in->ic->col->create(in->ic->conf, &ctx, &in->state)
                         : in->ic->exp->create(in->ic->conf, &ctx, &in->state);
    if (rc != 0) {
        hw_error("agent", "cannot create plugin instance", "instance=%s path=%s",
                 in->ic->name, in->ic->path);
        in->state = NULL;
        return -1;
    }
    return 0;
}

static void inst_destroy(struct hw_agent *a, struct hw_inst *in)
{
    if (in->timer) {
        hw_loop_remove(a->loop, in->timer);
        in->timer = NULL;
    }
    if (!in->state) {
        return;
    }
    if (in->ic->exp) {
        if (in->started && in->ic->exp->stop) {
            in->ic->exp->stop(in->state);
        }
        in->ic->exp->destroy(in->state);
    } else {
        in->ic->col->destroy(in->state);
    }
    in->state = NULL;
}

static void collector_due(void *arg, uint32_t events)
{
    struct hw_inst *in = arg;
    (void)events;
    hw_agent_collect(in->agent, (size_t)(in - in->agent->insts));
}

/* systemd is told when the first collection is in (readiness), around reloads and at stop. */
static void tell_systemd(const char *state)
{
    int rc = strcmp(state, "RELOADING=1") == 0 ? hw_sd_notify_reloading() : hw_sd_notify(state);
    if (rc != 0) {
        hw_warn("agent", "cannot notify systemd", "state=%s error=\"%s\"", state, strerror(-rc));
    }
}

static void update_ready(struct hw_agent *a)
{
    int ready = 1;
    for (size_t i = 0; i < a->cfg->ncollectors; i++) {
        ready &= a->insts[i].ran;
    }
    if (ready == a->ready) {
        return;
    }
    a->ready = ready;
    if (ready == 1 && !a->sd_ready) {
        a->sd_ready = 1;
        tell_systemd("READY=1");
    }
    for (size_t i = a->cfg->ncollectors; i < a->ninsts; i++) {
        struct hw_inst *in = &a->insts[i];
        if (in->state && in->ic->exp->set_ready) {
            in->ic->exp->set_ready(in->state, ready);
        }
    }
}

static void publish(struct hw_agent *a)
{
    a->last_publish_ns = hw_now_mono_ns();
    for (size_t i = a->cfg->ncollectors; i < a->ninsts; i++) {
        struct hw_inst *in = &a->insts[i];
        if (in->state && in->ic->exp->report) {
            in->ic->exp->report(in->state, a->reg);
        }
    }
    if (hw_registry_publish(a->reg) != 0) {
        hw_error("agent", "cannot publish a snapshot (out of memory)", "%s", "");
        return;
    }
    const struct hw_snapshot *snap = hw_registry_acquire(a->reg);
    for (size_t i = a->cfg->ncollectors; i < a->ninsts && snap; i++) {
        struct hw_inst *in = &a->insts[i];
        if (in->state && in->started && in->ic->exp->flush) {
            in->ic->exp->flush(in->state, snap);
        }
    }
    hw_snapshot_release(snap);
}

static void publish_due(void *arg, uint32_t events)
{
    struct hw_agent *a = arg;
    (void)events;
    a->publish_pending = 0;
    publish(a);
}

/* Events (new log lines) ask for a publish; bursts are coalesced into one every few ms. */
static void request_publish(void *core)
{
    struct hw_agent *a = core;
    if (a->publish_pending) {
        return;
    }
    int64_t since = hw_now_mono_ns() - a->last_publish_ns;
    if (!a->publish_timer || since >= HW_PUBLISH_MIN_NS) {
        publish(a);
        return;
    }
    a->publish_pending = hw_loop_arm(a->publish_timer, HW_PUBLISH_MIN_NS - since) == 0;
}

void hw_agent_collect(struct hw_agent *a, size_t i)
{
    struct hw_inst *in = &a->insts[i];
    int64_t t0 = hw_now_mono_ns();
    const int64_t wall0 = hw_now_wall_ms();
    hw_registry_begin(a->reg, in->ic->name);
    int rc = in->ic->col->collect(in->state);
    if (rc == 0) {
        /* A failed collection keeps the last known series rather than emptying them. */
        hw_registry_sweep(a->reg, in->ic->name);
        if (!in->ic->col->event_driven) {
            hw_registry_stamp(a->reg, in->ic->name, wall0);
        }
    }
    int64_t dur = hw_now_mono_ns() - t0;
    in->runs.collections++;
    in->runs.errors += rc != 0;
    in->runs.last_dur_ns = dur;
    in->runs.last_run_ms = wall0;
    if (a->self) {
        hw_selfmetrics_collected(a->self, in->ic->name, dur, rc != 0);
    }
    if (rc != 0 && !in->failing) {
        hw_error("agent", "collection failed", "collector=%s error=\"%s\"", in->ic->name,
                 strerror(rc < 0 ? -rc : rc));
    } else if (rc == 0 && in->failing) {
        hw_info("agent", "collection recovered", "collector=%s", in->ic->name);
    }
    in->failing = rc != 0;
    if (dur > inst_interval(a, in)) {
        hw_warn("agent", "collection slower than its interval", "collector=%s seconds=%.3f",
                in->ic->name, (double)dur / 1e9);
    }
    in->ran = 1;
    publish(a);
    update_ready(a);
}

static int schedule(struct hw_agent *a, struct hw_inst *in, int64_t first_ns)
{
    in->agent = a;
    in->timer = hw_loop_add_timer(a->loop, inst_interval(a, in), first_ns, collector_due, in);
    if (!in->timer) {
        hw_error("agent", "cannot create a timer", "collector=%s", in->ic->name);
        return -1;
    }
    return 0;
}

void hw_agent_rearm(struct hw_agent *a, const size_t *reused)
{
    for (size_t i = 0; i < a->cfg->ncollectors; i++) {
        struct hw_inst *in = &a->insts[i];
        if (!in->state) {
            in->ran = 1;
            continue;
        }
        if (schedule(a, in, reused[i] ? inst_interval(a, in) : 0) != 0) {
            in->ran = 1; /* logged; do not hold readiness back forever */
        }
    }
    update_ready(a);
}

/* Creates every instance of cfg into a fresh array; on failure none is left and *n is 0, so
 * the agent is freed without touching the array. */
static struct hw_inst *instantiate(struct hw_agent *a, struct hw_config *cfg, int with_exporters,
                                   size_t *n)
{
    const size_t want = cfg->ncollectors + (with_exporters ? cfg->nexporters : 0);
    struct hw_inst *insts = calloc(want ? want : 1, sizeof(*insts));
    *n = 0;
    if (!insts) {
        return NULL;
    }
    for (size_t i = 0; i < want; i++) {
        insts[i].ic = &cfg->insts[i];
        insts[i].agent = a;
        if (insts[i].ic->common.enabled &&
            hw_agent_create_inst(a, &insts[i], cfg, &a->paths) != 0) {
            for (size_t j = 0; j < i; j++) {
                inst_destroy(a, &insts[j]);
            }
            free(insts);
            return NULL;
        }
    }
    *n = want;
    return insts;
}

static void status_due(void *arg, uint32_t events)
{
    (void)events;
    hw_agent_status_build(arg);
}

struct hw_agent *hw_agent_new(const char *config_path, enum hw_mode mode)
{
    int with_exporters = mode == HW_MODE_RUN;
    struct hw_diag d;
    hw_diag_init(&d, config_path);
    struct hw_agent *a = calloc(1, sizeof(*a));
    if (!a || !(a->config_path = strdup(config_path))) {
        free(a);
        return NULL;
    }
    a->mode = mode;
    a->started_ms = a->loaded_ms = hw_now_wall_ms();
    a->last_reload_ok = -1;
    a->cfg = hw_config_load(config_path, &d);
    if (!a->cfg) {
        hw_agent_print_diag(&d);
        hw_diag_free(&d);
        hw_agent_free(a);
        return NULL;
    }
    hw_diag_free(&d);
    hw_log_set_level((enum hw_log_level)a->cfg->agent.log_level);
    set_paths(&a->paths, a->cfg);
    a->reg = hw_registry_new();
    a->loop = hw_loop_new();
    a->health = hw_health_new();
    a->status = mode == HW_MODE_RUN ? hw_status_new() : NULL;
    if (!a->reg || !a->loop || !a->health || (mode == HW_MODE_RUN && !a->status) || hw_health_set(a->health, &a->cfg->health) != 0 ||
        !(a->self = hw_selfmetrics_new(a->reg))) {
        hw_error("agent", "out of memory", "%s", "");
        hw_agent_free(a);
        return NULL;
    }
    a->insts = instantiate(a, a->cfg, with_exporters, &a->ninsts);
    if (!a->insts) {
        hw_agent_free(a);
        return NULL;
    }
    if (mode == HW_MODE_RUN) {
        /* about once a second: fresh enough for a person, cheap for the loop */
        a->status_timer = hw_loop_add_timer(a->loop, 1000000000, 0, status_due, a);
        a->publish_timer = hw_loop_add_oneshot(a->loop, publish_due, a);
        a->ckpt_now = hw_loop_add_oneshot(a->loop, checkpoint_due, a);
        hw_agent_restore_all(a);
    }
    return a;
}

void hw_agent_free(struct hw_agent *a)
{
    if (!a) {
        return;
    }
    /* Exporters first (they read snapshots), then collectors, in reverse order. */
    for (size_t i = a->ninsts; i-- > 0;) {
        inst_destroy(a, &a->insts[i]);
    }
    free(a->insts);
    if (a->publish_timer) {
        hw_loop_remove(a->loop, a->publish_timer);
    }
    if (a->ckpt_timer) {
        hw_loop_remove(a->loop, a->ckpt_timer);
    }
    if (a->ckpt_now) {
        hw_loop_remove(a->loop, a->ckpt_now);
    }
    if (a->wd_timer) {
        hw_loop_remove(a->loop, a->wd_timer);
    }
    if (a->status_timer) {
        hw_loop_remove(a->loop, a->status_timer);
    }
    hw_status_free(a->status);
    json_decref(a->ckpt_written);
    hw_selfmetrics_free(a->self);
    hw_health_free(a->health);
    hw_registry_free(a->reg);
    hw_loop_free(a->loop);
    hw_config_free(a->cfg);
    free(a->config_path);
    free(a);
}

static void on_signal(void *arg, int signo)
{
    struct hw_agent *a = arg;
    if (signo == SIGHUP) {
        hw_info("agent", "reloading configuration", "file=%s", a->config_path);
        if (a->sd_ready) {
            tell_systemd("RELOADING=1");
        }
        (void)hw_agent_reload(a);
        if (a->sd_ready) {
            tell_systemd("READY=1");
        }
        return;
    }
    hw_info("agent", "shutting down", "signal=%s", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    tell_systemd("STOPPING=1");
    hw_loop_stop(a->loop);
}

/* The ping comes from the loop thread, so a loop stuck in a collection misses it. */
static void watchdog_due(void *arg, uint32_t events)
{
    (void)arg;
    (void)events;
    tell_systemd("WATCHDOG=1");
}

static void checkpoint_due(void *arg, uint32_t events)
{
    (void)events;
    (void)hw_agent_checkpoint_all(arg);
}

/* Any thread: arming a timerfd is one system call, and the write happens on the loop thread. */
static void request_checkpoint(void *core)
{
    struct hw_agent *a = core;
    if (a->ckpt_now) {
        (void)hw_loop_arm(a->ckpt_now, 1);
    }
}

static int start_exporter(struct hw_inst *in)
{
    if (!in->state || in->started) {
        return 0;
    }
    if (in->ic->exp->start && in->ic->exp->start(in->state) != 0) {
        return -1;
    }
    in->started = 1;
    return 0;
}

int hw_agent_run(struct hw_agent *a)
{
    if (hw_loop_signals(a->loop, on_signal, a) != 0) {
        hw_error("agent", "cannot set up signal handling", "%s", "");
        return 1;
    }
    for (size_t i = a->cfg->ncollectors; i < a->ninsts; i++) {
        if (start_exporter(&a->insts[i]) != 0) {
            return 1;
        }
    }
    for (size_t i = 0; i < a->cfg->ncollectors; i++) {
        if (a->insts[i].state && schedule(a, &a->insts[i], 0) != 0) {
            return 1;
        }
        if (!a->insts[i].state) {
            a->insts[i].ran = 1; /* disabled: nothing to wait for */
        }
    }
    a->ckpt_timer = hw_loop_add_timer(a->loop, a->cfg->agent.checkpoint_interval_ns,
                                      a->cfg->agent.checkpoint_interval_ns, checkpoint_due, a);
    publish(a);
    update_ready(a); /* every collector disabled: ready at once */
    int64_t wd = hw_sd_watchdog_interval_ns();
    if (wd > 0 && !(a->wd_timer = hw_loop_add_timer(a->loop, wd, wd, watchdog_due, a))) {
        hw_error("agent", "cannot create the watchdog timer", "%s", "");
        return 1;
    }
    hw_info("agent", "started", "config=%s collectors=%zu exporters=%zu", a->config_path,
            a->cfg->ncollectors, a->ninsts - a->cfg->ncollectors);
    int rc = hw_loop_run(a->loop);
    for (size_t i = a->ninsts; i-- > a->cfg->ncollectors;) {
        struct hw_inst *in = &a->insts[i];
        if (in->started && in->ic->exp->stop) {
            in->ic->exp->stop(in->state);
            in->started = 0;
        }
    }
    /* Exporters have flushed; the final checkpoint makes a SIGTERM restart exact. */
    if (hw_agent_checkpoint_all(a) != 0) {
        rc = -1;
    }
    return rc == 0 ? 0 : 1;
}
