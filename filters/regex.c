#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hw_regex {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    char *literal; /* required literal for the prefilter, or NULL */
    size_t literal_len;
};

/* The longest run of plain characters at the top level of the pattern that every match must
 * contain. Conservative: any alternation, group, class, escape or quantifier ends a run (a
 * quantifier also drops the character before it), and a top-level "|" or a case-insensitive
 * flag disables the prefilter altogether. */
static void regex_find_literal(struct hw_regex *rx, const char *re)
{
    if (strchr(re, '|') || strstr(re, "(?i") || strstr(re, "(?x")) {
        return;
    }
    const char *best = NULL;
    size_t best_len = 0, depth = 0, run = 0;
    const char *run_start = re;
    for (const char *p = re;; p++) {
        int plain = *p && depth == 0 && !strchr("\\^$.[]()|*+?{}", *p);
        if (plain) {
            if (run == 0) {
                run_start = p;
            }
            run++;
            continue;
        }
        size_t len = run;
        if (*p && strchr("*?{", *p) && len > 0) {
            len--; /* "ab*" needs only "a" */
        }
        if (len > best_len) {
            best = run_start;
            best_len = len;
        }
        run = 0;
        if (!*p) {
            break;
        }
        if (*p == '\\' && p[1]) {
            p++;
        } else if (*p == '{') {
            const char *close = strchr(p, '}');
            p = close ? close : p; /* a counted quantifier's digits are not text */
        } else if (*p == '(' || *p == '[') {
            depth++;
        } else if ((*p == ')' || *p == ']') && depth > 0) {
            depth--;
        }
    }
    if (best_len >= 3 && (rx->literal = strndup(best, best_len))) {
        rx->literal_len = best_len;
    }
}

struct hw_regex *regex_compile(const char *re, char *err, size_t errlen, size_t *err_col)
{
    struct hw_regex *rx = calloc(1, sizeof(*rx));
    if (!rx) {
        snprintf(err, errlen, "out of memory");
        *err_col = 0;
        return NULL;
    }
    int code;
    PCRE2_SIZE off;
    rx->code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_NO_UTF_CHECK, &code,
                             &off, NULL);
    if (!rx->code) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        snprintf(err, errlen, "%s", (const char *)msg);
        *err_col = off + 1;
        regex_free(rx);
        return NULL;
    }
    (void)pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE); /* interpreter when JIT is absent */
    rx->md = pcre2_match_data_create_from_pattern(rx->code, NULL);
    rx->mctx = pcre2_match_context_create(NULL);
    if (!rx->md || !rx->mctx) {
        snprintf(err, errlen, "out of memory");
        *err_col = 0;
        regex_free(rx);
        return NULL;
    }
    pcre2_set_match_limit(rx->mctx, REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(rx->mctx, REGEX_DEPTH_LIMIT);
    regex_find_literal(rx, re);
    return rx;
}

void regex_free(struct hw_regex *rx)
{
    if (!rx) {
        return;
    }
    pcre2_match_data_free(rx->md);
    pcre2_match_context_free(rx->mctx);
    pcre2_code_free(rx->code);
    free(rx->literal);
    free(rx);
}

int regex_match(struct hw_regex *rx, const char *line, size_t len)
{
    int rc = pcre2_match(rx->code, (PCRE2_SPTR)line, len, 0, 0, rx->md, rx->mctx);
    if (rc >= 0) {
        return 1;
    }
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

int regex_group_number(const struct hw_regex *rx, const char *name)
{
    const int n = pcre2_substring_number_from_name(rx->code, (PCRE2_SPTR)name);
    return n < 0 ? -1 : n;
}

int regex_group(const struct hw_regex *rx, const char *line, const char *name, const char **val,
                size_t *len)
{
    return regex_group_at(rx, line, regex_group_number(rx, name), val, len);
}

int regex_group_at(const struct hw_regex *rx, const char *line, int n, const char **val,
                   size_t *len)
{
    if (n < 0 || (uint32_t)n >= pcre2_get_ovector_count(rx->md)) {
        return 0;
    }
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rx->md);
    if (ov[2 * n] == PCRE2_UNSET) {
        return 0;
    }
    *val = line + ov[2 * n];
    *len = ov[2 * n + 1] - ov[2 * n];
    return 1;
}

void regex_foreach_group(const struct hw_regex *rx, const char *line,
                         void (*cb)(void *arg, const char *name, const char *v, size_t len),
                         void *arg)
{
    uint32_t count = 0, entry = 0;
    PCRE2_SPTR table = NULL;
    if (pcre2_pattern_info(rx->code, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
        pcre2_pattern_info(rx->code, PCRE2_INFO_NAMEENTRYSIZE, &entry) != 0 ||
        pcre2_pattern_info(rx->code, PCRE2_INFO_NAMETABLE, &table) != 0) {
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        const char *name = (const char *)(table + i * entry + 2);
        const char *v;
        size_t len;
        if (regex_group(rx, line, name, &v, &len)) {
            cb(arg, name, v, len);
        }
    }
}

int regex_has_group(const struct hw_regex *rx, const char *name)
{
    return pcre2_substring_number_from_name(rx->code, (PCRE2_SPTR)name) >= 0;
}

const char *regex_required_literal(const struct hw_regex *rx, size_t *len)
{
    *len = rx->literal_len;
    return rx->literal;
}
