#include "logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "filters/binding.h"
#include "filters/metricstate.h"
#include "log.h"
#include "loop.h"
#include "status.h"
#include "collectors/tail/logtail.h"
#include "collectors/tail/tailsrc.h"

static const char *const start_choices[] = {"end", "beginning", NULL};

const struct hw_opt logs_opts[] = {
    {.key = "name", .type = HW_OPT_STRING, .offset = offsetof(struct logs_conf, name),
     .help = "source name: the `source` label and the checkpoint key (default logs[N])"},
    {.key = "paths", .type = HW_OPT_STRLIST, .offset = offsetof(struct logs_conf, paths),
     .help = "absolute file paths or globs (wildcards in the file name only)"},
    {.key = "start_at", .type = HW_OPT_ENUM, .def = "end",
     .offset = offsetof(struct logs_conf, start_at), .choices = start_choices,
     .help = "where files found at the first start without a checkpoint are read from"},
    {.key = "max_line_size", .type = HW_OPT_SIZE, .def = "64KiB",
     .offset = offsetof(struct logs_conf, max_line_size), .min = 256, .max = 64 << 20,
     .help = "longer lines are counted and skipped whole"},
    {.key = "read_block", .type = HW_OPT_SIZE, .def = "256KiB",
     .offset = offsetof(struct logs_conf, read_block), .min = 4096, .max = 16 << 20,
     .help = "bytes per read"},
    {.key = "partial_flush", .type = HW_OPT_DURATION, .def = "0s",
     .offset = offsetof(struct logs_conf, partial_flush_ns), .min = 0, .max = 86400e9,
     .help = "deliver an unterminated last line idle this long (0s: wait for its newline)"},
    {.key = "rotate_wait", .type = HW_OPT_DURATION, .def = "5s",
     .offset = offsetof(struct logs_conf, rotate_wait_ns), .min = 0, .max = 3600e9,
     .help = "how long a rotated-away file is still read"},
    {.key = "inotify", .type = HW_OPT_BOOL, .def = "true",
     .offset = offsetof(struct logs_conf, inotify),
     .help = "wake up on inotify events (stat polling at the interval always runs)"},
    {.key = "filters", .type = HW_OPT_OBJLIST, .offset = offsetof(struct logs_conf, filters),
     .sub = binding_opts, .elem_size = sizeof(struct binding_conf),
     .help = "filters turning lines into metrics"},
    HW_OPT_END,
};

enum { SM_LINES, SM_BYTES, SM_TOO_LONG, SM_ROTATIONS, SM_READ_ERRORS, SM_NSOURCE };
enum { SM_MATCHES, SM_BAD_VALUES, SM_LIMIT_ERRORS, SM_DROPPED, SM_NFILTER };

static const struct hw_family_desc source_descs[SM_NSOURCE] = {
    {"hostwatch_log_lines_total", "Complete log lines read, by source.", "Count", HW_COUNTER,
     HW_VIEW_NODE, 0, NULL, 0},
    {"hostwatch_log_bytes_total", "Bytes of complete log lines read, by source.", "Bytes",
     HW_COUNTER, HW_VIEW_NODE, 0, NULL, 0},
    {"hostwatch_log_lines_too_long_total", "Lines over max_line_size, skipped whole.", "Count",
     HW_COUNTER, HW_VIEW_NODE, 0, NULL, 0},
    {"hostwatch_log_rotations_total", "Rotations, truncations and re-creations seen.", "Count",
     HW_COUNTER, HW_VIEW_NODE, 0, NULL, 0},
    {"hostwatch_log_read_errors_total", "Failed opens, reads and stats (retried).", "Count",
     HW_COUNTER, HW_VIEW_NODE, 0, NULL, 0},
};

/* Gauges of the source's lag, set at each collection (an fstat per open file). */
enum { LAG_BEHIND, LAG_GREW, LAG_N };
static const struct hw_family_desc lag_descs[LAG_N] = {
    {"hostwatch_log_bytes_behind", "Bytes written to a source's files and not read yet.",
     "Bytes", HW_GAUGE, HW_VIEW_NODE, 0, NULL, 0},
    {"hostwatch_log_last_growth_timestamp_seconds",
     "When a file of the source last grew (Unix time); absent before any did.", "Seconds",
     HW_GAUGE, HW_VIEW_NODE, 0, NULL, 0},
};

