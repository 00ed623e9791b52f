/* Growable byte buffer used by renderers and readers. */
#ifndef HW_BUF_H
#define HW_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct hw_buf {
    char *data; /* always NUL-terminated when len > 0 or after any append */
    size_t len, cap;
    int oom; /* set once an allocation failed; later appends are ignored */
};

void hw_buf_init(struct hw_buf *b);
void hw_buf_free(struct hw_buf *b);
void hw_buf_reset(struct hw_buf *b);
int hw_buf_reserve(struct hw_buf *b, size_t extra);
void hw_buf_append(struct hw_buf *b, const void *p, size_t n);
void hw_buf_puts(struct hw_buf *b, const char *s);
void hw_buf_putc(struct hw_buf *b, char c);
void hw_buf_printf(struct hw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a double in the shortest form that reads back exactly ("NaN", "+Inf", "-Inf"). */
void hw_buf_put_double(struct hw_buf *b, double v);
#define HW_DOUBLE_LEN 32
/* Formats v like hw_buf_put_double into out; returns the length. */
size_t hw_fmt_double(char out[HW_DOUBLE_LEN], double v);
void hw_buf_put_u64(struct hw_buf *b, unsigned long long v);
#define HW_U64_LEN 20
/* Writes v's decimal digits at out (no NUL); returns how many. */
size_t hw_fmt_u64(char out[HW_U64_LEN], uint64_t v);
/* Reads decimal digits at *p (at least one) and advances *p; -1 on overflow of 2^64-1 rather
 * than wrapping, so a corrupt value never turns into a plausible small one. */
int hw_parse_u64(const char **p, const char *end, uint64_t *out);
/* gzip (RFC 1952, zlib) of len bytes at data into out, replacing its contents; level 1..9, or
 * -1 for zlib's default. 0, -EINVAL (over 4 GiB), -ENOMEM or -EIO. */
int hw_buf_gzip(struct hw_buf *out, const void *data, size_t len, int level);
/* Reads a whole file (up to max bytes) into b; 0 or -errno. */
int hw_buf_read_file(struct hw_buf *b, const char *path, size_t max);

/* Room for one more element in a doubling array of elem-byte elements holding n of *cap (the
 * first allocation: `first` of them): the array, moved or not, or NULL when memory ran out (the
 * array and *cap are then as they were). */
void *hw_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first);

/* Standard base64 (RFC 4648, padded) of len bytes into out (4 * ceil(len / 3) + 1 bytes). */
void hw_base64(const void *in, size_t len, char *out);

#endif
