/* The narrow interface between the core and its plugins. A plugin is one const descriptor
 * (struct hw_collector or struct hw_exporter) listed once in agent/cli/plugins.c; behind it a
 * folder of files (collectors/memory/, exporters/cloudwatch/ and its dozen files), and modules it
 * shares with others (collectors/tail/, exporters/aws/, net/, push/). The core and the
 * subcommands above it (agent/cli/) call a plugin only through these slots and never include a
 * plugin's headers: what `once`, `test-filter`, `hash-password` or `check --cost` need is a slot
 * of its own (print, test_filters, hash_password, cost, series_bounds). */
#ifndef HW_PLUGIN_H
#define HW_PLUGIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "opt.h"
#include "registry.h"

struct hw_diag;
struct hw_health;
struct hw_loop;
struct hw_status;

/* Where the host's filesystems are seen from (a container points these at bind mounts). */
struct hw_paths {
    const char *procfs; /* "/proc" or e.g. "/host/proc" */
    const char *sysfs;  /* "/sys" */
    const char *rootfs; /* "/" or e.g. "/rootfs" */
};

enum hw_mode {
    HW_MODE_RUN,  /* the agent: tail from checkpoints, watch files */
    HW_MODE_ONCE, /* `hostwatch once`: read sources whole, no checkpoints, no watches */
};

/* What a plugin instance gets from the core at creation. Strings live only during create():
 * copy what is needed. */
struct hw_ctx {
    struct hw_registry *reg;
    const struct hw_paths *paths;
    struct hw_loop *loop;
    const char *instance; /* instance name: owner of the plugin's families, label, log field */
    int64_t interval_ns;  /* collection interval; exporters: agent.interval (sampling) */
    const char *state_dir;
    enum hw_mode mode;
    /* A plugin that updated the registry outside collect() (an fd event) asks for a publish;
     * the core coalesces requests. */
    void (*request_publish)(void *core);
    /* Asks for the state file to be written soon (every plugin's checkpoint in one write).
     * Thread-safe: an exporter's own thread calls it once it has committed something. */
    void (*request_checkpoint)(void *core);
    void *core;
    struct hw_health *health; /* the agent's health rules (thread-safe), for /healthz */
    struct hw_status *status; /* the agent's status document (thread-safe), for /status */
};

/* What `hostwatch test-filter` asks of a collector that has filters. */
struct hw_filter_test {
    const char *only; /* --filter NAME: only the filters of this name or metric (NULL: all) */
    const char *regex, *pattern, *value; /* an ad-hoc filter instead (--regex or --pattern) */
    char *const *files;
    size_t nfiles;
    FILE *out;
};

#define HW_COST_MONTH_S 2628000.0 /* 730 hours: the month AWS prices are quoted for */

/* What `check --cost` learns of an exporter that sends to CloudWatch, per month (730 h). */
struct hw_cost_line {
    const char *exporter, *ns;
    size_t metrics, metrics_max; /* now, and with every log filter at max_series */
    size_t requests_per_flush;
    double flush_s;
    double requests_month;
    double bytes_month; /* EMF only */
    int high_res;
};

/* One metric name and how many distinct dimension sets (custom metrics) it has. */
struct hw_cost_metric {
    const char *name;
    size_t n;
};

/* An exporter's estimate for `check --cost`: begun for a configured instance, shown the
 * snapshots of two collections (counters need a baseline), then finished as at a flush. */
struct hw_cost_ops {
    /* A new estimate (line's exporter, ns, flush_s and high_res set); NULL when it cannot. */
    void *(*begin)(const void *conf, const char *instance, struct hw_cost_line *line);
    int (*observe)(void *est, const struct hw_snapshot *snap);
    /* The flush at ms into line (metrics, requests or bytes); *by the metrics by name, sorted,
     * owned by est. 0 or -1. */
    int (*finish)(void *est, int64_t ms, struct hw_cost_line *line,
                  const struct hw_cost_metric **by, size_t *nby);
    /* The custom metrics one more label set of metric makes (1 + roll-ups), 0 when the
     * exporter does not send metric. */
    size_t (*per_series)(void *est, const char *metric);
    void (*free)(void *est);
};

/* A collector's common keys (handled by the core, not by the plugin's table). */
struct hw_plugin_common {
    int enabled;
    int64_t interval_ns; /* 0 = agent.interval */
};

