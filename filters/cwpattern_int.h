/* Internals shared by cwpattern.c, cwpattern_json.c and cwpattern_delim.c: the compiled form of
 * a filter pattern and the parsing/evaluation helpers the three pattern families have in
 * common. Not an API: include cwpattern.h instead. */
#ifndef HW_CWPATTERN_INT_H
#define HW_CWPATTERN_INT_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>

#include "cwpattern.h"

#define CWP_NONE ((size_t)-1)
#define CWP_MAX_REGEX 2                     /* CloudWatch quota per JSON/delimited pattern */
#define CWP_MAX_DEPTH 64                    /* nested parentheses in a JSON pattern */
#define CWP_MAX_JSON_LINE ((size_t)1 << 20) /* larger events are a resource limit (-1) */
#define CWP_MATCH_LIMIT 100000u
#define CWP_DEPTH_LIMIT 1000u

enum cwp_op {
    CWP_EQ,
    CWP_NE,
    CWP_LT,
    CWP_LE,
    CWP_GT,
    CWP_GE,
    CWP_IS_NULL,
    CWP_IS_TRUE,
    CWP_IS_FALSE,
    CWP_NOT_EXISTS,
};

enum cwp_vkind { CWP_V_NONE, CWP_V_NUM, CWP_V_STR, CWP_V_REGEX };

/* The right-hand side of a comparison. */
struct cwp_value {
    enum cwp_vkind kind;
    char *text; /* owned: a number as written, or a string without quotes, escapes, outer '*' */
    size_t len;
    double num;
    int lead, trail; /* string: a '*' wildcard before / after text */
    pcre2_code *re;
};

/* One comparison: ref is a selector index (JSON) or a pattern field index (delimited). */
struct cwp_cond {
    size_t ref;
    enum cwp_op op;
    struct cwp_value v;
    size_t name_at, name_len; /* delimited: where the field name was written */
};

enum cwp_ntype { CWP_N_AND, CWP_N_OR, CWP_N_COND };

/* Expression tree node; children are a sibling chain so only parentheses add depth. */
struct cwp_node {
    enum cwp_ntype type;
    size_t arg;  /* CWP_N_COND: condition index; otherwise the first child */
    size_t next; /* next sibling or CWP_NONE */
};

/* A node list being built: closed into one AND/OR node (or its only element). */
struct cwp_list {
    size_t head, tail, count;
};

enum cwp_trole { CWP_T_ALL, CWP_T_NOT, CWP_T_ANY };

struct cwp_term {
    char *text;
    size_t len;
    enum cwp_trole role;
    size_t group; /* 0: before the first ?term; k: the k-th ?term and the plain terms after it */
};

struct cwp_sel {
    char *text; /* "$.a.b[0]" as written; walked at match time */
    size_t len;
};

struct cwp_dfield {
    char *name; /* "$name"; NULL for an unnamed field or "..." */
};

struct cwp {
    enum cwp_kind kind;
    struct cwp_term *terms;
    size_t nterms, terms_cap, ngroups;
    struct cwp_value regex; /* CWP_REGEX */
    struct cwp_node *nodes;
    size_t nnodes, nodes_cap, root;
    struct cwp_cond *conds;
    size_t nconds, conds_cap;
    struct cwp_sel *sels;
    size_t nsels, sels_cap;
    struct cwp_dfield *dfields;
    size_t ndfields, dfields_cap, ellipsis; /* ellipsis: index of "..." or CWP_NONE */
    size_t nregex;
    pcre2_match_context *mctx;
    const char *literal; /* points into a term or value owned above */
    size_t literal_len;
};

/* Compile-time cursor over the pattern text. */
struct cwp_parser {
    const char *src;
    size_t len, pos;
    struct cwp *p;
    char *err;
    size_t errlen;
    size_t *col;
    unsigned depth;
    int failed;
};

/* cwpattern_util.c */
int cwp_is_alnum(unsigned char c);
int cwp_fail(struct cwp_parser *ps, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cwp_skip_ws(struct cwp_parser *ps);
int cwp_is_ws(char c);
const char *cwp_scratch_put(struct cwp_match *m, const char *s, size_t len);
int cwp_field_add(struct cwp_match *m, const char *name, const char *value, size_t len);
/* Frees the scratch buffers a match kept alive (the next match, or the end). */
void cwp_retired_free(struct cwp_match *m);

/* cwpattern_expr.c */
void cwp_value_free(struct cwp_value *v);
int cwp_parse_quoted(struct cwp_parser *ps, int glob, char **out, size_t *outlen, int *lead,
                     int *trail);
int cwp_parse_regex(struct cwp_parser *ps, struct cwp_value *v);
int cwp_regex_find(const struct cwp *p, const pcre2_code *re, const char *s, size_t n,
                   struct cwp_match *m);
int cwp_parse_op(struct cwp_parser *ps, enum cwp_op *op);
int cwp_parse_value(struct cwp_parser *ps, enum cwp_op op, struct cwp_value *v);
int cwp_number_text(const char *s, size_t n, double *out);
size_t cwp_node_add(struct cwp *p, enum cwp_ntype type, size_t arg);
void cwp_list_add(struct cwp *p, struct cwp_list *l, size_t node);
size_t cwp_list_close(struct cwp *p, struct cwp_list *l, enum cwp_ntype type);
size_t cwp_cond_add(struct cwp *p);
int cwp_compare(const struct cwp *p, const struct cwp_cond *c, const char *s, size_t n, int is_num,
                double num, struct cwp_match *m);

typedef int (*cwp_cond_fn)(const struct cwp *p, const struct cwp_cond *c, void *ctx);
int cwp_eval(const struct cwp *p, size_t node, cwp_cond_fn fn, void *ctx);

/* cwpattern_json.c */
int cwp_json_compile(struct cwp_parser *ps);
int cwp_json_match(const struct cwp *p, const char *line, size_t len, struct cwp_match *m);
int cwp_json_lookup(struct cwp_match *m, const char *name, const char **value, size_t *len);

/* cwpattern_delim.c */
int cwp_delim_compile(struct cwp_parser *ps);
int cwp_delim_match(const struct cwp *p, const char *line, size_t len, struct cwp_match *m);
int cwp_delim_lookup(const struct cwp_match *m, const char *name, const char **value, size_t *len);

#endif
