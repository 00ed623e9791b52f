#include "mountinfo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void mountinfo_init(struct mountinfo *mi)
{
    memset(mi, 0, sizeof(*mi));
}

void mountinfo_free(struct mountinfo *mi)
{
    free(mi->v);
    free(mi->text);
    mountinfo_init(mi);
}

static int is_octal(char c)
{
    return c >= '0' && c <= '7';
}

size_t mountinfo_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (r[0] == '\\' && is_octal(r[1]) && is_octal(r[2]) && is_octal(r[3])) {
            unsigned v =
                (unsigned)(r[1] - '0') * 64 + (unsigned)(r[2] - '0') * 8 + (unsigned)(r[3] - '0');
            /* \000 would cut the string and values above 0377 are not bytes: keep them. */
            if (v != 0 && v <= 0377) {
                *w++ = (char)v;
                r += 4;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
    return (size_t)(w - s);
}

int mountinfo_has_opt(const char *opts, const char *name)
{
    const size_t nl = strlen(name);
    for (const char *p = opts; p && *p;) {
        const char *comma = strchr(p, ',');
        const size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == nl && strncmp(p, name, nl) == 0) {
            return 1;
        }
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

int mountinfo_readonly(const struct mountinfo_entry *e)
{
    return mountinfo_has_opt(e->mount_opts, "ro") || mountinfo_has_opt(e->super_opts, "ro") ||
           mountinfo_has_opt(e->super_opts, "emergency_ro");
}

/* Cuts the next space-separated field out of *cur (NUL-terminating it) and advances *cur;
 * fields may be empty (an empty mount source prints as two spaces). NULL at the line's end. */
static char *next_field(char **cur)
{
    char *p = *cur;
    if (!p) {
        return NULL;
    }
    char *sp = strchr(p, ' ');
    if (sp) {
        *sp = '\0';
        *cur = sp + 1;
    } else {
        *cur = NULL;
    }
    return p;
}

/* Strict decimal: digits only, no sign or spaces, no overflow. */
static int parse_ulong(const char *s, unsigned long *out)
{
    unsigned long v = 0;
    if (!*s) {
        return -1;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return -1;
        }
        const unsigned long d = (unsigned long)(*s - '0');
        if (v > (~0ul - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_devno(char *s, unsigned *major, unsigned *minor)
{
    char *colon = strchr(s, ':');
    unsigned long ma, mi;
    if (!colon) {
        return -1;
    }
    *colon = '\0';
    if (parse_ulong(s, &ma) != 0 || parse_ulong(colon + 1, &mi) != 0 || ma > ~0u || mi > ~0u) {
        return -1;
    }
    *major = (unsigned)ma;
    *minor = (unsigned)mi;
    return 0;
}

/* Splits off the optional fields, which run up to a field that is exactly "-". Returns them
 * (joined by spaces, possibly "") and leaves *cur after the separator; NULL when it is missing. */
static const char *split_optional(char **cur)
{
    char *start = *cur;
    for (char *p = start; p;) {
        char *sp = strchr(p, ' ');
        const size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (len == 1 && *p == '-') {
            *cur = sp ? sp + 1 : NULL;
            if (p == start) {
                return "";
            }
            p[-1] = '\0';
            return start;
        }
        p = sp ? sp + 1 : NULL;
    }
    return NULL;
}

/* Parses one NUL-terminated line in place into e; -1 when it is malformed. */
static int parse_line(char *line, struct mountinfo_entry *e)
{
    char *cur = line;
    char *id = next_field(&cur), *parent = next_field(&cur), *devno = next_field(&cur);
    char *root = next_field(&cur), *mnt = next_field(&cur), *opts = next_field(&cur);
    if (!opts || parse_ulong(id, &e->mount_id) != 0 || parse_ulong(parent, &e->parent_id) != 0 ||
        parse_devno(devno, &e->major, &e->minor) != 0 || !*root || !*mnt || !*opts) {
        return -1;
    }
    e->optional = split_optional(&cur);
    char *fstype = next_field(&cur), *source = next_field(&cur), *super = next_field(&cur);
    if (!e->optional || !source || !*fstype) {
        return -1;
    }
    /* Later kernels may append fields after the superblock options: ignore them. */
    mountinfo_unescape(root);
    mountinfo_unescape(mnt);
    mountinfo_unescape(fstype);
    mountinfo_unescape(source);
    e->root = root;
    e->mountpoint = mnt;
    e->mount_opts = opts;
    e->fstype = fstype;
    e->source = source;
    e->super_opts = super ? super : "";
    return 0;
}

/* Makes room for one more entry, growing geometrically up to the mount limit. */
static int reserve_entry(struct mountinfo *mi)
{
    if (mi->n < mi->cap) {
        return 0;
    }
    size_t cap = mi->cap ? mi->cap * 2 : 32;
    if (cap > MOUNTINFO_MAX_MOUNTS) {
        cap = MOUNTINFO_MAX_MOUNTS;
    }
    struct mountinfo_entry *v = realloc(mi->v, cap * sizeof(*v));
    if (!v) {
        return -ENOMEM;
    }
    mi->v = v;
    mi->cap = cap;
    return 0;
}

/* Copies the input once so the entries can point at unescaped strings without a malloc each. */
static int copy_text(struct mountinfo *mi, const char *text, size_t len)
{
    if (len + 1 > mi->text_cap) {
        char *t = realloc(mi->text, len + 1);
        if (!t) {
            return -ENOMEM;
        }
        mi->text = t;
        mi->text_cap = len + 1;
    }
    if (len > 0) {
        memcpy(mi->text, text, len);
    }
    mi->text[len] = '\0';
    return 0;
}

int mountinfo_parse(struct mountinfo *mi, const char *text, size_t len)
{
    mi->n = mi->malformed = mi->truncated = 0;
    int rc = copy_text(mi, text, len);
    if (rc != 0) {
        return rc;
    }
    char *p = mi->text;
    char *const end = mi->text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *line = p;
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p = end;
        }
        if (*line == '\0') {
            continue;
        }
        struct mountinfo_entry e;
        if (parse_line(line, &e) != 0) {
            mi->malformed++;
            continue;
        }
        if (mi->n == MOUNTINFO_MAX_MOUNTS) {
            mi->truncated++;
            continue;
        }
        rc = reserve_entry(mi);
        if (rc != 0) {
            mi->n = 0;
            return rc;
        }
        mi->v[mi->n++] = e;
    }
    return 0;
}
