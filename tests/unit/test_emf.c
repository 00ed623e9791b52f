/* EMF exporter: rendering checked line by line with jansson, and the exporter driven through
 * create/start/flush/stop with snapshots of the real registry and a temporary output file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "exporters/cloudwatch/emf.h"
#include "registry.h"

#define T0 1795309323000LL /* 2026-11-22T01:02:03Z */
#define MAX_DOCS 64

static const struct cw_dim host_h1[] = {{"host", "h1"}, {"device", "sda"}};
static const struct cw_dim only_h1[] = {{"host", "h1"}};
static const struct cw_dim only_h2[] = {{"host", "h2"}};

static struct cw_datum value_datum(const char *name, const char *unit, const struct cw_dim *dims,
                                   size_t ndims, double v)
{
    return (struct cw_datum){.name = name,
                             .unit = unit,
                             .dims = dims,
                             .ndims = ndims,
                             .kind = CW_VALUE,
                             .value = v,
                             .timestamp_ms = T0,
                             .storage_resolution = 60};
}

static void push(struct cw_datums *d, const struct cw_datum *x)
{
    assert_int_equal(cw_datums_push(d, x), 0);
}

/* Splits text into lines (each must end with '\n') and parses each one as a JSON object. */
static size_t parse_lines(const char *text, json_t **docs)
{
    size_t n = 0;
    const char *p = text ? text : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_true((size_t)(nl - p + 1) <= EMF_MAX_LINE);
        assert_true(n < MAX_DOCS);
        json_error_t err;
        docs[n] = json_loadb(p, (size_t)(nl - p), 0, &err);
        if (!docs[n]) {
            fail_msg("line %zu: %s", n, err.text);
        }
        assert_true(json_is_object(docs[n]));
        n++;
        p = nl + 1;
    }
    return n;
}

static void free_docs(json_t **docs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(docs[i]);
    }
}

static size_t render(const struct cw_datums *d, json_t **docs)
{
    struct hw_buf out;
    hw_buf_init(&out);
    const int n = emf_render(d, "NS", &out);
    assert_true(n >= 0);
    const size_t got = parse_lines(out.data, docs);
    assert_int_equal(got, (size_t)n);
    hw_buf_free(&out);
    return got;
}

static const json_t *directive(const json_t *doc)
{
    const json_t *aws = json_object_get(doc, "_aws");
    assert_true(json_is_object(aws));
    assert_true(json_is_integer(json_object_get(aws, "Timestamp")));
    const json_t *dirs = json_object_get(aws, "CloudWatchMetrics");
    assert_int_equal(json_array_size(dirs), 1);
    return json_array_get(dirs, 0);
}

/* The definition of metric name in doc (NULL when absent); its member must exist too. */
static const json_t *metric_def(const json_t *doc, const char *name)
{
    const json_t *defs = json_object_get(directive(doc), "Metrics");
    for (size_t i = 0; i < json_array_size(defs); i++) {
        const json_t *m = json_array_get(defs, i);
        if (strcmp(json_string_value(json_object_get(m, "Name")), name) == 0) {
            assert_non_null(json_object_get(doc, name));
            return m;
        }
    }
    return NULL;
}

