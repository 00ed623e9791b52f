/* The agent's own metrics (hostwatch_*), written by the core on the loop thread. */
#ifndef HW_SELFMETRICS_H
#define HW_SELFMETRICS_H

#include <stdint.h>

#include "registry.h"

struct hw_selfmetrics;

struct hw_selfmetrics *hw_selfmetrics_new(struct hw_registry *reg);
void hw_selfmetrics_free(struct hw_selfmetrics *sm);
/* Records one collection of `collector`: its duration and whether it failed. */
void hw_selfmetrics_collected(struct hw_selfmetrics *sm, const char *collector, int64_t dur_ns,
                              int failed);
void hw_selfmetrics_reloaded(struct hw_selfmetrics *sm, int ok);

#endif
