/* exporters.emf: Embedded Metric Format documents; the format's rules are in emf.h. */
#include "exporters/aws/aws_identity.h"
#include "emf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exporters/aws/aws_credentials.h"
#include "cw_agg.h"
#include "diag.h"
#include "log.h"
#include "selfmetrics.h"
#include "loop.h"
#include "exporters/push/sampler.h"

#define EMF_STDIO_BUF (64 * 1024) /* larger than a document: one fwrite + fflush, one write(2) */
#define EMF_NUM_LEN 25            /* a number's text ("%.17g" at most 24) and its comma */
#define EMF_DOC_BASE 120          /* a document's fixed text (_aws, Timestamp, braces, newline) */
#define EMF_DEF_BASE 42           /* a metric definition's fixed text */

/* ---- rendering -------------------------------------------------------------------------- */

typedef int (*emf_emit_fn)(void *arg, const struct hw_buf *line, size_t nmetrics);

struct emf_doc {
    json_t *root;               /* NULL: no document open */
    json_t *defs;               /* its directive's Metrics array (borrowed) */
    const struct cw_datum *key; /* a datum with the document's dimensions and timestamp */
    size_t nmetrics, size;      /* size: upper bound of the line's length */
};

struct emf_render {
    const char *ns;
    emf_emit_fn emit;
    void *arg;
    struct hw_buf line;
    struct emf_doc doc;
    size_t ndocs, dropped;
};

/* Length of s as a JSON string as jansson writes it (quotes and escapes included). */
static size_t emf_json_len(const char *s)
{
    size_t n = 2;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        n += (*p == '"' || *p == '\\') ? 2 : *p < 0x20 ? 6 : 1;
    }
    return n;
}

static double emf_dist_total(const struct cw_datum *x)
{
    double total = 0;
    for (size_t i = 0; i < x->nvalues; i++) {
        total += x->counts[i];
    }
    return total;
}

/* Upper bound of what a metric adds to a document: its definition and its member. */
static size_t emf_metric_size(const struct cw_datum *x)
{
    const size_t name = emf_json_len(x->name);
    size_t nvals = 1;
    if (x->kind == CW_DIST) {
        const double total = emf_dist_total(x);
        nvals = total > EMF_MAX_VALUES ? EMF_MAX_VALUES : (size_t)total;
    }
    return EMF_DEF_BASE + 2 * name + (x->unit ? emf_json_len(x->unit) + 8 : 0) + 2 +
           nvals * EMF_NUM_LEN;
}

static int emf_cmp_dims(const struct cw_datum *a, const struct cw_datum *b)
{
    if (a->timestamp_ms != b->timestamp_ms) {
        return a->timestamp_ms < b->timestamp_ms ? -1 : 1;
    }
    if (a->ndims != b->ndims) {
        return a->ndims < b->ndims ? -1 : 1;
    }
    for (size_t i = 0; i < a->ndims; i++) {
        int c = strcmp(a->dims[i].name, b->dims[i].name);
        c = c ? c : strcmp(a->dims[i].value, b->dims[i].value);
        if (c) {
            return c;
        }
    }
    return 0;
}

/* By dimension set, then in the aggregator's order (pointers into one array): one run per
 * document group. */
static int emf_cmp_ref(const void *pa, const void *pb)
{
    const struct cw_datum *const *a = pa, *const *b = pb;
    const int c = emf_cmp_dims(*a, *b);
    return c ? c : (*a > *b) - (*a < *b);
}

/* EMF members share one namespace: a metric cannot be named "_aws" or like a dimension. */
static int emf_clashes(const struct cw_datum *x)
{
    int clash = strcmp(x->name, "_aws") == 0;
    for (size_t i = 0; i < x->ndims; i++) {
        clash |= strcmp(x->dims[i].name, "_aws") == 0 || strcmp(x->dims[i].name, x->name) == 0;
    }
    return clash;
}

/* Integral values as JSON integers ("Role":1), others with 17 significant digits (exact). No
 * floor(): the agent does not link libm (the magnitude is checked before the cast). */
