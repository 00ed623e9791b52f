#include "route53.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "diag.h"
#include "log.h"
#include "loop.h"
#include "r53_model.h"
#include "r53_send.h"
#include "r53_xml.h"
#include "selfmetrics.h"
#include "status.h"

static const char *const type_choices[] = {"A", "AAAA", "CNAME", NULL};

static const struct hw_opt record_opts[] = {
    {.key = "name", .type = HW_OPT_STRING, .offset = offsetof(struct r53_record_conf, name),
     .help = "the record's name, e.g. db.corp.internal (a trailing dot is optional)"},
    {.key = "type", .type = HW_OPT_ENUM, .def = "CNAME", .choices = type_choices,
     .offset = offsetof(struct r53_record_conf, type), .help = "A, AAAA or CNAME"},
    {.key = "ttl", .type = HW_OPT_INT, .def = "60", .min = 0, .max = 2147483647,
     .offset = offsetof(struct r53_record_conf, ttl), .help = "the record's TTL in seconds"},
    {.key = "metric", .type = HW_OPT_STRING, .def = "oracle_fsfo_is_primary",
     .offset = offsetof(struct r53_record_conf, metric),
     .help = "the metric whose one series at 1 picks the value"},
    {.key = "label", .type = HW_OPT_STRING, .def = "database",
     .offset = offsetof(struct r53_record_conf, label),
     .help = "the label of that series whose value selects one of values"},
    {.key = "values", .type = HW_OPT_JSON, .offset = offsetof(struct r53_record_conf, values),
     .schema = "{\"type\": \"object\", \"minProperties\": 1, \"additionalProperties\": "
               "{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"array\", \"items\": "
               "{\"type\": \"string\"}, \"minItems\": 1, \"maxItems\": 16}]}}",
     .help = "label value -> the record's value: a name (CNAME), an address or an array of "
             "addresses (A, AAAA)"},
    HW_OPT_END,
};

static const struct hw_opt r53_opts[] = {
    {.key = "hosted_zone_id", .type = HW_OPT_STRING,
     .offset = offsetof(struct r53_conf, hosted_zone_id),
     .help = "the hosted zone holding the records, e.g. Z0123456789ABCDEFGHIJ"},
    {.key = "records", .type = HW_OPT_OBJLIST, .offset = offsetof(struct r53_conf, records),
     .sub = record_opts, .elem_size = sizeof(struct r53_record_conf),
     .help = "the records kept pointed at the selected value"},
    {.key = "min_interval", .type = HW_OPT_DURATION, .def = "10s", .min = 1e9, .max = 3600e9,
     .offset = offsetof(struct r53_conf, min_interval_ns),
     .help = "at most one change per record in this time (a flapping value settles on the newest)"},
    {.key = "endpoint", .type = HW_OPT_STRING, .offset = offsetof(struct r53_conf, endpoint),
     .help = "endpoint URL (else AWS_ENDPOINT_URL_ROUTE_53, AWS_ENDPOINT_URL, "
             "https://route53.amazonaws.com)"},
    {.key = "dry_run", .type = HW_OPT_BOOL, .def = "false",
     .offset = offsetof(struct r53_conf, dry_run),
     .help = "log the changes it would make instead of making them"},
    {.key = "timeout", .type = HW_OPT_DURATION, .def = "5s", .min = 1e8, .max = 60e9,
     .offset = offsetof(struct r53_conf, timeout_ns), .help = "one request's time limit"},
    {.key = "tls_verify", .type = HW_OPT_BOOL, .def = "true",
     .offset = offsetof(struct r53_conf, tls_verify),
     .help = "verify the endpoint's certificate (turn off only for a custom endpoint)"},
    {.key = "ca_file", .type = HW_OPT_STRING, .offset = offsetof(struct r53_conf, ca_file),
     .help = "CA bundle for a custom endpoint"},
    HW_OPT_END,
};

static const struct r53_record_conf *rec_conf(const struct r53_conf *c, size_t i)
{
    return (const struct r53_record_conf *)c->records.items + i;
}

/* One record's keys; a CNAME must be alone at its name and two records never share a name and
 * type (each would undo the other). */
