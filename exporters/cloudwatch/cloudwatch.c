#include "cloudwatch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporters/aws/aws_identity.h"
#include "cw_agg.h"
#include "cw_query.h"
#include "cw_send.h"
#include "diag.h"
#include "hash.h"
#include "log.h"
#include "loop.h"
#include "exporters/push/sampler.h"

static const char *const gauge_choices[] = {"statistics", "last", NULL};
/* In enum cw_proto's order. */
static const char *const protocol_choices[] = {"query", "json", NULL};

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
     .help = "extra datums with only these dimensions, e.g. [[\"AutoScalingGroupName\"]]",
     .schema = "{\"type\": \"array\", \"items\": {\"type\": \"array\", "
               "\"items\": {\"type\": \"string\"}}}"},
    {.key = "metrics", .type = HW_OPT_STRLIST, .offset = offsetof(struct cw_conf, metrics),
     .help = "metric name globs to send (default: every CloudWatch-named metric)"},
    {.key = "gauge", .type = HW_OPT_ENUM, .def = "statistics",
     .offset = offsetof(struct cw_conf, gauge_mode), .choices = gauge_choices,
     .help = "gauges as a statistic set over the interval, or the last value"},
    {.key = "protocol", .type = HW_OPT_ENUM, .def = "query",
     .offset = offsetof(struct cw_conf, protocol), .choices = protocol_choices,
     .help = "PutMetricData wire protocol: query (form-encoded) or json (AWS JSON 1.0, smaller)"},
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
    SAMPLER_OPT(struct cw_conf, sample_interval_ns),
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
static void cw_take_final(struct cw_exporter *st);
static uint64_t config_hash(const struct cw_conf *c);

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
    if (!st || !st->pt.started) {
        return;
    }
    cw_take_final(st);
    push_thread_stop(&st->pt);
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
    sampler_watch_free(&st->watch);
    sampler_free(&st->sampler);
    json_decref(st->committed);
    json_decref(st->restored);
    push_thread_destroy(&st->pt);
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
    st->config_hash = config_hash(st->conf);
    st->request_checkpoint = ctx->request_checkpoint;
    st->core = ctx->core;
    snprintf(st->state_dir, sizeof(st->state_dir), "%s", ctx->state_dir ? ctx->state_dir : ".");
    if (push_thread_init(&st->pt) != 0) {
        free(st);
        return -1;
    }
    sampler_init(&st->sampler, SAMPLER_AGGREGATE, st->conf->sample_interval_ns, ctx->interval_ns);
    /* Network set-up (libraries, region, identity, spool) happens in start(), so `check` and
     * a reload that fails early touch nothing. */
    *state = st;
    if (sampler_watch_init(&st->watch, (const char *const *)st->conf->flush_on_change.v,
                           st->conf->flush_on_change.n) != 0) {
        cw_destroy(st);
        return -1;
    }
    return 0;
}

static int cw_start(void *state)
{
    struct cw_exporter *st = state;
    return push_exporter_start(&st->pt, cw_thread, st, "cloudwatch");
}

/* The seed of the configuration hash saved with the counter baselines in state files: the same
 * for ever, or an upgrade would refuse the baselines an earlier version saved. */
#define CW_CONFIG_HASH_SEED 1469598103934665603ull

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return hw_fnv1a_str(h, s ? s : "");
}

/* What decides where and as what counters are sent: saved baselines are only taken back by an
 * exporter with the same (namespace is checked on its own). */
static uint64_t config_hash(const struct cw_conf *c)
{
    uint64_t h = fnv_str(fnv_str(CW_CONFIG_HASH_SEED, c->region), c->endpoint);
    for (size_t i = 0; i < c->metrics.n; i++) {
        h = fnv_str(h, c->metrics.v[i]);
    }
    for (size_t i = 0; i < c->dimensions.n; i++) {
        h = fnv_str(fnv_str(h, c->dimensions.keys[i]), c->dimensions.values[i]);
    }
    char *ad = c->aggregation_dimensions
                   ? json_dumps(c->aggregation_dimensions, JSON_COMPACT | JSON_ENCODE_ANY)
                   : NULL;
    h = fnv_str(h, ad);
    free(ad);
    return h;
}

/* Loop thread, at every state-file write: the baselines last committed. */
static json_t *cw_checkpoint(void *state)
{
    struct cw_exporter *st = state;
    pthread_mutex_lock(&st->pt.lock);
    json_t *c = json_incref(st->committed);
    pthread_mutex_unlock(&st->pt.lock);
    return c;
}

/* Before start(): baselines saved by an earlier run are checked now (so the core can log a
 * refusal), applied once the sender thread has built the aggregator, and stay the checkpoint
 * until then. */
static int cw_restore(void *state, const json_t *saved, const char **why)
{
    struct cw_exporter *st = state;
    if (cw_baselines_check(saved, st->conf->namespace_, st->config_hash, why) != 0) {
        return -1;
    }
    pthread_mutex_lock(&st->pt.lock);
    json_decref(st->restored);
    json_decref(st->committed);
    st->restored = json_incref((json_t *)saved);
    st->committed = json_incref((json_t *)saved);
    pthread_mutex_unlock(&st->pt.lock);
    return 0;
}

/* The baselines now in the aggregator become the checkpoint (call with the lock held). */
static json_t *cw_baselines_now(struct cw_exporter *st)
{
    return cw_agg_checkpoint(st->agg, st->conf->namespace_, st->config_hash,
                             CW_AGG_MAX_BASELINES);
}

/* Sender thread: committed replaces the checkpoint and the state file is written soon. A
 * failure to build it keeps the previous one (at most those increments are sent twice). */
