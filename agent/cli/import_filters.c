/* aws logs describe-metric-filters output -> log sources with pattern filters. A metric filter
 * publishes metricValue for each matching event and CloudWatch sums them per period: a hostwatch
 * counter sent as its increase per flush gives the same Sum. Two filters writing one metric with
 * different constants (a 1/0 pair: "is primary" / "is not") are one gauge set by both. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "filters/cwpattern.h"
#include "import.h"

struct mf_xform {
    const char *filter, *pattern, *group, *metric, *ns, *value, *unit;
    const json_t *dims;
    int has_default;
    double def;
    int is_const;
    double cval;
    char path[160];
};

static int mf_const(const char *v, double *out)
{
    char *end;
    *out = strtod(v, &end);
    return end != v && *end == '\0';
}

static const char *mf_str(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The transformations of one filter into x; returns how many were added. */
static size_t mf_read_filter(const json_t *f, size_t i, struct mf_xform *x, size_t room,
                             struct hw_import *im)
{
    char p[64];
    hw_path_idx(p, sizeof(p), "metricFilters", i);
    const char *name = mf_str(f, "filterName");
    const char *pat = mf_str(f, "filterPattern");
    const json_t *mts = json_object_get(f, "metricTransformations");
    if (!name || !pat || !json_is_array(mts)) {
        hw_import_error(im, p, "needs filterName, filterPattern and metricTransformations");
        return 0;
    }
    size_t n = 0, j;
    const json_t *mt;
    json_array_foreach(mts, j, mt)
    {
        if (n == room) {
            break;
        }
        struct mf_xform *t = &x[n];
        memset(t, 0, sizeof(*t));
        char kp[128];
        hw_path_idx(t->path, sizeof(t->path),
                    hw_path_key(kp, sizeof(kp), p, "metricTransformations"), j);
        t->filter = name;
        t->pattern = pat;
        t->group = mf_str(f, "logGroupName");
        t->metric = mf_str(mt, "metricName");
        t->ns = mf_str(mt, "metricNamespace");
        t->value = mf_str(mt, "metricValue");
        t->unit = mf_str(mt, "unit");
        t->dims = json_object_get(mt, "dimensions");
        const json_t *dv = json_object_get(mt, "defaultValue");
        t->has_default = json_is_number(dv);
        t->def = json_number_value(dv);
        if (!t->metric || !t->ns || !t->value) {
            hw_import_error(im, t->path, "needs metricName, metricNamespace and metricValue");
            continue;
        }
        t->is_const = mf_const(t->value, &t->cval);
        n++;
    }
    return n;
}

/* The --path group that holds g's events: its own, else "*". */
static const char *mf_glob_group(const struct hw_import_path *paths, size_t np, const char *g)
{
    const char *any = NULL;
    for (size_t i = 0; i < np; i++) {
        if (g && strcmp(paths[i].group, g) == 0) {
            return paths[i].group;
        }
        any = !any && strcmp(paths[i].group, "*") == 0 ? paths[i].group : any;
    }
    return any;
}

/* A CloudWatch metric name hostwatch cannot take as it is ("404Count", "PDF Sizes") gets the
 * nearest valid name, and the user is told. */
static void mf_metric_name(const struct mf_xform *t, char *out, size_t len, struct hw_import *im)
{
    size_t n = 0;
    if (isdigit((unsigned char)t->metric[0]) && len > 1) {
        out[n++] = '_';
    }
    for (const char *s = t->metric; *s && n + 1 < len; s++) {
        out[n++] = isalnum((unsigned char)*s) || *s == '_' || *s == ':' ? *s : '_';
    }
    out[n] = '\0';
    if (strcmp(out, t->metric) != 0) {
        hw_import_warn(im, t->path,
                       "metric \"%s\" is sent as \"%s\" (hostwatch metric names "
                       "are [a-zA-Z_:][a-zA-Z0-9_:]*)",
                       t->metric, out);
    }
}

/* What CloudWatch accepts as a metricValue or dimension: a field the pattern defines, any
 * JSON selector of a JSON pattern, or a field position ("$7") of a delimited one. */
static int mf_field_ok(const struct cwp *cwp, const char *src)
{
    const char *names[CWP_MAX_FIELDS];
    size_t nn = cwp_field_names(cwp, names, CWP_MAX_FIELDS);
    if (src[0] != '$') {
        return 0;
    }
    if ((cwp_kind(cwp) == CWP_JSON && src[1] == '.') ||
        (cwp_kind(cwp) == CWP_DELIMITED && src[1] &&
         strspn(src + 1, "0123456789") == strlen(src + 1))) {
        return 1;
    }
    for (size_t i = 0; i < nn; i++) {
        if (strcmp(names[i], src) == 0) {
            return 1;
        }
    }
    return 0;
}

