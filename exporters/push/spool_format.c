#include "spool_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

void spool_put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

uint64_t spool_get(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

uint32_t spool_crc(uint32_t crc, const void *buf, size_t len)
{
    const Bytef *p = buf;
    unsigned long c = crc;
    while (len > 0) {
        const uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

void spool_name(char *buf, uint64_t seq, const char *ext)
{
    snprintf(buf, SPOOL_NAME_MAX, "%020" PRIu64 "%s", seq, ext);
}

int spool_parse_name(const char *name, uint64_t *seq)
{
    uint64_t v = 0;
    for (size_t i = 0; i < SPOOL_DIGITS; i++) {
        const unsigned d = (unsigned)(unsigned char)name[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10) {
            return SPOOL_NAME_OTHER;
        }
        v = v * 10 + d;
    }
    const char *ext = name + SPOOL_DIGITS;
    if (v >= SPOOL_SEQ_LIMIT) {
        return SPOOL_NAME_OTHER;
    }
    *seq = v;
    if (strcmp(ext, SPOOL_EXT) == 0) {
        return SPOOL_NAME_ENTRY;
    }
    if (strcmp(ext, SPOOL_TMP_EXT) == 0) {
        return SPOOL_NAME_TMP;
    }
    return strcmp(ext, SPOOL_BAD_EXT) == 0 ? SPOOL_NAME_ASIDE : SPOOL_NAME_OTHER;
}