static void cw_commit_baselines(struct cw_exporter *st, json_t *committed)
{
    if (!committed) {
        return;
    }
    pthread_mutex_lock(&st->pt.lock);
    json_decref(st->committed);
    st->committed = committed;
    pthread_mutex_unlock(&st->pt.lock);
    if (st->request_checkpoint) {
        st->request_checkpoint(st->core);
    }
}

/* With the lock held, after the aggregator's first snapshot: its baselines (restored, or the
 * values at start, which are never sent) become the checkpoint. */
static void cw_start_baselines(struct cw_exporter *st)
{
    if (st->start_taken) {
        return;
    }
    json_t *start = cw_baselines_now(st);
    if (start) {
        json_decref(st->committed);
        st->committed = start;
        st->start_taken = 1;
        if (st->request_checkpoint) {
            st->request_checkpoint(st->core);
        }
    }
}

/* Loop thread, after every publish: the families that are a sample now (exporters/push/sampler.h)
 * into the interval; a watched change is sent at once, with the event-driven families taken. */
static int cw_flush(void *state, const struct hw_snapshot *snap)
{
    struct cw_exporter *st = state;
    pthread_mutex_lock(&st->pt.lock);
    const int now = sampler_watch_changed(&st->watch, snap);
    const int n = sampler_take(&st->sampler, snap, hw_now_wall_ms(), now ? SAMPLE_EVENTS_NOW : 0);
    if (n < 0) {
        atomic_fetch_add(&st->stats.agg_errors, 1);
    } else if (n > 0 && !st->agg && !st->first_snap) {
        st->first_snap = hw_registry_acquire(st->reg); /* the snapshot just published */
    } else if (n > 0 && st->agg) {
        if (cw_agg_observe_some(st->agg, snap, st->sampler.stamps) != 0) {
            atomic_fetch_add(&st->stats.agg_errors, 1);
        }
        cw_start_baselines(st);
    }
    if (now) {
        push_thread_wake_locked(&st->pt);
    }
    pthread_mutex_unlock(&st->pt.lock);
    return 0;
}

/* Before the last send: the event-driven families as they are now, so what a log wrote since
 * the last sample is in it. */
static void cw_take_final(struct cw_exporter *st)
{
    const struct hw_snapshot *snap = hw_registry_acquire(st->reg);
    if (!snap) {
        return;
    }
    pthread_mutex_lock(&st->pt.lock);
    if (st->agg && sampler_take(&st->sampler, snap, hw_now_wall_ms(), SAMPLE_FINAL) > 0) {
        (void)cw_agg_observe_some(st->agg, snap, st->sampler.stamps);
    }
    pthread_mutex_unlock(&st->pt.lock);
    hw_snapshot_release(snap);
}

/* Takes the interval's datums under the lock, sends them outside it. */
static void cw_flush_interval(struct cw_exporter *st)
{
    struct cw_datums d;
    cw_datums_init(&d);
    pthread_mutex_lock(&st->pt.lock);
    int rc = st->agg ? cw_agg_flush(st->agg, hw_now_wall_ms(), &d) : -1;
    json_t *sent_up_to = rc == 0 && st->start_taken ? cw_baselines_now(st) : NULL;
    pthread_mutex_unlock(&st->pt.lock);
    if (rc == 0 && d.n > 0) {
        cw_send_datums(st, &d);
    }
    /* Delivered, spooled or dropped: never to be sent again, even after a kill -9. */
    cw_commit_baselines(st, sent_up_to);
    cw_datums_free(&d);
    cw_send_drain_spool(st);
}

/* The aggregator takes the restored baselines, then the snapshot held since start. */
static void cw_attach_agg(struct cw_exporter *st, struct cw_agg *agg)
{
    const char *why = "";
    pthread_mutex_lock(&st->pt.lock);
    st->agg = agg;
    if (st->restored && cw_agg_restore(agg, st->restored, CW_AGG_MAX_BASELINES, &why) != 0) {
        hw_warn("cloudwatch", "counter baselines not restored", "reason=\"%s\"", why);
    }
    json_decref(st->restored);
    st->restored = NULL;
    if (st->first_snap) {
        (void)cw_agg_observe(agg, st->first_snap);
        hw_snapshot_release(st->first_snap);
        st->first_snap = NULL;
        cw_start_baselines(st);
    }
    pthread_mutex_unlock(&st->pt.lock);
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
    cw_attach_agg(st, agg);
    clock_gettime(CLOCK_MONOTONIC, &due);
    int stopping = 0;
    while (!stopping) {
        stopping = push_thread_tick(&st->pt, &due, st->conf->flush_interval_ns);
        cw_flush_interval(st); /* the last one on stop: nothing produced is left behind */
    }
    return NULL;
}



/* `hostwatch once --format cloudwatch`: the request bodies the first flush of snap would send,
 * one per line. */
static int cw_print(const void *conf, const struct hw_snapshot *snap, const char *format,
                    FILE *out)
{
    const struct cw_conf *c = conf;
    (void)format;
    if (!c) {
        return 1; /* the namespace, dimensions and metrics come from a config */
    }
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
    const struct cw_query_opts qo = {.proto = (enum cw_proto)c->protocol, .ns = c->namespace_};
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

static const char *const cw_print_formats[] = {"cloudwatch", NULL};

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
    .checkpoint = cw_checkpoint,
    .restore = cw_restore,
    .print_formats = cw_print_formats,
    .print = cw_print,
    .cost = &cw_cost_ops,
    .status = cw_send_status,
};
