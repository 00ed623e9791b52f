/* CloudWatch agent config -> hostwatch config. Key meanings follow the agent's documented schema
 * (translator/config/schema.json) and its translator: names are <plugin>_<field>, a measurement
 * may be written with or without the plugin prefix, intervals are seconds. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "import.h"

struct cwa_field {
    const char *name; /* CloudWatch name */
    const char *unit; /* the agent's default unit, which hostwatch also sends */
};

static const struct cwa_field mem_fields[] = {
    {"mem_used_percent", "Percent"}, {"mem_available_percent", "Percent"},
    {"mem_used", "Bytes"},           {"mem_available", "Bytes"},
    {"mem_total", "Bytes"},          {"mem_free", "Bytes"},
    {"mem_cached", "Bytes"},         {"mem_buffered", "Bytes"},
    {"mem_active", "Bytes"},         {"mem_inactive", "Bytes"},
    {"mem_shared", "Bytes"},         {NULL, NULL}};
static const struct cwa_field disk_fields[] = {
    {"disk_used_percent", "Percent"}, {"disk_free", "Bytes"},
    {"disk_total", "Bytes"},          {"disk_used", "Bytes"},
    {"disk_inodes_free", "Count"},    {"disk_inodes_total", "Count"},
    {"disk_inodes_used", "Count"},    {NULL, NULL}};
static const struct cwa_field diskio_fields[] = {{"diskio_reads", "Count"},
                                                 {"diskio_writes", "Count"},
                                                 {"diskio_read_bytes", "Bytes"},
                                                 {"diskio_write_bytes", "Bytes"},
                                                 {"diskio_read_time", "Milliseconds"},
                                                 {"diskio_write_time", "Milliseconds"},
                                                 {"diskio_io_time", "Milliseconds"},
                                                 {"diskio_iops_in_progress", "Count"},
                                                 {NULL, NULL}};

static const struct cwa_field swap_fields[] = {
    {"swap_used_percent", "Percent"}, {"swap_used", "Bytes"}, {"swap_free", "Bytes"}, {NULL, NULL}};

/* The plugins hostwatch has no collector for, and what a user gets instead. */
static const struct {
    const char *name, *instead;
} cwa_unsupported[] = {
    {"cpu", "no CPU metrics are collected (node_exporter or the CloudWatch agent can keep them)"},
    {"net", "no network interface metrics are collected"},
    {"netstat", "no TCP/UDP connection metrics are collected"},
    {"processes", "no process-count metrics are collected"},
    {"procstat", "no per-process metrics are collected"},
    {"statsd", "no StatsD listener is started"},
    {"collectd", "no collectd listener is started"},
    {"ethtool", "no NIC driver statistics are collected"},
    {"nvidia_gpu", "no GPU metrics are collected"},
    {"nvidia_smi", "no GPU metrics are collected"},
    {"jmx", "no JMX metrics are collected"},
    {"prometheus", "no Prometheus targets are scraped"},
    {"otlp", "no OTLP receiver is started"},
};

struct cwa {
    struct hw_import *im;
    json_t *out, *collectors, *cw, *metrics; /* borrowed from out */
    long interval;                           /* agent.metrics_collection_interval, s */
    int omit_host;                           /* agent.omit_hostname */
    int has_dims;                            /* metrics.append_dimensions named some */
    long iv[4];  /* mem, disk, diskio, swap: their own interval (s), 0 when they name none */
    int seen[4]; /* the plugin is configured */
};

static char *pjoin(char *buf, size_t len, const char *base, const char *key)
{
    hw_path_key(buf, len, base, key);
    return buf;
}

static char *pidx(char *buf, size_t len, const char *base, size_t i)
{
    hw_path_idx(buf, len, base, i);
    return buf;
}

/* Seconds from a number or a string of digits (both occur in real configs); -1 when neither. */
static long cwa_seconds(const json_t *v)
{
    if (json_is_integer(v)) {
        return json_integer_value(v) > 0 ? (long)json_integer_value(v) : -1;
    }
    if (json_is_real(v)) {
        return json_real_value(v) >= 1 ? (long)json_real_value(v) : -1;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        long n = strtol(s, &end, 10);
        if (end != s && n > 0 && (!*end || strcmp(end, "s") == 0)) {
            return n;
        }
        if (end != s && n > 0 && strcmp(end, "m") == 0) {
            return n * 60;
        }
    }
    return -1;
}