static int validate_record(const struct r53_conf *c, size_t i, const char *rpath,
                           struct hw_diag *d)
{
    char kp[400], vp[600];
    const char *where, *why;
    const struct r53_record_conf *rc = rec_conf(c, i);
    struct r53_record r, o;
    int errs = 0;
    if (!rc->metric || !*rc->metric || !rc->label || !*rc->label) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), rpath, rc->metric && *rc->metric ? "label"
                                                                                   : "metric"),
                    "must not be empty");
        errs++;
    }
    if (r53_record_init(&r, rc, &where, &why) != 0) {
        const char *at = strcmp(where, "name") == 0 || strcmp(where, "values") == 0
                             ? hw_path_key(kp, sizeof(kp), rpath, where)
                             : hw_path_key(vp, sizeof(vp),
                                           hw_path_key(kp, sizeof(kp), rpath, "values"), where);
        hw_diag_add(d, at, "%s", why);
        r53_record_free(&r);
        return errs + 1;
    }
    for (size_t j = 0; j < i; j++) {
        if (r53_record_init(&o, rec_conf(c, j), &where, &why) == 0 &&
            strcmp(o.name, r.name) == 0 &&
            (o.type == r.type || o.type == R53_CNAME || r.type == R53_CNAME)) {
            hw_diag_add(d, hw_path_key(kp, sizeof(kp), rpath, "name"),
                        o.type == r.type ? "the same name and type as records[%zu]"
                                         : "a CNAME cannot share its name with records[%zu]",
                        j);
            errs++;
        }
        r53_record_free(&o);
    }
    r53_record_free(&r);
    return errs;
}

static int r53_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct r53_conf *c = conf;
    char kp[300], ip[340], zone[40];
    const char *why = NULL;
    int errs = 0;
    if (!r53_zone_id(c->hosted_zone_id, zone, sizeof(zone))) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "hosted_zone_id"),
                    c->hosted_zone_id ? "not a hosted zone id (Z followed by capital letters and "
                                        "digits)"
                                      : "required");
        errs++;
    }
    if (c->endpoint && *c->endpoint && !aws_url_allowed(c->endpoint, &why)) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "endpoint"), "%s", why);
        errs++;
    }
    if (c->records.n == 0) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "records"), "at least one record");
        errs++;
    }
    for (size_t i = 0; i < c->records.n; i++) {
        errs += validate_record(c, i,
                                hw_path_idx(ip, sizeof(ip),
                                            hw_path_key(kp, sizeof(kp), path, "records"), i),
                                d);
    }
    return errs;
}

/* The databases every fsfo instance names (collectors.fsfo, an object or an array of them). */
static int fsfo_knows(const json_t *root, const char *db, int *listed)
{
    const json_t *f = json_object_get(json_object_get(root, "collectors"), "fsfo");
    size_t n = json_is_array(f) ? json_array_size(f) : 1;
    for (size_t i = 0; f && i < n; i++) {
        const json_t *inst = json_is_array(f) ? json_array_get(f, i) : f;
        const json_t *dbs = json_object_get(inst, "databases");
        size_t k;
        const json_t *v;
        json_array_foreach(dbs, k, v)
        {
            *listed = 1;
            if (json_is_string(v) && strcasecmp(json_string_value(v), db) == 0) {
                return 1;
            }
        }
    }
    return 0;
}

/* A record driven by the FSFO role: its values' keys must be databases the fsfo collector
 * knows, where it lists them (a typo would never match). */
static int r53_validate_config(const void *conf, const char *path, const json_t *root,
                               struct hw_diag *d)
{
    const struct r53_conf *c = conf;
    int errs = 0;
    for (size_t i = 0; i < c->records.n; i++) {
        const struct r53_record_conf *rc = rec_conf(c, i);
        const char *key;
        const json_t *v;
        if (!rc->metric || strncmp(rc->metric, "oracle_fsfo_", 12) != 0 ||
            !json_is_object(rc->values)) {
            continue;
        }
        json_object_foreach((json_t *)rc->values, key, v)
        {
            int listed = 0;
            char kp[300], ip[340], vp[600];
            if (!fsfo_knows(root, key, &listed) && listed) {
                hw_path_key(kp, sizeof(kp), path, "records");
                hw_path_key(vp, sizeof(vp), hw_path_idx(ip, sizeof(ip), kp, i), "values");
                hw_diag_add(d, hw_path_key(kp, sizeof(kp), vp, key),
                            "not one of collectors.fsfo.databases");
                errs++;
            }
        }
    }
    return errs;
}

