/* CloudWatch aggregation: snapshots built with the real registry, datums checked exactly. */
#include "cw_agg_harness.h"

static void assert_stats(const struct cw_datums *d, const char *name, const char *dims, double n,
                         double sum, double min, double max)
{
    const struct cw_datum *x = find(d, name, dims);
    assert_non_null(x);
    assert_int_equal(x->kind, CW_STATS);
    assert_true(x->stats.count == n && x->stats.sum == sum);
    assert_true(x->stats.min == min && x->stats.max == max);
}

static void test_counter_deltas(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = family(reg, "diskio_reads", HW_COUNTER, "Count", HW_VIEW_CW);
    struct hw_series *sda = series1(f, "name", "sda");
    const struct cw_agg_opts o = {0};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);

    hw_series_set(sda, 1000); /* since boot: only the baseline */
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 0); /* first interval not sent */

    hw_series_add(sda, 4);
    observe(reg, agg);
    hw_series_add(sda, 6);
    observe(reg, agg);
    flush(agg, T0 + 60000, &d);
    assert_int_equal(d.n, 1);
    assert_value(&d, "diskio_reads", "name=sda", 10);
    assert_true(d.v[0].timestamp_ms == T0 + 60000);
    assert_string_equal(d.v[0].unit, "Count");
    assert_int_equal(d.v[0].storage_resolution, 60);

    observe(reg, agg); /* a new snapshot, no change: a datapoint of 0 */
    flush(agg, T0 + 120000, &d);
    assert_value(&d, "diskio_reads", "name=sda", 0);

    hw_series_set(sda, 3); /* counter reset (device re-attached, agent restarted) */
    observe(reg, agg);
    flush(agg, T0 + 180000, &d);
    assert_value(&d, "diskio_reads", "name=sda", 3);

    flush(agg, T0 + 240000, &d); /* no snapshot in the interval: nothing known, nothing sent */
    assert_int_equal(d.n, 0);

    /* A series born after the family was first seen counts from 0 (first log match). */
    hw_series_set(series1(f, "name", "sdb"), 7);
    hw_series_add(sda, 2);
    observe(reg, agg);
    flush(agg, T0 + 300000, &d);
    assert_int_equal(d.n, 2);
    assert_value(&d, "diskio_reads", "name=sda", 2);
    assert_value(&d, "diskio_reads", "name=sdb", 7);

    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

static void test_gauge_statistics(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = family(reg, "mem_used_percent", HW_GAUGE, "Percent", HW_VIEW_CW);
    const struct cw_agg_opts o = {0};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);

    const double v[] = {10, 30.5, 20};
    for (size_t i = 0; i < 3; i++) {
        hw_family_set(f, NULL, 0, v[i]);
        observe(reg, agg);
    }
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    assert_int_equal(cw_agg_observe(agg, snap), 0); /* same snapshot again: not a sample */
    hw_snapshot_release(snap);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 1);
    assert_stats(&d, "mem_used_percent", "", 3, 60.5, 10, 30.5);
    assert_string_equal(d.v[0].unit, "Percent");

    flush(agg, T0 + 60000, &d); /* no sample in the interval */
    assert_int_equal(d.n, 0);
    observe(reg, agg);
    flush(agg, T0 + 120000, &d);
    assert_stats(&d, "mem_used_percent", "", 1, 20, 20, 20);

    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

static void test_gauge_last(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = family(reg, "mem_used_percent", HW_GAUGE, "Percent", HW_VIEW_CW);
    const struct cw_agg_opts o = {.gauge_mode = CW_GAUGE_LAST, .storage_resolution = 1};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);
    hw_family_set(f, NULL, 0, 10);
    observe(reg, agg);
    hw_family_set(f, NULL, 0, 42.25);
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 1);
    assert_value(&d, "mem_used_percent", "", 42.25);
    assert_int_equal(d.v[0].storage_resolution, 1);
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

