/* PutMetricData in AWS JSON 1.0: bodies parsed back with jansson and compared with the datums
 * field by field, string escaping, every limit at and one over, rejected values, error answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/cloudwatch/cw_json.h"

#define T0 1795309323000LL /* 2026-11-22T01:02:03Z */
#define HEADER "{\"Namespace\":\"CWAgent\",\"MetricData\":["

static struct cw_datum value_datum(const char *name, double v)
{
    return (struct cw_datum){
        .name = name, .kind = CW_VALUE, .value = v, .timestamp_ms = T0, .storage_resolution = 60};
}

static json_t *parse(const struct cw_body *b)
{
    json_error_t err;
    json_t *doc = json_loadb(b->text.data, b->text.len, 0, &err);
    if (!doc) {
        fail_msg("not JSON (%s at %d): %.300s", err.text, err.position, b->text.data);
    }
    assert_int_equal(strlen(b->text.data), b->text.len);
    return doc;
}

/* Encodes, checks every body is JSON within the limits; returns the MetricData members of all
 * bodies in one array (a new reference). */
static json_t *encode(const struct cw_query_opts *o, const struct cw_datum *d, size_t n,
                      struct cw_bodies *b)
{
    cw_bodies_free(b);
    assert_int_equal(cw_json_encode(o, d, n, b), 0);
    json_t *all = json_array();
    for (size_t i = 0; i < b->n; i++) {
        const size_t max = o->max_body ? o->max_body : CW_QUERY_DEFAULT_MAX_BODY;
        assert_true(b->v[i].text.len <= max);
        json_t *doc = parse(&b->v[i]);
        assert_string_equal(json_string_value(json_object_get(doc, "Namespace")), o->ns);
        json_t *md = json_object_get(doc, "MetricData");
        assert_int_equal(json_object_size(doc), 2);
        assert_int_equal(json_array_size(md), b->v[i].ndatums);
        assert_true(b->v[i].ndatums <= CW_QUERY_MAX_DATUMS);
        assert_int_equal(json_array_extend(all, md), 0);
        json_decref(doc);
    }
    return all;
}

static void assert_num(const json_t *j, double want)
{
    assert_true(json_is_number(j));
    const double got = json_number_value(j);
    /* -0 is written "0" (as in the Query form), which jansson reads as an integer */
    if (!(got == want && (json_is_integer(j) || signbit(got) == signbit(want)))) {
        fail_msg("number %.17g, want %.17g", got, want);
    }
}

static void assert_list(const json_t *a, const double *want, size_t n)
{
    assert_int_equal(json_array_size(a), n);
    for (size_t k = 0; k < n; k++) {
        assert_num(json_array_get(a, k), want[k]);
    }
}

/* Every field of member m against datum d (values [off, off + nv) of a distribution). */
static void assert_member(const json_t *m, const struct cw_datum *d, size_t off, size_t nv)
{
    size_t fields = 4; /* MetricName, Timestamp, StorageResolution, the values */
    assert_string_equal(json_string_value(json_object_get(m, "MetricName")), d->name);
    const json_t *dims = json_object_get(m, "Dimensions");
    assert_int_equal(json_array_size(dims), d->ndims);
    fields += d->ndims > 0;
    for (size_t i = 0; i < d->ndims; i++) {
        const json_t *x = json_array_get(dims, i);
        assert_int_equal(json_object_size(x), 2);
        assert_string_equal(json_string_value(json_object_get(x, "Name")), d->dims[i].name);
        assert_string_equal(json_string_value(json_object_get(x, "Value")), d->dims[i].value);
    }
    assert_num(json_object_get(m, "Timestamp"), (double)d->timestamp_ms / 1000);
    assert_int_equal(json_integer_value(json_object_get(m, "StorageResolution")),
                     d->storage_resolution);
    if (d->unit) {
        assert_string_equal(json_string_value(json_object_get(m, "Unit")), d->unit);
        fields++;
    } else {
        assert_null(json_object_get(m, "Unit"));
    }
    if (d->kind == CW_VALUE) {
        assert_num(json_object_get(m, "Value"), d->value);
    } else if (d->kind == CW_STATS) {
        const json_t *s = json_object_get(m, "StatisticValues");
        assert_int_equal(json_object_size(s), 4);
        assert_num(json_object_get(s, "SampleCount"), d->stats.count);
        assert_num(json_object_get(s, "Sum"), d->stats.sum);
        assert_num(json_object_get(s, "Minimum"), d->stats.min);
        assert_num(json_object_get(s, "Maximum"), d->stats.max);
    } else {
        assert_list(json_object_get(m, "Values"), d->values + off, nv);
        assert_list(json_object_get(m, "Counts"), d->counts + off, nv);
        fields++;
    }
    assert_int_equal(json_object_size(m), fields);
}

