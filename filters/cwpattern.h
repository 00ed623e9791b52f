/* CloudWatch Logs filter patterns compiled into a matcher with field extraction: terms and
 * quoted phrases, -exclusions, ?alternatives, JSON patterns ({ $.a.b[0] = "x" && $.n > 5 }),
 * space-delimited patterns ([ip, user, ..., status=5*, bytes>1000]) and %regex%. Pure: no I/O,
 * no globals; a compiled pattern is read-only and may be shared. */
#ifndef HW_CWPATTERN_H
#define HW_CWPATTERN_H

#include <stddef.h>

#define CWP_MAX_FIELDS 32

enum cwp_kind { CWP_ALL, CWP_TERMS, CWP_JSON, CWP_DELIMITED, CWP_REGEX };

/* One extracted field. Names are "$name" for delimited fields and the selector text
 * ("$.a.b[0]") for JSON ones. Values point into the line or into memory the match owns
 * (its scratch, its parsed JSON) and stay valid until the next cwp_match on it. */
struct cwp_field {
    const char *name;
    const char *value;
    size_t len;
};

/* Per-call result; reuse one across calls (it owns scratch memory: free with cwp_match_free). */
struct cwp_match {
    struct cwp_field fields[CWP_MAX_FIELDS];
    size_t nfields;
    char *scratch; /* JSON numbers rendered as text, positional names ("$7") */
    size_t scratch_len, scratch_cap;
    void *json; /* parsed JSON of the last line (json_t *), owned */
    /* Internal state, reset by cwp_match and owned like scratch: */
    int kind;      /* enum cwp_kind of the pattern behind the last call */
    int matched;   /* the last cwp_match returned 1 */
    void *retired; /* earlier scratch buffers still referenced by values */
    void *md;      /* pcre2_match_data, created on first regex use */
    size_t *spans; /* delimited: (offset, length) of every field of the line */
    size_t nspans, spans_cap;
    const char *line; /* delimited: the last line, for positional "$N" lookups */
};

struct cwp;

/* Compiles pattern. On error returns NULL and writes a message and the 1-based column of the
 * offending character. */
struct cwp *cwp_compile(const char *pattern, char *err, size_t errlen, size_t *err_col);
void cwp_free(struct cwp *p);
enum cwp_kind cwp_kind(const struct cwp *p);

/* 1 when line matches (fields extracted into m), 0 when not, -1 on a resource limit (the
 * regex engine's match limit, an oversized JSON document): not a match, counted by callers. */
int cwp_match(const struct cwp *p, const char *line, size_t len, struct cwp_match *m);
void cwp_match_init(struct cwp_match *m);
void cwp_match_free(struct cwp_match *m);

/* The value named name in the last successful match: a delimited field ("$status"), or for a
 * JSON pattern any selector ("$.latency", "$.req.path", "$.a[1]") looked up in the parsed
 * event even when the pattern does not mention it (CloudWatch's metricValue/dimensions do
 * this). Strings come without quotes, numbers/booleans as written, null as "null"; objects
 * and arrays are not values. A delimited field can also be named by its 1-based position in
 * the line ("$7"), as CloudWatch's extractedValues do for fields "..." absorbed. Values stay
 * valid until the next cwp_match (delimited ones point into the line). 1 found, 0 not. */
int cwp_match_lookup(struct cwp_match *m, const char *name, const char **value, size_t *len);

/* A byte string every matching line must contain (for a memmem prefilter), or NULL when the
 * pattern has none (e.g. only ?alternatives, or only numeric JSON comparisons). */
const char *cwp_required_literal(const struct cwp *p, size_t *len);

/* Field names the pattern defines, so a config can check that "$name" values and labels
 * refer to something the pattern extracts. Returns the count; names[i] valid while p lives. */
size_t cwp_field_names(const struct cwp *p, const char **names, size_t max);

#endif
