/* PutMetricData query-protocol encoding: exact bodies, every limit at and one over, gzip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "exporters/cloudwatch/cw_query.h"

#define T0 1795309323000LL /* 2026-11-22T01:02:03Z */
#define HEADER "Action=PutMetricData&Version=2010-08-01&Namespace=CWAgent"

static size_t count_str(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) {
        n++;
    }
    return n;
}

static struct cw_datum value_datum(const char *name, double v)
{
    return (struct cw_datum){
        .name = name, .kind = CW_VALUE, .value = v, .timestamp_ms = T0, .storage_resolution = 60};
}

static void encode(const struct cw_query_opts *o, const struct cw_datum *d, size_t n,
                   struct cw_bodies *b)
{
    cw_bodies_free(b);
    assert_int_equal(cw_query_encode(o, d, n, b), 0);
    for (size_t i = 0; i < b->n; i++) {
        const size_t max = o->max_body ? o->max_body : CW_QUERY_DEFAULT_MAX_BODY;
        assert_true(b->v[i].text.len <= max);
        assert_int_equal(count_str(b->v[i].text.data, ".MetricName="), b->v[i].ndatums);
        assert_true(b->v[i].ndatums <= CW_QUERY_MAX_DATUMS);
    }
}

static void test_exact_body(void **state)
{
    (void)state;
    const struct cw_dim d1[] = {{"InstanceId", "i-1"}, {"path", "/mnt/my data"}};
    const struct cw_dim d3[] = {{"status", "200"}};
    const double vals[] = {10, 1e100}, cnts[] = {2, 1};
    const struct cw_datum d[] = {
        {.name = "disk_used_percent",
         .unit = "Percent",
         .dims = d1,
         .ndims = 2,
         .kind = CW_VALUE,
         .value = 12.5,
         .timestamp_ms = T0,
         .storage_resolution = 60},
        {.name = "diskio_read_bytes",
         .unit = "Bytes/Second",
         .kind = CW_STATS,
         .stats = {3, 7.5, 1.25, 4},
         .timestamp_ms = T0 + 1500,
         .storage_resolution = 1},
        {.name = "app_ms",
         .dims = d3,
         .ndims = 1,
         .kind = CW_DIST,
         .values = vals,
         .counts = cnts,
         .nvalues = 2,
         .timestamp_ms = T0 - 60000,
         .storage_resolution = 60},
    };
    const struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    encode(&o, d, 3, &b);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.v[0].text.data,
                        HEADER "&MetricData.member.1.MetricName=disk_used_percent"
                               "&MetricData.member.1.Dimensions.member.1.Name=InstanceId"
                               "&MetricData.member.1.Dimensions.member.1.Value=i-1"
                               "&MetricData.member.1.Dimensions.member.2.Name=path"
                               "&MetricData.member.1.Dimensions.member.2.Value=%2Fmnt%2Fmy%20data"
                               "&MetricData.member.1.Timestamp=2026-11-22T01%3A02%3A03.000Z"
                               "&MetricData.member.1.Value=12.5"
                               "&MetricData.member.1.Unit=Percent"
                               "&MetricData.member.1.StorageResolution=60"
                               "&MetricData.member.2.MetricName=diskio_read_bytes"
                               "&MetricData.member.2.Timestamp=2026-11-22T01%3A02%3A04.500Z"
                               "&MetricData.member.2.StatisticValues.SampleCount=3"
                               "&MetricData.member.2.StatisticValues.Sum=7.5"
                               "&MetricData.member.2.StatisticValues.Minimum=1.25"
                               "&MetricData.member.2.StatisticValues.Maximum=4"
                               "&MetricData.member.2.Unit=Bytes%2FSecond"
                               "&MetricData.member.2.StorageResolution=1"
                               "&MetricData.member.3.MetricName=app_ms"
                               "&MetricData.member.3.Dimensions.member.1.Name=status"
                               "&MetricData.member.3.Dimensions.member.1.Value=200"
                               "&MetricData.member.3.Timestamp=2026-11-22T01%3A01%3A03.000Z"
                               "&MetricData.member.3.Values.member.1=10"
                               "&MetricData.member.3.Values.member.2=1e%2B100"
                               "&MetricData.member.3.Counts.member.1=2"
                               "&MetricData.member.3.Counts.member.2=1"
                               "&MetricData.member.3.StorageResolution=60");
    assert_int_equal(b.v[0].ndatums, 3);
    assert_true(b.v[0].oldest_ms == T0 - 60000);
    assert_int_equal(b.dropped, 0);
    cw_bodies_free(&b);
}

