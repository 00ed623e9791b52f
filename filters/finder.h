/* Substring search for a needle known in advance (the filters' prefilter literals). glibc's
 * memmem redoes its set-up (a 256-byte shift table, hashing the needle) at every call, which
 * costs more than the search itself on a 200-byte log line; here the set-up is done once: the
 * scan is a (SIMD) memchr for the needle's rarest byte, then a check of a second rare byte and
 * a memcmp of the whole needle. When the rare byte turns out to be common in the haystack the
 * search hands over to memmem: at most 32 + pos/8 false candidates (each one memcmp of the
 * needle) before position pos, whatever the line. */
#ifndef HW_FINDER_H
#define HW_FINDER_H

#include <stddef.h>

struct hw_finder {
    const char *needle; /* not owned */
    size_t len;
    size_t i1, i2;      /* offsets in needle of the rarest byte and of a second rare one */
};

/* Prepares a search for needle[0, len); needle must outlive f. */
void hw_finder_init(struct hw_finder *f, const char *needle, size_t len);
/* The first occurrence of the needle in hay[0, n), or NULL. An empty needle is found at hay. */
const char *hw_finder_find(const struct hw_finder *f, const char *hay, size_t n);

#endif
