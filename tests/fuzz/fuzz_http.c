/* libFuzzer: the request-header logic of the HTTP endpoint that is ours rather than
 * libmicrohttpd's: Accept-Encoding and Accept negotiation, and basic-auth checking of a
 * "user:password" pair (as MHD hands it over once decoded). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/prometheus/prom_auth.h"
#include "exporters/prometheus/prom_text.h"
#include "exporters/prometheus/prometheus.h"

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
    (void)prom_negotiate(s);
    /* The cheapest SHA-256-crypt setting keeps the fuzzer fast; the logic is the same. */
    static char *keys[] = {"prom"}, *hashes[] = {"$5$rounds=1000$fuzzsalt$"
                                                 "qGCc4JvvMNwwgoU2eJ4FMcZ.jSqNaOPBoUN0Jv2w9O2"};
    static const struct hw_strmap users = {keys, hashes, 1};
    static const struct hw_strlist open = {0};
    struct prom_auth *a = prom_auth_new(&users, &open);
    char *colon = strchr(s, ':');
    if (a && colon) {
        *colon = '\0';
        (void)prom_auth_verify(a, s, colon + 1);
    }
    prom_auth_free(a);
    free(s);
    return 0;
}
