/* The terminal view of a status document (format hostwatch-status/1): the agent, its health
 * rules, each collector and exporter with what its plugin says. Kinds it knows (logs, fsfo,
 * route53) get tables; any other detail is shown as its members, so a new plugin shows up. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statuscmd.h"

#define STATUS_MAX_ROWS 50 /* per table; the rest is counted */

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static long long num(const json_t *o, const char *key)
{
    return (long long)json_number_value(json_object_get(o, key));
}

static void uptime_text(double s, char *out, size_t len)
{
    long long t = (long long)s;
    if (t >= 86400) {
        snprintf(out, len, "%lldd %lldh", t / 86400, t % 86400 / 3600);
    } else if (t >= 3600) {
        snprintf(out, len, "%lldh %lldm", t / 3600, t % 3600 / 60);
    } else {
        snprintf(out, len, "%lldm %llds", t / 60, t % 60);
    }
}

static void render_head(const json_t *doc, FILE *out)
{
    char up[32];
    const json_t *cfg = json_object_get(doc, "config");
    const json_t *last = json_object_get(cfg, "last_reload");
    uptime_text(json_number_value(json_object_get(doc, "uptime_s")), up, sizeof(up));
    fprintf(out, "hostwatch %s, pid %lld, up %s\n", str(doc, "version"), num(doc, "pid"), up);
    fprintf(out, "config    %s (loaded %s)\n", str(cfg, "file"), str(cfg, "loaded_at"));
    if (json_is_object(last)) {
        fprintf(out, "reload    %s at %s%s%s\n", str(last, "result"), str(last, "at"),
                json_object_get(last, "error") ? ": " : "",
                json_object_get(last, "error") ? str(last, "error") : "");
    }
    const json_t *h = json_object_get(doc, "health");
    const json_t *rule;
    size_t i;
    fprintf(out, "\nhealth    %s\n", json_is_true(json_object_get(h, "healthy")) ? "healthy"
                                                                                : "NOT HEALTHY");
    json_array_foreach(json_object_get(h, "rules"), i, rule)
    {
        const int ok = json_is_true(json_object_get(rule, "ok"));
        fprintf(out, "  %-6s %s%s%s\n", ok ? "ok" : "FAILED", str(rule, "rule"), ok ? "" : ": ",
                ok ? "" : str(rule, "why"));
    }
}

static void render_files(const json_t *d, FILE *out)
{
    const json_t *f;
    size_t i;
    fprintf(out, "    %-48s %12s %12s %10s  %s\n", "file", "position", "size", "behind",
            "state");
    json_array_foreach(json_object_get(d, "files"), i, f)
    {
        if (i == STATUS_MAX_ROWS) {
            break;
        }
        fprintf(out, "    %-48s %12lld %12lld %10lld  %s%s%s\n", str(f, "path"),
                num(f, "position"), num(f, "size"), num(f, "behind"), str(f, "state"),
                json_object_get(f, "error") ? ": " : "",
                json_object_get(f, "error") ? str(f, "error") : "");
    }
    long long total = num(d, "files_total"), shown = (long long)json_array_size(
                                                 json_object_get(d, "files"));
    if (total > (shown < STATUS_MAX_ROWS ? shown : STATUS_MAX_ROWS)) {
        fprintf(out, "    ... %lld more files not shown\n",
                total - (shown < STATUS_MAX_ROWS ? shown : STATUS_MAX_ROWS));
    }
}

static void render_logs(const json_t *d, FILE *out)
{
    const json_t *f;
    size_t i;
    fprintf(out, "    lines %lld (%.1f/s), bytes %lld, rotations %lld, read errors %lld, too long "
                 "%lld\n",
            num(d, "lines"), json_number_value(json_object_get(d, "lines_per_s")),
            num(d, "bytes"), num(d, "rotations"), num(d, "read_errors"),
            num(d, "lines_too_long"));
    render_files(d, out);
    fprintf(out, "    %-32s %12s %10s %10s\n", "filter", "matches", "bad", "series");
    json_array_foreach(json_object_get(d, "filters"), i, f)
    {
        fprintf(out, "    %-32s %12lld %10lld %5lld/%-5lld\n", str(f, "name"), num(f, "matches"),
                num(f, "bad_values"), num(f, "series"), num(f, "max_series"));
    }
}