static long cwa_interval(struct cwa *c, const json_t *v, const char *path)
{
    long s = cwa_seconds(v);
    if (s < 0) {
        hw_import_error(c->im, path, "expected a positive number of seconds");
    }
    return s;
}

static json_t *cwa_duration(long s)
{
    char b[32];
    snprintf(b, sizeof(b), "%lds", s);
    return json_string(b);
}

static json_t *obj_child(json_t *parent, const char *key)
{
    json_t *o = json_object_get(parent, key);
    if (!o) {
        o = json_object();
        json_object_set_new(parent, key, o);
    }
    return o;
}

static int expect_object(struct cwa *c, const json_t *v, const char *path)
{
    if (!json_is_object(v)) {
        hw_import_error(c->im, path, "expected an object");
        return -1;
    }
    return 0;
}

/* One key of the object being converted, with its JSON path. */
typedef void (*cwa_key_fn)(struct cwa *c, const char *k, const json_t *v, const char *path);

/* Every section is an object walked key by key, so no key goes unseen (never silently drop). */
static void cwa_each(struct cwa *c, const json_t *obj, const char *path, cwa_key_fn fn)
{
    const char *k;
    const json_t *v;
    char p[300];
    if (expect_object(c, obj, path) != 0) {
        return;
    }
    json_object_foreach((json_t *)obj, k, v)
    {
        fn(c, k, v, pjoin(p, sizeof(p), path, k));
    }
}

/* agent.*: the interval and region; everything else is the agent's own housekeeping. */
static void cwa_agent_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    if (strcmp(k, "metrics_collection_interval") == 0) {
        c->interval = cwa_interval(c, v, p);
    } else if (strcmp(k, "region") == 0 && json_is_string(v)) {
        json_object_set_new(c->cw, "region", json_string(json_string_value(v)));
    } else if (strcmp(k, "omit_hostname") == 0) {
        c->omit_host = json_is_true(v); /* hostwatch adds no host dimension of its own */
    } else if (strcmp(k, "credentials") == 0) {
        hw_import_warn(c->im, p,
                       "not imported: hostwatch takes credentials from the "
                       "environment, the shared files, the web identity token, ECS "
                       "or IMDS (a role to assume goes in the profile)");
    } else {
        hw_import_warn(c->im, p,
                       "ignored: the CloudWatch agent's own setting, no hostwatch "
                       "equivalent (see agent.* in hostwatch(1))");
    }
}

/* "used_percent", "mem_used_percent" or {"name": ...} -> the CloudWatch name; NULL if unknown. */
static const struct cwa_field *cwa_field_find(const char *plugin, const struct cwa_field *f,
                                              const char *name)
{
    size_t pl = strlen(plugin);
    char full[128];
    if (strncmp(name, plugin, pl) == 0 && name[pl] == '_') {
        snprintf(full, sizeof(full), "%s", name);
    } else {
        snprintf(full, sizeof(full), "%s_%s", plugin, name);
    }
    for (; f->name; f++) {
        if (strcmp(f->name, full) == 0) {
            return f;
        }
    }
    return NULL;
}

static void cwa_metric_add(struct cwa *c, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(c->metrics, i, v)
    {
        if (strcmp(json_string_value(v), name) == 0) {
            return;
        }
    }
    json_array_append_new(c->metrics, json_string(name));
}

/* One measurement entry: a string or {name, rename, unit}. */
static void cwa_measure_one(struct cwa *c, const char *plugin, const struct cwa_field *fields,
                            const json_t *m, const char *p)
{
    const json_t *name = json_is_object(m) ? json_object_get(m, "name") : m;
    if (!json_is_string(name)) {
        hw_import_error(c->im, p, "expected a metric name or {\"name\": ...}");
        return;
    }
    const struct cwa_field *f = cwa_field_find(plugin, fields, json_string_value(name));
    if (!f) {
        hw_import_warn(c->im, p, "\"%s\" is not a metric hostwatch collects for %s: not sent",
                       json_string_value(name), plugin);
        return;
    }
    cwa_metric_add(c, f->name);
    const json_t *rename = json_object_get(m, "rename");
    const json_t *unit = json_object_get(m, "unit");
    if (json_is_string(rename) && strcmp(json_string_value(rename), f->name) != 0) {
        hw_import_warn(c->im, p, "rename to \"%s\" not supported: sent as %s",
                       json_string_value(rename), f->name);
    }
    if (json_is_string(unit) && strcmp(json_string_value(unit), f->unit) != 0) {
        hw_import_warn(c->im, p, "unit \"%s\" not supported: %s is sent in %s",
                       json_string_value(unit), f->name, f->unit);
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        if (strcmp(k, "name") && strcmp(k, "rename") && strcmp(k, "unit")) {
            char kp[300];
            hw_import_warn(c->im, pjoin(kp, sizeof(kp), p, k), "ignored: unknown key");
        }
    }
}

