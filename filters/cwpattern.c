/* CloudWatch Logs filter patterns: the public entry points, term patterns, standalone %regex%
 * and the match state (scratch, fields). Values and expression trees are in cwpattern_expr.c,
 * the JSON and delimited families in cwpattern_json.c and cwpattern_delim.c; the grammar and
 * every semantic choice are in docs/filter-patterns.md. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "cwpattern_int.h"
#include "buf.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CWP_MAX_PATTERN 1024 /* PutMetricFilter's filterPattern limit */

/* Reads one term at ps->pos into t: a quoted phrase or a run of non-blank characters. */
static int cwp_term_text(struct cwp_parser *ps, struct cwp_term *t)
{
    size_t at = ps->pos;
    if (ps->src[at] == '"') {
        int lead, trail;
        if (cwp_parse_quoted(ps, 0, &t->text, &t->len, &lead, &trail) != 0) {
            return -1;
        }
        if (ps->pos < ps->len && !cwp_is_ws(ps->src[ps->pos])) {
            return cwp_fail(ps, ps->pos, "expected a space after the quoted phrase");
        }
        return 0;
    }
    size_t n = 0;
    while (at + n < ps->len && !cwp_is_ws(ps->src[at + n])) {
        if (ps->src[at + n] == '"') {
            return cwp_fail(ps, at + n, "unexpected '\"' inside a term (quote the whole term)");
        }
        n++;
    }
    t->text = strndup(ps->src + at, n);
    if (!t->text) {
        return cwp_fail(ps, at, "out of memory");
    }
    t->len = n;
    ps->pos = at + n;
    return 0;
}

/* The longest term every match needs: the plain terms before the first ?term, plus the
 * terms of the only alternative group when there is exactly one. */
static void cwp_terms_literal(struct cwp *p)
{
    for (size_t i = 0; i < p->nterms; i++) {
        const struct cwp_term *t = &p->terms[i];
        int needed = t->role != CWP_T_NOT && (t->group == 0 || p->ngroups == 1);
        if (needed && t->len > p->literal_len) {
            p->literal = t->text;
            p->literal_len = t->len;
        }
    }
}

/* term := [ "?" | "-" ] ( word | "phrase" ); a ?term opens a new alternative group. */
static int cwp_terms_compile(struct cwp_parser *ps)
{
    struct cwp *p = ps->p;
    for (;;) {
        cwp_skip_ws(ps);
        if (ps->pos >= ps->len) {
            break;
        }
        size_t at = ps->pos;
        enum cwp_trole role = CWP_T_ALL;
        if (ps->src[at] == '?' || ps->src[at] == '-') {
            role = ps->src[at] == '?' ? CWP_T_ANY : CWP_T_NOT;
            ps->pos++;
            if (ps->pos >= ps->len || cwp_is_ws(ps->src[ps->pos])) {
                return cwp_fail(ps, at, "expected a term after \"%c\"", ps->src[at]);
            }
        }
        void *grown = hw_grow(p->terms, &p->terms_cap, p->nterms, sizeof(*p->terms), 8);
        if (!grown) {
            return cwp_fail(ps, at, "out of memory");
        }
        p->terms = grown;
        struct cwp_term *t = &p->terms[p->nterms++];
        memset(t, 0, sizeof(*t));
        t->role = role;
        p->ngroups += role == CWP_T_ANY;
        t->group = role == CWP_T_NOT ? 0 : p->ngroups;
        if (cwp_term_text(ps, t) != 0) {
            return -1;
        }
    }
    cwp_terms_literal(p);
    return 0;
}

static int cwp_term_found(const struct cwp_term *t, const char *line, size_t len)
{
    return t->len == 0 || memmem(line, len, t->text, t->len) != NULL;
}

/* Plain terms before any ?term are required and -terms excluded everywhere; each ?term
 * opens an alternative that also needs the plain terms written after it. */
static int cwp_terms_match(const struct cwp *p, const char *line, size_t len)
{
    for (size_t i = 0; i < p->nterms; i++) {
        const struct cwp_term *t = &p->terms[i];
        if (t->role == CWP_T_NOT ? cwp_term_found(t, line, len)
                                 : t->group == 0 && !cwp_term_found(t, line, len)) {
            return 0;
        }
    }
    if (p->ngroups == 0) {
        return 1;
    }
    size_t group = 0;
    int ok = 0;
    for (size_t i = 0; i < p->nterms; i++) {
        const struct cwp_term *t = &p->terms[i];
        if (t->role == CWP_T_NOT || t->group == 0) {
            continue;
        }
        if (t->group != group) {
            if (ok) {
                return 1;
            }
            group = t->group;
            ok = 1;
        }
        ok = ok && cwp_term_found(t, line, len);
    }
    return ok;
}

/* ---- standalone regex and dispatch ----------------------------------------------------- */

/* A standalone %regex%; its body is the prefilter literal when it has no metacharacter. */
static int cwp_regex_compile(struct cwp_parser *ps)
{
    struct cwp *p = ps->p;
    if (cwp_parse_regex(ps, &p->regex) != 0) {
        return -1;
    }
    cwp_skip_ws(ps);
    if (ps->pos < ps->len) {
        return cwp_fail(ps, ps->pos, "unexpected text after the %%regex%%");
    }
    for (size_t i = 0; i < p->regex.len; i++) {
        unsigned char c = (unsigned char)p->regex.text[i];
        if (!cwp_is_alnum(c) && !strchr("_#=@/;,-:", c)) {
            return 0; /* a metacharacter: no plain literal */
        }
    }
    p->literal = p->regex.text;
    p->literal_len = p->regex.len;
    return 0;
}

