/* JSON filter patterns: { $.a.b[0] = "x" && ($.n > 5 || $.f IS TRUE) } compiled into an
 * expression over selectors, evaluated on the event parsed with jansson. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strndup */
#endif
#include "cwpattern_int.h"
#include "buf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CWP_MAX_INDEX_DIGITS 9

static int cwp_json_chain(struct cwp_parser *ps, const char *after, int is_or, size_t *out);

static int cwp_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Length of the selector at s: "$" then ".name" / "[N]" steps, an index only after a
 * property (CloudWatch's rule). 0 on a syntax error, with *bad its offset and *why. */
static size_t cwp_sel_scan(const char *s, size_t n, size_t *bad, const char **why)
{
    size_t i = 1, steps = 0;
    *bad = 0;
    *why = "expected a selector";
    if (n == 0 || s[0] != '$') {
        return 0;
    }
    for (; i < n && (s[i] == '.' || s[i] == '['); steps++) {
        size_t k = i + 1;
        if (s[i] == '.') {
            while (k < n && cwp_name_char(s[k])) {
                k++;
            }
            *why = "expected a property name after \".\"";
            if (k == i + 1) {
                *bad = k;
                return 0;
            }
            i = k;
            continue;
        }
        while (k < n && s[k] >= '0' && s[k] <= '9') {
            k++;
        }
        *why = steps == 0                            ? "an array index must follow a property"
               : k - i - 1 > CWP_MAX_INDEX_DIGITS    ? "array index too large"
               : k == i + 1 || k >= n || s[k] != ']' ? "expected a number and \"]\" after \"[\""
                                                     : NULL;
        if (*why) {
            *bad = steps == 0 ? i : k - i - 1 > CWP_MAX_INDEX_DIGITS ? i + 1 : k;
            return 0;
        }
        i = k + 1;
    }
    if (steps == 0) {
        *bad = 1;
        *why = "expected \".\" and a property name after \"$\"";
        return 0;
    }
    return i;
}

/* Resolves a selector already checked by cwp_sel_scan; NULL when a step is missing or
 * applies to the wrong type (a property of a non-object, an index of a non-array). */
static json_t *cwp_json_walk(json_t *j, const char *s, size_t n)
{
    size_t i = 1;
    while (j && i < n) {
        size_t k = i + 1;
        if (s[i] == '.') {
            while (k < n && cwp_name_char(s[k])) {
                k++;
            }
            j = json_is_object(j) ? json_object_getn(j, s + i + 1, k - i - 1) : NULL;
            i = k;
        } else {
            size_t idx = 0;
            for (; k < n && s[k] != ']'; k++) {
                idx = idx * 10 + (size_t)(s[k] - '0');
            }
            j = json_is_array(j) ? json_array_get(j, idx) : NULL;
            i = k + 1;
        }
    }
    return j;
}

/* A selector's index, sharing one entry per distinct text so each is extracted once. */
static size_t cwp_sel_intern(struct cwp *p, const char *s, size_t n)
{
    for (size_t i = 0; i < p->nsels; i++) {
        if (p->sels[i].len == n && memcmp(p->sels[i].text, s, n) == 0) {
            return i;
        }
    }
    void *grown = hw_grow(p->sels, &p->sels_cap, p->nsels, sizeof(*p->sels), 8);
    if (!grown) {
        return CWP_NONE;
    }
    p->sels = grown;
    p->sels[p->nsels].text = strndup(s, n);
    if (!p->sels[p->nsels].text) {
        return CWP_NONE;
    }
    p->sels[p->nsels].len = n;
    return p->nsels++;
}

static size_t cwp_word(const struct cwp_parser *ps, size_t at)
{
    size_t n = 0;
    while (at + n < ps->len && ((ps->src[at + n] >= 'A' && ps->src[at + n] <= 'Z') ||
                                (ps->src[at + n] >= 'a' && ps->src[at + n] <= 'z'))) {
        n++;
    }
    return n;
}

static int cwp_word_is(const struct cwp_parser *ps, size_t at, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(ps->src + at, w, n) == 0;
}

/* IS NULL | IS TRUE | IS FALSE | NOT EXISTS (upper case, as CloudWatch writes them). */
static int cwp_json_keyword(struct cwp_parser *ps, enum cwp_op *op)
{
    size_t at = ps->pos, n = cwp_word(ps, at);
    if (n == 0) {
        return cwp_fail(ps, at, "expected an operator after the selector");
    }
    ps->pos += n;
    cwp_skip_ws(ps);
    size_t at2 = ps->pos, n2 = cwp_word(ps, at2);
    ps->pos += n2;
    if (cwp_word_is(ps, at, n, "NOT")) {
        *op = CWP_NOT_EXISTS;
        return cwp_word_is(ps, at2, n2, "EXISTS")
                   ? 0
                   : cwp_fail(ps, at2, "expected EXISTS after \"NOT\"");
    }
    if (cwp_word_is(ps, at, n, "EXISTS")) {
        return cwp_fail(ps, at, "\"EXISTS\" is not supported (use \"= *\" or NOT EXISTS)");
    }
    if (!cwp_word_is(ps, at, n, "IS")) {
        return cwp_fail(ps, at, "unknown operator \"%.*s\"", (int)n, ps->src + at);
    }
    if (cwp_word_is(ps, at2, n2, "NULL")) {
        *op = CWP_IS_NULL;
    } else if (cwp_word_is(ps, at2, n2, "TRUE")) {
        *op = CWP_IS_TRUE;
    } else if (cwp_word_is(ps, at2, n2, "FALSE")) {
        *op = CWP_IS_FALSE;
    } else if (cwp_word_is(ps, at2, n2, "NOT")) {
        return cwp_fail(ps, at2, "\"IS NOT\" is not supported (use != or NOT EXISTS)");
    } else {
        return cwp_fail(ps, at2, "expected NULL, TRUE or FALSE after \"IS\"");
    }
    return 0;
}

/* cond := selector ( op value | IS NULL | IS TRUE | IS FALSE | NOT EXISTS ) */
static int cwp_json_cond(struct cwp_parser *ps, const char *after, size_t *out)
{
    struct cwp *p = ps->p;
    size_t at = ps->pos, bad;
    const char *why;
    if (at >= ps->len || ps->src[at] != '$') {
        return cwp_fail(ps, at, "expected a selector after \"%s\"", after);
    }
    size_t n = cwp_sel_scan(ps->src + at, ps->len - at, &bad, &why);
    if (n == 0) {
        return cwp_fail(ps, at + bad, "%s", why);
    }
    size_t sel = cwp_sel_intern(p, ps->src + at, n);
    size_t ci = sel == CWP_NONE ? CWP_NONE : cwp_cond_add(p);
    if (ci == CWP_NONE) {
        return cwp_fail(ps, at, "out of memory");
    }
    p->conds[ci].ref = sel;
    ps->pos = at + n;
    cwp_skip_ws(ps);
    int r = cwp_parse_op(ps, &p->conds[ci].op);
    if (r < 0) {
        return -1;
    }
    r = r == 0 ? cwp_parse_value(ps, p->conds[ci].op, &p->conds[ci].v)
               : cwp_json_keyword(ps, &p->conds[ci].op);
    if (r != 0) {
        return -1;
    }
    *out = cwp_node_add(p, CWP_N_COND, ci);
    return *out == CWP_NONE ? cwp_fail(ps, at, "out of memory") : 0;
}

/* primary := "(" or-chain ")" | cond */
static int cwp_json_primary(struct cwp_parser *ps, const char *after, size_t *out)
{
    cwp_skip_ws(ps);
    if (ps->pos >= ps->len || ps->src[ps->pos] != '(') {
        return cwp_json_cond(ps, after, out);
    }
    size_t open = ps->pos++;
    if (++ps->depth > CWP_MAX_DEPTH) {
        return cwp_fail(ps, open, "parentheses nested too deeply");
    }
    if (cwp_json_chain(ps, "(", 1, out) != 0) {
        return -1;
    }
    cwp_skip_ws(ps);
    if (ps->pos >= ps->len || ps->src[ps->pos] == '}') {
        return cwp_fail(ps, open, "unbalanced parentheses");
    }
    if (ps->src[ps->pos] != ')') {
        return cwp_fail(ps, ps->pos, "expected \"&&\", \"||\" or \")\"");
    }
    ps->pos++;
    ps->depth--;
    return 0;
}

/* An || chain of && chains of primaries: () > && > ||, as CloudWatch documents. */
static int cwp_json_chain(struct cwp_parser *ps, const char *after, int is_or, size_t *out)
{
    struct cwp_list l = {CWP_NONE, CWP_NONE, 0};
    const char *tok = is_or ? "||" : "&&";
    for (;;) {
        size_t node;
        int r = is_or ? cwp_json_chain(ps, after, 0, &node) : cwp_json_primary(ps, after, &node);
        if (r != 0) {
            return -1;
        }
        cwp_list_add(ps->p, &l, node);
        cwp_skip_ws(ps);
        if (ps->pos + 1 >= ps->len || memcmp(ps->src + ps->pos, tok, 2) != 0) {
            break;
        }
        ps->pos += 2;
        after = tok;
    }
    *out = cwp_list_close(ps->p, &l, is_or ? CWP_N_OR : CWP_N_AND);
    return *out == CWP_NONE ? cwp_fail(ps, ps->pos, "out of memory") : 0;
}

int cwp_json_compile(struct cwp_parser *ps)
{
    ps->pos++; /* "{" */
    cwp_skip_ws(ps);
    if (cwp_json_chain(ps, "{", 1, &ps->p->root) != 0) {
        return -1;
    }
    cwp_skip_ws(ps);
    if (ps->pos >= ps->len) {
        return cwp_fail(ps, ps->pos, "expected \"}\" at the end of the JSON pattern");
    }
    if (ps->src[ps->pos] == ')') {
        return cwp_fail(ps, ps->pos, "unbalanced parentheses");
    }
    if (ps->src[ps->pos] != '}') {
        return cwp_fail(ps, ps->pos, "expected \"&&\", \"||\" or \"}\"");
    }
    ps->pos++;
    cwp_skip_ws(ps);
    if (ps->pos < ps->len) {
        return cwp_fail(ps, ps->pos, "unexpected text after \"}\"");
    }
    return 0;
}

/* Shortest "%g" text that reads back as the same double. */
static size_t cwp_render_real(double d, char *buf, size_t cap)
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    return n > 0 ? (size_t)n : 0;
}