static void assert_dist(const struct cw_datum *x, const double *v, const double *c, size_t n)
{
    assert_non_null(x);
    assert_int_equal(x->kind, CW_DIST);
    assert_int_equal(x->nvalues, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(x->values[i] == v[i]);
        assert_true(x->counts[i] == c[i]);
    }
}

static void test_histogram(void **state)
{
    (void)state;
    static const double bounds[] = {5, 10, 25};
    struct hw_registry *reg = hw_registry_new();
    const struct hw_family_desc desc = {.name = "app_latency_ms",
                                        .help = "h",
                                        .unit = "Milliseconds",
                                        .type = HW_HISTOGRAM,
                                        .views = HW_VIEW_ALL,
                                        .buckets = bounds,
                                        .nbuckets = 3};
    struct hw_family *f = hw_registry_family(reg, &desc, NULL);
    struct hw_series *s = series1(f, NULL, NULL);
    const struct cw_agg_opts o = {0};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);

    hw_family_observe(f, s, 3); /* before the agent watched: baseline */
    observe(reg, agg);
    const double obs[] = {3, 7, 7, 20, 100};
    for (size_t i = 0; i < 5; i++) {
        hw_family_observe(f, s, obs[i]);
    }
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 1);
    /* +Inf bucket: max(25, (137 - (5 + 2*10 + 25)) / 1) = 87, a lower bound of its mean. */
    const double v1[] = {5, 10, 25, 87}, c1[] = {1, 2, 1, 1};
    assert_dist(find(&d, "app_latency_ms", ""), v1, c1, 4);
    assert_string_equal(d.v[0].unit, "Milliseconds");

    observe(reg, agg); /* no observation in the interval: nothing sent */
    flush(agg, T0 + 60000, &d);
    assert_int_equal(d.n, 0);

    hw_family_observe(f, s, 8);
    hw_family_observe(f, s, 9);
    hw_family_observe(f, s, 26); /* (43 - 2*10) / 1 = 23 says nothing: the top bound */
    observe(reg, agg);
    flush(agg, T0 + 120000, &d);
    const double v2[] = {10, 25}, c2[] = {2, 1};
    assert_dist(find(&d, "app_latency_ms", ""), v2, c2, 2);

    hw_family_observe(f, s, 30);
    hw_family_observe(f, s, 1); /* sum 31 - 5 (bound of the 1) = 26 / 1 = 26 */
    observe(reg, agg);
    flush(agg, T0 + 180000, &d);
    const double v3[] = {5, 26}, c3[] = {1, 1};
    assert_dist(find(&d, "app_latency_ms", ""), v3, c3, 2);

    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

/* Hand-built snapshots: shapes the registry cannot produce (bucket change, counter reset of a
 * histogram, +Inf representative below the top bound). */
static void test_histogram_reset_and_shape(void **state)
{
    (void)state;
    static const double b3[] = {1, 2, 4}, b2[] = {1, 2};
    uint64_t cum[3] = {1, 3, 3};
    struct hw_snap_series ss = {.value = 5, .count = 4, .bucket = cum};
    struct hw_snap_family sf = {.name = "h",
                                .unit = "None",
                                .type = HW_HISTOGRAM,
                                .views = HW_VIEW_CW,
                                .buckets = b3,
                                .nbuckets = 3,
                                .series = &ss,
                                .nseries = 1};
    struct hw_snapshot snap = {.generation = 1, .families = &sf, .nfamilies = 1};
    const struct cw_agg_opts o = {0};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);
    assert_int_equal(cw_agg_observe(agg, &snap), 0); /* baseline */
    cum[0] = 0;                                      /* a bucket went down: reset */
    cum[1] = 1;
    cum[2] = 2;
    ss.count = 2;
    ss.value = 3.5;
    snap.generation = 2;
    assert_int_equal(cw_agg_observe(agg, &snap), 0);
    flush(agg, T0, &d);
    const double v1[] = {2, 4}, c1[] = {1, 1};
    assert_dist(find(&d, "h", ""), v1, c1, 2);

    /* The family redefined with other buckets: a new family, so a new baseline. */
    sf.buckets = b2;
    sf.nbuckets = 2;
    ss.count = 9;
    snap.generation = 3;
    assert_int_equal(cw_agg_observe(agg, &snap), 0);
    flush(agg, T0 + 60000, &d);
    assert_int_equal(d.n, 0);
    ss.count = 10; /* one more in +Inf; the sum says nothing useful: the top bound */
    snap.generation = 4;
    assert_int_equal(cw_agg_observe(agg, &snap), 0);
    flush(agg, T0 + 120000, &d);
    const double v2[] = {2}, c2[] = {1};
    assert_dist(find(&d, "h", ""), v2, c2, 1);
    cw_datums_free(&d);
    cw_agg_free(agg);
}