static void r53_destroy(void *state);

static int r53_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    const struct r53_conf *c = conf;
    struct r53_exporter *st = calloc(1, sizeof(*st));
    const char *where, *why;
    if (!st) {
        return -1;
    }
    st->conf = c;
    snprintf(st->owner, sizeof(st->owner), "%s", ctx->instance);
    (void)r53_zone_id(c->hosted_zone_id, st->zone, sizeof(st->zone));
    if (push_thread_init(&st->pt) != 0) {
        free(st);
        return -1;
    }
    *state = st;
    st->recs = calloc(c->records.n ? c->records.n : 1, sizeof(*st->recs));
    if (!st->recs) {
        r53_destroy(st);
        return -1;
    }
    for (size_t i = 0; i < c->records.n; i++, st->nrecs++) {
        struct r53_rec *r = &st->recs[i];
        if (r53_record_init(&r->rec, rec_conf(c, i), &where, &why) != 0) {
            r53_record_free(&r->rec); /* validate() passed, so only memory can fail */
            r53_destroy(st);
            return -1;
        }
        r53_state_init(&r->st);
        r->shared_desired = r->loop_desired = r->would_logged = -1;
        r->loop_pick = R53_PICK_NONE;
        atomic_store(&r->insync_ms, -1);
    }
    return 0;
}

static void r53_stop(void *state)
{
    struct r53_exporter *st = state;
    if (st) {
        push_thread_stop(&st->pt); /* level-triggered: nothing to finish */
    }
}

static void r53_destroy(void *state)
{
    struct r53_exporter *st = state;
    if (!st) {
        return;
    }
    r53_stop(st);
    r53_send_close(st);
    for (size_t i = 0; i < st->nrecs; i++) {
        r53_record_free(&st->recs[i].rec);
    }
    free(st->recs);
    push_thread_destroy(&st->pt);
    free(st);
}

static int64_t now_ms(void)
{
    return hw_now_mono_ns() / 1000000;
}

/* Full jitter, 200 ms doubling to 30 s: a throttled account is not hammered, and a network
 * that comes back is used within half a minute. */
static int64_t r53_delay(struct r53_exporter *st, const struct r53_rec *r)
{
    return 1 + push_jitter_ms(&st->rand_state, r->st.attempt, 200, 30000);
}

/* Without credentials nothing can be read or changed yet: say once per desired value what
 * would be changed, as a dry run does. */
static void log_would(struct r53_rec *r, enum r53_result res)
{
    const int d = r->st.desired;
    if (res != R53_RETRY || strcmp(r->last_code, "NoCredentials") != 0 || d < 0 ||
        d == r->would_logged) {
        return;
    }
    r->would_logged = d;
    hw_info("route53", "no credentials: would UPSERT", "record=%s value=%s %s=%s", r->rec.name,
            r->rec.values[d].canon, r->rec.conf->label, r->rec.values[d].key);
}

static void r53_do_upsert(struct r53_exporter *st, struct r53_rec *r)
{
    char id[R53_CHANGE_ID_MAX] = "";
    const int d = r->st.desired;
    enum r53_result res = R53_OK;
    if (st->dry_run) {
        hw_info("route53", "dry run: would UPSERT", "record=%s value=%s %s=%s", r->rec.name,
                r->rec.values[d].canon, r->rec.conf->label, r->rec.values[d].key);
        atomic_fetch_add(&r->changes[R53_N_DRY_RUN], 1);
    } else {
        res = r53_upsert(st, r, d, id, sizeof(id));
        log_would(r, res);
    }
    r53_on_upsert(&r->st, &r->rec, d, res, id, now_ms(), r53_delay(st, r));
}

