/* libFuzzer: any bytes as a configuration file must give a config or diagnostics, never a
 * crash or a leak. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hw_diag d;
    hw_diag_init(&d, "fuzz.json");
    struct hw_config *cfg = hw_config_parse((const char *)data, size, "fuzz.json", &d);
    if (!cfg && d.n == 0) {
        __builtin_trap(); /* a rejected config must say why */
    }
    hw_config_free(cfg);
    hw_diag_free(&d);
    return 0;
}
