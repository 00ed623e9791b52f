#include "diskstats.h"

#include <errno.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One token of [p, end): skips leading blanks, returns its start and sets *len (0 at the end). */
static const char *next_token(const char **p, const char *end, size_t *len)
{
    const char *s = *p;
    while (s < end && is_blank(*s)) {
        s++;
    }
    const char *e = s;
    while (e < end && !is_blank(*e)) {
        e++;
    }
    *p = e;
    *len = (size_t)(e - s);
    return s;
}

/* Strict unsigned decimal of exactly len bytes; -1 on any other byte or on overflow. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        const uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* The 2.6 kernels printed partitions with four counters in a different order. */
static void map_legacy_partition(struct diskstats_entry *out)
{
    const uint64_t reads = out->v[0], rsect = out->v[1], writes = out->v[2], wsect = out->v[3];
    memset(out->v, 0, sizeof(out->v));
    out->v[DISKSTATS_READS] = reads;
    out->v[DISKSTATS_READ_SECTORS] = rsect;
    out->v[DISKSTATS_WRITES] = writes;
    out->v[DISKSTATS_WRITE_SECTORS] = wsect;
    out->present = (1u << DISKSTATS_READS) | (1u << DISKSTATS_READ_SECTORS) |
                   (1u << DISKSTATS_WRITES) | (1u << DISKSTATS_WRITE_SECTORS);
}

int diskstats_parse_line(const char *line, size_t len, struct diskstats_entry *out)
{
    const char *p = line, *const end = line + len;
    size_t tl;
    uint64_t major, minor;
    const char *t = next_token(&p, end, &tl);
    if (parse_u64(t, tl, &major) != 0 || major > 0xffffffffu) {
        return -EINVAL;
    }
    t = next_token(&p, end, &tl);
    if (parse_u64(t, tl, &minor) != 0 || minor > 0xffffffffu) {
        return -EINVAL;
    }
    const char *name = next_token(&p, end, &tl);
    if (tl == 0 || tl >= sizeof(out->name) || memchr(name, '\0', tl)) {
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->major = (unsigned)major;
    out->minor = (unsigned)minor;
    memcpy(out->name, name, tl);
    out->name[tl] = '\0';
    for (t = next_token(&p, end, &tl); tl > 0; t = next_token(&p, end, &tl)) {
        uint64_t v;
        if (parse_u64(t, tl, &v) != 0) {
            return -EINVAL;
        }
        if (out->nfields < DISKSTATS_NFIELDS) {
            out->v[out->nfields] = v;
        }
        out->nfields++;
    }
    if (out->nfields == 4) {
        map_legacy_partition(out);
        return 0;
    }
    if (out->nfields < 11) {
        return -EINVAL;
    }
    const size_t kept = out->nfields < DISKSTATS_NFIELDS ? out->nfields : DISKSTATS_NFIELDS;
    out->present = (uint32_t)((1u << kept) - 1u);
    return 0;
}

void diskstats_iter_init(struct diskstats_iter *it, const char *text, size_t len)
{
    it->p = text;
    it->end = text ? text + len : text;
    it->malformed = 0;
}

int diskstats_next(struct diskstats_iter *it, struct diskstats_entry *out)
{
    while (it->p && it->p < it->end) {
        const char *line = it->p;
        const char *nl = memchr(line, '\n', (size_t)(it->end - line));
        const size_t len = nl ? (size_t)(nl - line) : (size_t)(it->end - line);
        it->p = nl ? nl + 1 : it->end;
        size_t blank = 0;
        while (blank < len && is_blank(line[blank])) {
            blank++;
        }
        if (blank == len) {
            continue;
        }
        if (diskstats_parse_line(line, len, out) == 0) {
            return 1;
        }
        it->malformed++;
    }
    return 0;
}
