/* Log sources (collectors.logs[]): tailed files whose lines feed regex and filter-pattern
 * filters; positions and filter values are checkpointed together. */
#ifndef HW_LOGS_H
#define HW_LOGS_H

#include "opt.h"
#include "plugin.h"

struct logs_conf {
    char *name;
    struct hw_strlist paths;
    int start_at; /* 0 end, 1 beginning */
    uint64_t max_line_size;
    uint64_t read_block;
    int64_t partial_flush_ns;
    int64_t rotate_wait_ns;
    int inotify;
    struct hw_objlist filters; /* struct binding_conf */
};

extern const struct hw_opt logs_opts[];
extern const struct hw_collector hw_collector_logs;

/* The collector's test_filters slot (logs_testfilter.c). */
long logs_test_filters(const void *const *confs, size_t n, const struct hw_filter_test *t,
                       struct hw_registry *reg);

#endif
