/* PCRE2 regex filters: JIT-compiled, with match and depth limits so a pathological pattern or
 * line costs a bounded amount of work (reported as -1, never a stall). */
#ifndef HW_REGEX_H
#define HW_REGEX_H

#include <stddef.h>

#define REGEX_MATCH_LIMIT 100000u
#define REGEX_DEPTH_LIMIT 1000u

struct hw_regex;

/* Compiles re; on error NULL with PCRE2's message and the 1-based column in err/err_col. */
struct hw_regex *regex_compile(const char *re, char *err, size_t errlen, size_t *err_col);
void regex_free(struct hw_regex *rx);
/* 1 match, 0 no match, -1 a limit was hit or the engine failed. */
int regex_match(struct hw_regex *rx, const char *line, size_t len);
/* After a match: the named capture's bytes (1), or 0 when the group does not exist or did not
 * take part in the match. */
int regex_group(const struct hw_regex *rx, const char *line, const char *name, const char **val,
                size_t *len);
/* The number of the named group, for regex_group_at, or -1 when the pattern has no group of
 * that name (or several: a duplicate name is never found, as with regex_group). */
int regex_group_number(const struct hw_regex *rx, const char *name);
/* regex_group by number: no name lookup per line. */
int regex_group_at(const struct hw_regex *rx, const char *line, int n, const char **val,
                   size_t *len);
/* Calls cb for every named group that took part in the last match (test-filter output). */
void regex_foreach_group(const struct hw_regex *rx, const char *line,
                         void (*cb)(void *arg, const char *name, const char *v, size_t len),
                         void *arg);
/* 1 when the pattern has a group of that name. */
int regex_has_group(const struct hw_regex *rx, const char *name);
/* A literal every match must contain, for a memmem prefilter, or NULL (see regex.c). */
const char *regex_required_literal(const struct hw_regex *rx, size_t *len);

#endif
