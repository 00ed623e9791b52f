#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};

const struct hw_opt hw_agent_opts[] = {
    {.key = "interval", .type = HW_OPT_DURATION, .def = "10s",
     .offset = offsetof(struct hw_agent_conf, interval_ns), .min = 1e8, .max = 86400e9,
     .help = "default collection interval"},
    {.key = "state_dir", .type = HW_OPT_STRING, .def = "/var/lib/hostwatch",
     .offset = offsetof(struct hw_agent_conf, state_dir),
     .help = "directory for checkpoints and the spool"},
    {.key = "checkpoint_interval", .type = HW_OPT_DURATION, .def = "5s",
     .offset = offsetof(struct hw_agent_conf, checkpoint_interval_ns), .min = 1e8, .max = 3600e9,
     .help = "how often log positions and their metric values are saved"},
    {.key = "log_level", .type = HW_OPT_ENUM, .def = "info",
     .offset = offsetof(struct hw_agent_conf, log_level), .choices = log_levels,
     .help = "error, warn, info or debug"},
    {.key = "procfs", .type = HW_OPT_STRING, .def = "/proc",
     .offset = offsetof(struct hw_agent_conf, procfs),
     .help = "where /proc is mounted (env HOST_PROC when unset)"},
    {.key = "sysfs", .type = HW_OPT_STRING, .def = "/sys",
     .offset = offsetof(struct hw_agent_conf, sysfs),
     .help = "where /sys is mounted (env HOST_SYS when unset)"},
    {.key = "rootfs", .type = HW_OPT_STRING, .def = "/",
     .offset = offsetof(struct hw_agent_conf, rootfs),
     .help = "where the host's / is mounted (env HOST_ROOT when unset)"},
    HW_OPT_END,
};

const struct hw_opt hw_collector_common_opts[] = {
    {.key = "enabled", .type = HW_OPT_BOOL, .def = "true",
     .offset = offsetof(struct hw_plugin_common, enabled), .help = "run this collector"},
    {.key = "interval", .type = HW_OPT_DURATION, .def = NULL,
     .offset = offsetof(struct hw_plugin_common, interval_ns), .min = 1e8, .max = 86400e9,
     .help = "collection interval (default agent.interval)"},
    HW_OPT_END,
};

const struct hw_opt hw_exporter_common_opts[] = {
    {.key = "enabled", .type = HW_OPT_BOOL, .def = "true",
     .offset = offsetof(struct hw_plugin_common, enabled), .help = "run this exporter"},
    HW_OPT_END,
};

static const char *const top_keys[] = {"agent", "collectors", "exporters", "health", "cost", NULL};

void hw_config_free(struct hw_config *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < cfg->ncollectors + cfg->nexporters; i++) {
        struct hw_inst_conf *ic = &cfg->insts[i];
        const struct hw_opt *opts = ic->col ? ic->col->opts : ic->exp->opts;
        if (ic->conf) {
            hw_opt_free(opts, ic->conf);
            free(ic->conf);
        }
        json_decref(ic->json);
    }
    free(cfg->insts);
    hw_opt_free(hw_agent_opts, &cfg->agent);
    hw_opt_free(hw_health_opts, &cfg->health);
    free(cfg->file);
    free(cfg);
}

/* Environment variables fill path settings the file leaves out (container deployments). */
static void agent_env_defaults(struct hw_agent_conf *a, const json_t *agent)
{
    static const struct {
        const char *key, *env;
        size_t off;
    } map[] = {{"procfs", "HOST_PROC", offsetof(struct hw_agent_conf, procfs)},
               {"sysfs", "HOST_SYS", offsetof(struct hw_agent_conf, sysfs)},
               {"rootfs", "HOST_ROOT", offsetof(struct hw_agent_conf, rootfs)}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        const char *v = getenv(map[i].env);
        if (!v || !*v || (agent && json_object_get(agent, map[i].key))) {
            continue;
        }
        char *copy = strdup(v);
        if (copy) {
            char **field = (char **)((char *)a + map[i].off);
            free(*field);
            *field = copy;
        }
    }
}

static int add_instance(struct hw_config *cfg, size_t *cap, struct hw_inst_conf **out)
{
    size_t n = cfg->ncollectors + cfg->nexporters;
    struct hw_inst_conf *p = hw_grow(cfg->insts, cap, n, sizeof(*p), 8);
    if (!p) {
        return -ENOMEM;
    }
    cfg->insts = p;
    *out = &cfg->insts[n];
    memset(*out, 0, sizeof(**out));
    return 0;
}

