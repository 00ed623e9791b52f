/* libFuzzer: the request-header logic of the HTTP endpoint that is ours rather than
 * libmicrohttpd's (Accept-Encoding negotiation). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/prometheus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) {
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    (void)prom_accepts_gzip(s);
    free(s);
    return 0;
}
