/* The agent's lifecycle: build every plugin instance from a config, schedule collectors on
 * the loop, publish snapshots, reload on SIGHUP, shut down cleanly on SIGTERM/SIGINT. */
#ifndef HW_AGENT_H
#define HW_AGENT_H

#include <stddef.h>

#include "config.h"
#include "loop.h"
#include "registry.h"

struct hw_selfmetrics;

/* A collector instance's runs, for the status document (kept across a reload). */
struct hw_inst_runs {
    uint64_t collections, errors;
    int64_t last_dur_ns, last_run_ms;
};

struct hw_inst {
    struct hw_inst_conf *ic; /* points into the agent's current config */
    void *state;
    struct hw_watch *timer;
    struct hw_agent *agent;
    int ran;     /* collectors: has collected at least once */
    int failing; /* collectors: the latest collection failed (logged once per episode) */
    int started; /* exporters */
    struct hw_inst_runs runs; /* collectors */
};

#define HW_PUBLISH_MIN_NS 5000000 /* at most one event-driven publish per 5 ms */

struct hw_agent {
    enum hw_mode mode;
    char *config_path;
    struct hw_config *cfg;
    struct hw_registry *reg;
    struct hw_loop *loop;
    struct hw_selfmetrics *self;
    struct hw_health *health;
    struct hw_paths paths; /* strings owned by cfg */
    struct hw_inst *insts; /* cfg->ncollectors collectors, then exporters */
    size_t ninsts;
    int ready;
    int sd_ready; /* READY=1 was sent to systemd */
    struct hw_watch *wd_timer; /* WATCHDOG=1 to systemd (WatchdogSec=) */
    struct hw_watch *publish_timer; /* coalesces event-driven publishes */
    int publish_pending;
    int64_t last_publish_ns;
    struct hw_watch *ckpt_timer;
    struct hw_watch *ckpt_now; /* one-shot: a checkpoint a plugin asked for */
    int ckpt_failing; /* the last checkpoint failed (logged once per episode) */
    json_t *ckpt_written; /* the document the state file holds: the same one is not rewritten */
    /* the status document (GET /status) and what it says of the agent itself */
    struct hw_status *status;
    struct hw_watch *status_timer;
    int64_t started_ms, loaded_ms, last_reload_ms;
    uint64_t reloads_ok, reloads_failed;
    int last_reload_ok; /* -1 none yet */
    char last_reload_error[512];
};

/* Builds the status document of the running agent into a->status (agent/status_doc.c). */
void hw_agent_status_build(struct hw_agent *a);

/* Loads the config and creates every collector; in HW_MODE_RUN also the exporters, and it
 * restores checkpoints. Errors are printed; returns NULL when the agent cannot start. */
struct hw_agent *hw_agent_new(const char *config_path, enum hw_mode mode);
int hw_agent_create_inst(struct hw_agent *a, struct hw_inst *in, const struct hw_config *cfg,
                         const struct hw_paths *paths);
int64_t hw_inst_interval(const struct hw_config *cfg, const struct hw_inst_conf *ic);

/* Checkpoints (agent/checkpoint.c). */
void hw_agent_restore_all(struct hw_agent *a);
int hw_agent_checkpoint_all(struct hw_agent *a);
/* "<plugin>:<instance>", the key of an instance in the state file. */
const char *hw_inst_key(const struct hw_inst_conf *ic, char *buf, size_t len);
void hw_agent_free(struct hw_agent *a);
/* Runs one collection of collector instance i and publishes a snapshot. */
void hw_agent_collect(struct hw_agent *a, size_t i);
/* Runs the loop until SIGTERM/SIGINT; returns the process exit code. */
int hw_agent_run(struct hw_agent *a);
/* Re-reads the config file; on any error keeps the running set. 0 or -1. */
int hw_agent_reload(struct hw_agent *a);

/* Schedules every collector after a reload: carried-over ones (reused[i] != 0) after one
 * interval, new ones at once. */
void hw_agent_rearm(struct hw_agent *a, const size_t *reused);

/* Prints every diagnostic to stderr, one per line. */
struct hw_diag;
void hw_agent_print_diag(const struct hw_diag *d);

#endif