static void test_percent_encoding(void **state)
{
    (void)state;
    const struct cw_dim dims[] = {{"a&b=c", "x+y %/:?#[]@!$'()*,;~-._"}};
    struct cw_datum d = value_datum("caf\xc3\xa9", 0.1);
    d.dims = dims;
    d.ndims = 1;
    const struct cw_query_opts o = {.ns = "My App/Prod"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    encode(&o, &d, 1, &b);
    assert_non_null(strstr(b.v[0].text.data, "&Namespace=My%20App%2FProd&"));
    assert_non_null(strstr(b.v[0].text.data, "MetricName=caf%C3%A9&"));
    assert_non_null(strstr(b.v[0].text.data, ".Name=a%26b%3Dc&"));
    assert_non_null(strstr(b.v[0].text.data,
                           ".Value=x%2By%20%25%2F%3A%3F%23%5B%5D%40%21%24%27%28%29%2A%2C%3B~-._&"));
    assert_non_null(strstr(b.v[0].text.data, ".Value=0.1&"));
    cw_bodies_free(&b);
}

/* n value datums; returns the bodies' datum counts through b. */
static void encode_n(size_t n, struct cw_bodies *b)
{
    struct cw_datum *d = calloc(n, sizeof(*d));
    assert_non_null(d);
    for (size_t i = 0; i < n; i++) {
        d[i] = value_datum("m", (double)i);
    }
    const struct cw_query_opts o = {.ns = "CWAgent"};
    encode(&o, d, n, b);
    free(d);
}

static void test_datum_limit(void **state)
{
    (void)state;
    static const size_t cases[][4] = {{1000, 1, 1000, 0},    {1001, 2, 1000, 1},
                                      {1500, 2, 1000, 500},  {2000, 2, 1000, 1000},
                                      {2001, 3, 1000, 1000}, {1, 1, 1, 0}};
    struct cw_bodies b;
    cw_bodies_init(&b);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        encode_n(cases[i][0], &b);
        assert_int_equal(b.n, cases[i][1]);
        assert_int_equal(b.v[0].ndatums, cases[i][2]);
        assert_int_equal(b.n > 1 ? b.v[1].ndatums : 0, cases[i][3]);
    }
    encode_n(1000, &b);
    assert_non_null(strstr(b.v[0].text.data, "&MetricData.member.1000.Value=999&"));
    assert_null(strstr(b.v[0].text.data, "member.1001."));
    encode_n(0, &b);
    assert_int_equal(b.n, 0);
    cw_bodies_free(&b);
}

static void test_values_limit(void **state)
{
    (void)state;
    double v[301], c[301];
    for (size_t i = 0; i < 301; i++) {
        v[i] = (double)i;
        c[i] = 1;
    }
    static const size_t cases[][2] = {{150, 1}, {151, 2}, {300, 2}, {301, 3}, {1, 1}};
    const struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct cw_datum d = {.name = "h",
                                   .kind = CW_DIST,
                                   .values = v,
                                   .counts = c,
                                   .nvalues = cases[i][0],
                                   .timestamp_ms = T0,
                                   .storage_resolution = 60};
        encode(&o, &d, 1, &b);
        assert_int_equal(b.n, 1);
        assert_int_equal(b.v[0].ndatums, cases[i][1]);
        assert_int_equal(count_str(b.v[0].text.data, ".Values.member."), cases[i][0]);
        assert_int_equal(count_str(b.v[0].text.data, ".Counts.member."), cases[i][0]);
    }
    encode(&o,
           &(struct cw_datum){.name = "h",
                              .kind = CW_DIST,
                              .values = v,
                              .counts = c,
                              .nvalues = 151,
                              .timestamp_ms = T0,
                              .storage_resolution = 60},
           1, &b);
    assert_non_null(strstr(b.v[0].text.data, "member.1.Values.member.150=149&"));
    assert_null(strstr(b.v[0].text.data, "member.1.Values.member.151="));
    assert_non_null(strstr(b.v[0].text.data, "member.2.Values.member.1=150&"));
    assert_non_null(strstr(b.v[0].text.data, "member.2.Counts.member.1=1&"));

    /* 999 values + a 151-value distribution = 1001 members: two bodies. */
    struct cw_datum *d = calloc(1000, sizeof(*d));
    assert_non_null(d);
    for (size_t i = 0; i < 999; i++) {
        d[i] = value_datum("m", 1);
    }
    d[999] = (struct cw_datum){.name = "h",
                               .kind = CW_DIST,
                               .values = v,
                               .counts = c,
                               .nvalues = 151,
                               .timestamp_ms = T0,
                               .storage_resolution = 60};
    encode(&o, d, 1000, &b);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.v[0].ndatums + b.v[1].ndatums, 1001);
    free(d);
    cw_bodies_free(&b);
}

