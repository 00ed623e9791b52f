#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZLIB_CONST
#include <zlib.h>

void hw_buf_init(struct hw_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void hw_buf_free(struct hw_buf *b)
{
    free(b->data);
    hw_buf_init(b);
}

void hw_buf_reset(struct hw_buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->data) {
        b->data[0] = '\0';
    }
}

int hw_buf_reserve(struct hw_buf *b, size_t extra)
{
    if (b->oom) {
        return -1;
    }
    if (b->len + extra + 1 <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void hw_buf_append(struct hw_buf *b, const void *p, size_t n)
{
    if (hw_buf_reserve(b, n) != 0) {
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void hw_buf_puts(struct hw_buf *b, const char *s)
{
    hw_buf_append(b, s, strlen(s));
}

void hw_buf_putc(struct hw_buf *b, char c)
{
    if (hw_buf_reserve(b, 1) != 0) {
        return;
    }
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void hw_buf_printf(struct hw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || hw_buf_reserve(b, (size_t)n) != 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

size_t hw_fmt_u64(char out[HW_U64_LEN], uint64_t v)
{
    char tmp[HW_U64_LEN];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, tmp + i, sizeof(tmp) - i);
    return sizeof(tmp) - i;
}

void hw_buf_put_u64(struct hw_buf *b, unsigned long long v)
{
    char tmp[HW_U64_LEN];
    size_t n = hw_fmt_u64(tmp, (uint64_t)v);
    hw_buf_append(b, tmp, n);
}

/* Integers print exactly (the common case: bytes, counts); others in the shortest %g that
 * round-trips, so output is both compact and lossless. */
size_t hw_fmt_double(char out[HW_DOUBLE_LEN], double v)
{
    if (isnan(v)) {
        return (size_t)snprintf(out, HW_DOUBLE_LEN, "NaN");
    }
    if (isinf(v)) {
        return (size_t)snprintf(out, HW_DOUBLE_LEN, "%s", v > 0 ? "+Inf" : "-Inf");
    }
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v) {
        return (size_t)snprintf(out, HW_DOUBLE_LEN, "%lld", (long long)v);
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, HW_DOUBLE_LEN, "%.*g", prec, v);
        if (strtod(out, NULL) == v) {
            break;
        }
    }
    return (size_t)n;
}

void hw_buf_put_double(struct hw_buf *b, double v)
{
    char tmp[HW_DOUBLE_LEN];
    size_t n = hw_fmt_double(tmp, v);
    hw_buf_append(b, tmp, n);
}

int hw_parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || *s < '0' || *s > '9') {
        return -1;
    }
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        const uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -1;
        }
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return 0;
}

int hw_buf_read_file(struct hw_buf *b, const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    hw_buf_reset(b);
    int rc = 0;
    for (;;) {
        if (b->len >= max) {
            rc = -EFBIG;
            break;
        }
        size_t want = max - b->len < 4096 ? max - b->len : 4096;
        if (hw_buf_reserve(b, want) != 0) {
            rc = -ENOMEM;
            break;
        }
        ssize_t n = read(fd, b->data + b->len, want);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = -errno;
            break;
        }
        if (n == 0) {
            break;
        }
        b->len += (size_t)n;
        b->data[b->len] = '\0';
    }
    close(fd);
    return rc;
}

int hw_buf_gzip(struct hw_buf *out, const void *data, size_t len, int level)
{
    if (len > UINT_MAX) {
        return -EINVAL;
    }
    hw_buf_reset(out);
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return -ENOMEM;
    }
    const uLong bound = deflateBound(&z, (uLong)len);
    int rc = -ENOMEM;
    if (hw_buf_reserve(out, bound) == 0) {
        z.next_in = data;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)out->data;
        z.avail_out = (uInt)bound;
        rc = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : -EIO;
    }
    if (rc == 0) {
        out->len = z.total_out;
        out->data[out->len] = '\0';
    }
    deflateEnd(&z);
    return rc;
}

void *hw_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap) {
        return v;
    }
    const size_t c = *cap ? *cap * 2 : first;
    if (c < *cap || c > SIZE_MAX / elem) {
        return NULL;
    }
    void *p = realloc(v, c * elem);
    if (p) {
        *cap = c;
    }
    return p;
}

void hw_base64(const void *in, size_t len, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = in;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        v |= i + 1 < len ? (unsigned)p[i + 1] << 8 : 0;
        v |= i + 2 < len ? p[i + 2] : 0;
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
}
