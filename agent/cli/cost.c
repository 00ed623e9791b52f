/* hostwatch check --cost: one collection on this host (twice, so counters have a baseline and
 * are counted like every other series), each exporter's estimate of it (its cost slot), and
 * the bill that follows at the configured flush interval. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cost.h"

#define COST_MAX_SINKS 8

struct cost_sink {
    struct hw_cost_line line;
    const struct hw_cost_ops *ops;
    void *est;
    const struct hw_cost_metric *by_name;
    size_t nnames;
};

/* The exporters of the config that send to CloudWatch, each with its estimate. */
static size_t cost_sinks(const struct hw_agent *a, struct cost_sink *s)
{
    size_t n = 0;
    const struct hw_config *cfg = a->cfg;
    for (size_t i = cfg->ncollectors; i < cfg->ncollectors + cfg->nexporters; i++) {
        const struct hw_inst_conf *ic = &cfg->insts[i];
        if (!ic->common.enabled || !ic->exp->cost || n == COST_MAX_SINKS) {
            continue;
        }
        struct cost_sink *x = &s[n];
        memset(x, 0, sizeof(*x));
        x->ops = ic->exp->cost;
        if (!(x->est = x->ops->begin(ic->conf, ic->name, &x->line))) {
            fprintf(stderr, "%s: %s: cannot set up the aggregation\n", cfg->file, ic->path);
            continue;
        }
        n++;
    }
    return n;
}

static void cost_sinks_free(struct cost_sink *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s[i].ops->free(s[i].est);
    }
}

static int collect_and_observe(struct hw_agent *a, struct cost_sink *s, size_t n)
{
    for (size_t i = 0; i < a->cfg->ncollectors; i++) {
        if (a->insts[i].state) {
            hw_agent_collect(a, i);
        }
    }
    const struct hw_snapshot *snap = hw_registry_acquire(a->reg);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        rc |= s[i].ops->observe(s[i].est, snap);
    }
    hw_snapshot_release(snap);
    return rc;
}

static size_t sink_count_of(const struct cost_sink *s, const char *metric)
{
    for (size_t i = 0; i < s->nnames; i++) {
        if (strcmp(s->by_name[i].name, metric) == 0) {
            return s->by_name[i].n;
        }
    }
    return 0;
}

struct growth {
    const struct cost_sink *s;
    size_t extra;
};

/* A metric that may reach `most` label sets, each with the exporter's roll-ups. */
static void add_growth(void *arg, const char *metric, size_t most)
{
    struct growth *g = arg;
    size_t now = sink_count_of(g->s, metric);
    size_t at_most = most * g->s->ops->per_series(g->s->est, metric);
    g->extra += at_most > now ? at_most - now : 0;
}

/* What the collectors' bounded series (labelled log filters at max_series) add at most. */
static size_t sink_growth(const struct hw_agent *a, const struct cost_sink *s)
{
    struct growth g = {s, 0};
    for (size_t i = 0; i < a->cfg->ncollectors; i++) {
        const struct hw_inst_conf *ic = &a->cfg->insts[i];
        if (ic->common.enabled && ic->col->series_bounds) {
            ic->col->series_bounds(ic->conf, add_growth, &g);
        }
    }
    return g.extra;
}

/* Finishes each estimate as at a flush: counts, requests and bytes. */
static int cost_measure(const struct hw_agent *a, struct cost_sink *s, size_t n, int64_t ms)
{
    for (size_t i = 0; i < n; i++) {
        struct cost_sink *x = &s[i];
        if (x->ops->finish(x->est, ms, &x->line, &x->by_name, &x->nnames) != 0) {
            return -1;
        }
        x->line.metrics_max = x->line.metrics + sink_growth(a, x);
    }
    return 0;
}

static int64_t snapshot_ms(const struct hw_agent *a)
{
    const struct hw_snapshot *snap = hw_registry_acquire(a->reg);
    int64_t ms = snap->timestamp_ms;
    hw_snapshot_release(snap);
    return ms;
}

/* The cost.prices section of a config over p; 0 when absent or valid, else -1 with err set. */
static int config_prices(const char *config, struct hw_prices *p, char *err, size_t errlen)
{
    json_t *root = json_load_file(config, 0, NULL);
    const json_t *inconf = json_object_get(root, "cost");
    int rc = 0;
    if (inconf) {
        char where[300];
        snprintf(where, sizeof(where), "%s: cost", config);
        if (!json_is_object(inconf)) {
            snprintf(err, errlen, "%s: expected an object", where);
            rc = -1;
        }
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)inconf, k, v)
        {
            if (strcmp(k, "prices") != 0) {
                snprintf(err, errlen, "%s: %s: unknown key (did you mean \"prices\"?)", where, k);
                rc = -1;
            }
        }
        snprintf(where, sizeof(where), "%s: cost.prices", config);
        const json_t *pr = json_object_get(inconf, "prices");
        rc = rc == 0 && pr ? hw_prices_apply(p, pr, where, err, errlen) : rc;
    }
    json_decref(root);
    return rc;
}