static const struct hw_family_desc filter_descs[SM_NFILTER] = {
    {"hostwatch_filter_matches_total", "Lines a filter matched.", "Count", HW_COUNTER,
     HW_VIEW_NODE, 0, NULL, 0},
    {"hostwatch_filter_bad_values_total", "Matches whose value was missing or not a number.",
     "Count", HW_COUNTER, HW_VIEW_NODE, 0, NULL, 0},
    {"hostwatch_filter_limit_errors_total",
     "Lines a filter gave up on (regex match limit, oversized JSON).", "Count", HW_COUNTER,
     HW_VIEW_NODE, 0, NULL, 0},
    {"hostwatch_series_dropped_total", "Metric updates dropped at the max_series bound.",
     "Count", HW_COUNTER, HW_VIEW_NODE, 0, NULL, 0},
};

struct logs_state {
    char owner[128];
    struct hw_registry *reg;
    struct tailsrc src;
    struct binding **bindings;
    size_t nbindings;
    const struct logs_conf *conf;
    struct hw_family *src_fam[SM_NSOURCE];
    struct hw_family *flt_fam[SM_NFILTER];
    struct hw_family *lag_fam[LAG_N];
    uint64_t rate_lines; /* lines at the previous status document, for lines_per_s */
    int64_t rate_ns;
};

static int logs_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct logs_conf *c = conf;
    int errs = 0;
    char kp[512];
    if (c->paths.n == 0) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "paths"), "at least one path needed");
        errs++;
    }
    for (size_t i = 0; i < c->paths.n; i++) {
        char ip[560];
        hw_path_idx(ip, sizeof(ip), hw_path_key(kp, sizeof(kp), path, "paths"), i);
        const char *slash = strrchr(c->paths.v[i], '/');
        if (c->paths.v[i][0] != '/') {
            hw_diag_add(d, ip, "\"%s\" is not an absolute path", c->paths.v[i]);
            errs++;
        } else if (strpbrk(c->paths.v[i], "*?[") &&
                   strpbrk(c->paths.v[i], "*?[") < slash) {
            hw_diag_add(d, ip, "wildcards are allowed in the file name only");
            errs++;
        }
    }
    const struct binding_conf *f = c->filters.items;
    for (size_t i = 0; i < c->filters.n; i++) {
        char fp[560];
        hw_path_idx(fp, sizeof(fp), hw_path_key(kp, sizeof(kp), path, "filters"), i);
        errs += binding_validate(&f[i], fp, d);
    }
    return errs;
}

static void logs_on_line(void *arg, const struct logtail_file_info *f, const char *line,
                         size_t len)
{
    struct logs_state *st = arg;
    (void)f;
    for (size_t i = 0; i < st->nbindings; i++) {
        (void)binding_apply(st->bindings[i], line, len, NULL);
    }
}

/* Copies the tailer's and the filters' own counters into the self-metric families. */
static void logs_report(void *arg)
{
    struct logs_state *st = arg;
    const struct logtail_stats *ts = logtail_stats(st->src.lt);
    const uint64_t src[SM_NSOURCE] = {ts->lines, ts->bytes, ts->lines_too_long, ts->rotations,
                                      ts->read_errors};
    const struct hw_label sl[] = {{"source", st->owner}};
    for (size_t i = 0; i < SM_NSOURCE; i++) {
        if (st->src_fam[i]) {
            hw_family_set(st->src_fam[i], sl, 1, (double)src[i]);
        }
    }
    for (size_t b = 0; b < st->nbindings; b++) {
        const struct binding_stats *bs = binding_stats(st->bindings[b]);
        const uint64_t flt[SM_NFILTER] = {bs->matches, bs->bad_values, bs->limit_errors,
                                          bs->dropped};
        const struct hw_label fl[] = {{"filter", binding_name(st->bindings[b])},
                                      {"source", st->owner}};
        for (size_t i = 0; i < SM_NFILTER; i++) {
            if (st->flt_fam[i]) {
                hw_family_set(st->flt_fam[i], fl, 2, (double)flt[i]);
            }
        }
    }
}