static json_t *emf_number(double v)
{
    return fabs(v) <= 0x1p53 && v == (double)(json_int_t)v ? json_integer((json_int_t)v)
                                                           : json_real(v);
}

/* Values repeated by their counts; above EMF_MAX_VALUES observations entry k of 100 holds the
 * value at quantile (k - 0.5) / 100 (cumulative rounding keeps the distribution's shape). */
static json_t *emf_dist(const struct cw_datum *x)
{
    const double total = emf_dist_total(x);
    const double scale = total > EMF_MAX_VALUES ? EMF_MAX_VALUES / total : 1.0;
    json_t *a = json_array();
    double cum = 0;
    size_t done = 0;
    for (size_t i = 0; a && i < x->nvalues; i++) {
        cum += x->counts[i];
        const size_t upto = (size_t)(cum * scale + 0.5); /* >= 0: truncation rounds */
        for (; done < upto && done < EMF_MAX_VALUES; done++) {
            if (json_array_append_new(a, emf_number(x->values[i])) != 0) {
                json_decref(a);
                return NULL;
            }
        }
    }
    return a;
}

static json_t *emf_value(const struct cw_datum *x)
{
    switch (x->kind) {
    case CW_VALUE:
        return emf_number(x->value);
    case CW_STATS: /* only from roll-ups, which this exporter does not configure: the mean */
        return emf_number(x->stats.count > 0 ? x->stats.sum / x->stats.count : 0);
    case CW_DIST:
        return emf_dist(x);
    }
    return NULL;
}

/* Opens a document with x's timestamp and dimensions: _aws first, then the dimension members. */
static int emf_doc_open(struct emf_render *r, const struct cw_datum *x)
{
    json_t *root = json_pack("{s:{s:I,s:[{s:s,s:[[]],s:[]}]}}", "_aws", "Timestamp",
                             (json_int_t)x->timestamp_ms, "CloudWatchMetrics", "Namespace", r->ns,
                             "Dimensions", "Metrics");
    json_t *dir =
        json_array_get(json_object_get(json_object_get(root, "_aws"), "CloudWatchMetrics"), 0);
    json_t *set = json_array_get(json_object_get(dir, "Dimensions"), 0);
    r->doc = (struct emf_doc){.root = root,
                              .defs = json_object_get(dir, "Metrics"),
                              .key = x,
                              .size = EMF_DOC_BASE + emf_json_len(r->ns)};
    int ok = root && set && r->doc.defs;
    for (size_t i = 0; ok && i < x->ndims; i++) {
        const struct cw_dim *dm = &x->dims[i];
        ok = json_array_append_new(set, json_string(dm->name)) == 0 &&
             json_object_set_new(root, dm->name, json_string(dm->value)) == 0;
        r->doc.size += 2 * emf_json_len(dm->name) + emf_json_len(dm->value) + 3;
    }
    return ok ? 0 : -ENOMEM;
}

/* Adds x's definition to the directive (no Unit without a unit: CloudWatch then uses None)
 * and its value as a member. The _new calls take the references, also when they fail. */
static int emf_doc_add(struct emf_render *r, const struct cw_datum *x)
{
    json_t *def = json_pack("{s:s,s:s*,s:I}", "Name", x->name, "Unit", x->unit, "StorageResolution",
                            (json_int_t)(x->storage_resolution == 1 ? 1 : 60));
    if (json_array_append_new(r->doc.defs, def) != 0 ||
        json_object_set_new(r->doc.root, x->name, emf_value(x)) != 0) {
        return -ENOMEM;
    }
    r->doc.nmetrics++;
    r->doc.size += emf_metric_size(x);
    return 0;
}

/* x needs another document: other dimensions, a full one, or a member of its name taken. */
static int emf_doc_ends(const struct emf_doc *doc, const struct cw_datum *x)
{
    return emf_cmp_dims(doc->key, x) != 0 || doc->nmetrics == EMF_MAX_METRICS ||
           doc->size + emf_metric_size(x) > EMF_MAX_LINE || json_object_get(doc->root, x->name);
}

static int emf_buf_dump(const char *p, size_t n, void *arg)
{
    hw_buf_append(arg, p, n);
    return 0;
}

