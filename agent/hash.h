/* FNV-1a, the one non-cryptographic hash of the project (indexes, change detection, config
 * fingerprints): small, fast on short keys, and stable across runs and builds. */
#ifndef HW_HASH_H
#define HW_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HW_FNV_OFFSET 0xcbf29ce484222325ull /* the FNV-1a 64-bit offset basis */

/* Continues hash h over n bytes at p. */
static inline uint64_t hw_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t k = 0; k < n; k++) {
        h = (h ^ b[k]) * 1099511628211ull;
    }
    return h;
}

/* Continues h over s and its terminating NUL, so "ab","c" and "a","bc" differ. */
static inline uint64_t hw_fnv1a_str(uint64_t h, const char *s)
{
    return hw_fnv1a(h, s, strlen(s) + 1);
}

#endif
