/* Unit tests of the ECS task metadata parser on checked-in /task and /task/stats answers in the
 * documented shapes (EC2 on cgroup v1 and v2 hosts, Fargate 1.4), and of the figures derived
 * from them: working set, limits, CPU units, rates and the task's totals. */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "collectors/ecs/ecs_parse.h"

#define ECS_FIXTURES HW_FIXTURES "/ecs/"
#define MIB 1048576.0

#define assert_double_exact(got, want) double_exact((got), (want), #got, __FILE__, __LINE__)

static void double_exact(double got, double want, const char *expr, const char *file, int line)
{
    if (got != want) {
        print_error("%s:%d: %s = %.17g, want %.17g\n", file, line, expr, got, want);
        _fail(file, line);
    }
}

/* Parses fixture NAME-task.json and NAME-stats.json into t; the number of containers with
 * stats. */
static int load(const char *name, struct ecs_task *t)
{
    char path[512], why[256] = "";
    struct hw_buf b;
    hw_buf_init(&b);
    snprintf(path, sizeof(path), ECS_FIXTURES "%s-task.json", name);
    assert_int_equal(hw_buf_read_file(&b, path, 1 << 20), 0);
    assert_int_equal(ecs_parse_task(b.data, b.len, t, why, sizeof(why)), 0);
    snprintf(path, sizeof(path), ECS_FIXTURES "%s-stats.json", name);
    assert_int_equal(hw_buf_read_file(&b, path, 1 << 20), 0);
    const int n = ecs_parse_stats(b.data, b.len, t, why, sizeof(why));
    hw_buf_free(&b);
    return n;
}

static void test_ec2_v1_three_containers(void **state)
{
    (void)state;
    static struct ecs_task t;
    assert_int_equal(load("ec2-v1", &t), 3);
    assert_string_equal(t.cluster, "default");
    assert_string_equal(t.cluster_name, "default");
    assert_string_equal(t.family, "shop");
    assert_string_equal(t.service, "");
    assert_string_equal(t.task_arn, "arn:aws:ecs:us-west-2:111122223333:task/default/"
                                    "158d1c8083dd49d6b527399fd6414f5c");
    assert_int_equal(t.ncontainers, 3); /* the CNI pause container is the agent's */
    assert_int_equal(t.skipped, 1);
    assert_false(t.awsvpc);
    assert_double_exact(t.limit_mib, 0);
    const struct ecs_container *app = &t.c[0], *nginx = &t.c[1], *hw = &t.c[2];
    assert_string_equal(app->name, "app");
    assert_string_equal(app->short_id, "ea32192c8553");
    /* cgroup v1: total_inactive_file (128 MiB), not the cgroup's own inactive_file. */
    assert_int_equal(ecs_working_set(app), 536870912 - 134217728);
    /* Inactive file above usage (the hierarchy's count): the usage itself. */
    assert_int_equal(ecs_working_set(nginx), 104857600);
    assert_int_equal(ecs_working_set(hw), 20971520 - 1048576);
    assert_double_exact(ecs_limit_bytes(app), 1024 * MIB);
    /* Unlimited in the stats (2^63 rounded to pages), 128 MiB in the task definition. */
    assert_int_equal(hw->stats_limit, UINT64_C(9223372036854771712));
    assert_double_exact(ecs_limit_bytes(hw), 128 * MIB);
    assert_double_exact(app->cpu_units, 512);
    /* 0.5 s of CPU in the 1 s between preread and read: half a vCPU. */
    assert_double_exact(ecs_cpu_units(app->cpu_ns, app->precpu_ns, app->read_ns, app->preread_ns),
                        512);
    assert_double_exact(
        ecs_cpu_units(nginx->cpu_ns, nginx->precpu_ns, nginx->read_ns, nginx->preread_ns),
        0.1 * 1024);
    assert_double_exact(ecs_cpu_units(hw->cpu_ns, hw->precpu_ns, hw->read_ns, hw->preread_ns), 0);
    assert_int_equal(nginx->rx_bytes, 305); /* eth0 + eth1 */
    assert_int_equal(nginx->tx_bytes, 406);

    struct ecs_task_sum s;
    ecs_task_sum(&t, &s);
    assert_int_equal(s.nstats, 3);
    assert_double_exact(s.working_set, 503 * MIB);
    assert_double_exact(s.usage, 536870912.0 + 104857600 + 20971520);
    /* No task-level limit: the sum of the containers' (1024 + 512 + 128 MiB). */
    assert_double_exact(s.limit, 1664 * MIB);
    assert_double_exact(s.reserved_mib, 1664);
    assert_double_exact(s.cpu_reserved, 896);
    assert_double_exact(s.cpu_seconds, 8);
    assert_double_exact(s.rx_bytes, 1000315); /* bridge: each container its own */
    assert_double_exact(s.tx_bytes, 2000426);
}