/* One action of one record, as r53_next() decided. */
static void r53_act(struct r53_exporter *st, struct r53_rec *r, enum r53_action act)
{
    char canon[R53_VALUE_MAX] = "";
    int present = 0, insync = 0;
    int64_t ttl = 0;
    enum r53_result res;
    switch (act) {
    case R53_ACT_LIST:
        res = st->dry_run ? R53_REFUSED /* nothing is read either: current unknown */
                          : r53_list(st, r, &present, canon, sizeof(canon), &ttl);
        r53_on_list(&r->st, res, present, canon, ttl, now_ms(), r53_delay(st, r));
        log_would(r, res);
        if (res == R53_OK) {
            hw_info("route53", "record read", "record=%s value=%s ttl=%lld", r->rec.name,
                    present ? canon : "(none)", (long long)ttl);
        }
        break;
    case R53_ACT_UPSERT:
        r53_do_upsert(st, r);
        break;
    case R53_ACT_POLL: {
        res = r53_get_change(st, r, &insync);
        int64_t ms = r53_on_poll(&r->st, res, insync, now_ms());
        if (ms >= 0) {
            atomic_store(&r->insync_ms, ms);
            hw_info("route53", "change in sync", "record=%s seconds=%.3f", r->rec.name,
                    (double)ms / 1000.0);
        }
        break;
    }
    case R53_ACT_NONE:
        break;
    }
}

/* What the status document shows of r, copied under the lock the loop thread reads it with. */
static void r53_publish_view(struct r53_exporter *st, struct r53_rec *r)
{
    pthread_mutex_lock(&st->pt.lock);
    r->view.known = r->st.current_known;
    r->view.present = r->st.current_present;
    snprintf(r->view.current, sizeof(r->view.current), "%s", r->st.current);
    if (r->st.last_change_ms != INT64_MIN) {
        r->view.last_change_ms = hw_now_wall_ms() - (now_ms() - r->st.last_change_ms);
    }
    snprintf(r->view.last_error, sizeof(r->view.last_error), "%s", r->last_code);
    pthread_mutex_unlock(&st->pt.lock);
}

/* One pass over the records: every action due now; returns when to look again. */
static int64_t r53_pass(struct r53_exporter *st)
{
    const int64_t min_ms = st->conf->min_interval_ns / 1000000;
    int64_t due = now_ms() + 60000;
    pthread_mutex_lock(&st->pt.lock);
    for (size_t i = 0; i < st->nrecs; i++) {
        r53_set_desired(&st->recs[i].st, st->recs[i].shared_desired);
    }
    pthread_mutex_unlock(&st->pt.lock);
    for (size_t i = 0; i < st->nrecs; i++) {
        struct r53_rec *r = &st->recs[i];
        enum r53_action act = R53_ACT_NONE;
        for (int k = 0; k < 4; k++) { /* list, upsert, poll: at most a few in a row */
            act = r53_next(&r->st, &r->rec, now_ms(), min_ms, &due);
            if (act == R53_ACT_NONE) {
                break;
            }
            r53_act(st, r, act);
            r53_publish_view(st, r);
        }
        if (act != R53_ACT_NONE) {
            due = now_ms(); /* more is due: look again at once */
        }
    }
    return due;
}

static void *r53_thread(void *arg)
{
    struct r53_exporter *st = arg;
    if (r53_send_open(st) != 0) {
        hw_error("route53", "exporter not started", "zone=%s", st->zone);
        return NULL;
    }
    for (int stopping = 0; !stopping;) {
        int64_t wait = r53_pass(st) - now_ms();
        struct timespec due;
        clock_gettime(CLOCK_MONOTONIC, &due);
        stopping = push_thread_tick(&st->pt, &due, (wait < 1 ? 1 : wait) * 1000000);
    }
    return NULL;
}

static int r53_start(void *state)
{
    struct r53_exporter *st = state;
    return push_exporter_start(&st->pt, r53_thread, st, "route53");
}

