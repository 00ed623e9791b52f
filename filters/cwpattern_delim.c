/* Space-delimited filter patterns: [ip, user, ..., status = 4* && status != 403, bytes > 0]
 * compiled into named positions plus an expression over them, matched on the line split into
 * fields ("[...]" and "\"...\"" groups are one field each). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "cwpattern_int.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CWP_MAX_POS_DIGITS 9

/* Field names: CloudWatch's column-name alphabet [A-Za-z0-9_-]. */
static size_t cwp_fname_len(const struct cwp_parser *ps, size_t at)
{
    size_t n = 0;
    for (; at + n < ps->len; n++) {
        char c = ps->src[at + n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-')) {
            break;
        }
    }
    return n;
}

static int cwp_op_char(char c)
{
    return c == '=' || c == '!' || c == '<' || c == '>';
}

static int cwp_at_tok(const struct cwp_parser *ps, const char *tok)
{
    return ps->pos + 1 < ps->len && memcmp(ps->src + ps->pos, tok, 2) == 0;
}

/* Closes an && list into one node appended to the || list. */
static int cwp_close_into(struct cwp *p, struct cwp_list *ands, struct cwp_list *ors)
{
    size_t node = cwp_list_close(p, ands, CWP_N_AND);
    if (node == CWP_NONE) {
        return -1;
    }
    cwp_list_add(p, ors, node);
    return 0;
}

/* name op value { (&& | ||) name op value }, && binding tighter; the element's own name is
 * already read, later names may be any field of the pattern (resolved at the end). */
static int cwp_delim_conds(struct cwp_parser *ps, size_t field, size_t *out)
{
    struct cwp *p = ps->p;
    struct cwp_list ors = {CWP_NONE, CWP_NONE, 0}, ands = {CWP_NONE, CWP_NONE, 0};
    const char *tok = NULL;
    for (;;) {
        size_t ci = cwp_cond_add(p), node;
        if (ci == CWP_NONE) {
            return cwp_fail(ps, ps->pos, "out of memory");
        }
        p->conds[ci].ref = field;
        if (tok) {
            cwp_skip_ws(ps);
            p->conds[ci].ref = CWP_NONE;
            p->conds[ci].name_at = ps->pos;
            p->conds[ci].name_len = cwp_fname_len(ps, ps->pos);
            if (p->conds[ci].name_len == 0) {
                return cwp_fail(ps, ps->pos, "expected a field name after \"%s\"", tok);
            }
            ps->pos += p->conds[ci].name_len;
            cwp_skip_ws(ps);
        }
        int r = cwp_parse_op(ps, &p->conds[ci].op);
        if (r > 0) {
            return cwp_fail(ps, ps->pos, "expected an operator after the field name");
        }
        if (r < 0 || cwp_parse_value(ps, p->conds[ci].op, &p->conds[ci].v) != 0) {
            return -1;
        }
        node = cwp_node_add(p, CWP_N_COND, ci);
        if (node == CWP_NONE) {
            return cwp_fail(ps, ps->pos, "out of memory");
        }
        cwp_list_add(p, &ands, node);
        cwp_skip_ws(ps);
        if (!cwp_at_tok(ps, "&&") && !cwp_at_tok(ps, "||")) {
            break;
        }
        tok = cwp_at_tok(ps, "&&") ? "&&" : "||";
        ps->pos += 2;
        if (tok[0] == '|' && cwp_close_into(p, &ands, &ors) != 0) {
            return cwp_fail(ps, ps->pos, "out of memory");
        }
    }
    if (cwp_close_into(p, &ands, &ors) != 0) {
        return cwp_fail(ps, ps->pos, "out of memory");
    }
    *out = cwp_list_close(p, &ors, CWP_N_OR);
    return *out == CWP_NONE ? cwp_fail(ps, ps->pos, "out of memory") : 0;
}

/* A named element: "$name" (names are unique), then its conditions when an operator follows. */
static int cwp_delim_named(struct cwp_parser *ps, size_t idx, size_t n, struct cwp_list *all)
{
    struct cwp *p = ps->p;
    size_t at = ps->pos;
    for (size_t i = 0; i < idx; i++) {
        const char *name = p->dfields[i].name;
        if (name && strlen(name + 1) == n && memcmp(name + 1, ps->src + at, n) == 0) {
            return cwp_fail(ps, at, "duplicate field name \"%.*s\"", (int)n, ps->src + at);
        }
    }
    char *name = malloc(n + 2);
    if (!name) {
        return cwp_fail(ps, at, "out of memory");
    }
    name[0] = '$';
    memcpy(name + 1, ps->src + at, n);
    name[n + 1] = '\0';
    p->dfields[idx].name = name;
    ps->pos += n;
    cwp_skip_ws(ps);
    if (ps->pos >= ps->len || !cwp_op_char(ps->src[ps->pos])) {
        return 0;
    }
    size_t node;
    if (cwp_delim_conds(ps, idx, &node) != 0) {
        return -1;
    }
    cwp_list_add(p, all, node);
    return 0;
}

