#include "fsfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "fsfo_parse.h"
#include "log.h"
#include "loop.h"
#include "status.h"
#include "collectors/tail/logtail.h"
#include "collectors/tail/tailsrc.h"

#define FSFO_MAX_DBS 32

struct fsfo_conf {
    struct hw_strlist observer_logs;
    struct hw_strlist databases;
    uint64_t max_line_size;
    int64_t rotate_wait_ns;
    int inotify;
};

static const struct hw_opt fsfo_opts[] = {
    {.key = "observer_logs", .type = HW_OPT_STRLIST,
     .offset = offsetof(struct fsfo_conf, observer_logs),
     .help = "observer log paths or globs (wildcards in the file name only)"},
    {.key = "databases", .type = HW_OPT_STRLIST, .offset = offsetof(struct fsfo_conf, databases),
     .help = "DB_UNIQUE_NAMEs known in advance; names seen in the log are added"},
    {.key = "max_line_size", .type = HW_OPT_SIZE, .def = "64KiB",
     .offset = offsetof(struct fsfo_conf, max_line_size), .min = 256, .max = 64 << 20,
     .help = "longer lines are skipped whole"},
    {.key = "rotate_wait", .type = HW_OPT_DURATION, .def = "5s",
     .offset = offsetof(struct fsfo_conf, rotate_wait_ns), .min = 0, .max = 3600e9,
     .help = "how long a rotated-away observer log is still read"},
    {.key = "inotify", .type = HW_OPT_BOOL, .def = "true",
     .offset = offsetof(struct fsfo_conf, inotify), .help = "wake up on inotify events"},
    HW_OPT_END,
};

enum { F_IS_PRIMARY, F_FAILOVERS, F_SWITCHOVERS, F_REINSTATES, F_ROLE_CHANGES, F_LAST_CHANGE,
       F_OBSERVER_UP, F_N };

static const struct hw_family_desc fsfo_descs[F_N] = {
    {"oracle_fsfo_is_primary", "1 for the primary database, 0 for every other known one; absent "
     "while the observer log has not said which is primary.", "None", HW_GAUGE, HW_VIEW_ALL,
     HW_FAM_REPLACE, NULL, 0},
    {"oracle_fsfo_failovers_total", "Fast-start and manual failovers seen.", "Count", HW_COUNTER,
     HW_VIEW_ALL, 0, NULL, 0},
    {"oracle_fsfo_switchovers_total", "Switchovers seen.", "Count", HW_COUNTER, HW_VIEW_ALL, 0,
     NULL, 0},
    {"oracle_fsfo_reinstatements_total", "Reinstatements of a former primary.", "Count",
     HW_COUNTER, HW_VIEW_ALL, 0, NULL, 0},
    {"oracle_fsfo_role_changes_total", "Failovers, switchovers and newly detected primaries.",
     "Count", HW_COUNTER, HW_VIEW_ALL, 0, NULL, 0},
    {"oracle_fsfo_last_role_change_timestamp_seconds",
     "When the agent read the latest role change (Unix time).", "Seconds", HW_GAUGE,
     HW_VIEW_ALL, HW_FAM_REPLACE, NULL, 0},
    {"oracle_fsfo_observer_up", "1 after the observer started, 0 after it stopped; absent "
     "before either was seen.", "None", HW_GAUGE, HW_VIEW_ALL, HW_FAM_REPLACE, NULL, 0},
};

struct fsfo_col {
    char owner[128];
    struct hw_registry *reg;
    enum hw_mode mode;
    struct tailsrc src;
    struct fsfo_state st;
    char dbs[FSFO_MAX_DBS][FSFO_NAME_MAX + 1]; /* known databases, first spelling kept */
    size_t ndbs;
    double last_change; /* Unix time, 0 = never */
    struct hw_family *fam[F_N];
    /* the latest event read (status document; not checkpointed) */
    enum fsfo_event last_ev;
    char last_file[512], last_text[301];
    uint64_t last_line;
    int64_t last_ms;
};

static int fsfo_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct fsfo_conf *c = conf;
    char kp[300];
    int errs = 0;
    if (c->observer_logs.n == 0) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "observer_logs"),
                    "at least one observer log needed");
        errs++;
    }
    for (size_t i = 0; i < c->observer_logs.n; i++) {
        if (c->observer_logs.v[i][0] != '/') {
            char ip[340];
            hw_path_idx(ip, sizeof(ip), hw_path_key(kp, sizeof(kp), path, "observer_logs"), i);
            hw_diag_add(d, ip, "\"%s\" is not an absolute path", c->observer_logs.v[i]);
            errs++;
        }
    }
    if (c->databases.n > FSFO_MAX_DBS) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "databases"), "at most %d databases",
                    FSFO_MAX_DBS);
        errs++;
    }
    return errs;
}

