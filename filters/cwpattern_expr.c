/* Values and expressions shared by the JSON and delimited families: quoted strings, numbers,
 * '*' wildcards, %regex% (PCRE2 with CloudWatch's character set and match limits), comparison
 * operators, and the AND/OR trees conditions are combined into. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, strndup */
#endif
#include "cwpattern_int.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cwp_op_names[] = {"=", "!=", "<", "<=", ">", ">="};

/* ---- values ---------------------------------------------------------------------------- */

void cwp_value_free(struct cwp_value *v)
{
    free(v->text);
    pcre2_code_free(v->re);
    v->text = NULL;
    v->re = NULL;
}

/* Reads the "..." at ps->pos: \" and \\ are escapes, any other backslash is literal. With
 * glob, \* is an escape too and an unescaped '*' first or last becomes *lead / *trail. */
int cwp_parse_quoted(struct cwp_parser *ps, int glob, char **out, size_t *outlen, int *lead,
                     int *trail)
{
    size_t open = ps->pos, i = open + 1, n = 0;
    int last_escaped = 0;
    char *buf = malloc(ps->len - open);
    if (!buf) {
        return cwp_fail(ps, open, "out of memory");
    }
    while (i < ps->len && ps->src[i] != '"') {
        char c = ps->src[i];
        last_escaped = 0;
        if (c == '\\' && i + 1 < ps->len &&
            (ps->src[i + 1] == '"' || ps->src[i + 1] == '\\' || (glob && ps->src[i + 1] == '*'))) {
            c = ps->src[++i];
            last_escaped = 1;
        }
        buf[n++] = c;
        i++;
    }
    if (i >= ps->len) {
        free(buf);
        return cwp_fail(ps, open, "unterminated quoted phrase");
    }
    ps->pos = i + 1;
    *lead = glob && n > 0 && ps->src[open + 1] == '*';
    *trail = glob && n > (size_t)*lead && buf[n - 1] == '*' && !last_escaped;
    if (*lead) {
        memmove(buf, buf + 1, --n);
    }
    n -= (size_t)*trail;
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

/* CloudWatch's documented regex alphabet: letters, digits, _ # = @ / ; , - : and the
 * operators ^ $ ? [ ] { } | \ * + . -- no groups, no spaces, no multi-byte characters. */
static int cwp_regex_char_ok(unsigned char c)
{
    return cwp_is_alnum(c) || (c != '\0' && strchr("_#=@/;,-:^$?[]{}|\\*+.", c) != NULL);
}

/* Compiles the %regex% at ps->pos into v (JIT when available, limits via the pattern's
 * match context) after checking it against CloudWatch's character set. */
int cwp_parse_regex(struct cwp_parser *ps, struct cwp_value *v)
{
    size_t open = ps->pos, body = open + 1;
    const char *end = memchr(ps->src + body, '%', ps->len - body);
    if (!end) {
        return cwp_fail(ps, open, "unterminated %%regex%%");
    }
    size_t n = (size_t)(end - (ps->src + body));
    if (n == 0) {
        return cwp_fail(ps, open, "empty %%regex%%");
    }
    for (size_t i = body; i < body + n; i++) {
        unsigned char c = (unsigned char)ps->src[i];
        if (c == '(' || c == ')') {
            return cwp_fail(ps, i, "\"%c\" is not supported in a regex (CloudWatch has no groups)",
                            c);
        }
        if (c == ' ') {
            return cwp_fail(ps, i, "a space is not allowed in a regex (use \\s)");
        }
        if (!cwp_regex_char_ok(c)) {
            return cwp_fail(ps, i,
                            c > 0x20 && c < 0x7f ? "character \"%c\" is not allowed in a regex"
                                                 : "byte 0x%02x is not allowed in a regex",
                            c);
        }
    }
    struct cwp *p = ps->p;
    if (!p->mctx) {
        p->mctx = pcre2_match_context_create(NULL);
        if (!p->mctx || pcre2_set_match_limit(p->mctx, CWP_MATCH_LIMIT) != 0 ||
            pcre2_set_depth_limit(p->mctx, CWP_DEPTH_LIMIT) != 0) {
            return cwp_fail(ps, open, "out of memory");
        }
    }
    int code;
    PCRE2_SIZE off;
    v->kind = CWP_V_REGEX;
    v->re = pcre2_compile((PCRE2_SPTR)(ps->src + body), n, PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &code,
                          &off, NULL);
    if (!v->re) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0) {
            snprintf((char *)msg, sizeof(msg), "error %d", code);
        }
        return cwp_fail(ps, body + off, "invalid regular expression: %s", (const char *)msg);
    }
    (void)pcre2_jit_compile(v->re, PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
    v->text = strndup(ps->src + body, n);
    if (!v->text) {
        return cwp_fail(ps, open, "out of memory");
    }
    v->len = n;
    p->nregex++;
    ps->pos = body + n + 1;
    return 0;
}