static void cwa_measurements(struct cwa *c, const char *plugin, const struct cwa_field *fields,
                             const json_t *list, const char *path)
{
    size_t i;
    const json_t *m;
    char p[300];
    if (!json_is_array(list)) {
        hw_import_error(c->im, path, "expected an array of measurements");
        return;
    }
    json_array_foreach(list, i, m)
    {
        cwa_measure_one(c, plugin, fields, m, pidx(p, sizeof(p), path, i));
    }
}

static json_t *strlist_copy(struct cwa *c, const json_t *v, const char *path)
{
    size_t i;
    const json_t *s;
    json_t *out = json_array();
    if (!json_is_array(v)) {
        hw_import_error(c->im, path, "expected an array of strings");
        return out;
    }
    json_array_foreach(v, i, s)
    {
        if (!json_is_string(s)) {
            char p[300];
            hw_import_error(c->im, pidx(p, sizeof(p), path, i), "expected a string");
        } else {
            json_array_append_new(out, json_string(json_string_value(s)));
        }
    }
    return out;
}

/* diskio resources: device names kept, every other device ignored (a PCRE2 lookahead). */
static json_t *cwa_io_ignore(struct cwa *c, const json_t *res, const char *path)
{
    json_t *names = strlist_copy(c, res, path);
    char re[2048];
    size_t n = (size_t)snprintf(re, sizeof(re), "^(?!(?:");
    size_t i;
    const json_t *s;
    int all = 0;
    json_array_foreach(names, i, s)
    {
        const char *d = json_string_value(s);
        all |= strcmp(d, "*") == 0;
        if (i > 0 && n < sizeof(re)) {
            re[n++] = '|';
        }
        for (; *d && n + 3 < sizeof(re); d++) {
            if (!isalnum((unsigned char)*d) && *d != '_' && *d != '-') {
                re[n++] = '\\';
            }
            re[n++] = *d;
        }
    }
    json_decref(names);
    if (all || n + 8 >= sizeof(re)) {
        return json_string("");
    }
    snprintf(re + n, sizeof(re) - n, ")$)");
    return json_string(re);
}

/* Keys every host plugin shares; returns 1 when k was one of them. */
static int cwa_common_key(struct cwa *c, int slot, const char *k, const json_t *v, const char *p)
{
    if (strcmp(k, "metrics_collection_interval") == 0) {
        long s = cwa_interval(c, v, p);
        c->iv[slot] = s > 0 ? s : 0;
        return 1;
    }
    if (strcmp(k, "append_dimensions") == 0) {
        hw_import_warn(c->im, p,
                       "not supported per plugin: hostwatch adds dimensions to every "
                       "metric (exporters.cloudwatch.dimensions); these are not sent");
        return 1;
    }
    if (strcmp(k, "drop_original_metrics") == 0) {
        hw_import_warn(c->im, p, "not supported: every listed metric is sent under its own name");
        return 1;
    }
    return 0;
}

static void cwa_mem_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    if (strcmp(k, "measurement") == 0) {
        cwa_measurements(c, "mem", mem_fields, v, p);
    } else if (!cwa_common_key(c, 0, k, v, p)) {
        hw_import_warn(c->im, p, "ignored: not a mem key hostwatch knows");
    }
}

static void cwa_swap_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    if (strcmp(k, "measurement") == 0) {
        cwa_measurements(c, "swap", swap_fields, v, p);
    } else if (!cwa_common_key(c, 3, k, v, p)) {
        hw_import_warn(c->im, p, "ignored: not a swap key hostwatch knows");
    }
}