/* Sizes grow with the member index (member.9 -> member.10): the limit is met exactly. */
static void test_body_limit(void **state)
{
    (void)state;
    struct cw_datum d[12];
    for (size_t i = 0; i < 12; i++) {
        d[i] = value_datum("metric", 1.5);
    }
    struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    for (size_t n = 1; n <= 12; n++) {
        o.max_body = 0;
        encode(&o, d, n, &b);
        const size_t len = b.v[0].text.len;
        o.max_body = len; /* exactly at the limit: one body */
        encode(&o, d, n, &b);
        assert_int_equal(b.n, 1);
        assert_int_equal(b.v[0].text.len, len);
        if (n > 1) {
            o.max_body = len - 1; /* one byte less: two */
            encode(&o, d, n, &b);
            assert_int_equal(b.n, 2);
            assert_int_equal(b.v[0].ndatums + b.v[1].ndatums, n);
        }
    }
    o.max_body = strlen(HEADER) + 20; /* a datum alone does not fit */
    cw_bodies_free(&b);
    assert_int_equal(cw_query_encode(&o, d, 1, &b), -EMSGSIZE);
    assert_int_equal(b.n, 0);
    cw_bodies_free(&b);
}

static struct cw_datum sized_datum(struct cw_dim *dim, char *buf, size_t len)
{
    memset(buf, 'x', len);
    buf[len] = '\0';
    *dim = (struct cw_dim){"k", buf};
    struct cw_datum d = value_datum("m", 1);
    d.dims = dim;
    d.ndims = 1;
    return d;
}

/* Members of 0.6, 0.5, 0.4 and 0.5 body: in order they need three bodies, two suffice. */
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
        d[i] = sized_datum(&dims[i], buf[i], len[i]);
        encode(&o, &d[i], 1, &b);
        piece[i] = b.v[0].text.len - strlen(HEADER);
    }
    assert_int_equal(piece[0] + piece[2], piece[1] + piece[3]);
    o.max_body = strlen(HEADER) + piece[0] + piece[2];
    encode(&o, d, 4, &b);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.v[0].text.len, o.max_body);
    assert_int_equal(b.v[1].text.len, o.max_body);
    cw_bodies_free(&b);
}

static char *gunzip(const struct hw_buf *gz, size_t want)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    char *out = malloc(want + 1);
    assert_non_null(out);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)gz->data;
    z.avail_in = (uInt)gz->len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)want + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, want);
    inflateEnd(&z);
    out[want] = '\0';
    return out;
}

/* hw_buf_gzip of n bytes at in inflates back to them, within the size reserved for it. */
static void assert_roundtrip(const void *in, size_t n, int level)
{
    struct hw_buf out;
    hw_buf_init(&out);
    assert_int_equal(hw_buf_gzip(&out, in, n, level ? level : CW_GZIP_LEVEL), 0);
    char *back = gunzip(&out, n);
    assert_memory_equal(back, in, n);
    assert_true(out.len <= n + n / 8 + 64); /* stored blocks at worst */
    free(back);
    hw_buf_free(&out);
}

static void test_gzip(void **state)
{
    (void)state;
    struct cw_datum d[1200];
    for (size_t i = 0; i < 1200; i++) {
        d[i] = value_datum("mem_used_percent", 12.5 + (double)i);
    }
    const struct cw_query_opts o = {.ns = "CWAgent", .gzip = 1, .gzip_level = 6};
    struct cw_bodies b;
    cw_bodies_init(&b);
    encode(&o, d, 1200, &b);
    assert_int_equal(b.n, 2);
    for (size_t i = 0; i < b.n; i++) {
        const unsigned char *gz = (const unsigned char *)b.v[i].gz.data;
        assert_true(b.v[i].gz.len > 18 && gz[0] == 0x1f && gz[1] == 0x8b);
        assert_true(b.v[i].gz.len < b.v[i].text.len / 4);
        char *text = gunzip(&b.v[i].gz, b.v[i].text.len);
        assert_string_equal(text, b.v[i].text.data);
        free(text);
    }
    assert_roundtrip("", 0, 0);
    assert_roundtrip("", 0, 6);
    cw_bodies_free(&b);
}

/* Real bodies: members of different shapes (dimensions, statistic sets, distributions)
 * round-trip through zlib's inflate and compress well at the default level. */