int hw_cost_check_config(const char *config)
{
    struct hw_prices p;
    char err[512] = "";
    hw_prices_default(&p);
    if (config_prices(config, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int load_prices(const char *config, const char *file, struct hw_prices *p)
{
    char err[512] = "";
    hw_prices_default(p);
    int rc = config_prices(config, p, err, sizeof(err));
    if (rc == 0 && file) {
        json_error_t je;
        json_t *j = json_load_file(file, 0, &je);
        if (!j) {
            snprintf(err, sizeof(err), "%s:%d:%d: %s", file, je.line, je.column, je.text);
            rc = -1;
        } else {
            rc = hw_prices_apply(p, j, file, err, sizeof(err));
            json_decref(j);
        }
    }
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
    }
    return rc;
}

static json_t *cost_json(const char *config, const struct hw_prices *p, const struct cost_sink *s,
                         size_t n, const struct hw_cost_total *t)
{
    json_t *ex = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct hw_cost_line *l = &s[i].line;
        json_t *by = json_object();
        for (size_t k = 0; k < s[i].nnames; k++) {
            json_object_set_new(by, s[i].by_name[k].name,
                                json_integer((json_int_t)s[i].by_name[k].n));
        }
        json_array_append_new(
            ex, json_pack("{s:s, s:s, s:f, s:i, s:I, s:I, s:I, s:f, s:f, s:o}", "exporter",
                          l->exporter, "namespace", l->ns, "flush_interval_s", l->flush_s,
                          "storage_resolution", l->high_res ? 1 : 60, "metrics",
                          (json_int_t)l->metrics, "metrics_max", (json_int_t)l->metrics_max,
                          "requests_per_flush", (json_int_t)l->requests_per_flush, "requests_month",
                          l->requests_month, "emf_bytes_month", l->bytes_month, "by_metric", by));
    }
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:I, s:f, s:f, s:{s:f, s:f, s:f, s:f}}}",
                     "config", config, "prices", "source", p->source, "read_on", p->read_on,
                     "region", p->region, "exporters", ex, "total", "metrics",
                     (json_int_t)t->metrics, "requests_month", t->requests_month, "emf_bytes_month",
                     t->bytes_month, "usd_month", "metrics", t->usd_metrics, "requests",
                     t->usd_requests, "logs_ingestion", t->usd_logs, "total", t->usd_total);
}

static void cost_table(FILE *out, const char *config, const struct hw_prices *p,
                       const struct cost_sink *s, size_t n, const struct hw_cost_total *t)
{
    fprintf(out, "CloudWatch cost of %s on this host, per month (730 h)\n", config);
    fprintf(out, "prices: %s, %s, read %s\n\n", p->region, p->source, p->read_on);
    fprintf(out, "%-12s %-16s %8s %8s %8s %6s %14s %14s\n", "exporter", "namespace", "metrics",
            "at most", "req/flush", "flush", "requests", "EMF bytes");
    for (size_t i = 0; i < n; i++) {
        const struct hw_cost_line *l = &s[i].line;
        fprintf(out, "%-12s %-16s %8zu %8zu %8zu %5.0fs %14.0f %14.0f%s\n", l->exporter, l->ns,
                l->metrics, l->metrics_max, l->requests_per_flush, l->flush_s, l->requests_month,
                l->bytes_month, l->high_res ? "  (high resolution)" : "");
        for (size_t k = 0; k < s[i].nnames; k++) {
            fprintf(out, "  %-40s %6zu\n", s[i].by_name[k].name, s[i].by_name[k].n);
        }
    }
    fprintf(out, "\n%-34s %14s %10s\n", "item", "quantity", "USD");
    fprintf(out, "%-34s %14zu %10.2f\n", "custom metrics (at most)", t->metrics, t->usd_metrics);
    fprintf(out, "%-34s %14.0f %10.2f\n", "PutMetricData requests", t->requests_month,
            t->usd_requests);
    fprintf(out, "%-34s %11.3f GB %10.2f\n", "EMF log ingestion", t->bytes_month / 1073741824.0,
            t->usd_logs);
    fprintf(out, "%-34s %14s %10.2f\n", "total", "", t->usd_total);
    fprintf(out, "\nThe free tier (10 metrics, 1,000,000 requests, 5 GB of logs per account) is "
                 "not subtracted.\n");
    for (size_t i = 0; i < n; i++) {
        if (s[i].line.high_res) {
            fprintf(out,
                    "%s stores at 1 s (high resolution): the same price per metric; "
                    "alarms on them are high-resolution alarms.\n",
                    s[i].line.exporter);
        }
    }
}

int hw_cost_run(const char *config, const char *prices_file, int json, FILE *out)
{
    struct hw_prices p;
    if (load_prices(config, prices_file, &p) != 0) {
        return 1;
    }
    struct hw_agent *a = hw_agent_new(config, HW_MODE_ONCE);
    if (!a) {
        return 1;
    }
    struct cost_sink s[COST_MAX_SINKS];
    size_t n = cost_sinks(a, s);
    int rc = 1;
    if (n == 0) {
        fprintf(stderr,
                "%s: no exporters.cloudwatch or exporters.emf: nothing reaches "
                "CloudWatch\n",
                config);
    } else if (collect_and_observe(a, s, n) == 0 && collect_and_observe(a, s, n) == 0 &&
               cost_measure(a, s, n, snapshot_ms(a)) == 0) {
        struct hw_cost_line lines[COST_MAX_SINKS];
        for (size_t i = 0; i < n; i++) {
            lines[i] = s[i].line;
        }
        struct hw_cost_total t;
        hw_cost_total(lines, n, &p, &t);
        if (json) {
            json_t *j = cost_json(config, &p, s, n, &t);
            const size_t fl = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12);
            rc = j && json_dumpf(j, out, fl) == 0 ? 0 : 1;
            fputc('\n', out);
            json_decref(j);
        } else {
            cost_table(out, config, &p, s, n, &t);
            rc = 0;
        }
    } else {
        fprintf(stderr, "%s: check --cost: out of memory\n", config);
    }
    cost_sinks_free(s, n);
    hw_agent_free(a);
    return rc;
}