static void assert_dims(const json_t *doc, const char *want)
{
    char *got = json_dumps(json_object_get(directive(doc), "Dimensions"), JSON_COMPACT);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_render_shape(void **state)
{
    (void)state;
    struct cw_datums d;
    cw_datums_init(&d);
    struct cw_datum x = value_datum("disk_used_percent", "Percent", host_h1, 2, 37.5);
    push(&d, &x);
    x = value_datum("diskio_reads", "Count", host_h1, 2, 10);
    push(&d, &x);
    struct hw_buf out;
    hw_buf_init(&out);
    assert_int_equal(emf_render(&d, "NS", &out), 1);
    assert_string_equal(
        out.data,
        "{\"_aws\":{\"Timestamp\":1795309323000,\"CloudWatchMetrics\":[{\"Namespace\":\"NS\","
        "\"Dimensions\":[[\"host\",\"device\"]],\"Metrics\":[{\"Name\":\"disk_used_percent\","
        "\"Unit\":\"Percent\",\"StorageResolution\":60},{\"Name\":\"diskio_reads\",\"Unit\":"
        "\"Count\",\"StorageResolution\":60}]}]},\"host\":\"h1\",\"device\":\"sda\","
        "\"disk_used_percent\":37.5,\"diskio_reads\":10}\n");
    hw_buf_free(&out);

    /* No unit: no Unit key (CloudWatch uses None); high resolution; exact reals. */
    cw_datums_free(&d);
    x = value_datum("ratio", NULL, only_h1, 1, 0.1);
    x.storage_resolution = 1;
    push(&d, &x);
    json_t *docs[MAX_DOCS];
    assert_int_equal(render(&d, docs), 1);
    const json_t *def = metric_def(docs[0], "ratio");
    assert_non_null(def);
    assert_null(json_object_get(def, "Unit"));
    assert_int_equal(json_integer_value(json_object_get(def, "StorageResolution")), 1);
    assert_true(json_real_value(json_object_get(docs[0], "ratio")) == 0.1);
    assert_string_equal(json_string_value(json_object_get(directive(docs[0]), "Namespace")), "NS");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(docs[0], "_aws"), "Timestamp")), T0);
    free_docs(docs, 1);

    /* Nothing to write: no document. */
    cw_datums_free(&d);
    hw_buf_init(&out);
    assert_int_equal(emf_render(&d, "NS", &out), 0);
    assert_int_equal(out.len, 0);
    hw_buf_free(&out);
}

static void test_render_grouping(void **state)
{
    (void)state;
    struct cw_datums d;
    cw_datums_init(&d);
    const struct cw_datum v[] = {
        value_datum("a", "Count", only_h1, 1, 1), value_datum("b", "Count", NULL, 0, 2),
        value_datum("c", "Count", only_h2, 1, 3), value_datum("d", "Count", only_h1, 1, 4),
        value_datum("e", "Count", NULL, 0, 5)};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        push(&d, &v[i]);
    }
    json_t *docs[MAX_DOCS];
    assert_int_equal(render(&d, docs), 3);
    assert_dims(docs[0], "[[]]"); /* no dimension: one empty set */
    assert_int_equal(json_object_size(docs[0]), 3);
    assert_int_equal(json_integer_value(json_object_get(docs[0], "b")), 2);
    assert_int_equal(json_integer_value(json_object_get(docs[0], "e")), 5);
    assert_dims(docs[1], "[[\"host\"]]");
    assert_string_equal(json_string_value(json_object_get(docs[1], "host")), "h1");
    assert_non_null(metric_def(docs[1], "a"));
    assert_non_null(metric_def(docs[1], "d"));
    assert_null(metric_def(docs[1], "c"));
    assert_string_equal(json_string_value(json_object_get(docs[2], "host")), "h2");
    assert_int_equal(json_integer_value(json_object_get(docs[2], "c")), 3);
    free_docs(docs, 3);
    cw_datums_free(&d);
}

static void test_render_split(void **state)
{
    (void)state;
    struct cw_datums d;
    cw_datums_init(&d);
    for (size_t i = 0; i < 250; i++) {
        char name[16];
        snprintf(name, sizeof(name), "m%03zu", i);
        const struct cw_datum x =
            value_datum(cw_datums_strdup(&d, name), "Count", only_h1, 1, (double)i);
        push(&d, &x);
    }
    json_t *docs[MAX_DOCS];
    assert_int_equal(render(&d, docs), 3);
    const size_t want[] = {100, 100, 50};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(json_array_size(json_object_get(directive(docs[k]), "Metrics")), want[k]);
        assert_int_equal(json_object_size(docs[k]), want[k] + 2); /* + _aws, host */
    }
    assert_int_equal(json_integer_value(json_object_get(docs[2], "m249")), 249);
    assert_int_equal(json_integer_value(json_object_get(docs[1], "m100")), 100);
    free_docs(docs, 3);
    cw_datums_free(&d);

    /* Long names: the line limit splits before 100 metrics; every metric is still there. */
    size_t total = 0;
    for (size_t i = 0; i < 100; i++) {
        char name[256];
        memset(name, 'x', 250);
        snprintf(name + 250, 6, "%03zu", i);
        const struct cw_datum x =
            value_datum(cw_datums_strdup(&d, name), "Bytes", only_h1, 1, 1.0 / 3);
        push(&d, &x);
    }
    const size_t n = render(&d, docs);
    assert_true(n > 1);
    for (size_t k = 0; k < n; k++) {
        total += json_array_size(json_object_get(directive(docs[k]), "Metrics"));
    }
    assert_int_equal(total, 100);
    free_docs(docs, n);
    cw_datums_free(&d);
}