/* element := "..." | name [ conditions ] | nothing (an unnamed field, e.g. a trailing ","). */
static int cwp_delim_element(struct cwp_parser *ps, struct cwp_list *all)
{
    struct cwp *p = ps->p;
    size_t at = ps->pos, idx = p->ndfields;
    void *grown = hw_grow(p->dfields, &p->dfields_cap, idx, sizeof(*p->dfields), 8);
    if (!grown) {
        return cwp_fail(ps, at, "out of memory");
    }
    p->dfields = grown;
    p->dfields[idx].name = NULL;
    if (++p->ndfields > CWP_MAX_FIELDS) {
        return cwp_fail(ps, at, "more than %d fields", CWP_MAX_FIELDS);
    }
    if (ps->len - at >= 3 && memcmp(ps->src + at, "...", 3) == 0) {
        if (p->ellipsis != CWP_NONE) {
            return cwp_fail(ps, at, "\"...\" may appear once");
        }
        p->ellipsis = idx;
        ps->pos += 3;
        cwp_skip_ws(ps);
        if (ps->pos < ps->len && cwp_op_char(ps->src[ps->pos])) {
            return cwp_fail(ps, ps->pos, "a condition cannot apply to \"...\"");
        }
        return 0;
    }
    size_t n = cwp_fname_len(ps, at);
    if (n > 0) {
        return cwp_delim_named(ps, idx, n, all);
    }
    char c = at < ps->len ? ps->src[at] : '\0';
    if (c == ']' && idx == 0) {
        return cwp_fail(ps, at, "expected a field name after \"[\"");
    }
    return c == ',' || c == ']' ? 0 : cwp_fail(ps, at, "expected a field name");
}

/* Binds condition names written after && / || to the pattern's fields. */
static int cwp_delim_resolve(struct cwp_parser *ps)
{
    struct cwp *p = ps->p;
    for (size_t i = 0; i < p->nconds; i++) {
        struct cwp_cond *c = &p->conds[i];
        for (size_t f = 0; c->ref == CWP_NONE && f < p->ndfields; f++) {
            const char *name = p->dfields[f].name;
            if (name && strlen(name + 1) == c->name_len &&
                memcmp(name + 1, ps->src + c->name_at, c->name_len) == 0) {
                c->ref = f;
            }
        }
        if (c->ref == CWP_NONE) {
            return cwp_fail(ps, c->name_at, "unknown field \"%.*s\"", (int)c->name_len,
                            ps->src + c->name_at);
        }
    }
    return 0;
}

/* The longest string an "=" condition needs verbatim in its field, taken only from
 * conditions every match must satisfy (no || above them). Field values are slices of the
 * line, so the literal is in the line too; numeric "=" compares values, so it gives none. */
static void cwp_delim_literal(struct cwp *p, size_t node)
{
    const struct cwp_node *nd = &p->nodes[node];
    if (nd->type == CWP_N_AND) {
        for (size_t c = nd->arg; c != CWP_NONE; c = p->nodes[c].next) {
            cwp_delim_literal(p, c);
        }
        return;
    }
    if (nd->type == CWP_N_COND) {
        const struct cwp_cond *c = &p->conds[nd->arg];
        if (c->op == CWP_EQ && c->v.kind == CWP_V_STR && c->v.len > p->literal_len) {
            p->literal = c->v.text;
            p->literal_len = c->v.len;
        }
    }
}

int cwp_delim_compile(struct cwp_parser *ps)
{
    struct cwp *p = ps->p;
    struct cwp_list all = {CWP_NONE, CWP_NONE, 0};
    ps->pos++; /* "[" */
    for (;;) {
        cwp_skip_ws(ps);
        if (cwp_delim_element(ps, &all) != 0) {
            return -1;
        }
        cwp_skip_ws(ps);
        if (ps->pos >= ps->len) {
            return cwp_fail(ps, ps->pos, "expected \"]\" at the end of the delimited pattern");
        }
        char c = ps->src[ps->pos++];
        if (c == ']') {
            break;
        }
        if (c != ',') {
            return cwp_fail(ps, ps->pos - 1, "expected \",\" or \"]\"");
        }
    }
    cwp_skip_ws(ps);
    if (ps->pos < ps->len) {
        return cwp_fail(ps, ps->pos, "unexpected text after \"]\"");
    }
    if (cwp_delim_resolve(ps) != 0) {
        return -1;
    }
    if (all.count > 0) {
        p->root = cwp_list_close(p, &all, CWP_N_AND);
        if (p->root == CWP_NONE) {
            return cwp_fail(ps, 0, "out of memory");
        }
        cwp_delim_literal(p, p->root);
    }
    return 0;
}

/* ---- matching -------------------------------------------------------------------------- */

static int cwp_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* End of a "..." group starting after the quote at i (a backslash escapes the next byte). */
static const char *cwp_quote_end(const char *line, size_t i, size_t len)
{
    for (; i < len; i++) {
        if (line[i] == '\\') {
            i++;
        } else if (line[i] == '"') {
            return line + i;
        }
    }
    return NULL;
}

