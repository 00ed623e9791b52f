/* ECS task metadata v4: the /task and /task/stats documents turned into plain structs, and the
 * figures derived from them (working set, limits, CPU units, rates). Pure: no I/O, no clock, no
 * logging, so unit tests and the fuzzer feed it bytes. */
#ifndef HW_ECS_PARSE_H
#define HW_ECS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define ECS_MAX_CONTAINERS 64
#define ECS_ID_MAX 160
#define ECS_NAME_MAX 256
#define ECS_ARN_MAX 512
#define ECS_SHORT_ID 12
#define ECS_MIB 1048576.0

struct ecs_container {
    char id[ECS_ID_MAX];       /* DockerId */
    char short_id[ECS_ID_MAX]; /* 12 hex digits (EC2) or the part after '-' (Fargate) */
    char name[ECS_NAME_MAX];
    double limit_mib; /* Limits.Memory; 0 when not set */
    double cpu_units; /* Limits.CPU (1024 units = 1 vCPU); 0 when not set */
    /* From /task/stats (has_stats 0: no stats for this container, e.g. it stopped). */
    int has_stats;
    uint64_t usage;              /* memory_stats.usage */
    uint64_t inactive_file;      /* total_inactive_file (cgroup v1) or inactive_file (v2) */
    uint64_t stats_limit;        /* memory_stats.limit; 0 when absent */
    uint64_t cpu_ns;             /* cpu_stats.cpu_usage.total_usage */
    uint64_t precpu_ns;          /* precpu_stats.cpu_usage.total_usage */
    int64_t read_ns, preread_ns; /* Unix ns; 0 when absent or the zero time */
    int has_net;
    uint64_t rx_bytes, tx_bytes; /* summed over the container's interfaces */
};

struct ecs_task {
    char task_arn[ECS_ARN_MAX];
    char cluster[ECS_ARN_MAX];      /* as given: a name or an ARN */
    char cluster_name[ECS_ARN_MAX]; /* the name (after "cluster/" in an ARN) */
    char family[ECS_NAME_MAX];
    char revision[32];
    char service[ECS_NAME_MAX]; /* ServiceName; "" when not in the document */
    double limit_mib;           /* task Limits.Memory; 0 when not set */
    double cpu_vcpu;            /* task Limits.CPU in vCPUs; 0 when not set */
    int awsvpc;                 /* the containers share one network namespace */
    size_t ncontainers;
    size_t skipped; /* containers beyond ECS_MAX_CONTAINERS or not NORMAL */
    struct ecs_container c[ECS_MAX_CONTAINERS];
};

/* The /task document into t (reset first). 0, or -1 with why (a JSON path and the problem). */
int ecs_parse_task(const char *text, size_t len, struct ecs_task *t, char *why, size_t wlen);
/* The /task/stats document (container id -> Docker stats or null) into the containers of t.
 * Returns the number of t's containers that got stats, or -1 with why. */
int ecs_parse_stats(const char *text, size_t len, struct ecs_task *t, char *why, size_t wlen);

/* RFC 3339 time ("2020-10-08T20:09:21.594565064Z") as Unix ns; 0 for the zero time or junk. */
int64_t ecs_parse_time(const char *s);

/* usage - inactive file, as docker stats and cAdvisor compute it (usage when it is smaller). */
uint64_t ecs_working_set(const struct ecs_container *c);
/* The container's memory limit in bytes: Limits.Memory, else memory_stats.limit when it is a
 * real limit (below 2^62), else 0. */
double ecs_limit_bytes(const struct ecs_container *c);
/* CPU units used (1024 = one vCPU busy) between two samples; -1 when they cannot say. */
double ecs_cpu_units(uint64_t ns, uint64_t prev_ns, int64_t t_ns, int64_t prev_t_ns);
/* Bytes per second between two samples of a counter; -1 when they cannot say. */
double ecs_rate(uint64_t v, uint64_t prev, int64_t t_ns, int64_t prev_t_ns);

/* The task's totals over the containers with stats. */
struct ecs_task_sum {
    double working_set, usage; /* bytes */
    double limit;              /* bytes: task Limits.Memory, else the sum of the containers'
                                * limits when every one has one, else 0 */
    double reserved_mib;       /* task Limits.Memory, else the sum of container limits */
    double cpu_reserved;       /* CPU units: task vCPUs x 1024, else the containers' sum */
    double cpu_seconds;        /* cumulative */
    double rx_bytes, tx_bytes; /* the shared namespace's once (awsvpc), else the sum */
    int has_net;
    size_t nstats;
};
void ecs_task_sum(const struct ecs_task *t, struct ecs_task_sum *s);

#endif