static void cwa_disk_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    json_t *disk = obj_child(c->collectors, "disk");
    if (strcmp(k, "measurement") == 0) {
        cwa_measurements(c, "disk", disk_fields, v, p);
    } else if (strcmp(k, "resources") == 0) {
        json_object_set_new(disk, "mounts", strlist_copy(c, v, p));
    } else if (strcmp(k, "ignore_file_system_types") == 0) {
        json_object_set_new(disk, "ignore_fs_types", strlist_copy(c, v, p));
    } else if (strcmp(k, "drop_device") == 0 && json_is_boolean(v)) {
        json_object_set_new(disk, "drop_device", json_boolean(json_is_true(v)));
    } else if (!cwa_common_key(c, 1, k, v, p)) {
        hw_import_warn(c->im, p, "ignored: not a disk key hostwatch knows");
    }
}

static void cwa_diskio_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    if (strcmp(k, "measurement") == 0) {
        cwa_measurements(c, "diskio", diskio_fields, v, p);
    } else if (strcmp(k, "resources") == 0) {
        json_object_set_new(obj_child(c->collectors, "disk"), "io_ignore_devices",
                            cwa_io_ignore(c, v, p));
    } else if (!cwa_common_key(c, 2, k, v, p)) {
        hw_import_warn(c->im, p, "ignored: not a diskio key hostwatch knows");
    }
}

/* mem, disk and diskio map onto the memory and disk collectors; every other plugin is named. */
static void cwa_collected_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    if (strcmp(k, "mem") == 0 || strcmp(k, "swap") == 0) {
        json_t *mem = obj_child(c->collectors, "memory");
        /* the agent's formula and the host's figures, so migrated alarms see the same numbers */
        json_object_set_new(mem, "used", json_string("cloudwatch-agent"));
        json_object_set_new(mem, "scope", json_string("host"));
        c->seen[k[0] == 's' ? 3 : 0] = 1;
        cwa_each(c, v, p, k[0] == 's' ? cwa_swap_key : cwa_mem_key);
    } else if (strcmp(k, "disk") == 0) {
        (void)obj_child(c->collectors, "disk");
        c->seen[1] = 1;
        cwa_each(c, v, p, cwa_disk_key);
    } else if (strcmp(k, "diskio") == 0) {
        json_t *disk = obj_child(c->collectors, "disk");
        json_object_set_new(disk, "io", json_true());
        /* the agent reads every device, partitions included, when no resources are named */
        json_object_set_new(disk, "io_ignore_devices", json_string(""));
        c->seen[2] = 1;
        cwa_each(c, v, p, cwa_diskio_key);
    } else {
        const char *instead = "its metrics are not collected";
        for (size_t i = 0; i < sizeof(cwa_unsupported) / sizeof(cwa_unsupported[0]); i++) {
            if (strcmp(k, cwa_unsupported[i].name) == 0) {
                instead = cwa_unsupported[i].instead;
            }
        }
        hw_import_warn(c->im, p, "not supported by hostwatch: %s", instead);
    }
}

/* metrics.append_dimensions: the agent's ${aws:...} placeholders are hostwatch's too. */
static void cwa_dim_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    if (!json_is_string(v)) {
        hw_import_error(c->im, p, "expected a string");
    } else if (strstr(json_string_value(v), "${!")) {
        hw_import_warn(c->im, p,
                       "\"%s\" is an escaped placeholder the agent does not "
                       "resolve: not sent",
                       json_string_value(v));
    } else {
        json_object_set_new(obj_child(c->cw, "dimensions"), k, json_string(json_string_value(v)));
        c->has_dims = 1;
    }
}

static void cwa_aggregation(struct cwa *c, const json_t *ad, const char *path)
{
    size_t i;
    const json_t *set;
    char p[300];
    if (!json_is_array(ad)) {
        hw_import_error(c->im, path, "expected an array of arrays of dimension names");
        return;
    }
    json_t *out = json_array();
    json_array_foreach(ad, i, set)
    {
        json_array_append_new(out, strlist_copy(c, set, pidx(p, sizeof(p), path, i)));
    }
    json_object_set_new(c->cw, "aggregation_dimensions", out);
}

