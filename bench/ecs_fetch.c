/* ECS collector cost: wall and CPU time of one collection's fetch (GET /task, GET /task/stats
 * over a kept-alive connection, and both JSON parses) against a metadata endpoint, and of the
 * two parses alone on the bodies of one answer.
 *
 * Usage: ecs_fetch URL [ROUNDS [TASK_FILE STATS_FILE]]  (default 200 rounds). Prints the median
 * and the 90th percentile of each; run by bench/ecs.py against tests/integration/fakeecs.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "collectors/ecs/ecs_fetch.h"
#include "collectors/ecs/ecs_parse.h"

static double bench_now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v and prints its median and 90th percentile in microseconds. */
static void bench_report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), bench_cmp);
    printf("%-34s median %8.1f us   p90 %8.1f us\n", what, v[n / 2] * 1e6, v[n * 9 / 10] * 1e6);
}

/* Parses the two files rounds times; 0 or -1. */
static int bench_parse(const char *task_file, const char *stats_file, int rounds, double *cpu)
{
    struct hw_buf tb, sb;
    hw_buf_init(&tb);
    hw_buf_init(&sb);
    static struct ecs_task t;
    char why[256];
    int rc =
        hw_buf_read_file(&tb, task_file, 1 << 20) || hw_buf_read_file(&sb, stats_file, 1 << 20);
    for (int i = 0; rc == 0 && i < rounds; i++) {
        const double c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID);
        if (ecs_parse_task(tb.data, tb.len, &t, why, sizeof(why)) != 0 ||
            ecs_parse_stats(sb.data, sb.len, &t, why, sizeof(why)) < 0) {
            fprintf(stderr, "parse: %s\n", why);
            rc = -1;
        }
        cpu[i] = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    hw_buf_free(&tb);
    hw_buf_free(&sb);
    return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ecs_fetch URL [ROUNDS [TASK_FILE STATS_FILE]]\n");
        return 2;
    }
    const int rounds = argc > 2 ? atoi(argv[2]) : 200;
    char err[256];
    struct ecs_fetch *f = ecs_fetch_new(argv[1], 2000, 0, err, sizeof(err));
    struct ecs_result *r = calloc(1, sizeof(*r));
    double *wall = calloc((size_t)rounds + 1, sizeof(double));
    double *cpu = calloc((size_t)rounds + 1, sizeof(double));
    int rc = 1;
    if (!f || !r || !wall || !cpu || rounds < 1) {
        fprintf(stderr, "ecs_fetch: %s\n", f ? "bad rounds or out of memory" : err);
        goto out;
    }
    for (int i = 0; i < rounds; i++) {
        const double w0 = bench_now(CLOCK_MONOTONIC), c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID);
        ecs_fetch_now(f, r);
        cpu[i] = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
        wall[i] = bench_now(CLOCK_MONOTONIC) - w0;
        if (!r->task_ok || !r->stats_ok) {
            fprintf(stderr, "ecs_fetch: %s%s\n", r->task_err, r->stats_err);
            goto out;
        }
    }
    printf("containers: %zu, rounds: %d\n", r->task.ncontainers, rounds);
    bench_report("fetch + parse, wall", wall, rounds);
    bench_report("fetch + parse, CPU (agent side)", cpu, rounds);
    if (argc > 4) {
        if (bench_parse(argv[3], argv[4], rounds, cpu) != 0) {
            goto out;
        }
        bench_report("both parses alone, CPU", cpu, rounds);
    }
    rc = 0;
out:
    ecs_fetch_free(f);
    free(r);
    free(wall);
    free(cpu);
    return rc;
}
