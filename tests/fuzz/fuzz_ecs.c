/* libFuzzer: the ECS metadata endpoint's answers are untrusted bytes. The input is parsed as a
 * /task document and as a /task/stats document (against the task it gave, or a fixed one of
 * two containers); whatever it holds, the structs must stay consistent and every derived
 * figure finite and in range. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collectors/ecs/ecs_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ecs_check_str(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap)) {
        __builtin_trap();
    }
}

static void ecs_check(const struct ecs_task *t)
{
    if (t->ncontainers > ECS_MAX_CONTAINERS || t->limit_mib < 0 || t->cpu_vcpu < 0) {
        __builtin_trap();
    }
    ecs_check_str(t->cluster_name, sizeof(t->cluster_name));
    ecs_check_str(t->family, sizeof(t->family));
    ecs_check_str(t->service, sizeof(t->service));
    for (size_t i = 0; i < t->ncontainers; i++) {
        const struct ecs_container *c = &t->c[i];
        ecs_check_str(c->name, sizeof(c->name));
        ecs_check_str(c->short_id, sizeof(c->short_id));
        if (!c->id[0] || ecs_working_set(c) > c->usage || !(ecs_limit_bytes(c) >= 0)) {
            __builtin_trap();
        }
        const double u = ecs_cpu_units(c->cpu_ns, c->precpu_ns, c->read_ns, c->preread_ns);
        if (!isfinite(u) || (u < 0 && u != -1)) {
            __builtin_trap();
        }
    }
    struct ecs_task_sum s;
    ecs_task_sum(t, &s);
    if (!isfinite(s.working_set) || s.working_set > s.usage || s.limit < 0 ||
        s.nstats > t->ncontainers || !isfinite(s.cpu_seconds) || s.rx_bytes < 0) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ecs_task t;
    char why[256];
    const char fixed[] = "{\"Containers\":[{\"DockerId\":\"a-1\",\"Name\":\"a\"},"
                         "{\"DockerId\":\"b\",\"Name\":\"b\",\"Limits\":{\"Memory\":5}}]}";
    if (ecs_parse_task((const char *)data, size, &t, why, sizeof(why)) == 0) {
        ecs_check(&t);
    } else if (!why[0] || ecs_parse_task(fixed, sizeof(fixed) - 1, &t, why, sizeof(why)) != 0) {
        __builtin_trap();
    }
    const int n = ecs_parse_stats((const char *)data, size, &t, why, sizeof(why));
    if (n < -1 || n > (int)t.ncontainers) {
        __builtin_trap();
    }
    ecs_check(&t);
    return 0;
}