/* A change of what the metric says, logged once: the operator sees why DNS does (not) move. */
static void log_pick(const struct r53_rec *r, int d, enum r53_pick pick, const char *seen)
{
    const struct r53_record_conf *c = r->rec.conf;
    if (pick == R53_PICK_ONE) {
        hw_info("route53", "desired value", "record=%s %s=%s value=%s", r->rec.name, c->label,
                r->rec.values[d].key, r->rec.values[d].canon);
    } else if (pick == R53_PICK_SEVERAL) {
        hw_warn("route53", "several series at 1: no desired value, the record is left as it is",
                "record=%s metric=%s", r->rec.name, c->metric);
    } else if (pick == R53_PICK_UNKNOWN) {
        hw_warn("route53", "the series at 1 names no configured value: the record is left as "
                "it is", "record=%s metric=%s %s=%s", r->rec.name, c->metric, c->label,
                seen ? seen : "(none)");
    } else {
        hw_info("route53", "no series at 1: no desired value yet", "record=%s metric=%s",
                r->rec.name, c->metric);
    }
}

/* Loop thread, after every publish: a new desired value wakes the sender at once. */
static int r53_flush(void *state, const struct hw_snapshot *snap)
{
    struct r53_exporter *st = state;
    int changed = 0;
    for (size_t i = 0; i < st->nrecs; i++) {
        struct r53_rec *r = &st->recs[i];
        enum r53_pick pick;
        const char *seen = NULL;
        int d = r53_desired(&r->rec, snap, &pick, &seen);
        if (d != r->loop_desired || pick != r->loop_pick ||
            (pick == R53_PICK_UNKNOWN && strcmp(seen ? seen : "", r->loop_seen) != 0)) {
            log_pick(r, d, pick, seen);
            snprintf(r->loop_seen, sizeof(r->loop_seen), "%s", seen ? seen : "");
        }
        r->loop_desired = d;
        r->loop_pick = pick;
    }
    pthread_mutex_lock(&st->pt.lock);
    for (size_t i = 0; i < st->nrecs; i++) {
        changed |= st->recs[i].shared_desired != st->recs[i].loop_desired;
        st->recs[i].shared_desired = st->recs[i].loop_desired;
    }
    if (changed) {
        push_thread_wake_locked(&st->pt);
    }
    pthread_mutex_unlock(&st->pt.lock);
    return 0;
}

static const char *const count_names[R53_N] = {"ok", "throttled", "error", "rejected",
                                               "dry_run"};

static const struct hw_family_desc changes_desc = {
    .name = "hostwatch_route53_changes_total",
    .help = "ChangeResourceRecordSets UPSERTs by record and result (dry_run: logged only).",
    .unit = "Count", .type = HW_COUNTER, .views = HW_VIEW_NODE};
static const struct hw_family_desc desired_desc = {
    .name = "hostwatch_route53_desired",
    .help = "1 for the value a record should hold now; absent while there is none.",
    .unit = "None", .type = HW_GAUGE, .views = HW_VIEW_NODE, .flags = HW_FAM_REPLACE};
static const struct hw_family_desc insync_desc = {
    .name = "hostwatch_route53_insync_seconds",
    .help = "Seconds from the latest accepted change of a record to Route 53 reporting INSYNC.",
    .unit = "Seconds", .type = HW_GAUGE, .views = HW_VIEW_NODE};

/* Loop thread, before each publish: the sender's counters and the desired values. */
static void r53_report(void *state, struct hw_registry *reg)
{
    struct r53_exporter *st = state;
    struct hw_family *ch = hw_registry_family(reg, &changes_desc, st->owner);
    struct hw_family *de = hw_registry_family(reg, &desired_desc, st->owner);
    struct hw_family *is = hw_registry_family(reg, &insync_desc, st->owner);
    hw_registry_begin(reg, st->owner);
    for (size_t i = 0; i < st->nrecs; i++) {
        const struct r53_rec *r = &st->recs[i];
        struct hw_label l[3] = {{"record", r->rec.name}, {"type", type_choices[r->rec.type]}};
        for (int k = 0; ch && k < R53_N; k++) {
            l[2] = (struct hw_label){"result", count_names[k]};
            (void)hw_family_set(ch, l, 3, (double)atomic_load(&r->changes[k]));
        }
        if (de && r->loop_desired >= 0) {
            l[2] = (struct hw_label){"value", r->rec.values[r->loop_desired].canon};
            (void)hw_family_set(de, l, 3, 1);
        }
        long long ms = atomic_load(&r->insync_ms);
        if (is && ms >= 0) {
            (void)hw_family_set(is, l, 2, (double)ms / 1000.0);
        }
    }
    hw_registry_sweep(reg, st->owner);
    const struct hw_export_row rows[] = {{HW_EXPORT_REQUESTS, "success", &st->stats.req_ok},
                                         {HW_EXPORT_REQUESTS, "error", &st->stats.req_error},
                                         {HW_EXPORT_REQUESTS, "throttled",
                                          &st->stats.req_throttled},
                                         {HW_EXPORT_REQUESTS, "rejected",
                                          &st->stats.req_rejected}};
    hw_selfmetrics_export(reg, "route53", rows, sizeof(rows) / sizeof(rows[0]));
}