static void fsfo_know(struct fsfo_col *c, const char *name)
{
    for (size_t i = 0; i < c->ndbs; i++) {
        if (fsfo_name_equal(c->dbs[i], name)) {
            return;
        }
    }
    if (c->ndbs < FSFO_MAX_DBS) {
        snprintf(c->dbs[c->ndbs++], sizeof(c->dbs[0]), "%s", name);
    }
}

/* Publishes the state machine: the role gauge only once a primary is known, so "unknown" is
 * an absent series (and a failing health rule), never a misleading 0. */
static void fsfo_publish(void *arg)
{
    struct fsfo_col *c = arg;
    hw_registry_begin(c->reg, c->owner);
    for (size_t i = 0; c->st.has_primary && i < c->ndbs; i++) {
        const struct hw_label l[] = {{"database", c->dbs[i]}};
        hw_family_set(c->fam[F_IS_PRIMARY], l, 1,
                      fsfo_name_equal(c->dbs[i], c->st.primary) ? 1 : 0);
    }
    hw_family_set(c->fam[F_FAILOVERS], NULL, 0, (double)c->st.failovers);
    hw_family_set(c->fam[F_SWITCHOVERS], NULL, 0, (double)c->st.switchovers);
    hw_family_set(c->fam[F_REINSTATES], NULL, 0, (double)c->st.reinstatements);
    hw_family_set(c->fam[F_ROLE_CHANGES], NULL, 0, (double)c->st.role_changes);
    if (c->last_change > 0) {
        hw_family_set(c->fam[F_LAST_CHANGE], NULL, 0, c->last_change);
    }
    if (c->st.observer_up >= 0) {
        hw_family_set(c->fam[F_OBSERVER_UP], NULL, 0, c->st.observer_up);
    }
    hw_registry_sweep(c->reg, c->owner);
}

static void fsfo_on_line(void *arg, const struct logtail_file_info *f, const char *line,
                         size_t len)
{
    struct fsfo_col *c = arg;
    const char *name = NULL;
    enum fsfo_event ev = fsfo_apply_line(&c->st, line, len, &name);
    if (ev == FSFO_EV_NONE) {
        return;
    }
    if (name) {
        fsfo_know(c, name);
    }
    c->last_ev = ev;
    c->last_line = f->line_no;
    c->last_ms = hw_now_wall_ms();
    snprintf(c->last_file, sizeof(c->last_file), "%s", f->path);
    snprintf(c->last_text, sizeof(c->last_text), "%.*s", (int)(len > 300 ? 300 : len), line);
    if (ev == FSFO_EV_FAILOVER || ev == FSFO_EV_SWITCHOVER || ev == FSFO_EV_PRIMARY_DETECTED) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        c->last_change = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
        if (c->mode == HW_MODE_RUN) {
            hw_info("fsfo", "role change", "event=%s primary=%s file=%s line=%llu",
                    fsfo_event_name(ev), c->st.has_primary ? c->st.primary : "unknown",
                    f->path, (unsigned long long)f->line_no);
        }
    }
}

/* The status document: the role of every known database, the observer, the latest event. */
static json_t *fsfo_status(void *state)
{
    struct fsfo_col *c = state;
    json_t *dbs = json_array(), *ev = json_null();
    for (size_t i = 0; dbs && i < c->ndbs; i++) {
        const char *role = !c->st.has_primary                         ? "unknown"
                           : fsfo_name_equal(c->dbs[i], c->st.primary) ? "primary"
                                                                       : "standby";
        json_array_append_new(dbs, json_pack("{s:s, s:s}", "name", c->dbs[i], "role", role));
    }
    if (c->last_ms > 0) {
        char at[40];
        hw_status_time(c->last_ms, at, sizeof(at));
        ev = json_pack("{s:s, s:s, s:s, s:I, s:s}", "kind", fsfo_event_name(c->last_ev), "at", at,
                       "file", c->last_file, "line", (json_int_t)c->last_line, "text",
                       c->last_text);
    }
    json_t *files = logtail_status(c->src.lt, HW_STATUS_MAX_FILES);
    json_t *j = json_pack("{s:s?, s:o, s:o, s:I, s:I, s:I, s:o}", "primary",
                          c->st.has_primary ? c->st.primary : NULL, "observer_up",
                          c->st.observer_up < 0 ? json_null() : json_boolean(c->st.observer_up),
                          "databases", dbs ? dbs : json_array(), "failovers",
                          (json_int_t)c->st.failovers, "switchovers",
                          (json_int_t)c->st.switchovers, "reinstatements",
                          (json_int_t)c->st.reinstatements, "last_event", ev ? ev : json_null());
    if (j && files) {
        json_object_update(j, files);
    }
    json_decref(files);
    return j;
}

