/* The status document of a running agent: the agent's own facts, each instance's runs and its
 * plugin's status slot, and every health rule's result (format in status.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "health.h"
#include "log.h"
#include "plugin.h"
#include "status.h"
#include "version.h"

/* An ISO 8601 time, or null for "never". */
static json_t *time_json(int64_t wall_ms)
{
    char t[40];
    hw_status_time(wall_ms, t, sizeof(t));
    return t[0] ? json_string(t) : json_null();
}

static json_t *config_json(const struct hw_agent *a)
{
    json_t *last = json_null();
    if (a->last_reload_ok >= 0) {
        last = json_pack("{s:o, s:s, s:s?}", "at", time_json(a->last_reload_ms), "result",
                         a->last_reload_ok ? "success" : "failure", "error",
                         a->last_reload_ok || !a->last_reload_error[0] ? NULL
                                                                       : a->last_reload_error);
    }
    return json_pack("{s:s, s:o, s:{s:I, s:I}, s:o}", "file", a->config_path, "loaded_at",
                     time_json(a->loaded_ms), "reloads", "success", (json_int_t)a->reloads_ok,
                     "failure", (json_int_t)a->reloads_failed, "last_reload", last ? last : json_null());
}

static const char *collector_state(const struct hw_inst *in)
{
    if (!in->ic->common.enabled) {
        return "disabled";
    }
    if (!in->state) {
        return "not started";
    }
    return in->failing ? "failing" : in->runs.collections ? "ok" : "starting";
}

static json_t *collector_json(const struct hw_inst *in)
{
    json_t *detail = in->state && in->ic->col->status ? in->ic->col->status(in->state) : NULL;
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:o, s:o}", "name", in->ic->name,
                     "plugin", in->ic->col->name, "path", in->ic->path, "state",
                     collector_state(in), "collections", (json_int_t)in->runs.collections,
                     "errors", (json_int_t)in->runs.errors, "last_duration_ms",
                     (double)in->runs.last_dur_ns / 1e6, "last_run_at",
                     time_json(in->runs.last_run_ms), "detail", detail ? detail : json_null());
}

static json_t *exporter_json(const struct hw_inst *in)
{
    json_t *detail = in->state && in->ic->exp->status ? in->ic->exp->status(in->state) : NULL;
    const char *st = !in->ic->common.enabled ? "disabled" : !in->state ? "not started" : "ok";
    const char *said = json_string_value(json_object_get(detail, "state"));
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", in->ic->name, "plugin",
                          in->ic->exp->name, "path", in->ic->path, "state", said ? said : st,
                          "detail", detail ? detail : json_null());
    if (e && said) {
        json_object_del(json_object_get(e, "detail"), "state");
    }
    return e;
}

struct rules_acc {
    json_t *rules;
    int healthy;
};

static void add_rule(void *arg, const char *rule, int holds, const char *why)
{
    struct rules_acc *acc = arg;
    acc->healthy &= holds;
    json_array_append_new(acc->rules, json_pack("{s:s, s:b, s:s}", "rule", rule, "ok", holds,
                                                "why", why));
}

static json_t *health_json(const struct hw_agent *a)
{
    struct rules_acc acc = {json_array(), 1};
    const struct hw_snapshot *snap = hw_registry_acquire(a->reg);
    if (acc.rules && a->health) {
        hw_health_each(a->health, snap, add_rule, &acc);
    }
    hw_snapshot_release(snap);
    return json_pack("{s:b, s:o}", "healthy", acc.healthy, "rules",
                     acc.rules ? acc.rules : json_array());
}

static json_t *status_json(const struct hw_agent *a, int64_t now_ms)
{
    json_t *cols = json_array(), *exps = json_array();
    for (size_t i = 0; cols && exps && i < a->ninsts; i++) {
        const struct hw_inst *in = &a->insts[i];
        json_array_append_new(in->ic->col ? cols : exps,
                              in->ic->col ? collector_json(in) : exporter_json(in));
    }
    return json_pack("{s:s, s:s, s:I, s:o, s:o, s:f, s:o, s:o, s:o, s:o, s:{s:i}}", "format",
                     HW_STATUS_FORMAT, "version", HW_VERSION, "pid", (json_int_t)getpid(),
                     "started_at", time_json(a->started_ms), "generated_at", time_json(now_ms),
                     "uptime_s", (double)(now_ms - a->started_ms) / 1000.0, "config",
                     config_json(a), "collectors", cols ? cols : json_array(), "exporters",
                     exps ? exps : json_array(), "health", health_json(a), "limits",
                     "files_per_source", HW_STATUS_MAX_FILES);
}

void hw_agent_status_build(struct hw_agent *a)
{
    if (!a->status) {
        return;
    }
    json_t *doc = status_json(a, hw_now_wall_ms());
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!text) {
        hw_warn("agent", "status document not built (out of memory)", "%s", "");
        return;
    }
    hw_status_put(a->status, text, strlen(text));
}
