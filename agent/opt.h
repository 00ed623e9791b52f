/* Declarative option tables: every plugin describes its JSON options once (key, type, default,
 * offset, bounds, help) and this engine parses, range-checks, reports and frees them. */
#ifndef HW_OPT_H
#define HW_OPT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct hw_diag;

enum hw_opt_type {
    HW_OPT_BOOL,     /* bool */
    HW_OPT_INT,      /* int64_t, bounds min..max */
    HW_OPT_DOUBLE,   /* double, bounds min..max */
    HW_OPT_STRING,   /* char * (malloc'd, NULL when absent without default) */
    HW_OPT_ENUM,     /* int: index into choices[] */
    HW_OPT_DURATION, /* int64_t nanoseconds, "500ms" "10s" "5m" "1h30m"; bounds in ns */
    HW_OPT_SIZE,     /* uint64_t bytes, "64KiB" "10MiB" "1GB" "512B"; bounds in bytes */
    HW_OPT_STRLIST,  /* struct hw_strlist; default is a '\n'-separated list */
    HW_OPT_STRMAP,   /* struct hw_strmap: object of string values */
    HW_OPT_DBLLIST,  /* struct hw_dbllist */
    HW_OPT_OBJECT,   /* nested struct at offset described by sub */
    HW_OPT_OBJLIST,  /* struct hw_objlist of elements described by sub, elem_size each */
    HW_OPT_SCALAR,   /* char *: a string, or a number kept as its text */
    HW_OPT_OPTNUM,   /* struct hw_optnum: a number that may be absent */
    HW_OPT_JSON,     /* json_t *: any JSON value, kept for the plugin's validate() */
};

struct hw_optnum {
    int set;
    double v;
};

struct hw_strlist {
    char **v;
    size_t n;
};

struct hw_strmap {
    char **keys;
    char **values;
    size_t n;
};

struct hw_dbllist {
    double *v;
    size_t n;
};

struct hw_objlist {
    void *items; /* n elements of elem_size bytes */
    size_t n;
};

struct hw_opt {
    const char *key;
    enum hw_opt_type type;
    const char *def; /* default as text (NULL: zero / absent) */
    size_t offset;
    double min, max; /* inclusive bounds when min < max */
    const char *const *choices; /* HW_OPT_ENUM, NULL-terminated */
    const struct hw_opt *sub;   /* HW_OPT_OBJECT / HW_OPT_OBJLIST, key==NULL terminated */
    size_t elem_size;           /* HW_OPT_OBJLIST */
    const char *help;
    /* 1: the value is a secret (a password, its hash, a token): never logged or printed, and
     * `check` warns when the config file holding it is readable by every user */
    int secret;
    /* HW_OPT_JSON: the JSON Schema (as JSON text) of what the plugin's validate() accepts;
     * NULL: any value. */
    const char *schema;
};

#define HW_OPT_END {.key = NULL}

/* Applies defaults, then the JSON object `obj` (may be NULL), to the struct at conf. Errors go
 * to d under JSON path `path`; returns the number of errors added. */
int hw_opt_parse(const struct hw_opt *table, void *conf, const json_t *obj, const char *path,
                 struct hw_diag *d);
void hw_strlist_free(struct hw_strlist *l);
/* Frees what hw_opt_parse allocated inside conf (not conf itself). */
void hw_opt_free(const struct hw_opt *table, void *conf);
/* The key (path below the table, e.g. "basic_auth.users") of the first secret option set in
 * conf, written to out; 1 found, 0 none. */
int hw_opt_find_secret(const struct hw_opt *table, const void *conf, char *out, size_t len);

/* Parsers shared with other modules; 0 on success, -1 with *why set to a static message. */
int hw_parse_duration(const char *s, int64_t *ns, const char **why);
int hw_parse_size(const char *s, uint64_t *bytes, const char **why);

/* A bound as users write it ("1ms", "5m", "64KiB", or a plain number) for messages and docs. */
void hw_opt_fmt_bound(char *out, size_t len, enum hw_opt_type t, double v);
/* A regular expression (ECMA-262 subset, anchored) matching the strings hw_parse_duration
 * (HW_OPT_DURATION) or hw_parse_size (HW_OPT_SIZE) reads; malloc'd, NULL for another type or
 * when memory ran out. */
char *hw_opt_value_pattern(enum hw_opt_type t);

/* Closest key of table to `key` within a small edit distance, or NULL. */
const char *hw_opt_suggest(const struct hw_opt *table, const char *key);
size_t hw_edit_distance(const char *a, const char *b);

/* Writes one line per option ("  key  type  default  help") for --help and the man page. */
void hw_opt_describe(const struct hw_opt *table, const char *prefix, void (*emit)(const char *line, void *arg),
                     void *arg);

#endif