/* 1 when s[0..n) is a CloudWatch number: [+-] digits [. digits] [e [+-] digits]. */
static int cwp_number_syntax(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        i++;
    }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        digits++;
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            digits++;
        }
    }
    if (digits == 0) {
        return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            i++;
        }
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            exp++;
        }
        if (exp == 0) {
            return 0;
        }
    }
    return i == n;
}

int cwp_number_text(const char *s, size_t n, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof(tmp) || !cwp_number_syntax(s, n)) {
        return -1;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

static int cwp_bare_char(unsigned char c)
{
    return cwp_is_alnum(c) || (c != '\0' && strchr("_.*+:/-", c) != NULL);
}

/* Stores an unquoted value: a number when it reads as one, otherwise a string with '*'
 * wildcards allowed first and last (a '*' elsewhere is literal, as CloudWatch documents). */
static int cwp_bare_value(struct cwp_parser *ps, size_t at, size_t n, struct cwp_value *v)
{
    const char *s = ps->src + at;
    if (cwp_number_syntax(s, n)) {
        v->kind = CWP_V_NUM;
        if (cwp_number_text(s, n, &v->num) != 0) {
            return cwp_fail(ps, at, "number too long");
        }
    } else {
        v->kind = CWP_V_STR;
        v->lead = s[0] == '*';
        v->trail = n > (size_t)v->lead && s[n - 1] == '*';
        s += v->lead;
        n -= (size_t)v->lead + (size_t)v->trail;
    }
    v->text = strndup(s, n);
    if (!v->text) {
        return cwp_fail(ps, at, "out of memory");
    }
    v->len = n;
    return 0;
}

/* Reads a comparison operator; 0 read, 1 none here, -1 an unknown one (error set). */
int cwp_parse_op(struct cwp_parser *ps, enum cwp_op *op)
{
    size_t at = ps->pos, n = 0;
    while (at + n < ps->len && ps->src[at + n] != '\0' && strchr("=!<>", ps->src[at + n])) {
        n++;
    }
    if (n == 0) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(cwp_op_names) / sizeof(cwp_op_names[0]); i++) {
        if (strlen(cwp_op_names[i]) == n && memcmp(cwp_op_names[i], ps->src + at, n) == 0) {
            *op = (enum cwp_op)i;
            ps->pos += n;
            return 0;
        }
    }
    return cwp_fail(ps, at, "unknown operator \"%.*s\"", (int)n, ps->src + at);
}

int cwp_parse_value(struct cwp_parser *ps, enum cwp_op op, struct cwp_value *v)
{
    cwp_skip_ws(ps);
    size_t at = ps->pos;
    int rc = 0;
    char c = at < ps->len ? ps->src[at] : '\0';
    if (c == '"') {
        v->kind = CWP_V_STR;
        rc = cwp_parse_quoted(ps, 1, &v->text, &v->len, &v->lead, &v->trail);
    } else if (c == '%') {
        if (ps->p->nregex >= CWP_MAX_REGEX) {
            return cwp_fail(ps, at, "at most %d regular expressions per pattern", CWP_MAX_REGEX);
        }
        rc = cwp_parse_regex(ps, v);
    } else {
        size_t n = 0;
        while (at + n < ps->len && cwp_bare_char((unsigned char)ps->src[at + n])) {
            n++;
        }
        if (n == 0) {
            return cwp_fail(ps, at, "expected a value after \"%s\"", cwp_op_names[op]);
        }
        rc = cwp_bare_value(ps, at, n, v);
        ps->pos = at + n;
    }
    if (rc == 0 && op != CWP_EQ && op != CWP_NE && v->kind != CWP_V_NUM) {
        return cwp_fail(ps, at, "operator \"%s\" needs a number", cwp_op_names[op]);
    }
    return rc;
}

/* ---- expressions ----------------------------------------------------------------------- */