static void test_fields(void **state)
{
    (void)state;
    const struct cw_dim d1[] = {{"InstanceId", "i-1"}, {"path", "/mnt/my data"}};
    const struct cw_dim d3[] = {{"status", "200"}};
    const double vals[] = {10, 1e100, -0.1}, cnts[] = {2, 1, 0.5};
    const struct cw_datum d[] = {
        {.name = "disk_used_percent", .unit = "Percent", .dims = d1, .ndims = 2,
         .kind = CW_VALUE, .value = 71.30000000000001, .timestamp_ms = T0,
         .storage_resolution = 60},
        {.name = "mem_used", .unit = "Bytes", .kind = CW_STATS,
         .stats = {3, 1.5e10, 4.9e9, 5.1e9}, .timestamp_ms = T0 + 7, .storage_resolution = 1},
        {.name = "latency", .dims = d3, .ndims = 1, .kind = CW_DIST, .values = vals,
         .counts = cnts, .nvalues = 3, .timestamp_ms = T0 + 999, .storage_resolution = 60},
        {.name = "tiny", .kind = CW_VALUE, .value = -0x1p-360, .timestamp_ms = 0,
         .storage_resolution = 60},
        {.name = "zero", .kind = CW_VALUE, .value = -0.0, .timestamp_ms = T0 + 120,
         .storage_resolution = 60},
    };
    const size_t n = sizeof(d) / sizeof(d[0]);
    struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    json_t *all = encode(&o, d, n, &b);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.v[0].ndatums, n);
    assert_int_equal(b.v[0].oldest_ms, 0);
    assert_int_equal(json_array_size(all), n);
    for (size_t i = 0; i < n; i++) {
        assert_member(json_array_get(all, i), &d[i], 0, d[i].nvalues);
    }
    assert_non_null(strstr(b.v[0].text.data, "\"MetricName\":\"zero\",\"Timestamp\":1795309323.120,"));
    assert_non_null(strstr(b.v[0].text.data, "\"Value\":0,"));
    assert_non_null(strstr(b.v[0].text.data, "\"Timestamp\":0,\"Value\":-4.257959840008151e-109,"));
    /* the exact text of one member: field order and number forms */
    const char *want = HEADER "{\"MetricName\":\"mem_used\",\"Timestamp\":1795309323.007,"
                              "\"StatisticValues\":{\"SampleCount\":3,\"Sum\":15000000000,"
                              "\"Minimum\":4900000000,\"Maximum\":5100000000},\"Unit\":\"Bytes\","
                              "\"StorageResolution\":1}]}";
    json_decref(all);
    all = encode(&o, &d[1], 1, &b);
    assert_string_equal(b.v[0].text.data, want);
    json_decref(all);
    /* gzip carries the same text: zlib's output for it (its round trip: test_cw_query) */
    o.gzip = 1;
    all = encode(&o, d, n, &b);
    struct hw_buf gz;
    hw_buf_init(&gz);
    assert_int_equal(hw_buf_gzip(&gz, b.v[0].text.data, b.v[0].text.len, CW_GZIP_LEVEL), 0);
    assert_int_equal(gz.len, b.v[0].gz.len);
    assert_memory_equal(gz.data, b.v[0].gz.data, gz.len);
    hw_buf_free(&gz);
    json_decref(all);
    cw_bodies_free(&b);
}