static void test_nonfinite(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *g = family(reg, "g", HW_GAUGE, "None", HW_VIEW_CW);
    struct hw_family *c = family(reg, "c", HW_COUNTER, "Count", HW_VIEW_CW);
    struct hw_family *t = family(reg, "tiny", HW_GAUGE, "Bogus", HW_VIEW_CW);
    struct hw_series *cs = series1(c, NULL, NULL);
    const struct cw_agg_opts o = {.gauge_mode = CW_GAUGE_LAST};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    struct cw_agg_stats st;
    cw_datums_init(&d);
    observe(reg, agg); /* families seen empty: later series count from 0 */
    hw_family_set(g, NULL, 0, NAN);
    hw_series_set(cs, INFINITY);
    hw_family_set(t, NULL, 0, 1e-200);
    observe(reg, agg);
    hw_family_set(g, NULL, 0, -INFINITY);
    observe(reg, agg);
    hw_family_set(g, NULL, 0, 1e300); /* beyond 2^360 */
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 1);
    assert_value(&d, "tiny", "", 0); /* below 2^-360: sent as 0 */
    assert_null(d.v[0].unit);        /* not a StandardUnit: omitted */
    cw_agg_get_stats(agg, &st);
    assert_int_equal(st.invalid_values, 4); /* 3 gauge samples + the counter */
    hw_family_set(g, NULL, 0, -0x1p360);    /* the limit itself is accepted */
    observe(reg, agg);
    flush(agg, T0 + 60000, &d);
    assert_value(&d, "g", "", -0x1p360);
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

static size_t count_name(const struct cw_datums *d, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++) {
        n += strcmp(d->v[i].name, name) == 0;
    }
    return n;
}

static void selection_case(const char *const *globs, size_t n, const char *const *want,
                           size_t nwant)
{
    struct hw_registry *reg = hw_registry_new();
    hw_family_set(family(reg, "mem_used_percent", HW_GAUGE, "Percent", HW_VIEW_CW), NULL, 0, 1);
    hw_family_set(family(reg, "disk_used_percent", HW_GAUGE, "Percent", HW_VIEW_CW), NULL, 0, 1);
    hw_family_set(family(reg, "swap_used", HW_GAUGE, "Bytes", HW_VIEW_CW), NULL, 0, 1);
    hw_family_set(family(reg, "app_x", HW_GAUGE, "None", HW_VIEW_ALL), NULL, 0, 1);
    hw_family_set(family(reg, "node_memory_MemTotal_bytes", HW_GAUGE, "Bytes", HW_VIEW_NODE), NULL,
                  0, 1);
    hw_family_set(family(reg, "hostwatch_spool_bytes", HW_GAUGE, "Bytes", HW_VIEW_NODE), NULL, 0,
                  1);
    const struct cw_agg_opts o = {.metrics = globs, .nmetrics = n};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, nwant);
    for (size_t i = 0; i < nwant; i++) {
        assert_int_equal(count_name(&d, want[i]), 1);
    }
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