size_t cwp_node_add(struct cwp *p, enum cwp_ntype type, size_t arg)
{
    void *grown = hw_grow(p->nodes, &p->nodes_cap, p->nnodes, sizeof(*p->nodes), 8);
    if (!grown) {
        return CWP_NONE;
    }
    p->nodes = grown;
    p->nodes[p->nnodes].type = type;
    p->nodes[p->nnodes].arg = arg;
    p->nodes[p->nnodes].next = CWP_NONE;
    return p->nnodes++;
}

void cwp_list_add(struct cwp *p, struct cwp_list *l, size_t node)
{
    if (l->count == 0) {
        l->head = node;
    } else {
        p->nodes[l->tail].next = node;
    }
    l->tail = node;
    l->count++;
}

size_t cwp_list_close(struct cwp *p, struct cwp_list *l, enum cwp_ntype type)
{
    size_t n = l->count == 1 ? l->head : cwp_node_add(p, type, l->head);
    l->count = 0;
    l->head = l->tail = CWP_NONE;
    return n;
}

size_t cwp_cond_add(struct cwp *p)
{
    void *grown = hw_grow(p->conds, &p->conds_cap, p->nconds, sizeof(*p->conds), 8);
    if (!grown) {
        return CWP_NONE;
    }
    p->conds = grown;
    memset(&p->conds[p->nconds], 0, sizeof(p->conds[0]));
    p->conds[p->nconds].ref = CWP_NONE;
    return p->nconds++;
}

/* Short-circuit evaluation; a -1 (resource limit) from any condition aborts the match. */
int cwp_eval(const struct cwp *p, size_t node, cwp_cond_fn fn, void *ctx)
{
    const struct cwp_node *nd = &p->nodes[node];
    if (nd->type == CWP_N_COND) {
        return fn(p, &p->conds[nd->arg], ctx);
    }
    for (size_t c = nd->arg; c != CWP_NONE; c = p->nodes[c].next) {
        int r = cwp_eval(p, c, fn, ctx);
        if (r < 0) {
            return r;
        }
        if (r != (nd->type == CWP_N_AND)) {
            return r;
        }
    }
    return nd->type == CWP_N_AND;
}

/* Unanchored search (CloudWatch's substring semantics); -1 when the match limit or the JIT
 * stack runs out, so a pathological pattern costs bounded work. */
int cwp_regex_find(const struct cwp *p, const pcre2_code *re, const char *s, size_t n,
                   struct cwp_match *m)
{
    if (!m->md) {
        m->md = pcre2_match_data_create(1, NULL);
        if (!m->md) {
            return -1;
        }
    }
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, m->md, p->mctx);
    if (rc >= 0) {
        return 1;
    }
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* CloudWatch wildcards: '*' only at the start and/or end; elsewhere it is a literal. */
static int cwp_glob(const struct cwp_value *v, const char *s, size_t n)
{
    if (v->lead && v->trail) {
        return v->len == 0 || memmem(s, n, v->text, v->len) != NULL;
    }
    if (n < v->len) {
        return 0;
    }
    if (v->lead) {
        return memcmp(s + n - v->len, v->text, v->len) == 0;
    }
    if (v->trail) {
        return memcmp(s, v->text, v->len) == 0;
    }
    return n == v->len && memcmp(s, v->text, n) == 0;
}

/* One comparison against a scalar's text. Numbers compare numerically when the value is one
 * (is_num); otherwise only = and != apply, on the text. */
int cwp_compare(const struct cwp *p, const struct cwp_cond *c, const char *s, size_t n, int is_num,
                double num, struct cwp_match *m)
{
    const struct cwp_value *v = &c->v;
    int r;
    if (v->kind == CWP_V_NUM && is_num) {
        switch (c->op) {
        case CWP_EQ:
            return num == v->num;
        case CWP_NE:
            return num != v->num;
        case CWP_LT:
            return num < v->num;
        case CWP_LE:
            return num <= v->num;
        case CWP_GT:
            return num > v->num;
        case CWP_GE:
            return num >= v->num;
        default:
            return 0;
        }
    }
    if (c->op != CWP_EQ && c->op != CWP_NE) {
        return 0;
    }
    if (v->kind == CWP_V_REGEX) {
        r = cwp_regex_find(p, v->re, s, n, m);
        if (r < 0) {
            return r;
        }
    } else if (v->kind == CWP_V_NUM) {
        r = n == v->len && memcmp(s, v->text, n) == 0;
    } else {
        r = cwp_glob(v, s, n);
    }
    return c->op == CWP_EQ ? r : !r;
}
