#include "cloudwatch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cw_batch.h"
#include "cw_query.h"
#include "cw_send.h"
#include "diag.h"
#include "log.h"

static const char *const gauge_choices[] = {"statistics", "last", NULL};

static const struct hw_opt spool_opts[] = {
    {.key = "dir", .type = HW_OPT_STRING, .offset = offsetof(struct cw_spool_conf, dir),
     .help = "spool directory (default <state_dir>/spool/cloudwatch)"},
    {.key = "max_size", .type = HW_OPT_SIZE, .def = "64MiB",
     .offset = offsetof(struct cw_spool_conf, max_size), .min = 0, .max = 1e12,
     .help = "spool bound; the oldest batches are dropped first (0: no spool)"},
    HW_OPT_END,
};

static const struct hw_opt cw_opts[] = {
    {.key = "namespace", .type = HW_OPT_STRING, .def = "CWAgent",
     .offset = offsetof(struct cw_conf, namespace_), .help = "CloudWatch namespace"},
    {.key = "region", .type = HW_OPT_STRING, .def = "auto",
     .offset = offsetof(struct cw_conf, region),
     .help = "region; auto: AWS_REGION, AWS_DEFAULT_REGION, profile, IMDS"},
    {.key = "endpoint", .type = HW_OPT_STRING, .offset = offsetof(struct cw_conf, endpoint),
     .help = "endpoint URL (else AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL, the region's)"},
    {.key = "flush_interval", .type = HW_OPT_DURATION, .def = "60s",
     .offset = offsetof(struct cw_conf, flush_interval_ns), .min = 1e9, .max = 3600e9,
     .help = "aggregation and send interval"},
    {.key = "storage_resolution", .type = HW_OPT_INT, .def = "60",
     .offset = offsetof(struct cw_conf, storage_resolution), .min = 1, .max = 60,
     .help = "1 (high resolution) or 60"},
    {.key = "dimensions", .type = HW_OPT_STRMAP, .offset = offsetof(struct cw_conf, dimensions),
     .help = "dimensions added to every datum; ${aws:InstanceId} and the like are expanded"},
    {.key = "aggregation_dimensions", .type = HW_OPT_JSON,
     .offset = offsetof(struct cw_conf, aggregation_dimensions),
     .help = "extra datums with only these dimensions, e.g. [[\"AutoScalingGroupName\"]]"},
    {.key = "metrics", .type = HW_OPT_STRLIST, .offset = offsetof(struct cw_conf, metrics),
     .help = "metric name globs to send (default: every CloudWatch-named metric)"},
    {.key = "gauge", .type = HW_OPT_ENUM, .def = "statistics",
     .offset = offsetof(struct cw_conf, gauge_mode), .choices = gauge_choices,
     .help = "gauges as a statistic set over the interval, or the last value"},
    {.key = "spool", .type = HW_OPT_OBJECT, .offset = offsetof(struct cw_conf, spool),
     .sub = spool_opts, .help = "on-disk spool for batches that could not be delivered"},
    {.key = "dry_run", .type = HW_OPT_BOOL, .def = "false",
     .offset = offsetof(struct cw_conf, dry_run),
     .help = "log what would be sent instead of sending (also when no credentials exist)"},
    {.key = "max_retries", .type = HW_OPT_INT, .def = "4",
     .offset = offsetof(struct cw_conf, max_retries), .min = 0, .max = 20,
     .help = "retries of one request (throttling, 5xx, network errors) before spooling"},
    {.key = "timeout", .type = HW_OPT_DURATION, .def = "10s",
     .offset = offsetof(struct cw_conf, timeout_ns), .min = 1e8, .max = 300e9,
     .help = "one request's time limit"},
    {.key = "tls_verify", .type = HW_OPT_BOOL, .def = "true",
     .offset = offsetof(struct cw_conf, tls_verify),
     .help = "verify the endpoint's certificate (turn off only for a custom endpoint)"},
    {.key = "ca_file", .type = HW_OPT_STRING, .offset = offsetof(struct cw_conf, ca_file),
     .help = "CA bundle for a custom endpoint"},
    {.key = "flush_on_change", .type = HW_OPT_STRLIST,
     .offset = offsetof(struct cw_conf, flush_on_change),
     .help = "metrics whose change is sent at once, not at the next flush (e.g. oracle_fsfo_is_primary)"},
    HW_OPT_END,
};