static void render_fsfo(const json_t *d, FILE *out)
{
    const json_t *db, *ev = json_object_get(d, "last_event"), *up = json_object_get(d, "observer_up");
    size_t i;
    fprintf(out, "    primary %s, observer %s, failovers %lld, switchovers %lld\n",
            str(d, "primary"), json_is_true(up) ? "up" : json_is_false(up) ? "down" : "unknown",
            num(d, "failovers"), num(d, "switchovers"));
    json_array_foreach(json_object_get(d, "databases"), i, db)
    {
        fprintf(out, "    %-20s %s\n", str(db, "name"), str(db, "role"));
    }
    if (json_is_object(ev)) {
        fprintf(out, "    last event %s at %s, %s line %lld: %s\n", str(ev, "kind"), str(ev, "at"),
                str(ev, "file"), num(ev, "line"), str(ev, "text"));
    }
    render_files(d, out);
}

static void render_route53(const json_t *d, FILE *out)
{
    const json_t *r;
    size_t i;
    fprintf(out, "    zone %s\n", str(d, "zone"));
    json_array_foreach(json_object_get(d, "records"), i, r)
    {
        fprintf(out, "    %-32s %-5s desired %s, current %s, changed %s%s%s\n", str(r, "name"),
                str(r, "type"), str(r, "desired"), str(r, "current"), str(r, "last_change_at"),
                json_is_string(json_object_get(r, "last_error")) ? ", error " : "",
                json_is_string(json_object_get(r, "last_error")) ? str(r, "last_error") : "");
    }
}

/* Any other detail: its members, objects on one line as compact JSON. */
static void render_generic(const json_t *d, FILE *out)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)d, k, v)
    {
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(out, "    %s: %.200s\n", k, json_is_string(v) ? json_string_value(v)
                                                               : text ? text : "?");
        free(text);
    }
}

static void render_instances(const json_t *list, int collectors, FILE *out)
{
    const json_t *in;
    size_t i;
    fprintf(out, "\n%s\n", collectors ? "collectors" : "exporters");
    json_array_foreach((json_t *)list, i, in)
    {
        const json_t *d = json_object_get(in, "detail");
        const char *plugin = str(in, "plugin");
        if (collectors) {
            fprintf(out, "  %-24s %-10s %-10s runs %lld, errors %lld, last %s\n",
                    str(in, "name"), plugin, str(in, "state"), num(in, "collections"),
                    num(in, "errors"), str(in, "last_run_at"));
        } else {
            fprintf(out, "  %-24s %-10s %s\n", str(in, "name"), plugin, str(in, "state"));
        }
        if (!json_is_object(d)) {
            continue;
        }
        if (strcmp(plugin, "logs") == 0) {
            render_logs(d, out);
        } else if (strcmp(plugin, "fsfo") == 0) {
            render_fsfo(d, out);
        } else if (strcmp(plugin, "route53") == 0) {
            render_route53(d, out);
        } else {
            render_generic(d, out);
        }
    }
}

int hw_status_render(const char *text, size_t len, FILE *out)
{
    json_t *doc = json_loadb(text, len, 0, NULL);
    if (!json_is_object(doc) ||
        strcmp(str(doc, "format"), "hostwatch-status/1") != 0) {
        json_decref(doc);
        return -1;
    }
    render_head(doc, out);
    render_instances(json_object_get(doc, "collectors"), 1, out);
    render_instances(json_object_get(doc, "exporters"), 0, out);
    json_decref(doc);
    return 0;
}
