/* Messages of the importers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

void hw_import_init(struct hw_import *im)
{
    memset(im, 0, sizeof(*im));
}

static void msgs_free(struct hw_import_msgs *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i]);
    }
    free(m->v);
    memset(m, 0, sizeof(*m));
}

void hw_import_free(struct hw_import *im)
{
    msgs_free(&im->warn);
    msgs_free(&im->err);
}

/* An error that cannot be stored is still an error: the slot is kept as NULL. */
static void msgs_add(struct hw_import_msgs *m, const char *path, const char *fmt, va_list ap)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        char **v = realloc(m->v, cap * sizeof(*v));
        if (!v) {
            return;
        }
        m->v = v;
        m->cap = cap;
    }
    char body[1024];
    vsnprintf(body, sizeof(body), fmt, ap);
    size_t len = strlen(body) + (path ? strlen(path) + 2 : 0) + 1;
    char *s = malloc(len);
    if (s) {
        snprintf(s, len, "%s%s%s", path ? path : "", path ? ": " : "", body);
    }
    m->v[m->n++] = s;
}

void hw_import_warn(struct hw_import *im, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msgs_add(&im->warn, path, fmt, ap);
    va_end(ap);
}

void hw_import_error(struct hw_import *im, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msgs_add(&im->err, path, fmt, ap);
    va_end(ap);
}