/* A scalar's text (strings as stored, numbers rendered into buf, true/false/null spelled
 * out) and, for numbers, its value. -1 for a missing node, an object or an array. */
static int cwp_json_scalar(const json_t *j, char *buf, size_t cap, const char **txt, size_t *n,
                           double *num)
{
    int is_num = 0;
    if (!j) {
        return -1;
    }
    switch (json_typeof(j)) {
    case JSON_STRING:
        *txt = json_string_value(j);
        *n = json_string_length(j);
        break;
    case JSON_INTEGER:
        *num = (double)json_integer_value(j);
        *n = (size_t)snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        *txt = buf;
        is_num = 1;
        break;
    case JSON_REAL:
        *num = json_real_value(j);
        *n = cwp_render_real(*num, buf, cap);
        *txt = buf;
        is_num = 1;
        break;
    case JSON_TRUE:
        *txt = "true";
        *n = 4;
        break;
    case JSON_FALSE:
        *txt = "false";
        *n = 5;
        break;
    case JSON_NULL:
        *txt = "null";
        *n = 4;
        break;
    default:
        return -1;
    }
    return is_num;
}

static int cwp_json_cond_eval(const struct cwp *p, const struct cwp_cond *c, void *ctx)
{
    struct cwp_match *m = ctx;
    const json_t *j = cwp_json_walk(m->json, p->sels[c->ref].text, p->sels[c->ref].len);
    switch (c->op) {
    case CWP_NOT_EXISTS:
        return j == NULL;
    case CWP_IS_NULL:
        return json_is_null(j);
    case CWP_IS_TRUE:
        return json_is_true(j);
    case CWP_IS_FALSE:
        return json_is_false(j);
    default:
        break;
    }
    char buf[64];
    const char *txt;
    size_t n = 0;
    double num = 0;
    int is_num = cwp_json_scalar(j, buf, sizeof(buf), &txt, &n, &num);
    return is_num < 0 ? 0 : cwp_compare(p, c, txt, n, is_num, num, m);
}