static void test_escaping(void **state)
{
    (void)state;
    static const char *const names[] = {
        "quote\"back\\slash", "nl\ncr\rtab\tbs\bff\f", "ctl\x01\x1f\x7f end",
        "utf8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x93\x88", "/slash</script>", "#hash%25&a=b+c"};
    const size_t n = sizeof(names) / sizeof(names[0]);
    struct cw_datum d[sizeof(names) / sizeof(names[0])];
    const struct cw_dim dim[] = {{"k\"ey", "va\\l ue"}};
    for (size_t i = 0; i < n; i++) {
        d[i] = value_datum(names[i], (double)i);
        d[i].dims = dim;
        d[i].ndims = 1;
    }
    struct cw_query_opts o = {.ns = "N\"s\\1"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    json_t *all = encode(&o, d, n, &b);
    for (size_t i = 0; i < n; i++) {
        assert_member(json_array_get(all, i), &d[i], 0, 0);
    }
    const char *t = b.v[0].text.data;
    assert_non_null(strstr(t, "\"ctl\\u0001\\u001f\x7f end\""));
    assert_non_null(strstr(t, "\"nl\\ncr\\rtab\\tbs\\u0008ff\\u000c\""));
    assert_non_null(strstr(t, "\"utf8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x93\x88\""));
    assert_non_null(strstr(t, "{\"Namespace\":\"N\\\"s\\\\1\","));
    json_decref(all);
    cw_bodies_free(&b);
}

static void test_datum_limit(void **state)
{
    (void)state;
    const size_t n = 2001;
    struct cw_datum *d = calloc(n, sizeof(*d));
    assert_non_null(d);
    for (size_t i = 0; i < n; i++) {
        d[i] = value_datum("m", (double)i);
    }
    struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    static const size_t counts[][3] = {{1000, 1, 1000}, {1001, 2, 1}, {2000, 2, 1000},
                                       {2001, 3, 1}};
    for (size_t c = 0; c < 4; c++) {
        json_t *all = encode(&o, d, counts[c][0], &b);
        assert_int_equal(b.n, counts[c][1]);
        assert_int_equal(b.v[0].ndatums, 1000 < counts[c][0] ? 1000 : counts[c][0]);
        assert_int_equal(b.v[b.n - 1].ndatums, counts[c][2]);
        for (size_t i = 0; i < counts[c][0]; i++) {
            assert_member(json_array_get(all, i), &d[i], 0, 0);
        }
        json_decref(all);
    }
    o.max_datums = 3;
    json_decref(encode(&o, d, 7, &b));
    assert_int_equal(b.n, 3);
    cw_bodies_free(&b);
    free(d);
}

/* 150 values are one member, 151 two (150 + 1), 301 three. */
static void test_values_limit(void **state)
{
    (void)state;
    double v[301], c[301];
    for (size_t i = 0; i < 301; i++) {
        v[i] = 0.5 * (double)i;
        c[i] = (double)(i % 7 + 1);
    }
    struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    static const size_t sizes[][2] = {{150, 1}, {151, 2}, {300, 2}, {301, 3}};
    for (size_t s = 0; s < 4; s++) {
        const struct cw_datum d = {.name = "h", .unit = "Milliseconds", .kind = CW_DIST,
                                   .values = v, .counts = c, .nvalues = sizes[s][0],
                                   .timestamp_ms = T0, .storage_resolution = 60};
        json_t *all = encode(&o, &d, 1, &b);
        assert_int_equal(json_array_size(all), sizes[s][1]);
        for (size_t m = 0; m < sizes[s][1]; m++) {
            const size_t off = m * 150, nv = sizes[s][0] - off < 150 ? sizes[s][0] - off : 150;
            assert_member(json_array_get(all, m), &d, off, nv);
        }
        json_decref(all);
    }
    cw_bodies_free(&b);
}

/* A body exactly at max_body is one body; a byte less makes two. */
static void test_body_limit(void **state)
{
    (void)state;
    struct cw_datum d[12];
    for (size_t i = 0; i < 12; i++) {
        d[i] = value_datum("metric", 1.5 + (double)i);
    }
    struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    for (size_t n = 1; n <= 12; n++) {
        o.max_body = 0;
        json_decref(encode(&o, d, n, &b));
        const size_t len = b.v[0].text.len;
        o.max_body = len;
        json_decref(encode(&o, d, n, &b));
        assert_int_equal(b.n, 1);
        assert_int_equal(b.v[0].text.len, len);
        if (n > 1) {
            o.max_body = len - 1;
            json_t *all = encode(&o, d, n, &b);
            assert_int_equal(b.n, 2);
            assert_int_equal(b.v[0].ndatums + b.v[1].ndatums, n);
            for (size_t i = 0; i < n; i++) {
                assert_member(json_array_get(all, i), &d[i], 0, 0);
            }
            json_decref(all);
        }
    }
    o.max_body = strlen(HEADER) + 20; /* a datum alone does not fit */
    cw_bodies_free(&b);
    assert_int_equal(cw_json_encode(&o, d, 1, &b), -EMSGSIZE);
    assert_int_equal(b.n, 0);
    o.max_body = strlen(HEADER) + 2; /* not even an empty array */
    assert_int_equal(cw_json_encode(&o, d, 1, &b), -EMSGSIZE);
    cw_bodies_free(&b);
}

/* Members of 0.6, 0.5, 0.4 and 0.5 body: in order they need three bodies, two suffice (the
 * bodies are then written out of datum order). */
static void test_fewest_bodies(void **state)
{
    (void)state;
    static const size_t len[] = {600, 500, 400, 500};
    char buf[4][700];
    struct cw_dim dims[4];
    struct cw_datum d[4];
    size_t piece[4];
    struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    for (size_t i = 0; i < 4; i++) {
        memset(buf[i], 'x', len[i]);
        buf[i][len[i]] = '\0';
        dims[i] = (struct cw_dim){"k", buf[i]};
        d[i] = value_datum("m", 1);
        d[i].dims = &dims[i];
        d[i].ndims = 1;
        json_decref(encode(&o, &d[i], 1, &b));
        piece[i] = b.v[0].text.len - strlen(HEADER) - 2 + 1; /* "]}" out, ',' in */
    }
    o.max_body = strlen(HEADER) + 1 + piece[0] + piece[2];
    json_t *all = encode(&o, d, 4, &b);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.v[0].text.len, o.max_body);
    assert_int_equal(b.v[1].text.len, o.max_body);
    size_t seen = 0;
    for (size_t i = 0; i < 4; i++) {
        const char *v = json_string_value(
            json_object_get(json_array_get(json_object_get(json_array_get(all, i), "Dimensions"), 0),
                            "Value"));
        for (size_t k = 0; k < 4; k++) {
            seen |= strlen(v) == len[k] ? 1u << k : 0;
        }
    }
    assert_int_equal(seen, 0xf);
    json_decref(all);
    cw_bodies_free(&b);
}