/* dimensions {"EventType": "$eventtype"} -> labels ["EventType=$eventtype"]; NULL (reported)
 * when one names nothing the pattern extracts. */
static json_t *mf_labels(const struct mf_xform *t, const struct cwp *cwp, struct hw_import *im)
{
    json_t *labels = json_array();
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)t->dims, k, v)
    {
        const char *src = json_is_string(v) ? json_string_value(v) : "";
        char buf[300];
        if (!mf_field_ok(cwp, src)) {
            hw_import_warn(im, t->path,
                           "filter \"%s\": dimension %s = \"%s\" is not a field "
                           "of its pattern: not imported",
                           t->filter, k, src);
            json_decref(labels);
            return NULL;
        }
        snprintf(buf, sizeof(buf), "%s=%s", k, src);
        json_array_append_new(labels, json_string(buf));
    }
    return labels;
}

/* Counter, or gauge where every transformation of this metric writes a constant and they
 * are not all the same constant. */
static const char *mf_type(const struct mf_xform *x, size_t n, const struct mf_xform *t)
{
    int differ = 0;
    for (size_t i = 0; i < n; i++) {
        if (&x[i] != t && strcmp(x[i].metric, t->metric) == 0 && strcmp(x[i].ns, t->ns) == 0) {
            if (!x[i].is_const || !t->is_const) {
                return "counter";
            }
            differ += x[i].cval != t->cval;
        }
    }
    return differ > 0 ? "gauge" : "counter";
}

static json_t *mf_filter(const struct mf_xform *x, size_t n, const struct mf_xform *t,
                         struct hw_import *im)
{
    char err[256];
    size_t col = 0;
    struct cwp *cwp = cwp_compile(t->pattern, err, sizeof(err), &col);
    if (!cwp) {
        hw_import_warn(im, t->path,
                       "filter \"%s\": pattern not supported: column %zu: %s: not "
                       "imported",
                       t->filter, col, err);
        return NULL;
    }
    if (!t->is_const && !mf_field_ok(cwp, t->value)) {
        hw_import_warn(im, t->path,
                       "filter \"%s\": value \"%s\" is not a field of its pattern: "
                       "not imported",
                       t->filter, t->value);
        cwp_free(cwp);
        return NULL;
    }
    char metric[256];
    mf_metric_name(t, metric, sizeof(metric), im);
    json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "name", t->filter, "metric", metric, "type",
                          mf_type(x, n, t), "pattern", t->pattern);
    json_t *value = !t->is_const                             ? json_string(t->value)
                    : t->cval == (double)(json_int_t)t->cval ? json_integer((json_int_t)t->cval)
                                                             : json_real(t->cval);
    json_object_set_new(f, "value", value);
    if (t->unit && strcmp(t->unit, "None") != 0) {
        json_object_set_new(f, "unit", json_string(t->unit));
    }
    json_t *labels = json_object_size(t->dims) > 0 ? mf_labels(t, cwp, im) : json_array();
    if (!labels) {
        json_decref(f);
        cwp_free(cwp);
        return NULL;
    }
    if (json_array_size(labels) > 0) {
        json_object_set(f, "labels", labels);
    }
    json_decref(labels);
    if (t->has_default && t->def != 0) {
        hw_import_warn(im, t->path,
                       "defaultValue %g not supported: a period without a match "
                       "sends 0 for a counter",
                       t->def);
    }
    if (!t->is_const) {
        hw_import_warn(im, t->path,
                       "value %s: the Sum statistic matches CloudWatch's; "
                       "SampleCount, Average, Minimum and Maximum describe the "
                       "flush interval, not each event",
                       t->value);
    }
    cwp_free(cwp);
    return f;
}

/* The namespace most transformations use; the exporter has one. */
static const char *mf_namespace(const struct mf_xform *x, size_t n)
{
    const char *best = n ? x[0].ns : "CWAgent";
    size_t bestc = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        for (size_t j = 0; j < n; j++) {
            c += strcmp(x[i].ns, x[j].ns) == 0;
        }
        if (c > bestc) {
            best = x[i].ns;
            bestc = c;
        }
    }
    return best;
}

