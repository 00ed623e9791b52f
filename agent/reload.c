/* SIGHUP: build the complete new set beside the running one and swap only when every step
 * succeeded. Unchanged instances carry over with their state; families belong to instance
 * names, so a changed instance keeps its counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "diag.h"
#include "log.h"
#include "selfmetrics.h"

static int same_paths(const struct hw_config *x, const struct hw_config *y)
{
    return strcmp(x->agent.procfs, y->agent.procfs) == 0 &&
           strcmp(x->agent.sysfs, y->agent.sysfs) == 0 &&
           strcmp(x->agent.rootfs, y->agent.rootfs) == 0 &&
           x->agent.interval_ns == y->agent.interval_ns;
}

static int same_plugin(const struct hw_inst_conf *x, const struct hw_inst_conf *y)
{
    return x->col == y->col && x->exp == y->exp && strcmp(x->name, y->name) == 0;
}

/* The old instance that new instance `ic` can reuse as it is, or NULL. */
static struct hw_inst *find_unchanged(struct hw_agent *a, const struct hw_inst_conf *ic,
                                      int paths_same, const unsigned char *taken)
{
    for (size_t j = 0; j < a->ninsts; j++) {
        struct hw_inst *old = &a->insts[j];
        if (taken[j] || !old->state || !same_plugin(old->ic, ic) ||
            !json_equal(old->ic->json, ic->json) || (ic->col && !paths_same) ||
            old->ic->common.enabled != ic->common.enabled) {
            continue;
        }
        if (old->ic->exp && old->ic->exp->inputs_changed &&
            old->ic->exp->inputs_changed(old->state)) {
            continue;
        }
        return old;
    }
    return NULL;
}

struct reload {
    struct hw_config *cfg;
    struct hw_inst *insts;
    size_t n;
    size_t *reused;        /* per new instance: 1 + index of the old instance it reuses */
    unsigned char *taken;  /* per old instance: carried over into the new set */
    struct hw_paths paths;
};

static void reload_abort(struct hw_agent *a, struct reload *r)
{
    for (size_t i = 0; r->insts && i < r->n; i++) {
        struct hw_inst *in = &r->insts[i];
        if (r->reused[i]) {
            struct hw_inst_conf *old_ic = a->insts[r->reused[i] - 1].ic;
            void *tmp = in->ic->conf; /* give the running instance its options back */
            in->ic->conf = old_ic->conf;
            old_ic->conf = tmp;
            continue;
        }
        if (!in->state) {
            continue;
        }
        if (in->ic->exp) {
            if (in->started) {
                in->ic->exp->stop(in->state);
            }
            in->ic->exp->destroy(in->state);
        } else {
            in->ic->col->destroy(in->state);
        }
    }
    /* Old exporters stopped to free their ports start again. */
    for (size_t j = 0; j < a->ninsts; j++) {
        struct hw_inst *old = &a->insts[j];
        if (old->ic->exp && old->state && !old->started && old->ic->exp->start &&
            old->ic->exp->start(old->state) == 0) {
            old->started = 1;
        }
    }
    free(r->insts);
    free(r->reused);
    free(r->taken);
    hw_config_free(r->cfg);
}

/* A changed instance resumes where its predecessor of the same name is now: a collector's
 * positions and values, an exporter's committed baselines (it has stopped, so its last flush
 * is included) are handed over in memory, so a reload neither loses nor repeats anything. */
static void reload_handover(struct hw_agent *a, const struct reload *r, struct hw_inst *in)
{
    int (*restore)(void *, const json_t *, const char **) =
        in->ic->col ? in->ic->col->restore : in->ic->exp->restore;
    for (size_t j = 0; restore && j < a->ninsts; j++) {
        const struct hw_inst *old = &a->insts[j];
        if (r->taken[j] || !old->state || old->ic->col != in->ic->col ||
            old->ic->exp != in->ic->exp || strcmp(old->ic->name, in->ic->name) != 0) {
            continue;
        }
        json_t *(*checkpoint)(void *) =
            old->ic->col ? old->ic->col->checkpoint : old->ic->exp->checkpoint;
        json_t *c = checkpoint ? checkpoint(old->state) : NULL;
        const char *why = "";
        if (c && restore(in->state, c, &why) != 0) {
            hw_warn("agent", "reload: state not handed over", "instance=%s reason=\"%s\"",
                    in->ic->name, why);
        }
        json_decref(c);
        return;
    }
}

/* Creates (or carries over) every instance of the new config. */
static int reload_build(struct hw_agent *a, struct reload *r)
{
    int paths_same = same_paths(a->cfg, r->cfg);
    for (size_t i = 0; i < r->n; i++) {
        struct hw_inst *in = &r->insts[i];
        in->ic = &r->cfg->insts[i];
        in->agent = a;
        struct hw_inst *old = find_unchanged(a, in->ic, paths_same, r->taken);
        if (old) {
            /* Equal JSON means equal parsed options: keep the old struct the state points
             * into, and let the old config free the new copy. */
            void *tmp = in->ic->conf;
            in->ic->conf = old->ic->conf;
            old->ic->conf = tmp;
            in->state = old->state;
            in->started = old->started;
            in->ran = old->ran;
            in->runs = old->runs;
            r->reused[i] = (size_t)(old - a->insts) + 1;
            r->taken[old - a->insts] = 1;
            continue;
        }
        if (!in->ic->common.enabled) {
            in->ran = 1;
            continue;
        }
        if (hw_agent_create_inst(a, in, r->cfg, &r->paths) != 0) {
            return -1;
        }
        if (in->ic->col) {
            reload_handover(a, r, in);
        }
    }
    return 0;
}