static void test_gzip_members(void **state)
{
    (void)state;
    enum { N = 1500 };
    struct cw_datum *d = calloc(N, sizeof(*d));
    char(*names)[32] = calloc(N, sizeof(*names));
    assert_non_null(d);
    assert_non_null(names);
    const struct cw_dim dims[] = {{"InstanceId", "i-0123456789abcdef0"}, {"path", "/mnt/a b"}};
    const double vals[] = {1, 2.5, 1e100}, cnts[] = {3, 1, 7};
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "metric_%zu", i % 37);
        d[i] = value_datum(names[i], 0.1 * (double)i);
        d[i].dims = dims;
        d[i].ndims = 1 + i % 2;
        if (i % 3 == 1) {
            d[i].kind = CW_STATS;
            d[i].stats = (struct cw_stats){.count = 6, .sum = 1.5 * (double)i, .min = 0, .max = 9};
        } else if (i % 3 == 2) {
            d[i].kind = CW_DIST;
            d[i].values = vals;
            d[i].counts = cnts;
            d[i].nvalues = 3;
        }
    }
    const struct cw_query_opts o = {.ns = "CWAgent", .gzip = 1};
    struct cw_bodies b;
    cw_bodies_init(&b);
    encode(&o, d, N, &b);
    assert_int_equal(b.n, 2);
    for (size_t i = 0; i < b.n; i++) {
        assert_true(b.v[i].gz.len < b.v[i].text.len / 5);
        char *text = gunzip(&b.v[i].gz, b.v[i].text.len);
        assert_string_equal(text, b.v[i].text.data);
        free(text);
    }
    cw_bodies_free(&b);
    free(names);
    free(d);
}

/* Awkward inputs round-trip too: one repeated byte, random bytes, delimiters only, member
 * markers at the end, back to back, and farther apart than the deflate window. */
static void test_gzip_any_input(void **state)
{
    (void)state;
    enum { LEN = 200000 };
    char *in = malloc(LEN + 1);
    assert_non_null(in);
    uint64_t x = 88172645463325252ull;
    for (int shape = 0; shape < 5; shape++) {
        size_t n = LEN;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            in[i] = shape == 0 ? 'a' : shape == 1 ? (char)(x & 0xff) : "&.=ab"[x % 5];
        }
        for (size_t at = 0; shape >= 3 && at + 12 <= n; at += shape == 3 ? 40000 : 13) {
            memcpy(in + at, ".MetricName=", 12);
        }
        if (shape == 2) {
            memcpy(in + n - 12, ".MetricName=", 12);
        }
        assert_roundtrip(in, n, 0);
    }
    assert_roundtrip("x", 1, 0);
    free(in);
}

static void test_oldest(void **state)
{
    (void)state;
    struct cw_datum d[3] = {value_datum("a", 1), value_datum("b", 2), value_datum("c", 3)};
    d[1].timestamp_ms = T0 - 3600123;
    d[2].timestamp_ms = T0 + 5;
    const struct cw_query_opts o = {.ns = "CWAgent", .max_datums = 2};
    struct cw_bodies b;
    cw_bodies_init(&b);
    encode(&o, d, 3, &b);
    assert_int_equal(b.n, 2);
    assert_true(b.v[0].oldest_ms == T0 - 3600123);
    assert_true(b.v[1].oldest_ms == T0 + 5);
    assert_non_null(strstr(b.v[0].text.data, "member.2.Timestamp=2026-11-22T00%3A02%3A02.877Z&"));
    assert_non_null(strstr(b.v[1].text.data, "member.1.Timestamp=2026-11-22T01%3A02%3A03.005Z&"));
    cw_bodies_free(&b);
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The fast formatter reads back exactly and has hw_fmt_double's length (and, but for a last
 * digit in rare 17-digit cases, its text). */