static void fsfo_destroy(void *state)
{
    struct fsfo_col *c = state;
    if (!c) {
        return;
    }
    tailsrc_close(&c->src);
    free(c);
}

static int fsfo_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    const struct fsfo_conf *cf = conf;
    struct fsfo_col *c = calloc(1, sizeof(*c));
    if (!c) {
        return -1;
    }
    snprintf(c->owner, sizeof(c->owner), "%s", ctx->instance);
    c->reg = ctx->reg;
    c->mode = ctx->mode;
    fsfo_state_init(&c->st);
    for (size_t i = 0; i < cf->databases.n; i++) {
        fsfo_know(c, cf->databases.v[i]);
    }
    for (size_t i = 0; i < F_N; i++) {
        if (!(c->fam[i] = hw_registry_family(c->reg, &fsfo_descs[i], c->owner))) {
            fsfo_destroy(c);
            return -1;
        }
    }
    /* The whole history is read at the first start: the current primary is in it. */
    const struct logtail_opts lo = {
        .paths = (const char *const *)cf->observer_logs.v,
        .npaths = cf->observer_logs.n,
        .start_at = LOGTAIL_START_BEGINNING,
        .max_line_size = (size_t)cf->max_line_size,
        .read_block = 64 * 1024,
        .rotate_wait_ns = cf->rotate_wait_ns,
        .use_inotify = cf->inotify,
    };
    if (tailsrc_open(&c->src, &lo, ctx, fsfo_on_line, fsfo_publish, c) != 0) {
        fsfo_destroy(c);
        return -1;
    }
    *state = c;
    return 0;
}

static int fsfo_collect(void *state)
{
    struct fsfo_col *c = state;
    int rc = tailsrc_collect(&c->src);
    fsfo_publish(c);
    return rc;
}

static json_t *fsfo_checkpoint(void *state)
{
    struct fsfo_col *c = state;
    json_t *dbs = json_array();
    for (size_t i = 0; dbs && i < c->ndbs; i++) {
        json_array_append_new(dbs, json_string(c->dbs[i]));
    }
    json_t *files = logtail_checkpoint(c->src.lt);
    json_t *st = fsfo_state_save(&c->st);
    if (!dbs || !files || !st) {
        json_decref(dbs);
        json_decref(files);
        json_decref(st);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:o, s:f}", "files", files, "state", st, "databases", dbs,
                     "last_change", c->last_change);
}

/* Role, counters and positions come back together, so the gauge is right before any new
 * line arrives after a restart. */
static int fsfo_restore(void *state, const json_t *saved, const char **why)
{
    struct fsfo_col *c = state;
    const json_t *files = json_object_get(saved, "files");
    const json_t *st = json_object_get(saved, "state");
    const json_t *dbs = json_object_get(saved, "databases");
    const json_t *last = json_object_get(saved, "last_change");
    struct fsfo_state tmp;
    fsfo_state_init(&tmp);
    if (!json_is_array(files) || !json_is_array(dbs) || !json_is_number(last)) {
        *why = "not an FSFO checkpoint";
        return -1;
    }
    if (fsfo_state_restore(&tmp, st, why) != 0 || logtail_restore(c->src.lt, files, why) < 0) {
        return -1;
    }
    c->st = tmp;
    size_t i;
    const json_t *d;
    json_array_foreach(dbs, i, d)
    {
        if (json_is_string(d) && strlen(json_string_value(d)) <= FSFO_NAME_MAX) {
            fsfo_know(c, json_string_value(d));
        }
    }
    c->last_change = json_number_value(last);
    fsfo_publish(c);
    return 0;
}

const struct hw_collector hw_collector_fsfo = {
    .name = "fsfo",
    .help = "Oracle Data Guard fast-start failover observer log: which database is primary",
    .opts = fsfo_opts,
    .conf_size = sizeof(struct fsfo_conf),
    .default_interval_ns = 1000000000,
    .event_driven = 1,
    .status = fsfo_status,
    .validate = fsfo_validate,
    .create = fsfo_create,
    .collect = fsfo_collect,
    .checkpoint = fsfo_checkpoint,
    .restore = fsfo_restore,
    .destroy = fsfo_destroy,
};