/* "", blanks, or a quoted phrase of blanks: CloudWatch's documented match-everything forms. */
static int cwp_is_all(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
    }
    for (size_t i = 0; i < n; i++) {
        if (!cwp_is_ws(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* The first non-blank character picks the family, as in CloudWatch. */
static int cwp_compile_kind(struct cwp_parser *ps)
{
    struct cwp *p = ps->p;
    cwp_skip_ws(ps);
    size_t end = ps->len;
    while (end > ps->pos && cwp_is_ws(ps->src[end - 1])) {
        end--;
    }
    if (ps->len > CWP_MAX_PATTERN) {
        return cwp_fail(ps, CWP_MAX_PATTERN, "pattern longer than %d bytes", CWP_MAX_PATTERN);
    }
    if (cwp_is_all(ps->src + ps->pos, end - ps->pos)) {
        p->kind = CWP_ALL;
        return 0;
    }
    switch (ps->src[ps->pos]) {
    case '{':
        p->kind = CWP_JSON;
        return cwp_json_compile(ps);
    case '[':
        p->kind = CWP_DELIMITED;
        return cwp_delim_compile(ps);
    case '%':
        p->kind = CWP_REGEX;
        return cwp_regex_compile(ps);
    default:
        p->kind = CWP_TERMS;
        return cwp_terms_compile(ps);
    }
}

struct cwp *cwp_compile(const char *pattern, char *err, size_t errlen, size_t *err_col)
{
    struct cwp *p = calloc(1, sizeof(*p));
    struct cwp_parser ps = {
        .src = pattern ? pattern : "", .p = p, .err = err, .errlen = errlen, .col = err_col};
    ps.len = strlen(ps.src);
    if (err && errlen > 0) {
        err[0] = '\0';
    }
    if (err_col) {
        *err_col = 0;
    }
    if (!p) {
        (void)cwp_fail(&ps, 0, "out of memory");
        return NULL;
    }
    p->root = CWP_NONE;
    p->ellipsis = CWP_NONE;
    if (cwp_compile_kind(&ps) != 0) {
        goto fail;
    }
    return p;
fail:
    cwp_free(p);
    return NULL;
}

void cwp_free(struct cwp *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->nterms; i++) {
        free(p->terms[i].text);
    }
    for (size_t i = 0; i < p->nconds; i++) {
        cwp_value_free(&p->conds[i].v);
    }
    for (size_t i = 0; i < p->nsels; i++) {
        free(p->sels[i].text);
    }
    for (size_t i = 0; i < p->ndfields; i++) {
        free(p->dfields[i].name);
    }
    cwp_value_free(&p->regex);
    pcre2_match_context_free(p->mctx);
    free(p->terms);
    free(p->nodes);
    free(p->conds);
    free(p->sels);
    free(p->dfields);
    free(p);
}

enum cwp_kind cwp_kind(const struct cwp *p)
{
    return p->kind;
}

/* ---- matching -------------------------------------------------------------------------- */

void cwp_match_init(struct cwp_match *m)
{
    memset(m, 0, sizeof(*m));
}

void cwp_match_free(struct cwp_match *m)
{
    json_decref(m->json);
    cwp_retired_free(m);
    pcre2_match_data_free(m->md);
    free(m->scratch);
    free(m->spans);
    cwp_match_init(m);
}

/* Resets the per-line state (previous event, scratch, fields) before matching. */
int cwp_match(const struct cwp *p, const char *line, size_t len, struct cwp_match *m)
{
    int r = 0;
    json_decref(m->json);
    m->json = NULL;
    cwp_retired_free(m);
    m->scratch_len = 0;
    m->nfields = 0;
    m->nspans = 0;
    m->line = NULL;
    m->matched = 0;
    m->kind = (int)p->kind;
    line = line ? line : "";
    switch (p->kind) {
    case CWP_ALL:
        r = 1;
        break;
    case CWP_TERMS:
        r = cwp_terms_match(p, line, len);
        break;
    case CWP_REGEX:
        r = cwp_regex_find(p, p->regex.re, line, len, m);
        break;
    case CWP_JSON:
        r = cwp_json_match(p, line, len, m);
        break;
    case CWP_DELIMITED:
        r = cwp_delim_match(p, line, len, m);
        break;
    }
    m->matched = r == 1;
    if (r != 1) {
        m->nfields = 0;
    }
    return r;
}

int cwp_match_lookup(struct cwp_match *m, const char *name, const char **value, size_t *len)
{
    if (!m->matched || !name) {
        return 0;
    }
    for (size_t i = 0; i < m->nfields; i++) {
        if (strcmp(m->fields[i].name, name) == 0) {
            *value = m->fields[i].value;
            *len = m->fields[i].len;
            return 1;
        }
    }
    if (m->kind == CWP_JSON) {
        return cwp_json_lookup(m, name, value, len);
    }
    if (m->kind == CWP_DELIMITED) {
        return cwp_delim_lookup(m, name, value, len);
    }
    return 0;
}

const char *cwp_required_literal(const struct cwp *p, size_t *len)
{
    *len = p->literal ? p->literal_len : 0;
    return p->literal_len > 0 ? p->literal : NULL;
}

size_t cwp_field_names(const struct cwp *p, const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < p->ndfields && n < max; i++) {
        if (p->dfields[i].name) {
            names[n++] = p->dfields[i].name;
        }
    }
    for (size_t i = 0; i < p->nsels && n < max; i++) {
        names[n++] = p->sels[i].text;
    }
    return n;
}
