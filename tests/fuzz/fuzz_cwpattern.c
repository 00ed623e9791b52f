/* libFuzzer: the input up to the first '\n' is a filter pattern, the rest a log line. Any
 * pattern must compile or give a message and an in-range column; any line must match, not
 * match or hit a limit, without crashing or leaking. The required literal is checked for
 * soundness on every match (the prefilter must never drop a matching line). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/cwpattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every extracted field must be found again by name; a few other names must not crash. */
static void fuzz_lookups(const struct cwp *p, struct cwp_match *m)
{
    static const char *const extra[] = {"$.a", "$.a.b[0]", "$1", "$7", "$status", "$.", "$"};
    const char *names[CWP_MAX_FIELDS];
    const char *v;
    size_t len;
    for (size_t i = 0; i < m->nfields; i++) {
        if (cwp_match_lookup(m, m->fields[i].name, &v, &len) != 1) {
            __builtin_trap();
        }
    }
    size_t n = cwp_field_names(p, names, CWP_MAX_FIELDS);
    for (size_t i = 0; i < n; i++) {
        (void)cwp_match_lookup(m, names[i], &v, &len);
    }
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        if (cwp_match_lookup(m, extra[i], &v, &len) == 1 && len > 0) {
            volatile char c = v[len - 1]; /* the value must be readable */
            (void)c;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t plen = nl ? (size_t)(nl - data) : size;
    const char *line = nl ? (const char *)nl + 1 : "";
    size_t llen = nl ? size - plen - 1 : 0;
    char *pattern = malloc(plen + 1);
    if (!pattern) {
        return 0;
    }
    memcpy(pattern, data, plen);
    pattern[plen] = '\0';
    char err[256] = "";
    size_t col = 0;
    struct cwp *p = cwp_compile(pattern, err, sizeof(err), &col);
    if (!p) {
        if (err[0] == '\0' || col == 0 || col > strlen(pattern) + 1) {
            __builtin_trap(); /* a rejected pattern must say why and where */
        }
        free(pattern);
        return 0;
    }
    struct cwp_match m;
    cwp_match_init(&m);
    for (int round = 0; round < 2; round++) {
        int r = cwp_match(p, line, llen, &m);
        if (r < -1 || r > 1) {
            __builtin_trap();
        }
        size_t litlen = 0;
        const char *lit = cwp_required_literal(p, &litlen);
        if (r == 1 && lit && !memmem(line, llen, lit, litlen)) {
            __builtin_trap(); /* the prefilter would have dropped a matching line */
        }
        if (r == 1) {
            fuzz_lookups(p, &m);
        }
    }
    cwp_match_free(&m);
    cwp_free(p);
    free(pattern);
    return 0;
}