/* Splits line into at most max fields (offset, length pairs in m->spans): blank runs
 * separate fields; a [...] or "..." group is one field without its brackets or quotes; an
 * unterminated group is an ordinary field. */
static int cwp_delim_split(const char *line, size_t len, struct cwp_match *m, size_t max)
{
    size_t i = 0;
    m->nspans = 0;
    while (m->nspans < max) {
        while (i < len && cwp_blank(line[i])) {
            i++;
        }
        if (i >= len) {
            break;
        }
        const char *close = NULL;
        size_t start = i, end;
        if (line[i] == '[') {
            close = memchr(line + i + 1, ']', len - i - 1);
        } else if (line[i] == '"') {
            close = cwp_quote_end(line, i + 1, len);
        }
        if (close) {
            start = i + 1;
            end = (size_t)(close - line);
            i = end + 1;
        } else {
            for (end = i; end < len && !cwp_blank(line[end]); end++) {
            }
            i = end;
        }
        void *grown = hw_grow(m->spans, &m->spans_cap, 2 * m->nspans + 1, sizeof(size_t), 8);
        if (!grown) {
            return -1;
        }
        m->spans = grown;
        m->spans[2 * m->nspans] = start;
        m->spans[2 * m->nspans + 1] = end - start;
        m->nspans++;
    }
    return 0;
}

/* The line field a pattern field stands for: fields after "..." count from the end. */
static size_t cwp_delim_pos(const struct cwp *p, size_t field, size_t nspans)
{
    if (p->ellipsis == CWP_NONE || field < p->ellipsis) {
        return field;
    }
    return nspans - (p->ndfields - field);
}

static int cwp_delim_cond_eval(const struct cwp *p, const struct cwp_cond *c, void *ctx)
{
    struct cwp_match *m = ctx;
    size_t k = cwp_delim_pos(p, c->ref, m->nspans);
    const char *s = m->line + m->spans[2 * k];
    size_t n = m->spans[2 * k + 1];
    double num = 0;
    int is_num = c->v.kind == CWP_V_NUM && cwp_number_text(s, n, &num) == 0;
    return cwp_compare(p, c, s, n, is_num, num, m);
}

/* The pattern field standing for line field k, or CWP_NONE when "..." absorbed it. */
static size_t cwp_delim_field_of(const struct cwp *p, size_t k, size_t nspans)
{
    size_t after = p->ellipsis == CWP_NONE ? 0 : p->ndfields - p->ellipsis - 1;
    if (p->ellipsis == CWP_NONE || k < p->ellipsis) {
        return k;
    }
    return k >= nspans - after ? p->ndfields - (nspans - k) : CWP_NONE;
}

/* Named fields first (they always fit), then the others as "$<position>" while room. */
static int cwp_delim_extract(const struct cwp *p, struct cwp_match *m)
{
    for (size_t f = 0; f < p->ndfields; f++) {
        if (p->dfields[f].name) {
            size_t k = cwp_delim_pos(p, f, m->nspans);
            (void)cwp_field_add(m, p->dfields[f].name, m->line + m->spans[2 * k],
                                m->spans[2 * k + 1]);
        }
    }
    for (size_t k = 0; k < m->nspans && m->nfields < CWP_MAX_FIELDS; k++) {
        size_t f = cwp_delim_field_of(p, k, m->nspans);
        if (f != CWP_NONE && p->dfields[f].name) {
            continue;
        }
        char buf[24];
        int n = snprintf(buf, sizeof(buf), "$%zu", k + 1);
        const char *name = n > 0 ? cwp_scratch_put(m, buf, (size_t)n) : NULL;
        if (!name) {
            return -1;
        }
        (void)cwp_field_add(m, name, m->line + m->spans[2 * k], m->spans[2 * k + 1]);
    }
    return 1;
}

int cwp_delim_match(const struct cwp *p, const char *line, size_t len, struct cwp_match *m)
{
    size_t nf = p->ndfields;
    if (cwp_delim_split(line, len, m, p->ellipsis == CWP_NONE ? nf + 1 : (size_t)-1) != 0) {
        return -1;
    }
    if (p->ellipsis == CWP_NONE ? m->nspans != nf : m->nspans < nf - 1) {
        return 0;
    }
    m->line = line;
    if (p->root != CWP_NONE) {
        int r = cwp_eval(p, p->root, cwp_delim_cond_eval, m);
        if (r != 1) {
            return r;
        }
    }
    return cwp_delim_extract(p, m);
}

int cwp_delim_lookup(const struct cwp_match *m, const char *name, const char **value, size_t *len)
{
    size_t k = 0, i = 1;
    if (!m->line || name[0] != '$') {
        return 0;
    }
    for (; name[i] >= '0' && name[i] <= '9' && i <= CWP_MAX_POS_DIGITS; i++) {
        k = k * 10 + (size_t)(name[i] - '0');
    }
    if (i == 1 || name[i] != '\0' || k == 0 || k > m->nspans) {
        return 0;
    }
    *value = m->line + m->spans[2 * (k - 1)];
    *len = m->spans[2 * (k - 1) + 1];
    return 1;
}