static void test_ec2_v2_stopped_container(void **state)
{
    (void)state;
    static struct ecs_task t;
    assert_int_equal(load("ec2-v2", &t), 1);
    assert_string_equal(t.cluster_name, "prod");
    assert_string_equal(t.service, "web");
    assert_string_equal(t.family, "web-app");
    assert_true(t.awsvpc);
    assert_int_equal(t.ncontainers, 2);
    const struct ecs_container *web = &t.c[0], *mig = &t.c[1];
    assert_true(web->has_stats);
    assert_false(mig->has_stats); /* null in /task/stats: stopped */
    /* cgroup v2: no total_* keys, inactive_file is the one. */
    assert_int_equal(web->inactive_file, 50000000);
    assert_int_equal(ecs_working_set(web), 250000000);
    assert_double_exact(ecs_limit_bytes(web), 1073741824); /* from the stats */
    assert_double_exact(ecs_limit_bytes(mig), 0);
    /* First sample: preread is Go's zero time, so the answer alone gives no rate. */
    assert_int_equal(web->preread_ns, 0);
    assert_double_exact(ecs_cpu_units(web->cpu_ns, web->precpu_ns, web->read_ns, web->preread_ns),
                        -1);
    struct ecs_task_sum s;
    ecs_task_sum(&t, &s);
    assert_double_exact(s.limit, 1024 * MIB);
    assert_double_exact(s.reserved_mib, 1024);
    assert_double_exact(s.cpu_reserved, 1024); /* 1 vCPU */
    assert_double_exact(100.0 * s.working_set / s.limit, 100.0 * 250000000 / 1073741824);
    assert_double_exact(s.rx_bytes, 7000);
    assert_int_equal(s.nstats, 1);
}

static void test_fargate(void **state)
{
    (void)state;
    static struct ecs_task t;
    assert_int_equal(load("fargate", &t), 3);
    assert_string_equal(t.cluster_name, "default");
    assert_string_equal(t.family, "curltest");
    assert_int_equal(t.ncontainers, 3);
    assert_true(t.awsvpc);
    assert_string_equal(t.c[0].short_id, "2495160603");
    assert_string_equal(t.c[2].short_id, "0042424242");
    assert_double_exact(ecs_limit_bytes(&t.c[0]), 512 * MIB); /* the task's, via the stats */
    assert_double_exact(ecs_limit_bytes(&t.c[1]), 256 * MIB);
    assert_double_exact(ecs_limit_bytes(&t.c[2]), 64 * MIB);
    const struct ecs_container *app = &t.c[1];
    /* 0.5 s of CPU in 0.5 s: one vCPU. */
    assert_double_exact(ecs_cpu_units(app->cpu_ns, app->precpu_ns, app->read_ns, app->preread_ns),
                        1024);
    struct ecs_task_sum s;
    ecs_task_sum(&t, &s);
    assert_double_exact(s.working_set, 8388608.0 + 199229440 + 31457280);
    assert_double_exact(s.limit, 512 * MIB);
    assert_double_exact(100.0 * s.working_set / s.limit, 44.53125);
    assert_double_exact(s.cpu_reserved, 256); /* 0.25 vCPU */
    assert_double_exact(s.reserved_mib, 512);
    /* One network namespace for the task: counted once, not three times. */
    assert_double_exact(s.rx_bytes, 1234);
    assert_double_exact(s.tx_bytes, 5678);
}

/* A container without any limit and no task-level one: the task has no limit to compare to. */
static void test_no_limit_anywhere(void **state)
{
    (void)state;
    static struct ecs_task t;
    const char task[] = "{\"Family\":\"f\",\"Containers\":[{\"DockerId\":\"a\",\"Name\":\"a\","
                        "\"Limits\":{\"Memory\":100}},{\"DockerId\":\"b\",\"Name\":\"b\"}]}";
    const char stats[] = "{\"a\":{\"memory_stats\":{\"usage\":10}},"
                         "\"b\":{\"memory_stats\":{\"usage\":20,\"limit\":9223372036854771712}}}";
    char why[256];
    assert_int_equal(ecs_parse_task(task, sizeof(task) - 1, &t, why, sizeof(why)), 0);
    assert_int_equal(ecs_parse_stats(stats, sizeof(stats) - 1, &t, why, sizeof(why)), 2);
    struct ecs_task_sum s;
    ecs_task_sum(&t, &s);
    assert_double_exact(s.limit, 0);
    assert_double_exact(s.reserved_mib, 100);
    assert_double_exact(s.working_set, 30);
    assert_false(s.has_net);
}

