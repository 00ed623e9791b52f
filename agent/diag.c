#include "diag.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hw_diag_init(struct hw_diag *d, const char *file)
{
    memset(d, 0, sizeof(*d));
    d->file = file;
}

void hw_diag_free(struct hw_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->msgs[i]);
    }
    free(d->msgs);
    d->msgs = NULL;
    d->n = d->cap = 0;
}

static void diag_push(struct hw_diag *d, const char *prefix, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    char ** p = hw_grow(d->msgs, &d->cap, d->n, sizeof(*p), 8);
    if (!p) {
        return;
    }
    d->msgs = p;
    size_t len = strlen(prefix) + strlen(msg) + 1;
    char *line = malloc(len);
    if (!line) {
        return;
    }
    snprintf(line, len, "%s%s", prefix, msg);
    d->msgs[d->n++] = line;
}

void hw_diag_add(struct hw_diag *d, const char *path, const char *fmt, ...)
{
    char prefix[1024];
    if (path && *path) {
        snprintf(prefix, sizeof(prefix), "%s: %s: ", d->file, path);
    } else {
        snprintf(prefix, sizeof(prefix), "%s: ", d->file);
    }
    va_list ap;
    va_start(ap, fmt);
    diag_push(d, prefix, fmt, ap);
    va_end(ap);
}

void hw_diag_add_pos(struct hw_diag *d, int line, int col, const char *fmt, ...)
{
    char prefix[1024];
    snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", d->file, line, col);
    va_list ap;
    va_start(ap, fmt);
    diag_push(d, prefix, fmt, ap);
    va_end(ap);
}

size_t hw_diag_count(const struct hw_diag *d)
{
    return d->n;
}

const char *hw_path_key(char *buf, size_t len, const char *path, const char *key)
{
    if (path && *path) {
        snprintf(buf, len, "%s.%s", path, key);
    } else {
        snprintf(buf, len, "%s", key);
    }
    return buf;
}

const char *hw_path_idx(char *buf, size_t len, const char *path, size_t idx)
{
    snprintf(buf, len, "%s[%zu]", path ? path : "", idx);
    return buf;
}
