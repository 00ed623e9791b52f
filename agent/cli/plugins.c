/* THE plugin table: adding a collector or exporter means one line here. */
#include <string.h>

#include "collectors/disk/disk.h"
#include "collectors/ecs/ecs.h"
#include "collectors/fsfo/fsfo.h"
#include "collectors/logs/logs.h"
#include "collectors/memory/memory.h"
#include "exporters/cloudwatch/cloudwatch.h"
#include "exporters/cloudwatch/emf.h"
#include "exporters/prometheus/prometheus.h"
#include "exporters/remote_write/remote_write.h"
#include "exporters/route53/route53.h"
#include "plugin.h"

const struct hw_collector *const hw_collectors[] = {
    &hw_collector_memory,
    &hw_collector_disk,
    &hw_collector_logs,
    &hw_collector_fsfo,
    &hw_collector_ecs,
    NULL,
};

const struct hw_exporter *const hw_exporters[] = {
    &hw_exporter_prometheus,
    &hw_exporter_cloudwatch,
    &hw_exporter_emf,
    &hw_exporter_remote_write,
    &hw_exporter_route53,
    NULL,
};

const struct hw_collector *hw_collector_find(const char *name)
{
    for (size_t i = 0; hw_collectors[i]; i++) {
        if (strcmp(hw_collectors[i]->name, name) == 0) {
            return hw_collectors[i];
        }
    }
    return NULL;
}

const struct hw_exporter *hw_exporter_find(const char *name)
{
    for (size_t i = 0; hw_exporters[i]; i++) {
        if (strcmp(hw_exporters[i]->name, name) == 0) {
            return hw_exporters[i];
        }
    }
    return NULL;
}
