/* The helpers every filter-pattern family shares (cwpattern.c's terms, cwpattern_expr.c,
 * cwpattern_json.c, cwpattern_delim.c): parse errors, white space, the match's scratch text and
 * fields. They live apart from the entry points so no family calls back into cwpattern.c. */
#include "cwpattern_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* An earlier scratch buffer kept alive because returned values still point into it. */
struct cwp_old {
    struct cwp_old *next;
    char *buf;
};

/* Records the first error only (message, 1-based column) so callers can just propagate -1. */
int cwp_fail(struct cwp_parser *ps, size_t at, const char *fmt, ...)
{
    if (ps->failed) {
        return -1; /* the first error is the one reported */
    }
    ps->failed = 1;
    if (ps->err && ps->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err, ps->errlen, fmt, ap);
        va_end(ap);
    }
    if (ps->col) {
        *ps->col = at + 1;
    }
    return -1;
}

int cwp_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void cwp_skip_ws(struct cwp_parser *ps)
{
    while (ps->pos < ps->len && cwp_is_ws(ps->src[ps->pos])) {
        ps->pos++;
    }
}

int cwp_is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ---- match scratch --------------------------------------------------------------------- */

void cwp_retired_free(struct cwp_match *m)
{
    struct cwp_old *o = m->retired;
    while (o) {
        struct cwp_old *next = o->next;
        free(o->buf);
        free(o);
        o = next;
    }
    m->retired = NULL;
}

/* Copies s into scratch. A full buffer is replaced, not realloc'ed, so values handed out
 * earlier in this match stay valid; old buffers go when the next match starts. */
const char *cwp_scratch_put(struct cwp_match *m, const char *s, size_t len)
{
    if (m->scratch_cap - m->scratch_len < len + 1) {
        size_t cap = m->scratch_cap ? m->scratch_cap * 2 : 256;
        while (cap < len + 1) {
            cap *= 2;
        }
        char *buf = malloc(cap);
        if (!buf) {
            return NULL;
        }
        if (m->scratch && m->scratch_len > 0) {
            struct cwp_old *o = malloc(sizeof(*o));
            if (!o) {
                free(buf);
                return NULL;
            }
            o->buf = m->scratch;
            o->next = m->retired;
            m->retired = o;
        } else {
            free(m->scratch);
        }
        m->scratch = buf;
        m->scratch_cap = cap;
        m->scratch_len = 0;
    }
    char *dst = m->scratch + m->scratch_len;
    memcpy(dst, s, len);
    dst[len] = '\0';
    m->scratch_len += len + 1;
    return dst;
}

int cwp_field_add(struct cwp_match *m, const char *name, const char *value, size_t len)
{
    if (m->nfields >= CWP_MAX_FIELDS) {
        return -1;
    }
    m->fields[m->nfields].name = name;
    m->fields[m->nfields].value = value;
    m->fields[m->nfields].len = len;
    m->nfields++;
    return 0;
}

/* ---- term patterns --------------------------------------------------------------------- */