static void test_glob_selection(void **state)
{
    (void)state;
    const char *const globs[] = {"mem_used_percent", "disk_used_percent", "app_*", "hostwatch_*"};
    const char *const want[] = {"app_x", "disk_used_percent", "hostwatch_spool_bytes",
                                "mem_used_percent"};
    selection_case(globs, 4, want, 4);
    const char *const star[] = {"*"}; /* CloudWatch names only, never node_exporter's */
    const char *const all_cw[] = {"app_x", "disk_used_percent", "mem_used_percent", "swap_used"};
    selection_case(star, 1, all_cw, 4);
    selection_case(NULL, 0, all_cw, 4);
    const char *const exact[] = {"node_memory_MemTotal_bytes", "s?ap_*"};
    const char *const want2[] = {"node_memory_MemTotal_bytes", "swap_used"};
    selection_case(exact, 2, want2, 2);
}

static void test_dimensions(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = family(reg, "disk_used_percent", HW_GAUGE, "Percent", HW_VIEW_CW);
    const struct hw_label l1[] = {
        {"path", "/"}, {"device", "nvme0n1p1"}, {"fstype", "ext4"}, {"host", "h1"}, {"mode", ""}};
    const struct hw_label l2[] = {{"path", "/data"}, {"InstanceId", "i-override"}};
    hw_family_set(f, l1, 5, 40);
    hw_family_set(f, l2, 2, 60);
    const struct cw_dim sd[] = {
        {"InstanceId", "i-123"}, {"AutoScalingGroupName", "asg-1"}, {"ImageId", ""}};
    const struct cw_agg_opts o = {.dims = sd, .ndims = 3, .gauge_mode = CW_GAUGE_LAST};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 2);
    /* "host" first, then by name (byte order: upper case first); empty values skipped. */
    assert_value(&d, "disk_used_percent",
                 "host=h1,AutoScalingGroupName=asg-1,InstanceId=i-123,device=nvme0n1p1,"
                 "fstype=ext4,path=/",
                 40);
    assert_value(&d, "disk_used_percent",
                 "AutoScalingGroupName=asg-1,InstanceId=i-override,path=/data", 60);
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

static void test_invalid_options(void **state)
{
    (void)state;
    struct cw_agg *agg = NULL;
    const struct cw_agg_opts res = {.storage_resolution = 30};
    assert_int_equal(cw_agg_new(&res, &agg), -EINVAL);
    const struct cw_dim dup[] = {{"a", "1"}, {"a", "2"}};
    const struct cw_agg_opts o1 = {.dims = dup, .ndims = 2};
    assert_int_equal(cw_agg_new(&o1, &agg), -EINVAL);
    const struct cw_dim colon[] = {{":a", "1"}};
    const struct cw_agg_opts o2 = {.dims = colon, .ndims = 1};
    assert_int_equal(cw_agg_new(&o2, &agg), -EINVAL);
    const struct cw_dim ctl[] = {{"a", "x\ny"}};
    const struct cw_agg_opts o3 = {.dims = ctl, .ndims = 1};
    assert_int_equal(cw_agg_new(&o3, &agg), -EINVAL);
    assert_null(agg);
}