static void cwa_metrics_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    if (strcmp(k, "namespace") == 0 && json_is_string(v)) {
        json_object_set_new(c->cw, "namespace", json_string(json_string_value(v)));
    } else if (strcmp(k, "append_dimensions") == 0) {
        cwa_each(c, v, p, cwa_dim_key);
    } else if (strcmp(k, "aggregation_dimensions") == 0) {
        cwa_aggregation(c, v, p);
    } else if (strcmp(k, "force_flush_interval") == 0) {
        long s = cwa_interval(c, v, p);
        if (s > 0) {
            json_object_set_new(c->cw, "flush_interval", cwa_duration(s));
        }
    } else if (strcmp(k, "metrics_collected") == 0) {
        cwa_each(c, v, p, cwa_collected_key);
    } else if (strcmp(k, "endpoint_override") == 0 && json_is_string(v)) {
        json_object_set_new(c->cw, "endpoint", json_string(json_string_value(v)));
    } else if (strcmp(k, "metrics_destinations") == 0) {
        /* cloudwatch is the one destination hostwatch maps */
        if (json_object_size(v) != 1 || !json_object_get(v, "cloudwatch")) {
            hw_import_warn(c->im, p, "only the cloudwatch destination is imported");
        }
    } else {
        hw_import_warn(c->im, p, "not supported: ignored");
    }
}

/* logs: the files become log sources (no filters); shipping events is not hostwatch's job. */
/* What the logs section collects besides files: each named, since none of it is imported. */
static void cwa_logs_other(struct cwa *c, const json_t *logs)
{
    const char *k;
    const json_t *v;
    char p[300];
    json_object_foreach(json_object_get(logs, "logs_collected"), k, v)
    {
        if (strcmp(k, "files") != 0) {
            hw_import_warn(c->im, pjoin(p, sizeof(p), "logs.logs_collected", k),
                           "not supported: hostwatch reads log files only");
        }
    }
    if (json_object_get(logs, "metrics_collected")) {
        hw_import_warn(c->im, "logs.metrics_collected",
                       "not supported: hostwatch receives no EMF or Prometheus data from "
                       "applications (exporters.emf writes EMF of its own metrics)");
    }
}

static void cwa_logs(struct cwa *c, const json_t *logs)
{
    hw_import_warn(c->im, "logs",
                   "log events are not shipped to CloudWatch Logs: each "
                   "collect_list file_path becomes a log source for filters "
                   "(import metric-filters adds them)");
    if (expect_object(c, logs, "logs") != 0) {
        return;
    }
    cwa_logs_other(c, logs);
    const json_t *files = json_object_get(json_object_get(logs, "logs_collected"), "files");
    const json_t *list = json_object_get(files, "collect_list");
    size_t i;
    const json_t *e;
    char p[300];
    json_t *sources = json_array();
    json_array_foreach(list, i, e)
    {
        pidx(p, sizeof(p), "logs.logs_collected.files.collect_list", i);
        const json_t *fp = json_object_get(e, "file_path");
        if (!json_is_string(fp)) {
            hw_import_error(c->im, p, "file_path: expected a string");
            continue;
        }
        if (json_object_get(e, "filters")) {
            char kp[340];
            hw_import_warn(c->im, pjoin(kp, sizeof(kp), p, "filters"),
                           "not applied: they choose which events are shipped");
        }
        char name[32];
        snprintf(name, sizeof(name), "file%zu", i + 1);
        json_t *src = json_pack("{s:s, s:[s], s:[]}", "name", name, "paths", json_string_value(fp),
                                "filters");
        json_array_append_new(sources, src);
    }
    if (json_array_size(sources) > 0) {
        json_object_set(c->collectors, "logs", sources);
    }
    json_decref(sources);
}

/* Two plugins read by one collector (mem and swap, disk and diskio): the shorter interval. */
static void cwa_shared_interval(struct cwa *c, const char *coll, const char *a, const char *b,
                                long ia, long ib, int seen_a, int seen_b)
{
    long iv = seen_a ? ia : ib;
    if (seen_a && seen_b && ia != ib) {
        char p[64];
        iv = ia < ib ? ia : ib;
        snprintf(p, sizeof(p), "metrics.metrics_collected.%s", b);
        hw_import_warn(c->im, p,
                       "%s every %lds and %s every %lds: they share the %s collector, "
                       "which runs every %lds",
                       a, ia, b, ib, coll, iv);
    }
    if ((seen_a || seen_b) && iv != c->interval) {
        json_object_set_new(json_object_get(c->collectors, coll), "interval", cwa_duration(iv));
    }
}

