#include "meminfo.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"

/* One line split into its parts; pointers into the parsed text. */
struct meminfo_line {
    const char *name;
    size_t name_len;
    uint64_t value;
    int has_kb;
};

/* Kernel field names use these; anything else could not become a Prometheus name. */
static int meminfo_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '(' || c == ')';
}

static int meminfo_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits "Name:   123 kB" / "Name:   123"; anything else is malformed (-1). */
static int meminfo_split(const char *s, const char *end, struct meminfo_line *ln)
{
    const char *colon = memchr(s, ':', (size_t)(end - s));
    if (!colon || colon == s || (size_t)(colon - s) >= MEMINFO_NAME_MAX) {
        return -1;
    }
    for (const char *q = s; q < colon; q++) {
        if (!meminfo_name_char(*q)) {
            return -1;
        }
    }
    ln->name = s;
    ln->name_len = (size_t)(colon - s);
    const char *p = colon + 1;
    while (p < end && meminfo_space(*p)) {
        p++;
    }
    if (hw_parse_u64(&p, end, &ln->value) != 0) {
        return -1;
    }
    const char *after = p;
    while (p < end && meminfo_space(*p)) {
        p++;
    }
    ln->has_kb = 0;
    if (p > after && (size_t)(end - p) >= 2 && memcmp(p, "kB", 2) == 0) {
        ln->has_kb = 1;
        p += 2;
        while (p < end && meminfo_space(*p)) {
            p++;
        }
    }
    return p == end ? 0 : -1;
}

/* Copies the well-known fields into the quick-access members. */
static void meminfo_quick(struct meminfo *mi, const struct meminfo_field *f)
{
    static const char *const names[] = {
        "MemTotal", "MemFree", "MemAvailable", "Buffers",   "Cached",   "SReclaimable",
        "Shmem",    "Active",  "Inactive",     "SwapTotal", "SwapFree",
    };
    double *const dst[] = {
        &mi->mem_total, &mi->mem_free,     &mi->mem_available, &mi->buffers,
        &mi->cached,    &mi->sreclaimable, &mi->shmem,         &mi->active,
        &mi->inactive,  &mi->swap_total,   &mi->swap_free,
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(f->name, names[i]) == 0) {
            *dst[i] = meminfo_field_bytes(f);
            mi->has_mem_total |= (dst[i] == &mi->mem_total);
            mi->has_mem_available |= (dst[i] == &mi->mem_available);
            return;
        }
    }
}

/* Adds one parsed line; duplicates and lines beyond the cap are skipped. */
static void meminfo_add(struct meminfo *mi, const struct meminfo_line *ln)
{
    char name[MEMINFO_NAME_MAX];
    memcpy(name, ln->name, ln->name_len);
    name[ln->name_len] = '\0';
    if (mi->nfields >= MEMINFO_MAX_FIELDS || meminfo_find(mi, name)) {
        mi->nskipped++;
        return;
    }
    struct meminfo_field *f = &mi->fields[mi->nfields++];
    memcpy(f->name, name, ln->name_len + 1);
    f->value = ln->value;
    f->has_kb = ln->has_kb;
    meminfo_quick(mi, f);
}

int meminfo_parse(const char *text, size_t len, struct meminfo *out)
{
    if (!text || !out) {
        return -1;
    }
    memset(out, 0, sizeof(*out));
    const char *p = text;
    const char *const end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *stop = eol;
        if (stop > p && stop[-1] == '\r') {
            stop--;
        }
        if (stop > p) {
            struct meminfo_line ln;
            if (meminfo_split(p, stop, &ln) == 0) {
                meminfo_add(out, &ln);
            } else {
                out->nskipped++;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return (int)out->nfields;
}

double meminfo_field_bytes(const struct meminfo_field *f)
{
    if (!f->has_kb) {
        return (double)f->value;
    }
    if (f->value > UINT64_MAX / 1024) {
        return (double)UINT64_MAX;
    }
    return (double)(f->value * 1024);
}

const struct meminfo_field *meminfo_find(const struct meminfo *mi, const char *name)
{
    for (size_t i = 0; i < mi->nfields; i++) {
        if (strcmp(mi->fields[i].name, name) == 0) {
            return &mi->fields[i];
        }
    }
    return NULL;
}

int meminfo_name_valid(const char *name)
{
    size_t n = 0;
    for (; name[n] != '\0'; n++) {
        if (n + 1 >= MEMINFO_NAME_MAX || !meminfo_name_char(name[n])) {
            return 0;
        }
    }
    return n > 0;
}

/* node_exporter's key: "(" becomes "_", ")" is dropped, "_bytes" appended for kB fields. */
static int meminfo_key(const char *field, int has_kb, char *out, size_t len)
{
    if (!meminfo_name_valid(field)) {
        return -1;
    }
    char key[MEMINFO_NAME_MAX];
    size_t k = 0;
    for (const char *s = field; *s; s++) {
        if (*s == '(') {
            key[k++] = '_';
        } else if (*s != ')') {
            key[k++] = *s;
        }
    }
    key[k] = '\0';
    const int n = snprintf(out, len, "%s%s", key, has_kb ? "_bytes" : "");
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int meminfo_metric_name(const char *field, int has_kb, char *out, size_t len)
{
    char key[MEMINFO_NAME_MAX + 8];
    if (meminfo_key(field, has_kb, key, sizeof(key)) != 0) {
        return -1;
    }
    const int n = snprintf(out, len, "node_memory_%s", key);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int meminfo_metric_help(const char *field, int has_kb, char *out, size_t len)
{
    char key[MEMINFO_NAME_MAX + 8];
    if (meminfo_key(field, has_kb, key, sizeof(key)) != 0) {
        return -1;
    }
    const int n = snprintf(out, len, "Memory information field %s.", key);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static double meminfo_floor0(double v)
{
    return v > 0 ? v : 0;
}

int meminfo_host_usage(const struct meminfo *mi, enum meminfo_used_mode mode,
                       struct meminfo_usage *out)
{
    memset(out, 0, sizeof(*out));
    if (!mi->has_mem_total || mi->mem_total <= 0) {
        return -1;
    }
    out->total = mi->mem_total;
    out->free = mi->mem_free;
    out->available =
        mi->has_mem_available ? mi->mem_available : mi->mem_free + mi->buffers + mi->cached;
    if (mode == MEMINFO_USED_CWAGENT) {
        /* gopsutil v3 wraps around in uint64 when this goes negative; we floor it. */
        out->used = meminfo_floor0(mi->mem_total - mi->mem_free - mi->buffers - mi->cached -
                                   mi->sreclaimable);
    } else {
        out->used = meminfo_floor0(mi->mem_total - out->available);
    }
    out->used_percent = 100.0 * out->used / out->total;
    out->available_percent = 100.0 * out->available / out->total;
    return 0;
}