/* Label values and names at and beyond CloudWatch's limits; 30 and 31 dimensions. */
static void test_invalid_series(void **state)
{
    (void)state;
    char v1024[1025], v1025[1026], k255[256], k256[257];
    memset(v1024, 'v', 1024);
    v1024[1024] = '\0';
    memset(v1025, 'v', 1025);
    v1025[1025] = '\0';
    memset(k255, 'k', 255);
    k255[255] = '\0';
    memset(k256, 'k', 256);
    k256[256] = '\0';
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = family(reg, "g", HW_GAUGE, "None", HW_VIEW_CW);
    const struct hw_label ok1[] = {{"a", v1024}}, bad1[] = {{"a", v1025}};
    const struct hw_label ok2[] = {{k255, "x"}}, bad2[] = {{k256, "x"}};
    const struct hw_label bad3[] = {{"a", "caf\xc3\xa9"}}, bad4[] = {{"a", "   "}};
    hw_family_set(f, ok1, 1, 1);
    hw_family_set(f, bad1, 1, 2);
    hw_family_set(f, ok2, 1, 3);
    hw_family_set(f, bad2, 1, 4);
    hw_family_set(f, bad3, 1, 5);
    hw_family_set(f, bad4, 1, 6);
    struct hw_label many[31];
    char keys[31][8];
    for (size_t i = 0; i < 31; i++) {
        snprintf(keys[i], sizeof(keys[i]), "d%02zu", i);
        many[i] = (struct hw_label){keys[i], "x"};
    }
    hw_family_set(f, many, 30, 7);
    hw_family_set(f, many, 31, 8);
    const struct cw_agg_opts o = {.gauge_mode = CW_GAUGE_LAST};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    struct cw_agg_stats st;
    cw_datums_init(&d);
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 3);
    for (size_t i = 0; i < d.n; i++) {
        assert_true(d.v[i].value == 1 || d.v[i].value == 3 || d.v[i].value == 7);
        assert_true(cw_datum_valid(&d.v[i]));
    }
    cw_agg_get_stats(agg, &st);
    assert_int_equal(st.invalid_series, 5);
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

static struct hw_series *series_hist(struct hw_family *h, const char *status)
{
    return series1(h, "status", status);
}

static void test_rollups(void **state)
{
    (void)state;
    static const double bounds[] = {10, 100};
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *disk = family(reg, "disk_used_percent", HW_GAUGE, "Percent", HW_VIEW_CW);
    struct hw_family *io = family(reg, "diskio_reads", HW_COUNTER, "Count", HW_VIEW_CW);
    struct hw_family *wr = family(reg, "diskio_writes", HW_COUNTER, "Count", HW_VIEW_CW);
    struct hw_family *mem = family(reg, "mem_used_percent", HW_GAUGE, "Percent", HW_VIEW_CW);
    const struct hw_family_desc hd = {.name = "app_ms",
                                      .help = "h",
                                      .unit = "Milliseconds",
                                      .type = HW_HISTOGRAM,
                                      .views = HW_VIEW_CW,
                                      .buckets = bounds,
                                      .nbuckets = 2};
    struct hw_family *h = hw_registry_family(reg, &hd, NULL);
    const char *const asg[] = {"AutoScalingGroupName"}, *const nope[] = {"Nope"};
    const struct cw_dimset sets[] = {{asg, 1}, {NULL, 0}, {asg, 1}, {nope, 1}};
    const struct cw_dim sd[] = {{"InstanceId", "i-1"}, {"AutoScalingGroupName", "asg-1"}};
    const struct cw_agg_opts o = {.dims = sd, .ndims = 2, .rollups = sets, .nrollups = 4};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);
    struct hw_series *sda = series1(io, "name", "sda"), *sdb = series1(io, "name", "sdb");
    struct hw_series *w = series1(wr, "name", "sda");
    hw_series_set(sda, 100);
    hw_series_set(sdb, 200);
    observe(reg, agg); /* counters: baselines */
    const struct hw_label root[] = {{"path", "/"}}, data[] = {{"path", "/data"}};
    hw_family_set(disk, root, 1, 40);
    hw_family_set(disk, data, 1, 60);
    hw_family_set(mem, NULL, 0, 30);
    hw_series_add(sda, 5);
    hw_series_add(sdb, 7);
    hw_series_add(w, 3);
    struct hw_series *ok = series_hist(h, "200"), *err = series_hist(h, "500");
    hw_family_observe(h, ok, 5);
    hw_family_observe(h, ok, 50);
    hw_family_observe(h, ok, 1000); /* +Inf: (1055 - 10 - 100) / 1 = 945 */
    hw_family_observe(h, err, 50);
    hw_family_observe(h, err, 500); /* +Inf: (550 - 100) / 1 = 450 */
    observe(reg, agg);
    hw_family_set(disk, root, 1, 50);
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 18);

    const char *full = "AutoScalingGroupName=asg-1,InstanceId=i-1";
    assert_stats(&d, "disk_used_percent", "AutoScalingGroupName=asg-1,InstanceId=i-1,path=/", 2, 90,
                 40, 50);
    assert_stats(&d, "disk_used_percent", "AutoScalingGroupName=asg-1,InstanceId=i-1,path=/data", 2,
                 120, 60, 60);
    assert_stats(&d, "disk_used_percent", "AutoScalingGroupName=asg-1", 4, 210, 40, 60);
    assert_stats(&d, "disk_used_percent", "", 4, 210, 40, 60);
    assert_value(&d, "diskio_reads", "AutoScalingGroupName=asg-1,InstanceId=i-1,name=sda", 5);
    assert_value(&d, "diskio_reads", "AutoScalingGroupName=asg-1,InstanceId=i-1,name=sdb", 7);
    assert_stats(&d, "diskio_reads", "AutoScalingGroupName=asg-1", 2, 12, 5, 7);
    assert_stats(&d, "diskio_reads", "", 2, 12, 5, 7);
    assert_value(&d, "diskio_writes", "AutoScalingGroupName=asg-1", 3); /* one series: Value */
    assert_value(&d, "diskio_writes", "", 3);
    assert_stats(&d, "mem_used_percent", full, 2, 60, 30, 30);
    assert_stats(&d, "mem_used_percent", "AutoScalingGroupName=asg-1", 2, 60, 30, 30);
    assert_stats(&d, "mem_used_percent", "", 2, 60, 30, 30);
    const double v200[] = {10, 100, 945}, c200[] = {1, 1, 1};
    assert_dist(find(&d, "app_ms", "AutoScalingGroupName=asg-1,InstanceId=i-1,status=200"), v200,
                c200, 3);
    const double v500[] = {100, 450}, c500[] = {1, 1};
    assert_dist(find(&d, "app_ms", "AutoScalingGroupName=asg-1,InstanceId=i-1,status=500"), v500,
                c500, 2);
    const double vr[] = {10, 100, 697.5}, cr[] = {1, 2, 2};
    assert_dist(find(&d, "app_ms", "AutoScalingGroupName=asg-1"), vr, cr, 3);
    assert_dist(find(&d, "app_ms", ""), vr, cr, 3);
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