/* Serialises the open document as one line and hands it to the emitter. */
static int emf_doc_close(struct emf_render *r)
{
    hw_buf_reset(&r->line);
    int rc =
        json_dump_callback(r->doc.root, emf_buf_dump, &r->line, JSON_COMPACT) == 0 ? 0 : -ENOMEM;
    hw_buf_putc(&r->line, '\n');
    rc = rc == 0 && r->line.oom ? -ENOMEM : rc;
    if (rc == 0) {
        rc = r->emit(r->arg, &r->line, r->doc.nmetrics);
        r->ndocs++;
    }
    json_decref(r->doc.root);
    r->doc.root = NULL;
    return rc;
}

/* The documents of d, grouped by dimension set, to emit; *dropped counts datums left out.
 * The number of documents, or -ENOMEM / the emitter's error. */
static int emf_render_each(const struct cw_datums *d, const char *ns, emf_emit_fn emit, void *arg,
                           size_t *dropped)
{
    struct emf_render r = {.ns = ns, .emit = emit, .arg = arg};
    const struct cw_datum **refs = malloc((d->n ? d->n : 1) * sizeof(*refs));
    if (!refs) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < d->n; i++) {
        refs[i] = &d->v[i];
    }
    qsort(refs, d->n, sizeof(*refs), emf_cmp_ref);
    hw_buf_init(&r.line);
    int rc = 0;
    for (size_t i = 0; i < d->n && rc == 0; i++) {
        const struct cw_datum *x = refs[i];
        if (!cw_datum_valid(x) || emf_clashes(x)) {
            r.dropped++;
            continue;
        }
        if (r.doc.root && emf_doc_ends(&r.doc, x)) {
            rc = emf_doc_close(&r);
        }
        if (rc == 0 && !r.doc.root) {
            rc = emf_doc_open(&r, x);
        }
        rc = rc == 0 ? emf_doc_add(&r, x) : rc;
    }
    if (rc == 0 && r.doc.root) {
        rc = emf_doc_close(&r);
    }
    json_decref(r.doc.root);
    hw_buf_free(&r.line);
    free(refs);
    *dropped += r.dropped;
    return rc == 0 ? (int)r.ndocs : rc;
}

static int emf_emit_buf(void *arg, const struct hw_buf *line, size_t nmetrics)
{
    struct hw_buf *out = arg;
    (void)nmetrics;
    hw_buf_append(out, line->data, line->len);
    return out->oom ? -ENOMEM : 0;
}

int emf_render(const struct cw_datums *d, const char *ns, struct hw_buf *out)
{
    size_t dropped = 0;
    return emf_render_each(d, ns, emf_emit_buf, out, &dropped);
}

/* ---- the exporter ----------------------------------------------------------------------- */

enum { EMF_ALL, EMF_SUMS, EMF_COUNTS, EMF_NAGG };

struct emf_exporter {
    const struct emf_conf *conf;
    struct cw_datums mem; /* arena of the expanded static dimensions */
    struct cw_dim *dims;
    size_t ndims;
    /* Every selected family; the histograms' sums and counts seen as counters. */
    struct cw_agg *agg[EMF_NAGG];
    struct sampler sampler;
    struct hw_registry *reg;
    FILE *out;      /* NULL until start() and after stop() */
    int armed;      /* due_ns is set (first publish after start() seen) */
    int64_t due_ns; /* CLOCK_MONOTONIC end of the interval */
    int failing;    /* the last write failed: logged once, next line starts with '\n' */
    int oom_logged;
    atomic_ullong docs_ok, docs_err, dp_sent, dp_dropped;
};