static void logs_destroy(void *state)
{
    struct logs_state *st = state;
    if (!st) {
        return;
    }
    tailsrc_close(&st->src);
    for (size_t i = 0; i < st->nbindings; i++) {
        binding_free(st->bindings[i]);
    }
    free(st->bindings);
    free(st);
}

static int logs_make_bindings(struct logs_state *st, const struct logs_conf *c)
{
    const struct binding_conf *f = c->filters.items;
    st->bindings = calloc(c->filters.n ? c->filters.n : 1, sizeof(*st->bindings));
    if (!st->bindings) {
        return -1;
    }
    for (size_t i = 0; i < c->filters.n; i++) {
        char err[256] = "";
        st->bindings[i] = binding_new(&f[i], st->reg, st->owner, err, sizeof(err));
        if (!st->bindings[i]) {
            hw_error("logs", "cannot set up filter", "source=%s filter=%zu error=\"%s\"",
                     st->owner, i, err);
            return -1;
        }
        st->nbindings++;
    }
    return 0;
}

static int logs_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    const struct logs_conf *c = conf;
    struct logs_state *st = calloc(1, sizeof(*st));
    if (!st) {
        return -1;
    }
    snprintf(st->owner, sizeof(st->owner), "%s", ctx->instance);
    st->reg = ctx->reg;
    st->conf = c;
    const struct logtail_opts lo = {
        .paths = (const char *const *)c->paths.v,
        .npaths = c->paths.n,
        .start_at = c->start_at == 1 ? LOGTAIL_START_BEGINNING : LOGTAIL_START_END,
        .max_line_size = (size_t)c->max_line_size,
        .read_block = (size_t)c->read_block,
        .partial_flush_ns = c->partial_flush_ns,
        .rotate_wait_ns = c->rotate_wait_ns,
        .use_inotify = c->inotify,
    };
    for (size_t i = 0; i < SM_NSOURCE; i++) {
        st->src_fam[i] = hw_registry_family(st->reg, &source_descs[i], NULL);
    }
    for (size_t i = 0; i < SM_NFILTER; i++) {
        st->flt_fam[i] = hw_registry_family(st->reg, &filter_descs[i], NULL);
    }
    for (size_t i = 0; i < LAG_N; i++) {
        st->lag_fam[i] = hw_registry_family(st->reg, &lag_descs[i], NULL);
    }
    if (logs_make_bindings(st, c) != 0 ||
        tailsrc_open(&st->src, &lo, ctx, logs_on_line, logs_report, st) != 0) {
        logs_destroy(st);
        return -1;
    }
    *state = st;
    return 0;
}

static int logs_collect(void *state)
{
    struct logs_state *st = state;
    int rc = tailsrc_collect(&st->src);
    logs_report(st);
    uint64_t behind;
    int64_t grew_ms;
    logtail_lag(st->src.lt, &behind, &grew_ms);
    const struct hw_label sl[] = {{"source", st->owner}};
    if (st->lag_fam[LAG_BEHIND]) {
        hw_family_set(st->lag_fam[LAG_BEHIND], sl, 1, (double)behind);
    }
    if (st->lag_fam[LAG_GREW] && grew_ms > 0) {
        hw_family_set(st->lag_fam[LAG_GREW], sl, 1, (double)grew_ms / 1000.0);
    }
    return rc;
}


/* Positions and the filters' values, taken at one instant on the loop thread, so a restart
 * from them neither loses nor counts a line twice. */
static json_t *logs_checkpoint(void *state)
{
    struct logs_state *st = state;
    json_t *metrics = json_object();
    json_t *files = logtail_checkpoint(st->src.lt);
    const struct binding_conf *f = st->conf->filters.items;
    for (size_t i = 0; metrics && i < st->nbindings; i++) {
        json_t *m = metricstate_save(binding_family(st->bindings[i]), (enum hw_mtype)f[i].type);
        if (!m || json_object_set_new(metrics, f[i].metric, m) != 0) {
            json_decref(metrics);
            metrics = NULL;
        }
    }
    if (!metrics || !files) {
        json_decref(metrics);
        json_decref(files);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "files", files, "metrics", metrics);
}