static json_t *mf_source(json_t *logs, const char *group, const struct hw_import_path *paths,
                         size_t np)
{
    size_t i;
    json_t *s;
    json_array_foreach(logs, i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "log_group")), group) == 0) {
            return s;
        }
    }
    /* the source is named after its log group: "/oracle/fsfo/observer" -> oracle_fsfo_observer */
    char name[128];
    size_t n = 0;
    for (const char *c = group; *c && n + 8 < sizeof(name); c++) {
        if (isalnum((unsigned char)*c) ||
            ((*c == '_' || *c == '-' || *c == '/' || *c == '.') && n > 0 && name[n - 1] != '_')) {
            name[n++] = isalnum((unsigned char)*c) || *c == '-' ? *c : '_';
        }
    }
    while (n > 0 && name[n - 1] == '_') {
        n--;
    }
    if (n == 0) { /* nothing usable in the group's name */
        snprintf(name, sizeof(name), "group%zu", json_array_size(logs) + 1);
    } else {
        name[n] = '\0';
    }
    s = json_pack("{s:s, s:s, s:[], s:[]}", "log_group", group, "name", name, "paths", "filters");
    for (i = 0; i < np; i++) {
        if (strcmp(paths[i].group, group) == 0) {
            json_array_append_new(json_object_get(s, "paths"), json_string(paths[i].glob));
        }
    }
    json_array_append_new(logs, s);
    return s;
}

static void mf_add_metric(json_t *metrics, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(metrics, i, v)
    {
        if (strcmp(json_string_value(v), name) == 0) {
            return;
        }
    }
    json_array_append_new(metrics, json_string(name));
}

/* Each transformation of a mapped log group as a filter of its group's source. */
static void mf_build(const struct mf_xform *x, size_t n, const struct hw_import_path *paths,
                     size_t np, json_t *logs, json_t *cw, struct hw_import *im)
{
    const char *ns = mf_namespace(x, n);
    json_object_set_new(cw, "namespace", json_string(ns));
    json_t *metrics = json_object_get(cw, "metrics");
    for (size_t i = 0; i < n; i++) {
        const struct mf_xform *t = &x[i];
        const char *g = mf_glob_group(paths, np, t->group);
        if (!g) {
            hw_import_warn(im, t->path,
                           "filter \"%s\": no --path for log group \"%s\": not "
                           "imported",
                           t->filter, t->group ? t->group : "(none)");
            continue;
        }
        json_t *f = mf_filter(x, n, t, im);
        if (!f) {
            continue;
        }
        if (strcmp(t->ns, ns) != 0) {
            hw_import_warn(im, t->path,
                           "namespace \"%s\": sent in \"%s\" (one namespace per "
                           "CloudWatch exporter)",
                           t->ns, ns);
        }
        mf_add_metric(metrics, json_string_value(json_object_get(f, "metric")));
        json_array_append_new(json_object_get(mf_source(logs, g, paths, np), "filters"), f);
    }
}

json_t *hw_import_filters(const json_t *src, const struct hw_import_path *paths, size_t npaths,
                          struct hw_import *im)
{
    const json_t *list = json_object_get(src, "metricFilters");
    if (!json_is_array(list)) {
        hw_import_error(im, "metricFilters",
                        "expected an array (aws logs "
                        "describe-metric-filters output)");
        return NULL;
    }
    size_t cap = 0, n = 0, i;
    const json_t *f;
    json_array_foreach(list, i, f)
    {
        cap += json_array_size(json_object_get(f, "metricTransformations"));
    }
    struct mf_xform *x = calloc(cap ? cap : 1, sizeof(*x));
    if (!x) {
        hw_import_error(im, NULL, "out of memory");
        return NULL;
    }
    json_array_foreach(list, i, f)
    {
        n += mf_read_filter(f, i, x + n, cap - n, im);
    }
    json_t *logs = json_array();
    json_t *cw = json_pack("{s:s, s:[]}", "namespace", "CWAgent", "metrics");
    mf_build(x, n, paths, npaths, logs, cw, im);
    free(x);
    json_array_foreach(logs, i, f)
    {
        json_object_del((json_t *)f, "log_group");
    }
    json_t *out =
        json_pack("{s:{s:{s:b}, s:{s:b}, s:o}, s:{s:o}}", "collectors", "memory", "enabled", 0,
                  "disk", "enabled", 0, "logs", logs, "exporters", "cloudwatch", cw);
    if (im->err.n > 0 || !out) {
        json_decref(out);
        return NULL;
    }
    return out;
}
