/* The `memory` collector: /proc/meminfo as node_exporter's node_memory_* families and the
 * CloudWatch agent's mem_* families, optionally describing the process's cgroup instead of the
 * host (ECS tasks, containers) with cAdvisor-style container_* families. */
#ifndef HW_MEMORY_H
#define HW_MEMORY_H

#include "plugin.h"

/* collectors.memory.scope: choices "auto", "host", "cgroup" in this order. */
enum memory_scope {
    MEMORY_SCOPE_AUTO = 0, /* cgroup when the process runs under a memory limit, else host */
    MEMORY_SCOPE_HOST = 1,
    MEMORY_SCOPE_CGROUP = 2,
};

/* collectors.memory.used: choices "available", "cloudwatch-agent" in this order. */
enum memory_used {
    MEMORY_USED_AVAILABLE = 0, /* MemTotal - MemAvailable */
    MEMORY_USED_CWAGENT = 1,   /* MemTotal - MemFree - Buffers - Cached - SReclaimable */
};

/* The option struct the table fills (conf_size bytes). */
struct memory_conf {
    int scope; /* enum memory_scope */
    int used;  /* enum memory_used */
};

extern const struct hw_collector hw_collector_memory;

#endif