/* clang-format off */
static const struct hw_opt emf_opts[] = {
    {.key = "namespace", .type = HW_OPT_STRING, .def = "HostWatch",
     .offset = offsetof(struct emf_conf, namespace_), .help = "CloudWatch namespace"},
    {.key = "flush_interval", .type = HW_OPT_DURATION, .def = "60s",
     .offset = offsetof(struct emf_conf, flush_interval_ns), .min = 1e9, .max = 3600e9,
     .help = "aggregation interval: one set of documents each"},
    {.key = "output", .type = HW_OPT_STRING, .def = "-",
     .offset = offsetof(struct emf_conf, output),
     .help = "\"-\": stdout (ECS awslogs driver), else a file the documents are appended to"},
    {.key = "metrics", .type = HW_OPT_STRLIST, .offset = offsetof(struct emf_conf, metrics),
     .help = "metric name globs to write (default: every CloudWatch-named metric)"},
    {.key = "dimensions", .type = HW_OPT_STRMAP, .offset = offsetof(struct emf_conf, dimensions),
     .help = "added to every metric; ${ENV_VAR} is expanded (${aws:...}: cloudwatch only)"},
    {.key = "storage_resolution", .type = HW_OPT_INT, .def = "60",
     .offset = offsetof(struct emf_conf, storage_resolution), .min = 1, .max = 60,
     .help = "1 (high resolution) or 60"},
    SAMPLER_OPT(struct emf_conf, sample_interval_ns),
    HW_OPT_END,
};
/* clang-format on */

/* Dimension names are checked here, values at create() (they come from the environment). */
static int emf_validate(const void *conf, const char *path, struct hw_diag *d)
{
    const struct emf_conf *c = conf;
    const struct hw_strmap *m = &c->dimensions;
    char kp[300], ip[600];
    int errs = 0;
    if (c->storage_resolution != 1 && c->storage_resolution != 60 && ++errs) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "storage_resolution"), "must be 1 or 60");
    }
    if ((!c->namespace_ || !*c->namespace_ || strlen(c->namespace_) > 255 ||
         c->namespace_[0] == ':' || strncmp(c->namespace_, "AWS/", 4) == 0) &&
        ++errs) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "namespace"),
                    "1-255 characters, not starting with \":\" or \"AWS/\"");
    }
    if ((!c->output || !*c->output) && ++errs) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "output"), "\"-\" or a file path");
    }
    hw_path_key(kp, sizeof(kp), path, "dimensions");
    if (m->n > CW_MAX_DIMS && ++errs) {
        hw_diag_add(d, kp, "at most %d dimensions", CW_MAX_DIMS);
    }
    for (size_t i = 0; i < m->n; i++) {
        hw_path_key(ip, sizeof(ip), kp, m->keys[i]);
        if ((!cw_dim_name_valid(m->keys[i]) || strcmp(m->keys[i], "_aws") == 0) && ++errs) {
            hw_diag_add(d, ip, "invalid dimension name (printable ASCII, 1-255, not \"_aws\")");
        }
        if ((strstr(m->values[i], "${aws:") || strstr(m->values[i], "${ecs:")) && ++errs) {
            hw_diag_add(d, ip,
                        "${aws:...} and ${ecs:...} are resolved only by the cloudwatch "
                        "exporter; use ${ENV_VAR}");
        }
    }
    return errs;
}

/* Static dimensions (${ENV_VAR} expanded, empty ones left out), then the aggregators. */
static int emf_setup(struct emf_exporter *st)
{
    const struct emf_conf *c = st->conf;
    const struct hw_strmap *m = &c->dimensions;
    if (!(st->dims = cw_datums_alloc(&st->mem, (m->n + 1) * sizeof(*st->dims)))) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < m->n; i++) {
        char v[CW_MAX_DIM_VALUE_LEN + 1];
        struct cw_dim *dm = &st->dims[st->ndims];
        if (aws_expand(NULL, NULL, m->values[i], v, sizeof(v)) != 0 || !v[0]) {
            hw_warn("emf", "dimension left out (empty, unset or too long)", "name=%s", m->keys[i]);
        } else if (!(dm->name = cw_datums_strdup(&st->mem, m->keys[i])) ||
                   !(dm->value = cw_datums_strdup(&st->mem, v))) {
            return -ENOMEM;
        } else {
            st->ndims++;
        }
    }
    const struct cw_agg_opts o = {.metrics = (const char *const *)c->metrics.v,
                                  .nmetrics = c->metrics.n,
                                  .dims = st->dims,
                                  .ndims = st->ndims,
                                  .storage_resolution = (int)c->storage_resolution,
                                  .gauge_mode = CW_GAUGE_LAST};
    int rc = 0;
    for (size_t k = 0; k < EMF_NAGG && rc == 0; k++) {
        rc = cw_agg_new(&o, &st->agg[k]);
    }
    return rc;
}