static void test_render_clashes(void **state)
{
    (void)state;
    struct cw_datums d;
    cw_datums_init(&d);
    const struct cw_datum v[] = {
        value_datum("dup", "Count", only_h1, 1, 1), value_datum("dup", "Count", only_h1, 1, 2),
        value_datum("host", "Count", only_h1, 1, 3), value_datum("_aws", "Count", NULL, 0, 4),
        value_datum("bad unit", "Furlongs", NULL, 0, 5)};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        push(&d, &v[i]);
    }
    json_t *docs[MAX_DOCS];
    /* A second "dup" of the same dimensions needs its own document; the rest is left out. */
    assert_int_equal(render(&d, docs), 2);
    assert_int_equal(json_integer_value(json_object_get(docs[0], "dup")), 1);
    assert_int_equal(json_integer_value(json_object_get(docs[1], "dup")), 2);
    assert_string_equal(json_string_value(json_object_get(docs[0], "host")), "h1");
    free_docs(docs, 2);
    cw_datums_free(&d);
}

static void assert_array(const json_t *a, const double *want, size_t n)
{
    assert_true(json_is_array(a));
    assert_int_equal(json_array_size(a), n);
    for (size_t i = 0; i < n; i++) {
        assert_true(json_number_value(json_array_get(a, i)) == want[i]);
    }
}

static void test_render_dist(void **state)
{
    (void)state;
    struct cw_datums d;
    cw_datums_init(&d);
    const double v1[] = {5, 10, 25.5}, c1[] = {2, 1, 3};
    const double v2[] = {1, 2, 3}, c2[] = {1000, 1000, 2000};
    const double v3[] = {1, 1000}, c3[] = {1, 9999};
    struct cw_datum x = value_datum("small", "Milliseconds", NULL, 0, 0);
    x.kind = CW_DIST;
    x.values = v1;
    x.counts = c1;
    x.nvalues = 3;
    push(&d, &x);
    x.name = "large";
    x.values = v2;
    x.counts = c2;
    push(&d, &x);
    x.name = "rare";
    x.values = v3;
    x.counts = c3;
    x.nvalues = 2;
    push(&d, &x);
    json_t *docs[MAX_DOCS];
    assert_int_equal(render(&d, docs), 1);
    const double want1[] = {5, 5, 10, 25.5, 25.5, 25.5};
    assert_array(json_object_get(docs[0], "small"), want1, 6);
    double want2[100];
    for (size_t i = 0; i < 100; i++) {
        want2[i] = i < 25 ? 1 : i < 50 ? 2 : 3; /* quantiles of 4000 observations */
    }
    assert_array(json_object_get(docs[0], "large"), want2, 100);
    double want3[100];
    for (size_t i = 0; i < 100; i++) {
        want3[i] = 1000; /* 1 in 10000 is below half a percent of rank */
    }
    assert_array(json_object_get(docs[0], "rare"), want3, 100);
    assert_string_equal(json_string_value(json_object_get(metric_def(docs[0], "small"), "Unit")),
                        "Milliseconds");
    free_docs(docs, 1);
    cw_datums_free(&d);
}

/* ---- the exporter ----------------------------------------------------------------------- */

struct fixture {
    char path[512];
    struct emf_conf conf;
    struct hw_registry *reg;
    void *st;
};