/* Stops replaced exporters (freeing their ports), then starts the new ones. */
static int reload_start(struct hw_agent *a, struct reload *r)
{
    for (size_t j = 0; j < a->ninsts; j++) {
        struct hw_inst *old = &a->insts[j];
        if (!r->taken[j] && old->ic->exp && old->started) {
            old->ic->exp->stop(old->state);
            old->started = 0;
        }
    }
    for (size_t i = r->cfg->ncollectors; i < r->n; i++) {
        if (!r->reused[i] && r->insts[i].state) {
            reload_handover(a, r, &r->insts[i]);
        }
    }
    for (size_t i = r->cfg->ncollectors; i < r->n; i++) {
        struct hw_inst *in = &r->insts[i];
        if (r->reused[i] || !in->state || !in->ic->exp->start) {
            in->started = in->state != NULL;
            continue;
        }
        if (in->ic->exp->start(in->state) != 0) {
            hw_error("agent", "reload: exporter cannot start", "path=%s", in->ic->path);
            return -1;
        }
        in->started = 1;
    }
    return 0;
}

static int name_in_new_set(const struct reload *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->insts[i].state && strcmp(r->insts[i].ic->name, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static void reload_commit(struct hw_agent *a, struct reload *r)
{
    for (size_t j = 0; j < a->ninsts; j++) {
        struct hw_inst *old = &a->insts[j];
        if (old->timer) {
            hw_loop_remove(a->loop, old->timer);
            old->timer = NULL;
        }
        if (!r->taken[j] && old->state) {
            /* A changed instance keeps its name, and so its families and counters. */
            if (!name_in_new_set(r, old->ic->name)) {
                hw_registry_drop_owner(a->reg, old->ic->name);
            }
            if (old->ic->exp) {
                old->ic->exp->destroy(old->state);
            } else {
                old->ic->col->destroy(old->state);
            }
        }
    }
    free(a->insts);
    hw_config_free(a->cfg);
    a->cfg = r->cfg;
    a->insts = r->insts;
    a->ninsts = r->n;
    a->paths = r->paths;
    a->ready = -1; /* forces exporters to be told again */
    hw_agent_rearm(a, r->reused);
    free(r->reused);
    free(r->taken);
}

int hw_agent_reload(struct hw_agent *a)
{
    struct hw_diag d;
    hw_diag_init(&d, a->config_path);
    struct reload r = {0};
    r.cfg = hw_config_load(a->config_path, &d);
    a->last_reload_ms = hw_now_wall_ms();
    a->last_reload_ok = 0;
    snprintf(a->last_reload_error, sizeof(a->last_reload_error), "%s",
             d.n ? d.msgs[0] : "the new instances could not be created or started");
    if (!r.cfg) {
        a->reloads_failed++;
        for (size_t i = 0; i < d.n; i++) {
            hw_error("config", d.msgs[i], "%s", "");
        }
        hw_diag_free(&d);
        hw_error("agent", "reload rejected; the running configuration stays", "file=%s",
                 a->config_path);
        hw_selfmetrics_reloaded(a->self, 0);
        return -1;
    }
    hw_diag_free(&d);
    r.n = r.cfg->ncollectors + r.cfg->nexporters;
    r.insts = calloc(r.n ? r.n : 1, sizeof(*r.insts));
    r.reused = calloc(r.n ? r.n : 1, sizeof(*r.reused));
    r.taken = calloc(a->ninsts ? a->ninsts : 1, 1);
    r.paths = (struct hw_paths){r.cfg->agent.procfs, r.cfg->agent.sysfs, r.cfg->agent.rootfs};
    if (!r.insts || !r.reused || !r.taken || reload_build(a, &r) != 0 ||
        reload_start(a, &r) != 0) {
        reload_abort(a, &r);
        a->reloads_failed++;
        hw_error("agent", "reload rejected; the running configuration stays", "file=%s",
                 a->config_path);
        hw_selfmetrics_reloaded(a->self, 0);
        return -1;
    }
    reload_commit(a, &r);
    if (hw_health_set(a->health, &a->cfg->health) != 0) {
        hw_error("agent", "reload: health rules not replaced (out of memory)", "%s", "");
    }
    hw_log_set_level((enum hw_log_level)a->cfg->agent.log_level);
    hw_selfmetrics_reloaded(a->self, 1);
    a->reloads_ok++;
    a->last_reload_ok = 1;
    a->loaded_ms = a->last_reload_ms;
    a->last_reload_error[0] = '\0';
    hw_info("agent", "configuration reloaded", "file=%s", a->config_path);
    return 0;
}