/* Vanished series send their last data, then are forgotten; a series coming back is new. */
static void test_forget(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    const struct hw_family_desc cd = {.name = "diskio_reads",
                                      .help = "h",
                                      .unit = "Count",
                                      .type = HW_COUNTER,
                                      .views = HW_VIEW_CW,
                                      .flags = HW_FAM_REPLACE};
    struct hw_family *c = hw_registry_family(reg, &cd, "disk");
    const struct hw_label x[] = {{"name", "x"}}, y[] = {{"name", "y"}};
    const struct cw_agg_opts o = {0};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    cw_datums_init(&d);
    hw_registry_begin(reg, "disk");
    hw_family_set(c, x, 1, 100);
    hw_family_set(c, y, 1, 100);
    hw_registry_sweep(reg, "disk");
    observe(reg, agg);
    flush(agg, T0, &d);
    hw_registry_begin(reg, "disk");
    hw_family_set(c, x, 1, 101);
    hw_family_set(c, y, 1, 102);
    hw_registry_sweep(reg, "disk");
    observe(reg, agg);
    hw_registry_begin(reg, "disk"); /* y disappears (device detached) */
    hw_family_set(c, x, 1, 103);
    hw_registry_sweep(reg, "disk");
    observe(reg, agg);
    flush(agg, T0 + 60000, &d);
    assert_int_equal(d.n, 2);
    assert_value(&d, "diskio_reads", "name=x", 3);
    assert_value(&d, "diskio_reads", "name=y", 2); /* its last data, then forgotten */
    observe(reg, agg);
    flush(agg, T0 + 120000, &d);
    assert_int_equal(d.n, 1);
    hw_registry_begin(reg, "disk"); /* y is back (re-attached): a new series, from 0 */
    hw_family_set(c, x, 1, 103);
    hw_family_set(c, y, 1, 5);
    hw_registry_sweep(reg, "disk");
    observe(reg, agg);
    flush(agg, T0 + 180000, &d);
    assert_value(&d, "diskio_reads", "name=y", 5);
    hw_registry_drop_owner(reg, "disk"); /* the family goes away with its plugin */
    observe(reg, agg);
    flush(agg, T0 + 240000, &d);
    assert_int_equal(d.n, 0);
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

static void test_series_bound(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *g = family(reg, "g", HW_GAUGE, "None", HW_VIEW_CW);
    const struct hw_label x[] = {{"k", "x"}}, y[] = {{"k", "y"}}, z[] = {{"k", "z"}};
    const struct cw_agg_opts o = {.max_series = 2, .gauge_mode = CW_GAUGE_LAST};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    struct cw_agg_stats st;
    cw_datums_init(&d);
    hw_family_set(g, x, 1, 1);
    hw_family_set(g, y, 1, 2);
    hw_family_set(g, z, 1, 3);
    observe(reg, agg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    assert_int_equal(cw_agg_observe(agg, snap), 0); /* the same snapshot: ignored */
    hw_snapshot_release(snap);
    hw_family_set(g, x, 1, 4);
    observe(reg, agg);
    flush(agg, T0, &d);
    assert_int_equal(d.n, 2);
    assert_value(&d, "g", "k=x", 4);
    assert_value(&d, "g", "k=y", 2);
    cw_agg_get_stats(agg, &st);
    assert_int_equal(st.dropped_series, 2); /* z, once per snapshot */
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

/* Aggregation through encoding: the body a flush turns into. */
static void test_pipeline(void **state)
{
    (void)state;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = family(reg, "disk_used_percent", HW_GAUGE, "Percent", HW_VIEW_CW);
    const struct hw_label l[] = {{"path", "/mnt/my data"}};
    hw_family_set(f, l, 1, 12.5);
    const struct cw_dim sd[] = {{"InstanceId", "i-123"}};
    const struct cw_agg_opts o = {.dims = sd, .ndims = 1, .gauge_mode = CW_GAUGE_LAST};
    struct cw_agg *agg = agg_new(&o);
    struct cw_datums d;
    struct cw_bodies b;
    cw_datums_init(&d);
    cw_bodies_init(&b);
    observe(reg, agg);
    flush(agg, T0, &d);
    const struct cw_query_opts qo = {.ns = "CWAgent"};
    assert_int_equal(cw_query_encode(&qo, d.v, d.n, &b), 0);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.v[0].text.data,
                        "Action=PutMetricData&Version=2010-08-01&Namespace=CWAgent"
                        "&MetricData.member.1.MetricName=disk_used_percent"
                        "&MetricData.member.1.Dimensions.member.1.Name=InstanceId"
                        "&MetricData.member.1.Dimensions.member.1.Value=i-123"
                        "&MetricData.member.1.Dimensions.member.2.Name=path"
                        "&MetricData.member.1.Dimensions.member.2.Value=%2Fmnt%2Fmy%20data"
                        "&MetricData.member.1.Timestamp=2026-11-22T01%3A02%3A03.000Z"
                        "&MetricData.member.1.Value=12.5"
                        "&MetricData.member.1.Unit=Percent"
                        "&MetricData.member.1.StorageResolution=60");
    cw_bodies_free(&b);
    cw_datums_free(&d);
    cw_agg_free(agg);
    hw_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_deltas),
        cmocka_unit_test(test_gauge_statistics),
        cmocka_unit_test(test_gauge_last),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_histogram_reset_and_shape),
        cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_glob_selection),
        cmocka_unit_test(test_dimensions),
        cmocka_unit_test(test_invalid_options),
        cmocka_unit_test(test_invalid_series),
        cmocka_unit_test(test_rollups),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_series_bound),
        cmocka_unit_test(test_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
