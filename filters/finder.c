/* memmem needs _GNU_SOURCE, which the build defines. */
#include "finder.h"

#include <string.h>

/* How common a byte is in typical log text, higher is more common: a rough ranking, used only
 * to choose which needle bytes the scan looks for. Hex digits (ids, hashes) count as digits. */
static unsigned byte_rank(unsigned char c)
{
    static const char letters[] = "etaoinsrhldcumfpgwybvkxjqz"; /* most to least frequent */
    if (c == ' ') {
        return 255;
    }
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) {
        return 220;
    }
    if (c >= 'a' && c <= 'z') {
        return 210 - 4 * (unsigned)(strchr(letters, c) - letters);
    }
    if (c >= 'A' && c <= 'Z') {
        return 110;
    }
    if (c && strchr("=.:/-\"[]_", c)) {
        return 200;
    }
    return c < 0x80 ? 60 : 20;
}

void hw_finder_init(struct hw_finder *f, const char *needle, size_t len)
{
    f->needle = needle;
    f->len = len;
    f->i1 = f->i2 = 0;
    for (size_t i = 1; i < len; i++) {
        if (byte_rank((unsigned char)needle[i]) < byte_rank((unsigned char)needle[f->i1])) {
            f->i1 = i;
        }
    }
    /* the second: the rarest at another offset, preferably another byte value */
    unsigned best = ~0u;
    for (size_t i = 0; i < len; i++) {
        const unsigned r =
            byte_rank((unsigned char)needle[i]) + (needle[i] == needle[f->i1] ? 256 : 0);
        if (i != f->i1 && r < best) {
            f->i2 = i;
            best = r;
        }
    }
}

const char *hw_finder_find(const struct hw_finder *f, const char *hay, size_t n)
{
    const size_t m = f->len;
    if (m == 0) {
        return hay;
    }
    if (n < m) {
        return NULL;
    }
    const char c1 = f->needle[f->i1], c2 = f->needle[f->i2];
    const size_t last = n - m; /* the last possible start */
    size_t i = 0, misses = 0;
    while (i <= last) {
        const char *q = memchr(hay + i + f->i1, c1, last - i + 1);
        if (!q) {
            return NULL;
        }
        const size_t s = (size_t)(q - hay) - f->i1;
        if (hay[s + f->i2] == c2 && memcmp(hay + s, f->needle, m) == 0) {
            return hay + s;
        }
        /* the rare byte is common here: memmem (two-way, linear) does the rest */
        if (++misses > 32 + s / 8) {
            return memmem(hay + s + 1, n - s - 1, f->needle, m);
        }
        i = s + 1;
    }
    return NULL;
}
