/* CloudWatch batch cost: CPU time of building (aggregator flush), encoding, gzipping and
 * signing one full PutMetricData batch of 1000 datums, and the exporter's steady-state share
 * of a core with 1000 series, a 10 s collection interval and a 60 s flush.
 *
 * The batch: 500 gauges (disk_used_percent-like: path, device, fstype labels, statistic sets
 * of 6 samples) and 500 counters (diskio_reads-like: name label), each with the three static
 * dimensions of an EC2 host in an Auto Scaling group: about 930 KB of Query text (or 330 KB of
 * JSON 1.0), one body.
 *
 * Usage: cw_encode [ROUNDS [PROTOCOL [BODY_FILE]]]  (default 200 rounds, PROTOCOL both): query,
 * json, or both with their rounds interleaved (the order alternating), so that a busy phase of
 * a shared machine weighs on both alike. Prints the median of each phase per protocol, and
 * writes the last round's first body (uncompressed) to BODY_FILE when given. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporters/net/netlib.h"
#include "exporters/cloudwatch/cw_agg.h"
#include "exporters/cloudwatch/cw_json.h"
#include "exporters/cloudwatch/cw_query.h"
#include "exporters/aws/sigv4.h"
#include "registry.h"

#define NSERIES 500        /* per family: 1000 datums in all */
#define SAMPLES 6          /* snapshots per flush: 60 s flush over a 10 s interval */
#define T0 1795309323000LL /* 2026-11-22T01:02:03Z */

enum { PH_OBSERVE, PH_FLUSH, PH_ENCODE, PH_GZIP, PH_SIGN, PH_N };
static const char *const phase_names[PH_N] = {"observe (6 snapshots)", "flush", "encode",
                                              "gzip", "sign"};

struct bench {
    struct hw_registry *reg;
    struct hw_family *gauge, *counter;
    struct hw_series *gs[NSERIES], *cs[NSERIES];
    struct cw_agg *agg;
    struct netlib *lib;
    size_t text_len, gz_len, ndatums, nbodies;
    const char *dump_path; /* the last round's first body goes there */
    enum cw_proto proto;
};

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The registry's families and series, as the disk collector would create them. */
static int bench_setup(struct bench *b)
{
    const struct hw_family_desc gd = {.name = "disk_used_percent", .help = "h", .unit = "Percent",
                                      .type = HW_GAUGE, .views = HW_VIEW_CW};
    const struct hw_family_desc cd = {.name = "diskio_reads", .help = "h", .unit = "Count",
                                      .type = HW_COUNTER, .views = HW_VIEW_CW};
    b->reg = hw_registry_new();
    b->gauge = b->reg ? hw_registry_family(b->reg, &gd, NULL) : NULL;
    b->counter = b->reg ? hw_registry_family(b->reg, &cd, NULL) : NULL;
    for (int i = 0; b->gauge && b->counter && i < NSERIES; i++) {
        char path[64], dev[32], name[32];
        snprintf(path, sizeof(path), "/srv/data/volume-%03d", i);
        snprintf(dev, sizeof(dev), "nvme%dn1p1", i);
        snprintf(name, sizeof(name), "nvme%dn1", i);
        const struct hw_label gl[] = {{"device", dev}, {"fstype", "xfs"}, {"path", path}};
        const struct hw_label cl[] = {{"name", name}};
        b->gs[i] = hw_family_series(b->gauge, gl, 3, 0);
        b->cs[i] = hw_family_series(b->counter, cl, 1, 0);
        if (!b->gs[i] || !b->cs[i]) {
            return -ENOMEM;
        }
    }
    static const struct cw_dim dims[] = {{"AutoScalingGroupName", "web-production-asg"},
                                         {"InstanceId", "i-0123456789abcdef0"},
                                         {"InstanceType", "m6i.2xlarge"}};
    const struct cw_agg_opts o = {.dims = dims, .ndims = 3};
    char err[256];
    if (!b->gauge || !b->counter || cw_agg_new(&o, &b->agg) != 0 ||
        !(b->lib = netlib_open(err, sizeof(err)))) {
        return -1;
    }
    return 0;
}

