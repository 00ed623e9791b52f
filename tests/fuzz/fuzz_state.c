/* libFuzzer: a state file is read back after crashes and by hand edits; any bytes must be
 * accepted or rejected with a reason, and a restored log checkpoint must not crash. */
#include <stddef.h>
#include <stdint.h>

#include "filters/metricstate.h"
#include "registry.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Restores m as a saved histogram into a fresh registry and publishes it. */
static void restore_metric(json_t *m)
{
    static const double b[] = {1, 2};
    const struct hw_family_desc d = {.name = "h", .help = "", .type = HW_HISTOGRAM,
                                     .views = HW_VIEW_ALL, .buckets = b, .nbuckets = 2};
    const char *why = NULL;
    struct hw_registry *reg = hw_registry_new();
    struct hw_family *f = hw_registry_family(reg, &d, "x");
    if (metricstate_restore(f, HW_HISTOGRAM, m, 100, &why) != 0 && !why) {
        __builtin_trap();
    }
    (void)hw_registry_publish(reg);
    hw_registry_free(reg);
    json_decref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = NULL;
    json_t *inst = hw_state_parse((const char *)data, size, &why);
    if (!inst && !why) {
        __builtin_trap();
    }
    json_decref(inst);
    /* The same bytes as a saved metric (no checksum in the way)... */
    json_error_t err;
    json_t *m = json_loadb((const char *)data, size, 0, &err);
    if (m) {
        restore_metric(m);
    }
    /* ...and as the packed text of one. */
    json_t *packed = json_pack("{s:s, s:i, s:s%}", "type", "histogram", "nbuckets", 2,
                               "packed", (const char *)data, size);
    if (packed) {
        restore_metric(packed);
    }
    return 0;
}