static void emf_stop(void *state);

static void emf_destroy(void *state)
{
    struct emf_exporter *st = state;
    if (!st) {
        return;
    }
    emf_stop(st);
    for (size_t k = 0; k < EMF_NAGG; k++) {
        cw_agg_free(st->agg[k]);
    }
    sampler_free(&st->sampler);
    cw_datums_free(&st->mem);
    free(st);
}

static int emf_create(const void *conf, const struct hw_ctx *ctx, void **state)
{
    struct emf_exporter *st = calloc(1, sizeof(*st));
    if (!st) {
        return -1;
    }
    st->conf = conf;
    st->reg = ctx->reg;
    sampler_init(&st->sampler, SAMPLER_AGGREGATE, st->conf->sample_interval_ns, ctx->interval_ns);
    cw_datums_init(&st->mem);
    const int rc = emf_setup(st);
    if (rc != 0) {
        hw_error("emf", "cannot set up the exporter", "error=\"%s\"", strerror(-rc));
        emf_destroy(st);
        return -1;
    }
    *state = st;
    return 0;
}

/* Opens the output here, not in create(), so `check` and a failed reload touch nothing. stdout
 * gets a stream of its own on a duplicate descriptor: its buffer (larger than a document: one
 * fwrite + fflush is one write(2)) and its fclose leave the process's stdout alone. */
static int emf_start(void *state)
{
    struct emf_exporter *st = state;
    const char *o = st->conf->output;
    if (st->out) {
        return 0;
    }
    const int fd = strcmp(o, "-") == 0 ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
                                       : open(o, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || setvbuf(f, NULL, _IOFBF, EMF_STDIO_BUF) != 0) {
        const int e = f ? ENOMEM : errno;
        (void)(f ? fclose(f) : fd >= 0 ? close(fd) : 0); /* already failing */
        hw_error("emf", "cannot open the output", "output=%s error=\"%s\"", o, strerror(e));
        return -1;
    }
    st->out = f;
    st->armed = 0;
    st->failing = 0;
    return 0;
}

/* One fwrite and one fflush per document, so one write(2): the line never interleaves with the
 * agent's log on a shared stdout. A failure is counted, logged once until a write succeeds
 * again, and the next document starts with '\n' (it ends a line a failed write may have cut). */
static int emf_emit_write(void *arg, const struct hw_buf *line, size_t nmetrics)
{
    struct emf_exporter *st = arg;
    int ok = !st->failing || fputc('\n', st->out) != EOF;
    ok = ok && fwrite(line->data, 1, line->len, st->out) == line->len;
    ok = fflush(st->out) == 0 && ok;
    const int e = errno;
    atomic_fetch_add(ok ? &st->docs_ok : &st->docs_err, 1);
    atomic_fetch_add(ok ? &st->dp_sent : &st->dp_dropped, nmetrics);
    if (ok && st->failing) {
        hw_info("emf", "writing again", "output=%s", st->conf->output);
    } else if (!ok && !st->failing) {
        hw_error("emf", "cannot write documents (counted; logged again after a success)",
                 "output=%s error=\"%s\"", st->conf->output, strerror(e));
    }
    st->failing = !ok;
    clearerr(st->out);
    return 0;
}

/* Appends src's datums to dst renamed <name><suffix> (their other memory stays src's); a name
 * over the CloudWatch limit is counted in *dropped. */
