/* Remote write encoding: snapshots (built by hand, so every value is known) encoded, then
 * Snappy-decompressed and decoded with protobuf-c and compared value by value. */
#include "test_util.h"

#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/remote_write/remote_write.pb-c.h"
#include "exporters/remote_write/rw_encode.h"
#include "exporters/remote_write/rw_send.h"

#define T0 1795309323000LL /* 2026-11-22T01:02:03Z */

/* libsnappy as the agent loads it (with dlopen, through netlib), for the whole group. */
static struct netlib *lib;

static int group_setup(void **state)
{
    char err[256];
    (void)state;
    lib = netlib_open(err, sizeof(err));
    if (!lib || netlib_open_snappy(lib, err, sizeof(err)) != 0) {
        print_error("%s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    netlib_close(lib);
    return 0;
}

static Prometheus__WriteRequest *decode(const struct rw_body *b)
{
    size_t len = 0;
    assert_int_equal(snappy_uncompressed_length((const char *)b->data, b->len, &len), SNAPPY_OK);
    char *raw = malloc(len ? len : 1);
    assert_non_null(raw);
    assert_int_equal(snappy_uncompress((const char *)b->data, b->len, raw, &len), SNAPPY_OK);
    Prometheus__WriteRequest *wr =
        prometheus__write_request__unpack(NULL, len, (const uint8_t *)raw);
    free(raw);
    assert_non_null(wr);
    return wr;
}

/* The value of label `name` in series t, NULL when absent. */
static const char *label(const Prometheus__TimeSeries *t, const char *name)
{
    for (size_t i = 0; i < t->n_labels; i++) {
        if (strcmp(t->labels[i]->name, name) == 0) {
            return t->labels[i]->value;
        }
    }
    return NULL;
}

static void assert_sorted(const Prometheus__TimeSeries *t)
{
    for (size_t i = 1; i < t->n_labels; i++) {
        assert_true(strcmp(t->labels[i - 1]->name, t->labels[i]->name) < 0);
    }
}

static const double lat_bounds[] = {0.1, 1};
static const uint64_t lat_buckets[] = {2, 5}; /* cumulative */
static const struct hw_label lab_get[] = {{"method", "GET"}};
static const struct hw_label lab_status[] = {{"status", "500"}};
static const struct hw_snap_series counter_s[] = {{.labels = lab_status, .nlabels = 1,
                                                   .value = 42}};
static const struct hw_snap_series gauge_s[] = {{.value = 1234.5}};
static const struct hw_snap_series hist_s[] = {
    {.labels = lab_get, .nlabels = 1, .value = 3.25, .count = 7, .bucket = lat_buckets}};

/* app_errors_total (counter), node_memory_MemTotal_bytes (gauge), app_latency (histogram),
 * mem_used (a CloudWatch-view gauge that the node view must not send). */
static struct hw_snapshot sample_snapshot(struct hw_snap_family fams[4])
{
    fams[0] = (struct hw_snap_family){.name = "app_errors_total", .type = HW_COUNTER,
                                      .views = HW_VIEW_NODE, .series = counter_s, .nseries = 1};
    fams[1] = (struct hw_snap_family){.name = "app_latency", .type = HW_HISTOGRAM,
                                      .views = HW_VIEW_NODE, .buckets = lat_bounds,
                                      .nbuckets = 2, .series = hist_s, .nseries = 1};
    fams[2] = (struct hw_snap_family){.name = "mem_used", .type = HW_GAUGE, .views = HW_VIEW_CW,
                                      .series = gauge_s, .nseries = 1};
    fams[3] = (struct hw_snap_family){.name = "node_memory_MemTotal_bytes", .type = HW_GAUGE,
                                      .views = HW_VIEW_NODE, .series = gauge_s, .nseries = 1};
    return (struct hw_snapshot){.generation = 1, .timestamp_ms = T0, .families = fams,
                                .nfamilies = 4};
}

static void test_encode_values(void **unused)
{
    (void)unused;
    struct hw_snap_family fams[4];
    const struct hw_snapshot snap = sample_snapshot(fams);
    const struct hw_snapshot *snaps[] = {&snap};
    const struct rw_encode_opts o = {.lib = lib, .view = HW_VIEW_NODE, .max_samples = 2000};
    struct rw_bodies b;
    rw_bodies_init(&b);
    assert_int_equal(rw_encode(&o, snaps, 1, &b), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.v[0].nsamples, 7); /* 1 counter + 3 buckets + sum + count + 1 gauge */
    assert_int_equal(rw_count_samples(&o, &snap), 7);
    assert_int_equal(b.v[0].oldest_ms, T0);
    Prometheus__WriteRequest *wr = decode(&b.v[0]);
    assert_int_equal(wr->n_timeseries, 7);
    static const struct {
        const char *name, *le;
        double v;
    } want[] = {{"app_errors_total", NULL, 42},   {"app_latency_bucket", "0.1", 2},
                {"app_latency_bucket", "1", 5},   {"app_latency_bucket", "+Inf", 7},
                {"app_latency_sum", NULL, 3.25},  {"app_latency_count", NULL, 7},
                {"node_memory_MemTotal_bytes", NULL, 1234.5}};
    for (size_t i = 0; i < 7; i++) {
        const Prometheus__TimeSeries *t = wr->timeseries[i];
        assert_string_equal(label(t, "__name__"), want[i].name);
        assert_int_equal(t->n_samples, 1);
        assert_true(t->samples[0]->value == want[i].v);
        assert_int_equal(t->samples[0]->timestamp, T0);
        assert_sorted(t);
        if (want[i].le) {
            assert_string_equal(label(t, "le"), want[i].le);
            assert_string_equal(label(t, "method"), "GET");
            assert_int_equal(t->n_labels, 3);
        }
    }
    assert_string_equal(label(wr->timeseries[0], "status"), "500");
    assert_null(label(wr->timeseries[4], "le"));
    assert_int_equal(wr->timeseries[6]->n_labels, 1);
    prometheus__write_request__free_unpacked(wr, NULL);
    rw_bodies_free(&b);
}

/* Labels whose names sort around "__name__" and "le" (upper case sorts before '_'); empty
 * values are left out. */
static void test_label_order(void **unused)
{
    (void)unused;
    static const struct hw_label l[] = {
        {"Zone", "a"}, {"empty", ""}, {"kind", "x"}, {"zeta", "z"}}; /* sorted by key */
    static const double bounds[] = {5};
    static const uint64_t bk[] = {1};
    const struct hw_snap_series s[] = {{.labels = l, .nlabels = 4, .value = 1, .count = 1,
                                        .bucket = bk}};
    const struct hw_snap_family f = {.name = "h", .type = HW_HISTOGRAM, .views = HW_VIEW_NODE,
                                     .buckets = bounds, .nbuckets = 1, .series = s,
                                     .nseries = 1};
    const struct hw_snapshot snap = {.timestamp_ms = T0, .families = &f, .nfamilies = 1};
    const struct hw_snapshot *snaps[] = {&snap};
    const struct rw_encode_opts o = {.lib = lib, .view = HW_VIEW_NODE, .max_samples = 10};
    struct rw_bodies b;
    rw_bodies_init(&b);
    assert_int_equal(rw_encode(&o, snaps, 1, &b), 0);
    Prometheus__WriteRequest *wr = decode(&b.v[0]);
    const Prometheus__TimeSeries *t = wr->timeseries[0];
    static const char *const order[] = {"Zone", "__name__", "kind", "le", "zeta"};
    assert_int_equal(t->n_labels, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(t->labels[i]->name, order[i]);
    }
    assert_string_equal(t->labels[3]->value, "5");
    assert_null(label(t, "empty"));
    prometheus__write_request__free_unpacked(wr, NULL);
    rw_bodies_free(&b);
}

/* n gauge series, max per body: sizes of the bodies and every value once, in order. */
static void check_batching(size_t n, size_t max, size_t want_bodies)
{
    struct hw_snap_series *s = calloc(n, sizeof(*s));
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        s[i].value = (double)i;
    }
    const struct hw_snap_family f = {.name = "g", .type = HW_GAUGE, .views = HW_VIEW_NODE,
                                     .series = s, .nseries = n};
    const struct hw_snapshot snap = {.timestamp_ms = T0, .families = &f, .nfamilies = 1};
    const struct hw_snapshot *snaps[] = {&snap};
    const struct rw_encode_opts o = {.lib = lib, .view = HW_VIEW_NODE, .max_samples = max};
    struct rw_bodies b;
    rw_bodies_init(&b);
    assert_int_equal(rw_encode(&o, snaps, 1, &b), 0);
    assert_int_equal(b.n, want_bodies);
    size_t next = 0;
    for (size_t i = 0; i < b.n; i++) {
        Prometheus__WriteRequest *wr = decode(&b.v[i]);
        assert_int_equal(wr->n_timeseries, b.v[i].nsamples);
        assert_true(b.v[i].nsamples <= max);
        for (size_t k = 0; k < wr->n_timeseries; k++) {
            assert_true(wr->timeseries[k]->samples[0]->value == (double)next++);
        }
        prometheus__write_request__free_unpacked(wr, NULL);
    }
    assert_int_equal(next, n);
    rw_bodies_free(&b);
    free(s);
}

static void test_batching(void **unused)
{
    (void)unused;
    check_batching(2000, 2000, 1); /* exactly max_samples_per_send */
    check_batching(2001, 2000, 2); /* one over */
    check_batching(7, 3, 3);
    check_batching(0, 5, 0);
}

/* Two snapshots of one series: both samples, oldest first, each with its own time. */
static void test_two_snapshots_and_filters(void **unused)
{
    (void)unused;
    struct hw_snap_family fa[4], fb[4];
    struct hw_snapshot a = sample_snapshot(fa), b2 = sample_snapshot(fb);
    b2.timestamp_ms = T0 + 1000;
    const struct hw_snapshot *snaps[] = {&a, &b2};
    static const char *const globs[] = {"node_memory_*", "mem_*"};
    const struct rw_encode_opts o = {.lib = lib, .view = HW_VIEW_NODE, .metrics = globs, .nmetrics = 2,
                                     .max_samples = 100};
    struct rw_bodies b;
    rw_bodies_init(&b);
    assert_int_equal(rw_encode(&o, snaps, 2, &b), 0);
    assert_int_equal(b.n, 1);
    Prometheus__WriteRequest *wr = decode(&b.v[0]);
    assert_int_equal(wr->n_timeseries, 2); /* mem_used is not in the node view */
    assert_int_equal(wr->timeseries[0]->samples[0]->timestamp, T0);
    assert_int_equal(wr->timeseries[1]->samples[0]->timestamp, T0 + 1000);
    prometheus__write_request__free_unpacked(wr, NULL);
    rw_bodies_free(&b);
    const struct rw_encode_opts cw = {.lib = lib, .view = HW_VIEW_CW, .max_samples = 100};
    assert_int_equal(rw_count_samples(&cw, &a), 1);
}

/* The worked example of the remote write reference: up{instance,job} 1 @ 1700000000000. */
static void test_reference_bytes(void **unused)
{
    (void)unused;
    static const char hex[] =
        "0a4b0a0e0a085f5f6e616d655f5f120275700a190a08696e7374616e6365120d31302e302e302e313a3931"
        "30300a0c0a036a6f6212056167656e74121009000000000000f03f1080d095ffbc31";
    static const struct hw_label l[] = {{"instance", "10.0.0.1:9100"}, {"job", "agent"}};
    const struct hw_snap_series s[] = {{.labels = l, .nlabels = 2, .value = 1}};
    const struct hw_snap_family f = {.name = "up", .type = HW_GAUGE, .views = HW_VIEW_NODE,
                                     .series = s, .nseries = 1};
    const struct hw_snapshot snap = {.timestamp_ms = 1700000000000LL, .families = &f,
                                     .nfamilies = 1};
    const struct hw_snapshot *snaps[] = {&snap};
    const struct rw_encode_opts o = {.lib = lib, .view = HW_VIEW_NODE, .max_samples = 1};
    struct rw_bodies b;
    rw_bodies_init(&b);
    assert_int_equal(rw_encode(&o, snaps, 1, &b), 0);
    char raw[256];
    size_t len = sizeof(raw);
    assert_int_equal(snappy_uncompress((const char *)b.v[0].data, b.v[0].len, raw, &len),
                     SNAPPY_OK);
    assert_int_equal(len, 77);
    char got[2 * 77 + 1];
    for (size_t i = 0; i < len; i++) {
        snprintf(got + 2 * i, 3, "%02x", (unsigned char)raw[i]);
    }
    assert_string_equal(got, hex);
    rw_bodies_free(&b);
}

/* Without libsnappy loaded there is no body, and no crash. */
static void test_snappy_not_loaded(void **unused)
{
    (void)unused;
    struct netlib bare = {0};
    unsigned char *out = (unsigned char *)"not touched";
    size_t len = 0;
    assert_int_equal(rw_snappy(&bare, "abc", 3, &out, &len), -1);
    assert_null(out);
    assert_int_equal(rw_snappy(NULL, "abc", 3, &out, &len), -1);
}

static void test_snappy_round_trip(void **unused)
{
    (void)unused;
    size_t n = 200000;
    unsigned char *in = malloc(n), *out = NULL;
    assert_non_null(in);
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        in[i] = (unsigned char)(i % 3 == 0 ? (x >> 16) : 'a' + i % 7);
    }
    size_t len = 0, back = 0;
    assert_int_equal(rw_snappy(lib, in, n, &out, &len), 0);
    assert_true(len < n);
    assert_int_equal(snappy_validate_compressed_buffer((const char *)out, len), SNAPPY_OK);
    assert_int_equal(snappy_uncompressed_length((const char *)out, len, &back), SNAPPY_OK);
    assert_int_equal(back, n);
    char *dec = malloc(n);
    assert_non_null(dec);
    assert_int_equal(snappy_uncompress((const char *)out, len, dec, &back), SNAPPY_OK);
    assert_memory_equal(dec, in, n);
    free(dec);
    free(out);
    free(in);
}

static void test_base64(void **unused)
{
    (void)unused;
    static const char *const vec[][2] = {{"", ""},         {"f", "Zg=="},     {"fo", "Zm8="},
                                         {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
                                         {"foobar", "Zm9vYmFy"}, {"user:pass", "dXNlcjpwYXNz"}};
    char out[32];
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        hw_base64(vec[i][0], strlen(vec[i][0]), out);
        assert_string_equal(out, vec[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_values),
        cmocka_unit_test(test_label_order),
        cmocka_unit_test(test_batching),
        cmocka_unit_test(test_two_snapshots_and_filters),
        cmocka_unit_test(test_reference_bytes),
        cmocka_unit_test(test_snappy_round_trip),
        cmocka_unit_test(test_snappy_not_loaded),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