/* Splits the common keys off an instance object and parses both halves with their tables. */
static int parse_instance(struct hw_inst_conf *ic, const struct hw_opt *common,
                          const struct hw_opt *opts, size_t conf_size, const json_t *obj,
                          struct hw_diag *d)
{
    int errs = 0;
    ic->json = obj ? json_deep_copy(obj) : json_object();
    ic->conf = calloc(1, conf_size ? conf_size : 1);
    if (!ic->json || !ic->conf) {
        hw_diag_add(d, ic->path, "out of memory");
        return 1;
    }
    if (obj && !json_is_object(obj)) {
        hw_diag_add(d, ic->path, "expected an object");
        return 1;
    }
    json_t *own = json_copy(ic->json);
    json_t *com = json_object();
    if (!own || !com) {
        json_decref(own);
        json_decref(com);
        hw_diag_add(d, ic->path, "out of memory");
        return 1;
    }
    for (const struct hw_opt *o = common; o->key; o++) {
        json_t *v = json_object_get(own, o->key);
        if (v) {
            json_object_set(com, o->key, v);
            json_object_del(own, o->key);
        }
    }
    errs += hw_opt_parse(common, &ic->common, com, ic->path, d);
    errs += hw_opt_parse(opts, ic->conf, own, ic->path, d);
    json_decref(own);
    json_decref(com);
    const json_t *name = json_object_get(ic->json, "name");
    if (json_is_string(name) && json_string_length(name) > 0) {
        snprintf(ic->name, sizeof(ic->name), "%s", json_string_value(name));
    }
    return errs;
}

static int parse_collector(struct hw_config *cfg, size_t *cap, const struct hw_collector *c,
                           const json_t *v, const char *path, struct hw_diag *d)
{
    int errs = 0;
    size_t n = c->multi ? json_array_size(v) : 1;
    if (c->multi && !json_is_array(v)) {
        hw_diag_add(d, path, "expected an array of %s sources", c->name);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        struct hw_inst_conf *ic;
        if (add_instance(cfg, cap, &ic) != 0) {
            hw_diag_add(d, path, "out of memory");
            return errs + 1;
        }
        cfg->ncollectors++;
        ic->col = c;
        if (c->multi) {
            hw_path_idx(ic->path, sizeof(ic->path), path, i);
            snprintf(ic->name, sizeof(ic->name), "%s[%zu]", c->name, i);
        } else {
            snprintf(ic->path, sizeof(ic->path), "%s", path);
            snprintf(ic->name, sizeof(ic->name), "%s", c->name);
        }
        const json_t *obj = c->multi ? json_array_get(v, i) : v;
        int ierrs = parse_instance(ic, hw_collector_common_opts, c->opts, c->conf_size, obj, d);
        /* Fields that failed keep their defaults, so cross-field checks still run and every
         * error is reported at once. */
        if (ic->conf && (obj == NULL || json_is_object(obj)) && c->validate) {
            ierrs += c->validate(ic->conf, ic->path, d);
        }
        errs += ierrs;
    }
    return errs;
}

static int parse_exporter(struct hw_config *cfg, size_t *cap, const struct hw_exporter *e,
                          const json_t *v, const char *path, struct hw_diag *d)
{
    struct hw_inst_conf *ic;
    if (add_instance(cfg, cap, &ic) != 0) {
        hw_diag_add(d, path, "out of memory");
        return 1;
    }
    cfg->nexporters++;
    ic->exp = e;
    snprintf(ic->path, sizeof(ic->path), "%s", path);
    snprintf(ic->name, sizeof(ic->name), "%s", e->name);
    int errs = parse_instance(ic, hw_exporter_common_opts, e->opts, e->conf_size, v, d);
    if (ic->conf && (v == NULL || json_is_object(v)) && e->validate) {
        errs += e->validate(ic->conf, ic->path, d);
    }
    return errs;
}

static void unknown_plugin(struct hw_diag *d, const char *path, const char *key, int collectors)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0;; i++) {
        const char *name = collectors ? (hw_collectors[i] ? hw_collectors[i]->name : NULL)
                                      : (hw_exporters[i] ? hw_exporters[i]->name : NULL);
        if (!name) {
            break;
        }
        size_t dist = hw_edit_distance(key, name);
        if (dist < best_d) {
            best_d = dist;
            best = name;
        }
    }
    if (best) {
        hw_diag_add(d, path, "unknown %s (did you mean \"%s\"?)",
                    collectors ? "collector" : "exporter", best);
    } else {
        hw_diag_add(d, path, "unknown %s", collectors ? "collector" : "exporter");
    }
}