/* `hostwatch once --format route53`: the change batch each record would get for snap, one
 * body per line; a record without a desired value is an XML comment saying why. */
static int r53_print(const void *conf, const struct hw_snapshot *snap, const char *format,
                     FILE *out)
{
    static const char *const pre[] = {"", "no series of ", "several series of ",
                                      "the series of "};
    static const char *const post[] = {"", " is 1", " are 1", " at 1 names no configured value"};
    const struct r53_conf *c = conf;
    const char *where, *why;
    int rc = 0;
    (void)format;
    if (!c) {
        return 1; /* the records come from a config */
    }
    for (size_t i = 0; i < c->records.n && rc == 0; i++) {
        struct r53_record r;
        struct hw_buf b;
        enum r53_pick pick;
        hw_buf_init(&b);
        if (r53_record_init(&r, rec_conf(c, i), &where, &why) != 0) {
            rc = -1;
        } else {
            int d = r53_desired(&r, snap, &pick, NULL);
            if (d < 0) {
                fprintf(out, "<!-- %s %s: no change: %s%s%s -->\n", r.name,
                        type_choices[r.type], pre[pick], r.conf->metric, post[pick]);
            } else if (r53_xml_upsert(&r, r.values[d].canon, NULL, &b) == 0) {
                fputs(b.data, out);
            } else {
                rc = -1;
            }
        }
        r53_record_free(&r);
        hw_buf_free(&b);
    }
    return rc;
}

static json_t *record_status(struct r53_rec *r)
{
    char at[40];
    const int d = r->loop_desired;
    hw_status_time(r->view.last_change_ms, at, sizeof(at));
    const long long ms = atomic_load(&r->insync_ms);
    return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:o, s:s?}", "name", r->rec.name, "type",
                     type_choices[r->rec.type], "desired", d >= 0 ? r->rec.values[d].canon : NULL,
                     "current", r->view.known ? (r->view.present ? r->view.current : "(none)")
                                              : NULL,
                     "last_change_at", at[0] ? at : NULL, "insync_s",
                     ms >= 0 ? json_real((double)ms / 1000.0) : json_null(), "last_error",
                     r->view.last_error[0] ? r->view.last_error : NULL);
}

/* The status document: each record's desired and current value, its latest change. */
static json_t *r53_status(void *state)
{
    struct r53_exporter *st = state;
    json_t *recs = json_array();
    int failing = 0;
    pthread_mutex_lock(&st->pt.lock);
    for (size_t i = 0; recs && i < st->nrecs; i++) {
        json_array_append_new(recs, record_status(&st->recs[i]));
        failing |= st->recs[i].view.last_error[0] != '\0';
    }
    pthread_mutex_unlock(&st->pt.lock);
    return json_pack("{s:s, s:s, s:b, s:o}", "state",
                     st->conf->dry_run ? "dry_run" : failing ? "retrying" : "ok", "zone", st->zone,
                     "dry_run", st->conf->dry_run, "records", recs ? recs : json_array());
}

static const char *const r53_print_formats[] = {"route53", NULL};

const struct hw_exporter hw_exporter_route53 = {
    .name = "route53",
    .help = "keeps Route 53 records pointed at the value a metric selects (the FSFO primary)",
    .opts = r53_opts,
    .conf_size = sizeof(struct r53_conf),
    .validate = r53_validate,
    .validate_config = r53_validate_config,
    .create = r53_create,
    .start = r53_start,
    .flush = r53_flush,
    .report = r53_report,
    .stop = r53_stop,
    .destroy = r53_destroy,
    .print_formats = r53_print_formats,
    .print = r53_print,
    .status = r53_status,
};