static int cw_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct cw_conf *c = conf;
    int errs = 0;
    char kp[300];
    if (c->storage_resolution != 1 && c->storage_resolution != 60) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "storage_resolution"),
                    "must be 1 or 60");
        errs++;
    }
    if (!c->namespace_ || !*c->namespace_ || strlen(c->namespace_) > 255 ||
        strncmp(c->namespace_, "AWS/", 4) == 0) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "namespace"),
                    "1-255 characters, not starting with \"AWS/\"");
        errs++;
    }
    const json_t *ad = c->aggregation_dimensions;
    size_t i, j;
    const json_t *set, *name;
    if (ad && !json_is_array(ad)) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "aggregation_dimensions"),
                    "expected an array of arrays of dimension names");
        return errs + 1;
    }
    json_array_foreach(ad, i, set)
    {
        int ok = json_is_array(set);
        json_array_foreach(set, j, name)
        {
            ok &= json_is_string(name);
        }
        if (!ok) {
            char ip[340];
            hw_path_idx(ip, sizeof(ip), hw_path_key(kp, sizeof(kp), path, "aggregation_dimensions"),
                        i);
            hw_diag_add(d, ip, "expected an array of dimension names");
            errs++;
        }
    }
    return errs;
}

static void *cw_thread(void *arg);

/* Builds the aggregator options from the config and the resolved static dimensions. */
static int cw_make_agg(struct cw_exporter *st, struct cw_agg **agg)
{
    const struct cw_conf *c = st->conf;
    size_t nsets = json_array_size(c->aggregation_dimensions);
    st->rollups = calloc(nsets ? nsets : 1, sizeof(*st->rollups));
    st->rollup_names = calloc(nsets ? nsets : 1, sizeof(*st->rollup_names));
    if (!st->rollups || !st->rollup_names) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < nsets; i++) {
        const json_t *set = json_array_get(c->aggregation_dimensions, i);
        size_t n = json_array_size(set);
        st->rollup_names[i] = calloc(n ? n : 1, sizeof(char *));
        if (!st->rollup_names[i]) {
            return -ENOMEM;
        }
        for (size_t k = 0; k < n; k++) {
            st->rollup_names[i][k] = json_string_value(json_array_get(set, k));
        }
        st->rollups[i] = (struct cw_dimset){(const char *const *)st->rollup_names[i], n};
    }
    st->nrollups = nsets;
    const struct cw_agg_opts o = {.metrics = (const char *const *)c->metrics.v,
                                  .nmetrics = c->metrics.n,
                                  .dims = st->dims,
                                  .ndims = st->ndims,
                                  .rollups = st->rollups,
                                  .nrollups = nsets,
                                  .storage_resolution = (int)c->storage_resolution,
                                  .gauge_mode = c->gauge_mode ? CW_GAUGE_LAST
                                                              : CW_GAUGE_STATISTICS};
    return cw_agg_new(&o, agg);
}

/* SIGTERM: the sender sends the last interval (or spools it) and ends. */
static void cw_stop(void *state)
{
    struct cw_exporter *st = state;
    if (!st || !st->thread_started) {
        return;
    }
    pthread_mutex_lock(&st->lock);
    st->stop = 1;
    pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
    pthread_join(st->thread, NULL);
    st->thread_started = 0;
}