static void fixture_open(struct fixture *f, const char *json_fmt, const char *output)
{
    char json[1024];
    struct hw_diag diag;
    memset(f, 0, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    snprintf(f->path, sizeof(f->path), "%s/test_emf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    const int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    close(fd);
    snprintf(json, sizeof(json), json_fmt, output ? output : f->path);
    json_t *root = json_loads(json, 0, NULL);
    assert_non_null(root);
    hw_diag_init(&diag, "t.json");
    assert_int_equal(hw_opt_parse(hw_exporter_emf.opts, &f->conf, root, "exporters.emf", &diag), 0);
    assert_int_equal(hw_exporter_emf.validate(&f->conf, "exporters.emf", &diag), 0);
    hw_diag_free(&diag);
    json_decref(root);
    f->reg = hw_registry_new();
    assert_non_null(f->reg);
    /* The agent's interval is the exporter's sample interval (1 s, as the timed test's flush). */
    const struct hw_ctx ctx = {.reg = f->reg, .instance = "emf", .interval_ns = 1000000000};
    assert_int_equal(hw_exporter_emf.create(&f->conf, &ctx, &f->st), 0);
    assert_int_equal(hw_exporter_emf.start(f->st), 0);
}

static void fixture_close(struct fixture *f)
{
    hw_exporter_emf.destroy(f->st);
    hw_registry_free(f->reg);
    hw_opt_free(hw_exporter_emf.opts, &f->conf);
    unlink(f->path);
}

static void publish_flush(struct fixture *f)
{
    assert_int_equal(hw_registry_publish(f->reg), 0);
    const struct hw_snapshot *snap = hw_registry_acquire(f->reg);
    assert_int_equal(hw_exporter_emf.flush(f->st, snap), 0);
    hw_snapshot_release(snap);
}

static size_t read_docs(const struct fixture *f, json_t **docs)
{
    struct hw_buf b;
    hw_buf_init(&b);
    assert_int_equal(hw_buf_read_file(&b, f->path, 1 << 20), 0);
    const size_t n = parse_lines(b.len ? b.data : "", docs); /* empty: not terminated */
    hw_buf_free(&b);
    return n;
}

static struct hw_family *family(struct hw_registry *reg, const char *name, enum hw_mtype type,
                                const char *unit, const double *buckets, size_t nb)
{
    const struct hw_family_desc d = {.name = name,
                                     .help = "h",
                                     .unit = unit,
                                     .type = type,
                                     .views = HW_VIEW_CW,
                                     .buckets = buckets,
                                     .nbuckets = nb};
    struct hw_family *fam = hw_registry_family(reg, &d, NULL);
    assert_non_null(fam);
    return fam;
}

/* The exporter's own counter {exporter="emf", result} after report() and a publish. */
static double self_metric(struct fixture *f, const char *name, const char *result)
{
    hw_exporter_emf.report(f->st, f->reg);
    assert_int_equal(hw_registry_publish(f->reg), 0);
    const struct hw_snapshot *snap = hw_registry_acquire(f->reg);
    const struct hw_snap_family *fam = hw_snapshot_find(snap, name);
    double v = -1;
    for (size_t i = 0; fam && i < fam->nseries; i++) {
        const struct hw_snap_series *s = &fam->series[i];
        if (s->nlabels == 2 && strcmp(s->labels[0].value, "emf") == 0 &&
            strcmp(s->labels[1].value, result) == 0) {
            v = s->value;
        }
    }
    hw_snapshot_release(snap);
    return v;
}

static const char *const CONFIG =
    "{\"namespace\": \"T\", \"output\": \"%s\", \"flush_interval\": \"1s\","
    " \"metrics\": [\"mem_*\", \"lines_total\", \"lat_ms\", \"disk_*\"],"
    " \"dimensions\": {\"env\": \"${EMF_TEST_ENV}\", \"gone\": \"${EMF_TEST_UNSET}\"}}";

static void test_exporter_interval(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(setenv("EMF_TEST_ENV", "prod", 1), 0);
    assert_int_equal(unsetenv("EMF_TEST_UNSET"), 0);
    fixture_open(&f, CONFIG, NULL);
    const double bounds[] = {5, 10, 25};
    struct hw_family *mem = family(f.reg, "mem_used_percent", HW_GAUGE, "Percent", NULL, 0);
    struct hw_family *lines = family(f.reg, "lines_total", HW_COUNTER, "Count", NULL, 0);
    struct hw_family *lat = family(f.reg, "lat_ms", HW_HISTOGRAM, "Milliseconds", bounds, 3);
    struct hw_family *disk = family(f.reg, "disk_used_percent", HW_GAUGE, "Percent", NULL, 0);
    struct hw_family *other = family(f.reg, "cpu_usage", HW_GAUGE, "Percent", NULL, 0);
    struct hw_series *lat_s = hw_family_series(lat, NULL, 0, 0);
    const struct hw_label p1[] = {{"path", "/"}}, p2[] = {{"path", "/data"}};
    assert_int_equal(hw_family_set(mem, NULL, 0, 10), 0);
    assert_int_equal(hw_family_set(lines, NULL, 0, 100), 0);
    assert_int_equal(hw_family_set(other, NULL, 0, 1), 0);
    hw_family_observe(lat, lat_s, 3);
    publish_flush(&f); /* first sight: counters and histograms set their baseline */

    assert_int_equal(hw_family_set(mem, NULL, 0, 42.5), 0);
    assert_int_equal(hw_family_set(lines, NULL, 0, 105), 0);
    assert_int_equal(hw_family_set(disk, p1, 1, 50), 0);
    assert_int_equal(hw_family_set(disk, p2, 1, 75.25), 0);
    hw_family_observe(lat, lat_s, 7);
    hw_family_observe(lat, lat_s, 30);
    publish_flush(&f); /* within the interval: nothing written yet */
    json_t *docs[MAX_DOCS];
    assert_int_equal(read_docs(&f, docs), 0);

    hw_exporter_emf.stop(f.st); /* writes the interval so far */
    const size_t n = read_docs(&f, docs);
    assert_int_equal(n, 3); /* env only; env + path=/; env + path=/data */
    assert_dims(docs[0], "[[\"env\"]]");
    assert_string_equal(json_string_value(json_object_get(docs[0], "env")), "prod");
    assert_string_equal(json_string_value(json_object_get(directive(docs[0]), "Namespace")), "T");
    assert_true(json_number_value(json_object_get(docs[0], "mem_used_percent")) == 42.5);
    assert_string_equal(
        json_string_value(json_object_get(metric_def(docs[0], "mem_used_percent"), "Unit")),
        "Percent");
    assert_int_equal(json_integer_value(json_object_get(docs[0], "lines_total")), 5);
    const double hist[] = {10, 27}; /* +Inf: (sum 37 - 10) / 1 above the largest bound */
    assert_array(json_object_get(docs[0], "lat_ms"), hist, 2);
    assert_int_equal(json_integer_value(json_object_get(docs[0], "lat_ms_count")), 2);
    assert_string_equal(
        json_string_value(json_object_get(metric_def(docs[0], "lat_ms_count"), "Unit")), "Count");
    assert_int_equal(json_integer_value(json_object_get(docs[0], "lat_ms_sum")), 37);
    assert_string_equal(
        json_string_value(json_object_get(metric_def(docs[0], "lat_ms_sum"), "Unit")),
        "Milliseconds");
    assert_null(json_object_get(docs[0], "cpu_usage")); /* not selected */
    assert_int_equal(json_object_size(docs[0]), 7);     /* _aws, env and 5 metrics */
    assert_dims(docs[1], "[[\"env\",\"path\"]]");
    assert_string_equal(json_string_value(json_object_get(docs[1], "path")), "/");
    assert_int_equal(json_integer_value(json_object_get(docs[1], "disk_used_percent")), 50);
    assert_true(json_number_value(json_object_get(docs[2], "disk_used_percent")) == 75.25);
    free_docs(docs, n);

    assert_true(self_metric(&f, "hostwatch_export_requests_total", "success") == 3);
    assert_true(self_metric(&f, "hostwatch_export_requests_total", "error") == 0);
    assert_true(self_metric(&f, "hostwatch_export_datapoints_total", "sent") == 7);
    assert_int_equal(hw_exporter_emf.start(f.st), 0); /* a reload may start it again */
    fixture_close(&f);
}

static void test_exporter_timed(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, "{\"output\": \"%s\", \"flush_interval\": \"1s\"}", NULL);
    struct hw_family *mem = family(f.reg, "mem_used_percent", HW_GAUGE, "Percent", NULL, 0);
    assert_int_equal(hw_family_set(mem, NULL, 0, 1), 0);
    publish_flush(&f); /* arms the interval */
    const struct timespec second = {1, 0};
    assert_int_equal(nanosleep(&second, NULL), 0);
    assert_int_equal(hw_family_set(mem, NULL, 0, 2), 0);
    publish_flush(&f); /* the interval is over: written now, not at stop */
    json_t *docs[MAX_DOCS];
    assert_int_equal(read_docs(&f, docs), 1);
    assert_string_equal(json_string_value(json_object_get(directive(docs[0]), "Namespace")),
                        "HostWatch");
    assert_int_equal(json_integer_value(json_object_get(docs[0], "mem_used_percent")), 2);
    free_docs(docs, 1);
    hw_exporter_emf.stop(f.st); /* nothing new since: no document */
    assert_int_equal(read_docs(&f, docs), 1);
    free_docs(docs, 1);
    fixture_close(&f);
}

static void test_exporter_write_error(void **state)
{
    (void)state;
    struct fixture f;
    if (access("/dev/full", W_OK) != 0) {
        skip();
    }
    fixture_open(&f, "{\"output\": \"%s\"}", "/dev/full");
    struct hw_family *mem = family(f.reg, "mem_used_percent", HW_GAUGE, "Percent", NULL, 0);
    assert_int_equal(hw_family_set(mem, NULL, 0, 1), 0);
    publish_flush(&f);
    hw_exporter_emf.stop(f.st); /* the write fails: counted, not fatal */
    assert_true(self_metric(&f, "hostwatch_export_requests_total", "error") == 1);
    assert_true(self_metric(&f, "hostwatch_export_requests_total", "success") == 0);
    assert_true(self_metric(&f, "hostwatch_export_datapoints_total", "dropped") == 1);
    fixture_close(&f);
}

static void test_exporter_stdout(void **state)
{
    (void)state;
    struct fixture f;
    fixture_open(&f, "{\"output\": \"%s\"}", "-");
    hw_exporter_emf.stop(f.st); /* nothing observed: nothing written, stdout stays open */
    assert_true(fflush(stdout) == 0);
    assert_true(write(STDOUT_FILENO, "", 0) == 0);
    fixture_close(&f);
}

static void test_validate(void **state)
{
    (void)state;
    struct emf_conf c;
    struct hw_diag diag;
    memset(&c, 0, sizeof(c));
    hw_diag_init(&diag, "t.json");
    json_t *root = json_loads("{\"namespace\": \"AWS/EC2\", \"storage_resolution\": 30,"
                              " \"output\": \"\", \"dimensions\": {\"_aws\": \"x\","
                              " \"InstanceId\": \"${aws:InstanceId}\", \"ok\": \"${HOME}\"}}",
                              0, NULL);
    assert_non_null(root);
    assert_int_equal(hw_opt_parse(hw_exporter_emf.opts, &c, root, "exporters.emf", &diag), 0);
    assert_int_equal(hw_exporter_emf.validate(&c, "exporters.emf", &diag), 5);
    assert_int_equal(hw_diag_count(&diag), 5);
    hw_diag_free(&diag);
    hw_opt_free(hw_exporter_emf.opts, &c);
    json_decref(root);

    hw_diag_init(&diag, "t.json");
    assert_int_equal(hw_opt_parse(hw_exporter_emf.opts, &c, NULL, "exporters.emf", &diag), 0);
    assert_string_equal(c.namespace_, "HostWatch");
    assert_string_equal(c.output, "-");
    assert_int_equal(c.flush_interval_ns, 60000000000LL);
    assert_int_equal(c.storage_resolution, 60);
    assert_int_equal(hw_exporter_emf.validate(&c, "exporters.emf", &diag), 0);
    hw_diag_free(&diag);
    hw_opt_free(hw_exporter_emf.opts, &c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_shape),    cmocka_unit_test(test_render_grouping),
        cmocka_unit_test(test_render_split),    cmocka_unit_test(test_render_clashes),
        cmocka_unit_test(test_render_dist),     cmocka_unit_test(test_exporter_interval),
        cmocka_unit_test(test_exporter_timed),  cmocka_unit_test(test_exporter_write_error),
        cmocka_unit_test(test_exporter_stdout), cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