static void test_rates(void **state)
{
    (void)state;
    assert_double_exact(ecs_rate(3000, 1000, 3000000000, 1000000000), 1000);
    assert_double_exact(ecs_rate(1000, 3000, 3000000000, 1000000000), -1); /* reset */
    assert_double_exact(ecs_rate(3000, 1000, 1000000000, 1000000000), -1); /* same sample */
    assert_double_exact(ecs_rate(3000, 1000, 2000000000, 0), -1);
    assert_double_exact(ecs_cpu_units(2000000000, 1000000000, 3000000000, 1000000000), 512);
    assert_double_exact(ecs_cpu_units(2000000000, 0, 3000000000, 1000000000), -1);
}

static void test_time(void **state)
{
    (void)state;
    assert_int_equal(ecs_parse_time("1970-01-01T00:00:01Z"), 1000000000);
    assert_int_equal(ecs_parse_time("2026-12-04T19:00:10.5Z"), INT64_C(1796410810500000000));
    assert_int_equal(ecs_parse_time("2026-12-04T19:00:10.123456789123Z"),
                     INT64_C(1796410810123456789));
    assert_int_equal(ecs_parse_time("2026-12-04T20:00:10.5+01:00"), INT64_C(1796410810500000000));
    assert_int_equal(ecs_parse_time("2000-02-29T00:00:00Z"), INT64_C(951782400000000000));
    assert_int_equal(ecs_parse_time("0001-01-01T00:00:00Z"), 0);
    assert_int_equal(ecs_parse_time("2026-13-04T19:00:10Z"), 0);
    assert_int_equal(ecs_parse_time("2026-12-04T19:00:10"), 0);
    assert_int_equal(ecs_parse_time("2026-12-04T19:00:10Zjunk"), 0);
    assert_int_equal(ecs_parse_time(""), 0);
    assert_int_equal(ecs_parse_time(NULL), 0);
}

static void test_bad_documents(void **state)
{
    (void)state;
    static struct ecs_task t;
    char why[256];
    assert_int_equal(ecs_parse_task("<html>", 6, &t, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not JSON"));
    assert_int_equal(ecs_parse_task("{}", 2, &t, why, sizeof(why)), -1);
    assert_string_equal(why, "$.Containers: expected an array");
    const char nameless[] =
        "{\"Containers\":[{\"DockerId\":\"a\",\"Name\":\"a\"},{\"DockerId\":1}]}";
    assert_int_equal(ecs_parse_task(nameless, sizeof(nameless) - 1, &t, why, sizeof(why)), -1);
    assert_string_equal(why, "$.Containers[1]: expected an object with DockerId and Name");
    const char ok[] = "{\"Containers\":[{\"DockerId\":\"a\",\"Name\":\"a\"}]}";
    assert_int_equal(ecs_parse_task(ok, sizeof(ok) - 1, &t, why, sizeof(why)), 0);
    assert_int_equal(ecs_parse_stats("[1]", 3, &t, why, sizeof(why)), -1);
    assert_string_equal(why, "$: expected an object of container ids");
    assert_int_equal(ecs_parse_stats("", 0, &t, why, sizeof(why)), -1);
    /* Unknown ids, wrong types and negative numbers: no stats, or zeros, never garbage. */
    const char odd[] = "{\"zzz\":{\"memory_stats\":{}},\"a\":{\"memory_stats\":{\"usage\":-5,"
                       "\"stats\":[]},\"cpu_stats\":7,\"networks\":{\"eth0\":\"x\"}}}";
    assert_int_equal(ecs_parse_stats(odd, sizeof(odd) - 1, &t, why, sizeof(why)), 1);
    assert_int_equal(t.c[0].usage, 0);
    assert_int_equal(t.c[0].cpu_ns, 0);
    assert_int_equal(t.c[0].rx_bytes, 0);
    assert_int_equal(ecs_working_set(&t.c[0]), 0);
}

/* More containers than the table holds: the rest are counted, not written past the end. */
static void test_too_many_containers(void **state)
{
    (void)state;
    static struct ecs_task t;
    static char doc[ECS_MAX_CONTAINERS * 64 + 200];
    size_t n = (size_t)snprintf(doc, sizeof(doc), "{\"Containers\":[");
    for (int i = 0; i < ECS_MAX_CONTAINERS + 3; i++) {
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s{\"DockerId\":\"c%d\",\"Name\":\"n%d\"}",
                              i ? "," : "", i, i);
    }
    n += (size_t)snprintf(doc + n, sizeof(doc) - n, "]}");
    char why[256];
    assert_int_equal(ecs_parse_task(doc, n, &t, why, sizeof(why)), 0);
    assert_int_equal(t.ncontainers, ECS_MAX_CONTAINERS);
    assert_int_equal(t.skipped, 3);
    assert_string_equal(t.c[ECS_MAX_CONTAINERS - 1].name, "n63");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ec2_v1_three_containers),
        cmocka_unit_test(test_ec2_v2_stopped_container),
        cmocka_unit_test(test_fargate),
        cmocka_unit_test(test_no_limit_anywhere),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_too_many_containers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