static void cw_destroy(void *state)
{
    struct cw_exporter *st = state;
    if (!st) {
        return;
    }
    cw_stop(st);
    cw_send_close(st);
    hw_snapshot_release(st->first_snap);
    cw_agg_free(st->agg);
    for (size_t i = 0; st->rollup_names && i < st->nrollups; i++) {
        free(st->rollup_names[i]);
    }
    free(st->rollup_names);
    free(st->rollups);
    for (size_t i = 0; i < st->ndims; i++) {
        free((char *)st->dims[i].name);
        free((char *)st->dims[i].value);
    }
    free(st->dims);
    free(st->watch_hash);
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->cond);
    free(st);
}

static int cw_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    struct cw_exporter *st = calloc(1, sizeof(*st));
    if (!st) {
        return -1;
    }
    st->conf = conf;
    st->reg = ctx->reg;
    snprintf(st->state_dir, sizeof(st->state_dir), "%s", ctx->state_dir ? ctx->state_dir : ".");
    pthread_condattr_t ca;
    int ok = pthread_condattr_init(&ca) == 0;
    ok = ok && pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0;
    ok = ok && pthread_mutex_init(&st->lock, NULL) == 0 && pthread_cond_init(&st->cond, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ok) {
        free(st);
        return -1;
    }
    st->watch_hash = calloc(st->conf->flush_on_change.n + 1, sizeof(uint64_t));
    /* Network set-up (libraries, region, identity, spool) happens in start(), so `check` and
     * a reload that fails early touch nothing. */
    *state = st;
    return st->watch_hash ? 0 : (cw_destroy(st), -1);
}

static int cw_start(void *state)
{
    struct cw_exporter *st = state;
    if (pthread_create(&st->thread, NULL, cw_thread, st) != 0) {
        hw_error("cloudwatch", "cannot start the sender thread", "%s", "");
        return -1;
    }
    st->thread_started = 1;
    return 0;
}

/* FNV-1a over the values of a family: a change of a watched metric triggers a send now. */
static uint64_t family_hash(const struct hw_snap_family *f)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; f && i < f->nseries; i++) {
        const unsigned char *p = (const unsigned char *)&f->series[i].value;
        for (size_t k = 0; k < sizeof(double); k++) {
            h = (h ^ p[k]) * 1099511628211ull;
        }
        for (size_t k = 0; k < f->series[i].nlabels; k++) {
            for (const char *s = f->series[i].labels[k].value; *s; s++) {
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
            }
        }
    }
    return h;
}