/* One collection: gauges move by fractions (not integers), counters grow. */
static int bench_sample(struct bench *b, unsigned step)
{
    for (int i = 0; i < NSERIES; i++) {
        hw_series_set(b->gs[i], 37.0 + (double)((step * 7919u + (unsigned)i * 104729u) % 5000) / 97.0);
        hw_series_add(b->cs[i], (double)(1 + (step + (unsigned)i) % 13));
    }
    if (hw_registry_publish(b->reg) != 0) {
        return -ENOMEM;
    }
    const struct hw_snapshot *snap = hw_registry_acquire(b->reg);
    const int rc = cw_agg_observe(b->agg, snap);
    hw_snapshot_release(snap);
    return rc;
}

/* Signs body as the exporter does (cw_send.c): host, content type and encoding, and JSON's
 * target and query mode. */
static int bench_sign(const struct bench *b, const struct hw_buf *body)
{
    const int json = b->proto == CW_PROTO_JSON;
    const struct sigv4_header sh[] = {
        {"host", "monitoring.eu-west-1.amazonaws.com"},
        {"content-type", json ? CW_JSON_CONTENT_TYPE : CW_QUERY_CONTENT_TYPE},
        {"content-encoding", "gzip"},
        {"x-amz-target", CW_JSON_TARGET},
        {"x-amzn-query-mode", "true"}};
    const struct sigv4_input in = {.method = "POST", .path = "/", .headers = sh,
                                   .nheaders = json ? 5 : 3,
                                   .payload = body->data, .payload_len = body->len,
                                   .region = "eu-west-1", .service = "monitoring",
                                   .amz_date = "20261122T010203Z", .access_key = "AKIDEXAMPLE",
                                   .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                   .normalize_path = 1, .crypto = b->lib};
    struct sigv4_output out;
    return sigv4_sign(&in, &out) == SIGV4_OK ? 0 : -1;
}

