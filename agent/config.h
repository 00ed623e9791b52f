/* The configuration file: JSON parsed strictly into the agent's settings and one parsed option
 * struct per plugin instance. */
#ifndef HW_CONFIG_H
#define HW_CONFIG_H

#include <jansson.h>
#include <stdint.h>

#include "health.h"
#include "plugin.h"

struct hw_diag;

struct hw_agent_conf {
    int64_t interval_ns;
    char *state_dir;
    int64_t checkpoint_interval_ns;
    int log_level; /* enum hw_log_level */
    char *procfs, *sysfs, *rootfs;
};

/* One configured collector or exporter instance. */
struct hw_inst_conf {
    const struct hw_collector *col; /* exactly one of col/exp */
    const struct hw_exporter *exp;
    char name[128]; /* instance name: plugin name, or the element's "name" for arrays */
    char path[160]; /* JSON path, e.g. collectors.logs[1] */
    struct hw_plugin_common common;
    void *conf;   /* conf_size bytes filled by the plugin's option table */
    json_t *json; /* the instance's JSON, kept to tell an unchanged instance on reload */
};

struct hw_config {
    char *file;
    struct hw_agent_conf agent;
    struct hw_health_conf health;
    struct hw_inst_conf *insts; /* collectors first, then exporters */
    size_t ncollectors, nexporters;
};

/* Loads and validates FILE. On error returns NULL and every problem is in d. */
struct hw_config *hw_config_load(const char *file, struct hw_diag *d);
/* Same from a buffer (tests, fuzzers); name is used in messages. */
struct hw_config *hw_config_parse(const char *text, size_t len, const char *name,
                                  struct hw_diag *d);
void hw_config_free(struct hw_config *cfg);

/* The agent section's option table (for --help and the man page). */
extern const struct hw_opt hw_agent_opts[];
/* The keys every collector instance has (enabled, interval) and every exporter (enabled),
 * parsed by the core before the plugin's own table. */
extern const struct hw_opt hw_collector_common_opts[];
extern const struct hw_opt hw_exporter_common_opts[];

#endif