struct hw_collector {
    const char *name;           /* key under "collectors" */
    const char *help;           /* one line for --help and the man page */
    const struct hw_opt *opts;  /* option table */
    size_t conf_size;
    int multi;                  /* 1: the key holds an array, one instance per element */
    int64_t default_interval_ns; /* 0: agent.interval */
    /* 1: its series change on fd events (new log lines) between collections, so push
     * exporters sample them on their own clock; 0: once per collection. */
    int event_driven;
    /* Cross-field checks after the table parsed; adds to d, returns the number of errors. */
    int (*validate)(const void *conf, const char *path, struct hw_diag *d);
    int (*create)(const void *conf, const struct hw_ctx *ctx, void **state);
    /* Timer-driven; writes into ctx->reg through families it created. 0 or -errno. */
    int (*collect)(void *state);
    /* Everything needed to resume exactly (positions and the metric values that go with
     * them), as one JSON value (new reference), or NULL when there is nothing to save. */
    json_t *(*checkpoint)(void *state);
    /* Before the first collection, with what checkpoint() returned in an earlier run. A
     * rejected checkpoint is logged by the core with *why; the plugin starts fresh. */
    int (*restore)(void *state, const json_t *saved, const char **why);
    void (*destroy)(void *state); /* accepts NULL and a half-built state */
    /* Optional, for `hostwatch test-filter`: runs the filters of the configured instances
     * (confs, n of them), or t's ad-hoc one, over t->files: every match and a summary per
     * filter to t->out, their metrics into reg. The lines matched, or -1 (said on stderr). */
    long (*test_filters)(const void *const *confs, size_t n, const struct hw_filter_test *t,
                         struct hw_registry *reg);
    /* Optional, for the status document (GET /status): what the instance is doing now, as a
     * JSON object (new reference; NULL: nothing to add). Called on the loop thread, about once
     * a second; bounded in size (HW_STATUS_MAX_FILES). */
    json_t *(*status)(void *state);
    /* Optional, for `check --cost`: each metric the instance may grow with the most label sets
     * it may hold (a labelled log filter: max_series), through cb. */
    void (*series_bounds)(const void *conf, void (*cb)(void *arg, const char *metric,
                                                       size_t most),
                          void *arg);
};

struct hw_exporter {
    const char *name;
    const char *help;
    const struct hw_opt *opts;
    size_t conf_size;
    int (*validate)(const void *conf, const char *path, struct hw_diag *d);
    /* Optional: checks against the rest of the configuration (root: the whole document, e.g.
     * another plugin's keys), after every instance parsed; returns the number of errors. */
    int (*validate_config)(const void *conf, const char *path, const json_t *root,
                           struct hw_diag *d);
    int (*create)(const void *conf, const struct hw_ctx *ctx, void **state);
    int (*start)(void *state);
    /* Push exporters: called after each publish with the current snapshot; NULL for pull. */
    int (*flush)(void *state, const struct hw_snapshot *snap);
    /* Readiness: the core tells the exporter when every collector has run once. */
    void (*set_ready)(void *state, int ready);
    /* Writes the exporter's own counters (kept in atomics by its threads) into the registry;
     * called on the loop thread before each publish, families owned by `state`. */
    void (*report)(void *state, struct hw_registry *reg);
    void (*stop)(void *state);
    void (*destroy)(void *state);
    /* Optional, as for collectors: what the exporter has committed (delivered or spooled) that
     * a restart must not send again, written in the same state-file write as the collectors'
     * checkpoints; called on the loop thread while the exporter runs. */
    json_t *(*checkpoint)(void *state);
    /* Optional: after create(), before start(), with what checkpoint() returned in an earlier
     * run. A rejected checkpoint is logged by the core with *why. */
    int (*restore)(void *state, const json_t *saved, const char **why);
    /* On SIGHUP: 1 when something read outside the config (certificate files) changed, so the
     * instance is rebuilt although its options are equal. NULL: never. */
    int (*inputs_changed)(void *state);
    /* Optional, for `hostwatch once --format NAME`: the formats this exporter prints (NULL
     * terminated), and what it would send for snap in one of them, printed to out; called with
     * each configured instance's conf, or with NULL when none is configured (1: it needs one).
     * 0 or -1. */
    const char *const *print_formats;
    int (*print)(const void *conf, const struct hw_snapshot *snap, const char *format, FILE *out);
    /* Optional, for `hostwatch health`: the host:port this instance serves /healthz on (NULL:
     * none), and *tls whether it speaks HTTPS there. */
    const char *(*health_listen)(const void *conf, int *tls);
    /* Optional, for `hostwatch hash-password`: a hash of password (method "bcrypt",
     * "sha512"...) that this exporter's authentication accepts. 0, or -1 with *why. */
    int (*hash_password)(const char *password, const char *method, char *out, size_t len,
                         const char **why);
    /* Optional, for `check --cost`: how this exporter's CloudWatch bill is estimated. */
    const struct hw_cost_ops *cost;
    /* Optional, as for collectors; called on the loop thread while the exporter's own threads
     * run (read their atomics or take their lock). A "state" member ("ok", "retrying",
     * "failing", "dry_run") replaces the default "ok". */
    json_t *(*status)(void *state);
};

/* The plugin table (agent/cli/plugins.c). */
extern const struct hw_collector *const hw_collectors[];
extern const struct hw_exporter *const hw_exporters[];

const struct hw_collector *hw_collector_find(const char *name);
const struct hw_exporter *hw_exporter_find(const char *name);

#endif