/* One flush interval; t[] gets each phase's CPU milliseconds. */
static int bench_round(struct bench *b, unsigned round, double t[PH_N])
{
    struct cw_datums d;
    struct cw_bodies bodies;
    const struct cw_query_opts qo = {.proto = b->proto, .ns = "CWAgent"};
    int rc = 0;
    cw_datums_init(&d);
    cw_bodies_init(&bodies);
    double t0 = cpu_ms();
    for (unsigned s = 0; s < SAMPLES && rc == 0; s++) {
        rc = bench_sample(b, round * SAMPLES + s);
    }
    double t1 = cpu_ms();
    t[PH_OBSERVE] = t1 - t0;
    rc = rc ? rc : cw_agg_flush(b->agg, T0 + (int64_t)round * 60000, &d);
    t0 = cpu_ms();
    t[PH_FLUSH] = t0 - t1;
    rc = rc ? rc : cw_query_encode(&qo, d.v, d.n, &bodies);
    t1 = cpu_ms();
    t[PH_ENCODE] = t1 - t0;
    for (size_t i = 0; rc == 0 && i < bodies.n; i++) {
        rc = hw_buf_gzip(&bodies.v[i].gz, bodies.v[i].text.data, bodies.v[i].text.len,
                         CW_GZIP_LEVEL);
    }
    t0 = cpu_ms();
    t[PH_GZIP] = t0 - t1;
    for (size_t i = 0; rc == 0 && i < bodies.n; i++) {
        rc = bench_sign(b, &bodies.v[i].gz);
    }
    t[PH_SIGN] = cpu_ms() - t0;
    b->ndatums = d.n;
    b->nbodies = bodies.n;
    b->text_len = b->gz_len = 0;
    for (size_t i = 0; i < bodies.n; i++) {
        b->text_len += bodies.v[i].text.len;
        b->gz_len += bodies.v[i].gz.len;
    }
    if (rc == 0 && b->dump_path && bodies.n > 0) {
        FILE *f = fopen(b->dump_path, "wb");
        rc = f && fwrite(bodies.v[0].text.data, 1, bodies.v[0].text.len, f) ==
                      bodies.v[0].text.len ? 0 : -EIO;
        rc = (f && fclose(f) != 0) ? -EIO : rc;
    }
    cw_bodies_free(&bodies);
    cw_datums_free(&d);
    return rc;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Medians per phase; the batch total is flush + encode + gzip + sign of each round. */
static void report(const struct bench *b, double (*t)[PH_N], size_t rounds)
{
    double *col = malloc(rounds * sizeof(*col));
    double med[PH_N];
    printf("-- protocol %s\n", b->proto == CW_PROTO_JSON ? "json" : "query");
    for (int p = 0; col && p < PH_N; p++) {
        for (size_t r = 0; r < rounds; r++) {
            col[r] = t[r][p];
        }
        med[p] = median(col, rounds);
        printf("%-24s %8.3f ms CPU (median of %zu)\n", phase_names[p], med[p], rounds);
    }
    for (size_t r = 0; col && r < rounds; r++) {
        col[r] = t[r][PH_FLUSH] + t[r][PH_ENCODE] + t[r][PH_GZIP] + t[r][PH_SIGN];
    }
    if (col) {
        const double batch = median(col, rounds);
        printf("%-24s %8.3f ms CPU (median; target <= 2 ms)\n", "batch: flush..sign", batch);
        printf("datums %zu, bodies %zu, text %zu B, gzip %zu B (%.1fx)\n", b->ndatums, b->nbodies,
               b->text_len, b->gz_len, b->gz_len ? (double)b->text_len / (double)b->gz_len : 0);
        printf("steady state: %.4f %% of a core (one batch and %d snapshots per 60 s)\n",
               (batch + med[PH_OBSERVE]) / 60000.0 * 100.0, SAMPLES);
    }
    free(col);
}

static void bench_free(struct bench *b)
{
    cw_agg_free(b->agg);
    hw_registry_free(b->reg);
    if (b->lib) {
        netlib_close(b->lib);
    }
}

int main(int argc, char **argv)
{
    const size_t rounds = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 200;
    const char *which = argc > 2 ? argv[2] : "both";
    struct bench b[2];
    size_t nb = strcmp(which, "both") == 0 ? 2 : 1;
    memset(b, 0, sizeof(b));
    b[0].proto = strcmp(which, "json") == 0 ? CW_PROTO_JSON : CW_PROTO_QUERY;
    b[1].proto = CW_PROTO_JSON;
    double(*t)[PH_N] = calloc(2 * (rounds + 1), sizeof(*t));
    const int known = nb == 2 || strcmp(which, "query") == 0 || strcmp(which, "json") == 0;
    int rc = t && rounds > 0 && known ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < nb; k++) {
        rc = bench_setup(&b[k]);
    }
    /* Round 0 only sets the counters' baselines and warms the caches. */
    for (size_t r = 0; rc == 0 && r <= rounds; r++) {
        for (size_t i = 0; rc == 0 && i < nb; i++) {
            const size_t k = (r + i) % nb; /* the order alternates */
            b[k].dump_path = r == rounds && k == 0 && argc > 3 ? argv[3] : NULL;
            rc = bench_round(&b[k], (unsigned)r, t[k * (rounds + 1) + r]);
        }
    }
    for (size_t k = 0; rc == 0 && k < nb; k++) {
        report(&b[k], t + k * (rounds + 1) + 1, rounds);
    }
    if (rc != 0) {
        fprintf(stderr, "cw_encode: bad arguments, or set-up or a round failed (%d)\n", rc);
    }
    free(t);
    for (size_t k = 0; k < nb; k++) {
        bench_free(&b[k]);
    }
    return rc == 0 ? 0 : 1;
}