static int emf_merge(struct cw_datums *dst, const struct cw_datums *src, const char *suffix,
                     size_t *dropped)
{
    for (size_t i = 0; i < src->n; i++) {
        char name[CW_MAX_NAME_LEN + 16];
        struct cw_datum x = src->v[i];
        if ((size_t)snprintf(name, sizeof(name), "%s%s", x.name, suffix) > CW_MAX_NAME_LEN) {
            (*dropped)++;
        } else if (!(x.name = cw_datums_strdup(dst, name)) || cw_datums_push(dst, &x) != 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

/* Ends the interval at end_ms in the aggregators and writes its documents. */
static void emf_write_interval(struct emf_exporter *st, int64_t end_ms)
{
    struct cw_datums d[EMF_NAGG];
    size_t dropped = 0;
    int rc = 0;
    for (size_t k = 0; k < EMF_NAGG; k++) {
        cw_datums_init(&d[k]);
    }
    for (size_t k = 0; k < EMF_NAGG && rc == 0; k++) {
        rc = cw_agg_flush(st->agg[k], end_ms, &d[k]);
    }
    if (rc == 0 && (rc = emf_merge(&d[EMF_ALL], &d[EMF_SUMS], "_sum", &dropped)) == 0) {
        rc = emf_merge(&d[EMF_ALL], &d[EMF_COUNTS], "_count", &dropped);
    }
    if (rc == 0) {
        rc = emf_render_each(&d[EMF_ALL], st->conf->namespace_, emf_emit_write, st, &dropped);
    }
    if (rc < 0) {
        hw_error("emf", "cannot build the interval's documents", "error=\"%s\"", strerror(-rc));
    }
    atomic_fetch_add(&st->dp_dropped, dropped);
    for (size_t k = 0; k < EMF_NAGG; k++) {
        cw_datums_free(&d[k]);
    }
}

/* The histogram families of snap into fam/ser as counters of the same names and labels: of
 * their sums, or (counts) of their observation counts with unit Count. */
static void emf_hist_view(const struct hw_snapshot *snap, const int64_t *take, int counts,
                          struct hw_snap_family *fam, int64_t *ftake, struct hw_snap_series *ser,
                          struct hw_snapshot *h)
{
    *h = (struct hw_snapshot){
        .generation = snap->generation, .timestamp_ms = snap->timestamp_ms, .families = fam};
    for (size_t i = 0; i < snap->nfamilies; i++) {
        const struct hw_snap_family *f = &snap->families[i];
        if (f->type != HW_HISTOGRAM) {
            continue;
        }
        ftake[h->nfamilies] = take[i];
        struct hw_snap_family *g = &fam[h->nfamilies++];
        *g = *f;
        g->type = HW_COUNTER;
        g->buckets = NULL;
        g->nbuckets = 0;
        g->unit = counts ? "Count" : f->unit;
        g->series = ser;
        for (size_t s = 0; s < f->nseries; s++) {
            const struct hw_snap_series *x = &f->series[s];
            *ser++ = (struct hw_snap_series){.labels = x->labels,
                                             .nlabels = x->nlabels,
                                             .value = counts ? (double)x->count : x->value};
        }
    }
}

/* The families of snap that are a sample now (take) into the aggregators; the histogram totals
 * go through the counter logic (baseline, resets, forgetting), so <name>_sum and <name>_count
 * are exact deltas. */
static int emf_observe(struct emf_exporter *st, const struct hw_snapshot *snap, const int64_t *take)
{
    size_t nf = 0, ns = 0;
    for (size_t i = 0; i < snap->nfamilies; i++) {
        const int hist = snap->families[i].type == HW_HISTOGRAM;
        nf += (size_t)hist;
        ns += hist ? snap->families[i].nseries : 0;
    }
    struct hw_snap_family *fam = malloc((nf + 1) * sizeof(*fam));
    struct hw_snap_series *ser = malloc((ns + 1) * sizeof(*ser));
    int64_t *ftake = malloc((nf + 1) * sizeof(*ftake));
    int rc = cw_agg_observe_some(st->agg[EMF_ALL], snap, take);
    if (!fam || !ser || !ftake) {
        rc = -ENOMEM;
        goto fail;
    }
    for (int k = EMF_SUMS; k <= EMF_COUNTS; k++) {
        struct hw_snapshot h;
        emf_hist_view(snap, take, k == EMF_COUNTS, fam, ftake, ser, &h);
        rc = cw_agg_observe_some(st->agg[k], &h, ftake) != 0 ? -ENOMEM : rc;
    }
fail:
    free(fam);
    free(ser);
    free(ftake);
    return rc;
}

/* The families of snap that are a sample now (exporters/push/sampler.h) into the aggregators. */
static void emf_take(struct emf_exporter *st, const struct hw_snapshot *snap, unsigned flags)
{
    const int n = sampler_take(&st->sampler, snap, hw_now_wall_ms(), flags);
    if ((n < 0 || (n > 0 && emf_observe(st, snap, st->sampler.stamps) != 0)) && !st->oom_logged) {
        hw_error("emf", "out of memory: values of this interval are missing", "%s", "");
        st->oom_logged = 1;
    }
}

/* Loop thread, after every publish: take the samples; write once the interval is over (up to
 * 5% early, so a publish a hair before the deadline does not defer it a whole cadence). */
static int emf_flush(void *state, const struct hw_snapshot *snap)
{
    struct emf_exporter *st = state;
    const int64_t iv = st->conf->flush_interval_ns;
    emf_take(st, snap, 0);
    const int64_t now = hw_now_mono_ns();
    if (!st->armed) {
        st->armed = 1;
        st->due_ns = now + iv;
        return 0;
    }
    if (now < st->due_ns - iv / 20) {
        return 0;
    }
    st->due_ns = st->due_ns + iv > now ? st->due_ns + iv : now + iv;
    emf_write_interval(st, snap->timestamp_ms);
    return 0;
}

/* SIGTERM or a reload: the interval so far is written, the output closed (start() reopens). */
static void emf_stop(void *state)
{
    struct emf_exporter *st = state;
    if (!st || !st->out) {
        return;
    }
    const struct hw_snapshot *snap = hw_registry_acquire(st->reg);
    if (snap) {
        emf_take(st, snap, SAMPLE_FINAL); /* what a log wrote since the last sample */
        hw_snapshot_release(snap);
    }
    emf_write_interval(st, hw_now_wall_ms());
    if (fclose(st->out) != 0) {
        hw_warn("emf", "closing the output failed", "output=%s error=\"%s\"", st->conf->output,
                strerror(errno));
    }
    st->out = NULL;
    st->armed = 0;
}

/* Documents written or not, and the metrics they held, as the cloudwatch exporter reports. */
static void emf_report(void *state, struct hw_registry *reg)
{
    struct emf_exporter *st = state;
    const struct hw_export_row rows[] = {{HW_EXPORT_REQUESTS, "success", &st->docs_ok},
                                         {HW_EXPORT_REQUESTS, "error", &st->docs_err},
                                         {HW_EXPORT_DATAPOINTS, "sent", &st->dp_sent},
                                         {HW_EXPORT_DATAPOINTS, "dropped", &st->dp_dropped}};
    hw_selfmetrics_export(reg, "emf", rows, sizeof(rows) / sizeof(rows[0]));
}

/* The status document: where the documents go and how many went. */
static json_t *emf_status(void *state)
{
    const struct emf_exporter *st = state;
    return json_pack("{s:s, s:s, s:{s:I, s:I}, s:{s:I, s:I}}", "state",
                     st->failing ? "failing" : "ok", "output", st->conf->output, "documents",
                     "success", (json_int_t)atomic_load(&st->docs_ok), "error",
                     (json_int_t)atomic_load(&st->docs_err), "datapoints", "sent",
                     (json_int_t)atomic_load(&st->dp_sent), "dropped",
                     (json_int_t)atomic_load(&st->dp_dropped));
}

const struct hw_exporter hw_exporter_emf = {
    .name = "emf",
    .help = "CloudWatch Embedded Metric Format lines on stdout or a file (ECS awslogs driver)",
    .opts = emf_opts,
    .conf_size = sizeof(struct emf_conf),
    .validate = emf_validate,
    .create = emf_create,
    .start = emf_start,
    .flush = emf_flush,
    .report = emf_report,
    .stop = emf_stop,
    .destroy = emf_destroy,
    .cost = &emf_cost_ops,
    .status = emf_status,
};
