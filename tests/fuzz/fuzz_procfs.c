/* libFuzzer: the /proc and cgroup parsers on arbitrary bytes (a hostile or corrupted procfs
 * bind-mount must not crash the agent). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/memory/cgroupmem.h"
#include "collectors/disk/diskstats.h"
#include "collectors/memory/meminfo.h"
#include "collectors/disk/mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct meminfo mi;
    if (meminfo_parse(text, size, &mi) == 0) {
        struct meminfo_usage u;
        (void)meminfo_host_usage(&mi, MEMINFO_USED_AVAILABLE, &u);
        (void)meminfo_host_usage(&mi, MEMINFO_USED_CWAGENT, &u);
        for (size_t i = 0; i < mi.nfields; i++) {
            char name[128];
            (void)meminfo_metric_name(mi.fields[i].name, mi.fields[i].has_kb, name, sizeof(name));
        }
    }
    struct mountinfo m;
    mountinfo_init(&m);
    if (mountinfo_parse(&m, text, size) == 0) {
        for (size_t i = 0; i < m.n; i++) {
            (void)mountinfo_readonly(&m.v[i]);
        }
    }
    mountinfo_free(&m);
    struct diskstats_iter it;
    struct diskstats_entry e;
    diskstats_iter_init(&it, text, size);
    while (diskstats_next(&it, &e)) {
    }
    struct cgroupmem_self self;
    (void)cgroupmem_parse_self(text, size, &self);
    uint64_t v;
    (void)cgroupmem_parse_max(text, size, &v);
    (void)cgroupmem_stat_get(text, size, "inactive_file", &v);
    return 0;
}