static void test_fmt_double(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } fixed[] = {{0, "0"},
                 {-0.0, "0"},
                 {0.1, "0.1"},
                 {12.5, "12.5"},
                 {-3, "-3"},
                 {1e100, "1e+100"},
                 {1e21, "1e+21"},
                 {123456789012345680.0, "1.2345678901234568e+17"},
                 {0.0001, "0.0001"},
                 {0.00001, "1e-05"},
                 {1.0 / 3, "0.3333333333333333"},
                 {9007199254740993.0, "9007199254740992"},
                 {5e-324, "4.94065645841247e-324"},
                 {100.0 / 3, "33.333333333333336"},
                 {-0x1p360, "-2.3485425827738332e+108"},
                 {1e15 + 0.5, "1000000000000000.5"},
                 {NAN, "NaN"},
                 {-INFINITY, "-Inf"}};
    char a[HW_DOUBLE_LEN], b[HW_DOUBLE_LEN];
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        a[cw_query_fmt_double(a, fixed[i].v)] = '\0';
        assert_string_equal(a, fixed[i].text);
    }
    uint64_t seed = 88172645463325252ull;
    size_t differ = 0;
    for (size_t i = 0; i < 300000; i++) {
        const uint64_t r = xorshift(&seed);
        double v = 100.0 * (double)(r % 1000000007) / (double)(r % 999983 + 1);
        if (i % 2) {
            memcpy(&v, &r, sizeof(v));
        }
        const size_t la = cw_query_fmt_double(a, v), lb = hw_fmt_double(b, v);
        a[la] = b[lb] = '\0';
        if (isfinite(v)) {
            assert_true(strtod(a, NULL) == v);
        }
        assert_int_equal(la, lb);
        differ += strcmp(a, b) != 0;
    }
    /* Both read back exactly. Where long double arithmetic is no wider than double (valgrind
     * emulates x87 so), more candidates need the neighbour search and the last digit of a
     * 16- or 17-digit text differs more often; with extended precision, hardly ever. */
    volatile long double tiny = 0x1p-60L;
    if (1.0L + tiny != 1.0L) {
        assert_true(differ < 100);
    }
}

/* Datums the service would reject are dropped and counted; bad options are errors. */
static void test_rejected(void **state)
{
    (void)state;
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = '\0';
    const struct cw_dim bad_dim[] = {{"k", ""}}, many[31] = {{"k", "v"}};
    const double v[] = {1}, zero[] = {0};
    struct cw_datum d[] = {value_datum("ok", 1),
                           value_datum("nan", NAN),
                           value_datum("inf", INFINITY),
                           value_datum("big", 0x1p361),
                           value_datum(longname, 1),
                           value_datum("", 1),
                           value_datum("dim", 1),
                           value_datum("dims", 1),
                           value_datum("unit", 1),
                           value_datum("res", 1),
                           value_datum("ts", 1),
                           {.name = "count0",
                            .kind = CW_DIST,
                            .values = v,
                            .counts = zero,
                            .nvalues = 1,
                            .timestamp_ms = T0,
                            .storage_resolution = 60},
                           {.name = "stats",
                            .kind = CW_STATS,
                            .stats = {0, 0, 0, 0},
                            .timestamp_ms = T0,
                            .storage_resolution = 60},
                           value_datum("ok2", -0x1p360)};
    d[6].dims = bad_dim;
    d[6].ndims = 1;
    d[7].dims = many;
    d[7].ndims = 31;
    d[8].unit = "Bytes/Minute";
    d[9].storage_resolution = 5;
    d[10].timestamp_ms = -1;
    const size_t n = sizeof(d) / sizeof(d[0]);
    struct cw_query_opts o = {.ns = "CWAgent"};
    struct cw_bodies b;
    cw_bodies_init(&b);
    encode(&o, d, n, &b);
    assert_int_equal(b.dropped, n - 2);
    assert_int_equal(b.v[0].ndatums, 2);
    assert_non_null(strstr(b.v[0].text.data, "member.2.Value=-2.3485425827738332e%2B108&"));
    cw_bodies_free(&b);
    static const char *const bad_ns[] = {"", ":x", "AWS/EC2", "a\nb", NULL};
    for (size_t i = 0; i < sizeof(bad_ns) / sizeof(bad_ns[0]); i++) {
        o.ns = bad_ns[i];
        assert_int_equal(cw_query_encode(&o, d, 1, &b), -EINVAL);
    }
    o.ns = "CWAgent";
    o.max_datums = 1001;
    assert_int_equal(cw_query_encode(&o, d, 1, &b), -EINVAL);
    o.max_datums = 0;
    o.gzip_level = 10;
    assert_int_equal(cw_query_encode(&o, d, 1, &b), -EINVAL);
    assert_int_equal(b.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_body),  cmocka_unit_test(test_percent_encoding),
        cmocka_unit_test(test_datum_limit), cmocka_unit_test(test_values_limit),
        cmocka_unit_test(test_body_limit),  cmocka_unit_test(test_fewest_bodies),
        cmocka_unit_test(test_gzip),        cmocka_unit_test(test_oldest),
        cmocka_unit_test(test_rejected),    cmocka_unit_test(test_fmt_double),
        cmocka_unit_test(test_gzip_members), cmocka_unit_test(test_gzip_any_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