/* Walks "collectors" (or "exporters"); when the section is absent the defaults apply. */
static int parse_section(struct hw_config *cfg, size_t *cap, const json_t *root, int collectors,
                         struct hw_diag *d)
{
    const char *sect = collectors ? "collectors" : "exporters";
    const json_t *obj = json_object_get(root, sect);
    static const char *const default_collectors[] = {"memory", "disk", NULL};
    static const char *const default_exporters[] = {"prometheus", NULL};
    int errs = 0;
    char path[256];
    if (!obj) {
        const char *const *names = collectors ? default_collectors : default_exporters;
        for (size_t i = 0; names[i]; i++) {
            hw_path_key(path, sizeof(path), sect, names[i]);
            errs += collectors
                        ? parse_collector(cfg, cap, hw_collector_find(names[i]), NULL, path, d)
                        : parse_exporter(cfg, cap, hw_exporter_find(names[i]), NULL, path, d);
        }
        /* Inside an ECS task the task's figures are the ones wanted by default. */
        const char *ecs = getenv("ECS_CONTAINER_METADATA_URI_V4");
        if (collectors && ecs && *ecs) {
            errs += parse_collector(cfg, cap, hw_collector_find("ecs"), NULL, "collectors.ecs", d);
        }
        return errs;
    }
    if (!json_is_object(obj)) {
        hw_diag_add(d, sect, "expected an object");
        return 1;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        hw_path_key(path, sizeof(path), sect, key);
        if (collectors && hw_collector_find(key)) {
            errs += parse_collector(cfg, cap, hw_collector_find(key), v, path, d);
        } else if (!collectors && hw_exporter_find(key)) {
            errs += parse_exporter(cfg, cap, hw_exporter_find(key), v, path, d);
        } else {
            unknown_plugin(d, path, key, collectors);
            errs++;
        }
    }
    return errs;
}

/* Instance names key checkpoints and label self-metrics, so two sources may not share one. */
static int check_unique_names(const struct hw_config *cfg, struct hw_diag *d)
{
    int errs = 0;
    size_t n = cfg->ncollectors + cfg->nexporters;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            const struct hw_inst_conf *x = &cfg->insts[i], *y = &cfg->insts[j];
            if (x->col == y->col && x->exp == y->exp && strcmp(x->name, y->name) == 0) {
                char kp[256];
                hw_diag_add(d, hw_path_key(kp, sizeof(kp), x->path, "name"),
                            "\"%s\" is already the name of %s", x->name, y->path);
                errs++;
                break;
            }
        }
    }
    return errs;
}

static int check_top_keys(const json_t *root, struct hw_diag *d)
{
    int errs = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)root, key, v)
    {
        size_t i = 0, best = 0, best_d = 3;
        for (; top_keys[i]; i++) {
            size_t dist = hw_edit_distance(key, top_keys[i]);
            if (dist == 0) {
                break;
            }
            if (dist < best_d) {
                best_d = dist;
                best = i + 1;
            }
        }
        if (top_keys[i]) {
            continue;
        }
        if (best) {
            hw_diag_add(d, key, "unknown key (did you mean \"%s\"?)", top_keys[best - 1]);
        } else {
            hw_diag_add(d, key, "unknown key");
        }
        errs++;
    }
    return errs;
}

static struct hw_config *config_from_json(const json_t *root, const char *name, struct hw_diag *d)
{
    struct hw_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg || !(cfg->file = strdup(name))) {
        free(cfg);
        hw_diag_add(d, NULL, "out of memory");
        return NULL;
    }
    int errs = 0;
    size_t cap = 0;
    if (!json_is_object(root)) {
        hw_diag_add(d, NULL, "the configuration must be a JSON object");
        hw_config_free(cfg);
        return NULL;
    }
    errs += check_top_keys(root, d);
    const json_t *agent = json_object_get(root, "agent");
    errs += hw_opt_parse(hw_agent_opts, &cfg->agent, agent, "agent", d);
    agent_env_defaults(&cfg->agent, agent);
    int herrs = hw_opt_parse(hw_health_opts, &cfg->health, json_object_get(root, "health"),
                             "health", d);
    errs += herrs + hw_health_validate(&cfg->health, "health.rules", d);
    errs += parse_section(cfg, &cap, root, 1, d);
    errs += parse_section(cfg, &cap, root, 0, d);
    errs += check_unique_names(cfg, d);
    for (size_t i = cfg->ncollectors; i < cfg->ncollectors + cfg->nexporters; i++) {
        const struct hw_inst_conf *ic = &cfg->insts[i];
        if (ic->conf && ic->exp->validate_config) {
            errs += ic->exp->validate_config(ic->conf, ic->path, root, d);
        }
    }
    if (errs > 0 || hw_diag_count(d) > 0) {
        hw_config_free(cfg);
        return NULL;
    }
    return cfg;
}

struct hw_config *hw_config_parse(const char *text, size_t len, const char *name,
                                  struct hw_diag *d)
{
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        hw_diag_add_pos(d, err.line, err.column, "%s", err.text);
        return NULL;
    }
    struct hw_config *cfg = config_from_json(root, name, d);
    json_decref(root);
    return cfg;
}

struct hw_config *hw_config_load(const char *file, struct hw_diag *d)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        hw_diag_add(d, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    json_error_t err;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    fclose(f);
    if (!root) {
        hw_diag_add_pos(d, err.line, err.column, "%s", err.text);
        return NULL;
    }
    struct hw_config *cfg = config_from_json(root, file, d);
    json_decref(root);
    return cfg;
}
