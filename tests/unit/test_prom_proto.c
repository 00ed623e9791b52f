#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exporters/prometheus/metrics.pb-c.h"
#include "exporters/prometheus/prom_proto.h"
#include "exporters/prometheus/prom_text.h"
#include "registry.h"

static size_t get_varint(const unsigned char *p, size_t *used)
{
    size_t v = 0;
    int shift = 0;
    *used = 0;
    do {
        v |= (size_t)(p[*used] & 0x7f) << shift;
        shift += 7;
    } while (p[(*used)++] & 0x80);
    return v;
}

/* The worked example of the reference (bytes checked with protoc --decode there). */
static void test_worked_example(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    const struct hw_family_desc d = {.name = "agent_up", .help = "1 if the agent is running",
                                     .type = HW_GAUGE, .views = HW_VIEW_NODE};
    const struct hw_label l[] = {{"role", "primary"}};
    hw_family_set(hw_registry_family(reg, &d, NULL), l, 1, 1.0);
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    struct hw_buf b;
    hw_buf_init(&b);
    assert_int_equal(prom_proto_render(&b, snap, HW_VIEW_NODE), 0);
    static const char want[] = "450a086167656e745f757012193120696620746865206167656e742069732072"
                               "756e6e696e671801221c0a0f0a04726f6c6512077072696d61727912090900"
                               "0000000000f03f";
    char hex[2 * sizeof(want)];
    for (size_t i = 0; i < b.len && 2 * i + 2 < sizeof(hex); i++) {
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)b.data[i]);
    }
    assert_int_equal(b.len * 2, strlen(want));
    assert_string_equal(hex, want);
    hw_buf_free(&b);
    hw_snapshot_release(snap);
    hw_registry_free(reg);
}

static const double bounds[] = {0.1, 1};

static void test_roundtrip(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    const struct hw_family_desc c = {.name = "reqs_total", .help = "Requests.", .type = HW_COUNTER,
                                     .views = HW_VIEW_NODE};
    const struct hw_family_desc h = {.name = "lat_seconds", .help = "Latency.",
                                     .type = HW_HISTOGRAM, .views = HW_VIEW_NODE,
                                     .buckets = bounds, .nbuckets = 2};
    const struct hw_label a[] = {{"code", "200"}}, b5[] = {{"code", "500"}};
    struct hw_family *cf = hw_registry_family(reg, &c, NULL);
    hw_family_set(cf, a, 1, 7);
    hw_family_set(cf, b5, 1, 2);
    struct hw_family *hf = hw_registry_family(reg, &h, NULL);
    struct hw_series *s = hw_family_series(hf, NULL, 0, 0);
    hw_family_observe(hf, s, 0.05);
    hw_family_observe(hf, s, 0.5);
    hw_family_observe(hf, s, 5);
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    struct hw_buf out;
    hw_buf_init(&out);
    assert_int_equal(prom_proto_render(&out, snap, HW_VIEW_NODE), 0);
    const unsigned char *p = (const unsigned char *)out.data;
    size_t used, len = get_varint(p, &used);
    Io__Prometheus__Client__MetricFamily *m1 =
        io__prometheus__client__metric_family__unpack(NULL, len, p + used);
    assert_non_null(m1);
    assert_string_equal(m1->name, "lat_seconds");
    assert_int_equal(m1->type, IO__PROMETHEUS__CLIENT__METRIC_TYPE__HISTOGRAM);
    assert_int_equal(m1->metric[0]->histogram->sample_count, 3);
    assert_true(m1->metric[0]->histogram->sample_sum == 5.55);
    assert_int_equal(m1->metric[0]->histogram->n_bucket, 2);
    assert_int_equal(m1->metric[0]->histogram->bucket[0]->cumulative_count, 1);
    assert_int_equal(m1->metric[0]->histogram->bucket[1]->cumulative_count, 2);
    p += used + len;
    len = get_varint(p, &used);
    Io__Prometheus__Client__MetricFamily *m2 =
        io__prometheus__client__metric_family__unpack(NULL, len, p + used);
    assert_non_null(m2);
    assert_string_equal(m2->name, "reqs_total");
    assert_int_equal(m2->n_metric, 2);
    assert_string_equal(m2->metric[1]->label[0]->value, "500");
    assert_true(m2->metric[1]->counter->value == 2);
    assert_true(p + used + len == (const unsigned char *)out.data + out.len);
    io__prometheus__client__metric_family__free_unpacked(m1, NULL);
    io__prometheus__client__metric_family__free_unpacked(m2, NULL);
    hw_buf_free(&out);
    hw_snapshot_release(snap);
    hw_registry_free(reg);
}

static void test_negotiation(void **state)
{
    (void)state;
    /* Prometheus 2.x with native histograms on. */
    assert_int_equal(
        prom_negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                       "encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,"
                       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
        PROM_FMT_PROTOBUF);
    assert_int_equal(prom_negotiate("application/vnd.google.protobuf;encoding=text"),
                     PROM_FMT_TEXT);
    assert_int_equal(
        prom_negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                       "encoding=delimited;q=0.3,application/openmetrics-text"),
        PROM_FMT_OPENMETRICS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_negotiation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
