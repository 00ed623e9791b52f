/* The `ecs` collector: memory, CPU and network of the ECS task and of each of its containers,
 * from the task metadata endpoint v4 (/task and /task/stats), under cAdvisor's names for
 * Prometheus and Container Insights' names for CloudWatch. */
#ifndef HW_ECS_H
#define HW_ECS_H

#include <stdint.h>

#include "plugin.h"

struct ecs_conf {
    char *endpoint;     /* "auto": ECS_CONTAINER_METADATA_URI_V4 */
    int64_t timeout_ns; /* each request's time limit */
    int task_labels;    /* task_arn and cluster labels on the Prometheus series */
    int optional;       /* outside an ECS task: idle (one line) instead of refusing to start */
};

extern const struct hw_collector hw_collector_ecs;

#endif
