/* The agent's lifecycle: build every plugin instance from a config, schedule collectors on
 * the loop, publish snapshots, reload on SIGHUP, shut down cleanly on SIGTERM/SIGINT. */
#ifndef HW_AGENT_H
#define HW_AGENT_H

#include <stddef.h>

#include "config.h"
#include "loop.h"
#include "registry.h"

struct hw_selfmetrics;

struct hw_inst {
    struct hw_inst_conf *ic; /* points into the agent's current config */
    void *state;
    struct hw_watch *timer;
    struct hw_agent *agent;
    int ran;     /* collectors: has collected at least once */
    int failing; /* collectors: the latest collection failed (logged once per episode) */
    int started; /* exporters */
};

struct hw_agent {
    char *config_path;
    struct hw_config *cfg;
    struct hw_registry *reg;
    struct hw_loop *loop;
    struct hw_selfmetrics *self;
    struct hw_paths paths; /* strings owned by cfg */
    struct hw_inst *insts; /* cfg->ncollectors collectors, then exporters */
    size_t ninsts;
    int ready;
};

/* Loads the config and creates every collector (and exporters when with_exporters). Errors
 * are printed; returns NULL when the agent cannot start. */
struct hw_agent *hw_agent_new(const char *config_path, int with_exporters);
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