/* The scalar at a checked selector as text that lives until the next match (rendered
 * numbers go to scratch). 1 found, 0 not a scalar, -1 out of memory. */
static int cwp_json_value(struct cwp_match *m, const char *s, size_t sn, const char **v, size_t *n)
{
    char buf[64];
    double num;
    if (cwp_json_scalar(cwp_json_walk(m->json, s, sn), buf, sizeof(buf), v, n, &num) < 0) {
        return 0;
    }
    if (*v == buf) {
        *v = cwp_scratch_put(m, buf, *n);
        return *v ? 1 : -1;
    }
    return 1;
}

int cwp_json_match(const struct cwp *p, const char *line, size_t len, struct cwp_match *m)
{
    size_t i = 0;
    while (i < len && cwp_is_ws(line[i])) {
        i++;
    }
    if (i >= len || line[i] != '{') {
        return 0; /* not a JSON object: no need to parse */
    }
    if (len > CWP_MAX_JSON_LINE) {
        return -1;
    }
    json_error_t jerr;
    m->json = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
    if (!m->json) {
        return 0;
    }
    int r = cwp_eval(p, p->root, cwp_json_cond_eval, m);
    for (size_t k = 0; r == 1 && k < p->nsels && m->nfields < CWP_MAX_FIELDS; k++) {
        const char *v;
        size_t n;
        int found = cwp_json_value(m, p->sels[k].text, p->sels[k].len, &v, &n);
        if (found < 0) {
            return -1;
        }
        if (found > 0 && cwp_field_add(m, p->sels[k].text, v, n) != 0) {
            break;
        }
    }
    return r;
}

int cwp_json_lookup(struct cwp_match *m, const char *name, const char **value, size_t *len)
{
    size_t n = strlen(name), bad;
    const char *why;
    if (!m->json || cwp_sel_scan(name, n, &bad, &why) != n) {
        return 0;
    }
    return cwp_json_value(m, name, n, value, len) == 1;
}
