/* Collects every configuration error so the user sees them all at once. */
#ifndef HW_DIAG_H
#define HW_DIAG_H

#include <stddef.h>

struct hw_diag {
    const char *file; /* config file name used as the message prefix */
    char **msgs;      /* formatted "FILE: path: message" lines */
    size_t n, cap;
};

void hw_diag_init(struct hw_diag *d, const char *file);
void hw_diag_free(struct hw_diag *d);
/* Adds "FILE: path: message" (path may be NULL or empty). */
void hw_diag_add(struct hw_diag *d, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds "FILE:LINE:COL: message" for a parse error. */
void hw_diag_add_pos(struct hw_diag *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
size_t hw_diag_count(const struct hw_diag *d);
/* Joins "path.key" or "path[idx]" into buf; returns buf. */
const char *hw_path_key(char *buf, size_t len, const char *path, const char *key);
const char *hw_path_idx(char *buf, size_t len, const char *path, size_t idx);

#endif