static int logs_restore(void *state, const json_t *saved, const char **why)
{
    struct logs_state *st = state;
    const json_t *files = json_object_get(saved, "files");
    const json_t *metrics = json_object_get(saved, "metrics");
    if (!json_is_array(files) || !json_is_object(metrics)) {
        *why = "not a log source checkpoint";
        return -1;
    }
    if (logtail_restore(st->src.lt, files, why) < 0) {
        return -1;
    }
    const struct binding_conf *f = st->conf->filters.items;
    for (size_t i = 0; i < st->nbindings; i++) {
        const json_t *m = json_object_get(metrics, f[i].metric);
        const char *mwhy = NULL;
        /* A metric whose definition changed (say counter to gauge) starts afresh alone. */
        if (m && metricstate_restore(binding_family(st->bindings[i]), (enum hw_mtype)f[i].type,
                                     m, (size_t)f[i].max_series, &mwhy) != 0) {
            hw_warn("logs", "saved values not restored", "source=%s metric=%s reason=\"%s\"",
                    st->owner, f[i].metric, mwhy);
        }
    }
    return 0;
}

/* Each filter's counters and how many of its max_series label sets are in use. */
static json_t *filters_status(const struct logs_state *st)
{
    json_t *a = json_array();
    const struct binding_conf *f = st->conf->filters.items;
    for (size_t i = 0; a && i < st->nbindings; i++) {
        const struct binding_stats *bs = binding_stats(st->bindings[i]);
        const struct hw_family *fam = binding_family(st->bindings[i]);
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "name",
                         binding_name(st->bindings[i]), "metric", binding_metric(st->bindings[i]),
                         "matches", (json_int_t)bs->matches, "bad_values",
                         (json_int_t)bs->bad_values, "limit_errors", (json_int_t)bs->limit_errors,
                         "dropped", (json_int_t)bs->dropped, "series",
                         (json_int_t)(fam ? hw_family_nseries(fam) : 0), "max_series",
                         (json_int_t)f[i].max_series));
    }
    return a ? a : json_array();
}

/* The status document: the source's counters and line rate, its files and its filters. */
static json_t *logs_status(void *state)
{
    struct logs_state *st = state;
    const struct logtail_stats *ts = logtail_stats(st->src.lt);
    const int64_t now = hw_now_mono_ns();
    const double rate = st->rate_ns && now > st->rate_ns
                            ? (double)(ts->lines - st->rate_lines) * 1e9 / (double)(now - st->rate_ns)
                            : 0.0;
    st->rate_lines = ts->lines;
    st->rate_ns = now;
    json_t *j = logtail_status(st->src.lt, HW_STATUS_MAX_FILES);
    json_t *counts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f, s:o}", "lines",
                               (json_int_t)ts->lines, "bytes", (json_int_t)ts->bytes,
                               "lines_too_long", (json_int_t)ts->lines_too_long, "rotations",
                               (json_int_t)ts->rotations, "read_errors",
                               (json_int_t)ts->read_errors, "lines_per_s", rate, "filters",
                               filters_status(st));
    if (j && counts) {
        json_object_update(counts, j);
    }
    json_decref(j);
    return counts;
}

/* `check --cost`: a labelled filter may reach max_series label sets. */
static void logs_series_bounds(const void *conf, void (*cb)(void *arg, const char *metric,
                                                            size_t most),
                               void *arg)
{
    const struct logs_conf *lc = conf;
    const struct binding_conf *f = lc->filters.items;
    for (size_t k = 0; k < lc->filters.n; k++) {
        if (f[k].labels.n > 0) {
            cb(arg, f[k].metric, (size_t)f[k].max_series);
        }
    }
}

const struct hw_collector hw_collector_logs = {
    .name = "logs",
    .help = "tail log files and turn lines into metrics with regex or filter-pattern filters",
    .opts = logs_opts,
    .conf_size = sizeof(struct logs_conf),
    .multi = 1,
    .default_interval_ns = 1000000000,
    .event_driven = 1,
    .validate = logs_validate,
    .create = logs_create,
    .collect = logs_collect,
    .checkpoint = logs_checkpoint,
    .restore = logs_restore,
    .destroy = logs_destroy,
    .test_filters = logs_test_filters,
    .series_bounds = logs_series_bounds,
    .status = logs_status,
};