/* Values the service rejects (and names that are not UTF-8) are dropped and counted exactly as
 * by the Query encoder. */
static void test_rejected(void **state)
{
    (void)state;
    const double nanv[] = {1, NAN}, one[] = {1, 1};
    struct cw_datum d[] = {value_datum("ok", 1),
                           value_datum("nan", NAN),
                           value_datum("inf", INFINITY),
                           value_datum("ninf", -INFINITY),
                           value_datum("big", 0x1p361),
                           {.name = "stats", .kind = CW_STATS, .stats = {1, INFINITY, 0, 1},
                            .timestamp_ms = T0, .storage_resolution = 60},
                           {.name = "dist", .kind = CW_DIST, .values = nanv, .counts = one,
                            .nvalues = 2, .timestamp_ms = T0, .storage_resolution = 60},
                           value_datum("bad utf-8 \xff", 1),
                           value_datum("truncated \xc3", 1),
                           value_datum("bad continuation \xc3\x28", 1),
                           value_datum("overlong \xc0\xaf", 1),
                           value_datum("overlong \xe0\x80\xaf", 1),
                           value_datum("surrogate \xed\xa0\x80", 1),
                           value_datum("beyond U+10FFFF \xf4\x90\x80\x80", 1),
                           value_datum("ok2 \xf4\x8f\xbf\xbf \xed\x9f\xbf \xc2\x80", -0x1p360)};
    const size_t n = sizeof(d) / sizeof(d[0]);
    struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b, q;
    cw_bodies_init(&b);
    cw_bodies_init(&q);
    json_t *all = encode(&o, d, n, &b);
    assert_int_equal(b.dropped, n - 2);
    assert_int_equal(json_array_size(all), 2);
    assert_member(json_array_get(all, 0), &d[0], 0, 0);
    assert_member(json_array_get(all, 1), &d[n - 1], 0, 0);
    assert_int_equal(cw_query_encode(&o, d, n, &q), 0);
    assert_int_equal(q.dropped, b.dropped);
    assert_int_equal(q.v[0].ndatums, b.v[0].ndatums);
    json_decref(all);
    cw_bodies_free(&q);
    json_decref(encode(&o, d + 1, 4, &b)); /* nothing valid: no body */
    assert_int_equal(b.n, 0);
    assert_int_equal(b.dropped, 4);
    o.ns = "AWS/EC2";
    assert_int_equal(cw_json_encode(&o, d, 1, &b), -EINVAL);
    cw_bodies_free(&b);
}