/* Loop thread, after every publish: fold the snapshot into the interval (cheap). */
static int cw_flush(void *state, const struct hw_snapshot *snap)
{
    struct cw_exporter *st = state;
    int now = 0;
    pthread_mutex_lock(&st->lock);
    if (!st->agg && !st->first_snap) {
        st->first_snap = hw_registry_acquire(st->reg); /* the snapshot just published */
    }
    if (st->agg && cw_agg_observe(st->agg, snap) != 0) {
        atomic_fetch_add(&st->stats.agg_errors, 1);
    }
    for (size_t i = 0; i < st->conf->flush_on_change.n; i++) {
        uint64_t h = family_hash(hw_snapshot_find(snap, st->conf->flush_on_change.v[i]));
        if (st->watch_seen && h != st->watch_hash[i]) {
            now = 1;
        }
        st->watch_hash[i] = h;
    }
    st->watch_seen = 1;
    if (now) {
        st->flush_now = 1;
        pthread_cond_signal(&st->cond);
    }
    pthread_mutex_unlock(&st->lock);
    return 0;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes the interval's datums under the lock, sends them outside it. */
static void cw_flush_interval(struct cw_exporter *st)
{
    struct cw_datums d;
    cw_datums_init(&d);
    pthread_mutex_lock(&st->lock);
    int rc = st->agg ? cw_agg_flush(st->agg, wall_ms(), &d) : -1;
    pthread_mutex_unlock(&st->lock);
    if (rc == 0 && d.n > 0) {
        cw_send_datums(st, &d);
    }
    cw_datums_free(&d);
    cw_send_drain_spool(st);
}

static void *cw_thread(void *arg)
{
    struct cw_exporter *st = arg;
    struct timespec due;
    /* Region, identity and credentials may take network round trips: here, not on the loop. */
    if (cw_send_open(st) != 0) {
        hw_error("cloudwatch", "exporter not started", "%s", "");
        return NULL;
    }
    struct cw_agg *agg = NULL;
    if (cw_make_agg(st, &agg) != 0) {
        hw_error("cloudwatch", "cannot set up aggregation", "%s", "");
        return NULL;
    }
    pthread_mutex_lock(&st->lock);
    st->agg = agg;
    if (st->first_snap) {
        (void)cw_agg_observe(agg, st->first_snap);
        hw_snapshot_release(st->first_snap);
        st->first_snap = NULL;
    }
    pthread_mutex_unlock(&st->lock);
    clock_gettime(CLOCK_MONOTONIC, &due);
    pthread_mutex_lock(&st->lock);
    while (!st->stop) {
        int64_t ns = due.tv_nsec + st->conf->flush_interval_ns % 1000000000;
        due.tv_sec += st->conf->flush_interval_ns / 1000000000 + ns / 1000000000;
        due.tv_nsec = ns % 1000000000;
        while (!st->stop && !st->flush_now) {
            if (pthread_cond_timedwait(&st->cond, &st->lock, &due) == ETIMEDOUT) {
                break;
            }
        }
        st->flush_now = 0;
        int stopping = st->stop;
        pthread_mutex_unlock(&st->lock);
        cw_flush_interval(st); /* the last one on stop: nothing produced is left behind */
        pthread_mutex_lock(&st->lock);
        if (stopping) {
            break;
        }
    }
    pthread_mutex_unlock(&st->lock);
    return NULL;
}


const struct hw_exporter hw_exporter_cloudwatch = {
    .name = "cloudwatch",
    .help = "PutMetricData to Amazon CloudWatch (SigV4, batching, retries, on-disk spool)",
    .opts = cw_opts,
    .conf_size = sizeof(struct cw_conf),
    .validate = cw_validate,
    .create = cw_create,
    .start = cw_start,
    .flush = cw_flush,
    .report = cw_send_report,
    .stop = cw_stop,
    .destroy = cw_destroy,
};

int cw_print_bodies(const struct cw_conf *c, const struct hw_snapshot *snap, FILE *out)
{
    struct cw_exporter st = {.conf = c};
    struct cw_agg *agg = NULL;
    struct cw_datums d;
    struct cw_bodies b;
    int rc = -1;
    cw_datums_init(&d);
    cw_bodies_init(&b);
    /* Static dimensions from the environment only: `once` does not query IMDS. */
    st.dims = calloc(c->dimensions.n + 1, sizeof(*st.dims));
    for (size_t i = 0; st.dims && i < c->dimensions.n; i++) {
        char v[1100];
        if (aws_expand(NULL, c->region, c->dimensions.values[i], v, sizeof(v)) == 0 && v[0]) {
            st.dims[st.ndims].name = strdup(c->dimensions.keys[i]);
            st.dims[st.ndims++].value = strdup(v);
        }
    }
    const struct cw_query_opts qo = {.ns = c->namespace_};
    if (st.dims && cw_make_agg(&st, &agg) == 0 && cw_agg_observe(agg, snap) == 0 &&
        cw_agg_flush(agg, snap->timestamp_ms, &d) == 0 &&
        cw_query_encode(&qo, d.v, d.n, &b) == 0) {
        for (size_t i = 0; i < b.n; i++) {
            fprintf(out, "%s\n", b.v[i].text.data ? b.v[i].text.data : "");
        }
        rc = 0;
    }
    cw_bodies_free(&b);
    cw_datums_free(&d);
    cw_agg_free(agg);
    for (size_t i = 0; st.rollup_names && i < st.nrollups; i++) {
        free(st.rollup_names[i]);
    }
    free(st.rollup_names);
    free(st.rollups);
    for (size_t i = 0; i < st.ndims; i++) {
        free((char *)st.dims[i].name);
        free((char *)st.dims[i].value);
    }
    free(st.dims);
    return rc;
}
