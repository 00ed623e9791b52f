/* The CloudWatch datum model: datums and their arena, the units the service knows, and what the
 * service accepts (names, dimensions, values), the same for both wire protocols. */
#include "cw_datum.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define CW_ARENA_BLK 65536

/* clang-format off */
static const char *const cw_units[] = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None"};
/* clang-format on */

/* ---- datums ----------------------------------------------------------------------------- */

struct cw_arena_blk {
    struct cw_arena_blk *next;
    size_t used, cap;
    max_align_t data[];
};

void cw_datums_init(struct cw_datums *d)
{
    memset(d, 0, sizeof(*d));
}

void cw_datums_free(struct cw_datums *d)
{
    free(d->v);
    while (d->arena) {
        struct cw_arena_blk *next = d->arena->next;
        free(d->arena);
        d->arena = next;
    }
    cw_datums_init(d);
}

/* Bump allocation in blocks; a large request gets its own block behind the current one so
 * the current block's free space stays in use. */
void *cw_datums_alloc(struct cw_datums *d, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    struct cw_arena_blk *b = d->arena;
    if (b && b->cap - b->used >= n) {
        void *p = (unsigned char *)b->data + b->used;
        b->used += n;
        return p;
    }
    const int big = n > CW_ARENA_BLK / 4;
    struct cw_arena_blk *nb = malloc(sizeof(*nb) + (big ? n : CW_ARENA_BLK));
    if (!nb) {
        return NULL;
    }
    nb->used = n;
    nb->cap = big ? n : CW_ARENA_BLK;
    if (big && b) {
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        d->arena = nb;
    }
    return nb->data;
}

char *cw_datums_strdup(struct cw_datums *d, const char *s)
{
    const size_t n = strlen(s) + 1;
    char *p = cw_datums_alloc(d, n);
    return p ? memcpy(p, s, n) : NULL;
}

int cw_datums_push(struct cw_datums *d, const struct cw_datum *x)
{
    struct cw_datum *v = hw_grow(d->v, &d->cap, d->n, sizeof(*v), 64);
    if (!v) {
        return -ENOMEM;
    }
    d->v = v;
    d->v[d->n++] = *x;
    return 0;
}

/* ---- limits ----------------------------------------------------------------------------- */

const char *cw_unit_find(const char *unit)
{
    for (size_t i = 0; i < sizeof(cw_units) / sizeof(cw_units[0]); i++) {
        if (unit == cw_units[i]) {
            return unit; /* the aggregator's units are the table's own strings */
        }
    }
    for (size_t i = 0; unit && i < sizeof(cw_units) / sizeof(cw_units[0]); i++) {
        if (strcmp(unit, cw_units[i]) == 0) {
            return cw_units[i];
        }
    }
    return NULL;
}

/* What CloudWatch takes in dimensions: 1..max bytes of printable ASCII, not only blanks. */
static int cw_ascii_text(const char *s, size_t max)
{
    int blank = 1;
    size_t n = 0;
    for (; s[n]; n++) {
        const unsigned char c = (unsigned char)s[n];
        if (c < 0x20 || c > 0x7e || n >= max) {
            return 0;
        }
        blank &= c == ' ';
    }
    return n > 0 && !blank;
}

/* Well-formed UTF-8 (RFC 3629: shortest forms, no surrogates, at most U+10FFFF): a metric
 * name that is not cannot be carried by a JSON body, and the service refuses it in any form. */
static int cw_utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned c = *p;
        const size_t n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2
                                                            : c >= 0xf0 && c <= 0xf4 ? 3 : 4;
        if (n == 4) {
            return 0;
        }
        /* the second byte's range excludes overlong forms, surrogates and > U+10FFFF */
        const unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
        const unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
        for (size_t i = 1; i <= n; i++) {
            if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf)) {
                return 0;
            }
        }
        p += n + 1;
    }
    return 1;
}

int cw_dim_name_valid(const char *s)
{
    return s[0] != ':' && cw_ascii_text(s, CW_MAX_NAME_LEN);
}

int cw_dim_value_valid(const char *s)
{
    return cw_ascii_text(s, CW_MAX_DIM_VALUE_LEN);
}

int cw_value_valid(double v)
{
    const double a = fabs(v);
    return isfinite(v) && (a == 0 || (a <= 0x1p360 && a >= 0x1p-360));
}

static int cw_kind_valid(const struct cw_datum *d)
{
    switch (d->kind) {
    case CW_VALUE:
        return cw_value_valid(d->value);
    case CW_STATS:
        return d->stats.count > 0 && cw_value_valid(d->stats.count) &&
               cw_value_valid(d->stats.sum) && cw_value_valid(d->stats.min) &&
               cw_value_valid(d->stats.max) && d->stats.min <= d->stats.max;
    case CW_DIST:
        for (size_t i = 0; i < d->nvalues; i++) {
            if (!cw_value_valid(d->values[i]) || !cw_value_valid(d->counts[i]) ||
                d->counts[i] <= 0) {
                return 0;
            }
        }
        return d->nvalues > 0;
    }
    return 0;
}

int cw_datum_valid(const struct cw_datum *d)
{
    const size_t len = d->name ? strlen(d->name) : 0;
    if (len == 0 || len > CW_MAX_NAME_LEN || d->ndims > CW_MAX_DIMS ||
        (d->unit && !cw_unit_find(d->unit)) || d->timestamp_ms < 0 ||
        (d->storage_resolution != 1 && d->storage_resolution != 60) || !cw_utf8_valid(d->name)) {
        return 0;
    }
    for (size_t i = 0; i < d->ndims; i++) {
        if (!cw_dim_name_valid(d->dims[i].name) || !cw_dim_value_valid(d->dims[i].value)) {
            return 0;
        }
    }
    return cw_kind_valid(d);
}