static void error_code(const char *body, const char *hdr, const char *want_code,
                       const char *want_msg)
{
    char code[64], msg[128];
    cw_json_error_code(body, body ? strlen(body) : 0, hdr, code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, want_code);
    assert_string_equal(msg, want_msg);
}

static void test_errors(void **state)
{
    (void)state;
    error_code("{\"__type\":\"com.amazonaws.cloudwatch#ThrottlingException\",\"message\":\"Rate "
               "exceeded\"}", NULL, "ThrottlingException", "Rate exceeded");
    error_code("{\"__type\":\"InvalidParameterValueException:http://internal.amazon.com/coral/"
               "com.amazon.coral.validate/\",\"Message\":\"bad value\"}", "",
               "InvalidParameterValueException", "bad value");
    error_code("{\"__type\":\"aws.x#AccessDeniedException:suffix\",\"message\":\"no\"}", NULL,
               "AccessDeniedException", "no");
    error_code("{\"__type\":\"InternalServiceFault\",\"message\":\"boom\"}",
               "InternalServiceError;Receiver", "InternalServiceError", "boom");
    error_code("{\"__type\":\"InvalidParameterValueException\",\"message\":\"m\"}",
               " InvalidParameterValue;Sender", "InvalidParameterValue", "m");
    error_code(NULL, "Throttling;Sender", "Throttling", "");         /* header only */
    error_code("<html>502 Bad Gateway</html>", NULL, "", "");         /* garbage */
    error_code("{\"__type\":42,\"message\":[]}", ";Sender", "", "");  /* wrong types */
    error_code("[\"__type\"]", NULL, "", "");
    error_code("{\"message\":\"only a message\"}", NULL, "", "only a message");
    error_code("", NULL, "", "");
    char code[8], msg[8];
    const char *longer = "{\"__type\":\"VeryLongErrorCodeName\",\"message\":\"long message\"}";
    cw_json_error_code(longer, strlen(longer), NULL, code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "VeryLon");
    assert_string_equal(msg, "long me");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),       cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_datum_limit),  cmocka_unit_test(test_values_limit),
        cmocka_unit_test(test_body_limit),   cmocka_unit_test(test_fewest_bodies),
        cmocka_unit_test(test_rejected),     cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