/* The plugins' intervals onto the collectors (disk and diskio share one) and the storage
 * resolution: the agent stores what it collects more often than once a minute at 1 s. */
static void cwa_intervals(struct cwa *c)
{
    long eff[4], shortest = 0, longest = 0;
    for (int i = 0; i < 4; i++) {
        eff[i] = c->iv[i] ? c->iv[i] : c->interval;
        shortest = c->seen[i] && (!shortest || eff[i] < shortest) ? eff[i] : shortest;
        longest = c->seen[i] && eff[i] > longest ? eff[i] : longest;
    }
    cwa_shared_interval(c, "memory", "mem", "swap", eff[0], eff[3], c->seen[0], c->seen[3]);
    cwa_shared_interval(c, "disk", "disk", "diskio", eff[1], eff[2], c->seen[1], c->seen[2]);
    if (shortest > 0 && shortest < 60) {
        json_object_set_new(c->cw, "storage_resolution", json_integer(1));
        if (longest >= 60) {
            hw_import_warn(c->im, "metrics.metrics_collected",
                           "intervals below and above 60 s: the agent stores only the faster "
                           "plugins at 1 s, hostwatch stores every metric at 1 s (one "
                           "storage_resolution per exporter)");
        }
    }
}

/* Collectors the agent config does not name are switched off; the exporter's globals set. */
static void cwa_finish(struct cwa *c)
{
    json_t *agent = obj_child(c->out, "agent");
    json_object_set_new(agent, "interval", cwa_duration(c->interval));
    if (!json_object_get(c->collectors, "memory")) {
        json_object_set_new(c->collectors, "memory", json_pack("{s:b}", "enabled", 0));
    }
    json_t *disk = json_object_get(c->collectors, "disk");
    if (!disk) {
        json_object_set_new(c->collectors, "disk", json_pack("{s:b}", "enabled", 0));
    } else if (!json_object_get(disk, "io")) {
        json_object_set_new(disk, "io", json_false());
    }
    cwa_intervals(c);
    if (json_array_size(c->metrics) == 0) {
        /* an empty metrics list would mean every metric: switch the exporter off instead */
        json_object_set_new(c->cw, "enabled", json_false());
        hw_import_warn(c->im, "metrics.metrics_collected",
                       "no metric hostwatch collects is named: exporters.cloudwatch is "
                       "disabled");
    } else if (!c->has_dims && !c->omit_host) {
        hw_import_warn(c->im, "metrics",
                       "the agent adds a host dimension (the host name) when "
                       "append_dimensions is absent; hostwatch does not: set "
                       "exporters.cloudwatch.dimensions.host for alarms that "
                       "name it");
    }
}

static void cwa_top_key(struct cwa *c, const char *k, const json_t *v, const char *p)
{
    if (strcmp(k, "agent") == 0) {
        cwa_each(c, v, p, cwa_agent_key);
    } else if (strcmp(k, "metrics") == 0) {
        cwa_each(c, v, p, cwa_metrics_key);
    } else if (strcmp(k, "logs") == 0) {
        cwa_logs(c, v);
    } else if (strcmp(k, "traces") == 0) {
        hw_import_warn(c->im, p, "not supported: hostwatch neither receives nor sends traces");
    } else {
        hw_import_warn(c->im, p, "ignored: not a section of the CloudWatch agent config");
    }
}

json_t *hw_import_cwagent(const json_t *src, struct hw_import *im)
{
    struct cwa c = {.im = im, .interval = 60};
    if (!json_is_object(src)) {
        hw_import_error(im, NULL, "expected a JSON object (an amazon-cloudwatch-agent.json)");
        return NULL;
    }
    c.out = json_object();
    (void)obj_child(c.out, "agent");
    c.collectors = obj_child(c.out, "collectors");
    json_t *exporters = obj_child(c.out, "exporters");
    c.cw = obj_child(exporters, "cloudwatch");
    c.metrics = json_array();
    json_object_set_new(c.cw, "metrics", c.metrics);
    cwa_each(&c, src, "", cwa_top_key);
    if (c.interval <= 0) {
        c.interval = 60;
    }
    cwa_finish(&c);
    if (im->err.n > 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}
