/* What a Route 53 record should hold, in pure functions: record names and values in the
 * canonical form Route 53 compares them in, the values a config offers, and the rule that picks
 * the desired one from a snapshot. */
#ifndef HW_R53_MODEL_H
#define HW_R53_MODEL_H

#include <jansson.h>
#include <stddef.h>

#include "registry.h"
#include "route53.h"

#define R53_NAME_MAX 256   /* a DNS name without the trailing dot, NUL included */
#define R53_VALUE_MAX 1100 /* a canonical value: one name, or addresses joined by ',' */
#define R53_MAX_ADDRS 16   /* addresses in one A or AAAA value */
#define R53_KEY_MAX 128    /* a label value that selects a value */

/* One value a record can take and the label value that selects it. */
struct r53_value {
    char key[R53_KEY_MAX];
    char canon[R53_VALUE_MAX]; /* addresses sorted and canonical, or the name lower-cased */
};

/* A configured record with its values parsed. */
struct r53_record {
    const struct r53_record_conf *conf;
    enum r53_type type;
    char name[R53_NAME_MAX]; /* canonical: lower case, no trailing dot, escapes decoded */
    struct r53_value *values;
    size_t nvalues;
};

/* "db.Corp.internal." -> "db.corp.internal" (Route 53's \ooo escapes decoded); 0, or -1 with
 * *why when it is not a name Route 53 takes. */
int r53_name_canon(const char *name, char *out, size_t len, const char **why);
/* 1 when in is a hosted zone id ("Z0123456789ABCDEFGHIJ", "/hostedzone/Z..."); out gets the
 * bare id. */
int r53_zone_id(const char *in, char *out, size_t len);
/* A config value (a string, or for A and AAAA an array of strings) in canonical form; 0 or -1
 * with *why. */
int r53_value_canon(enum r53_type t, const json_t *v, char *out, size_t len, const char **why);
/* Values as Route 53 lists them, n strings, in canonical form; 0 or -1. */
int r53_values_canon(enum r53_type t, const char *const *v, size_t n, char *out, size_t len,
                     const char **why);
/* Parses a record's config into r (values allocated; r53_record_free). 0, or -1 with the JSON
 * path's last part (the values key at fault, or "name"/"values") in *where and *why. */
int r53_record_init(struct r53_record *r, const struct r53_record_conf *c, const char **where,
                    const char **why);
void r53_record_free(struct r53_record *r);

enum r53_pick { R53_PICK_ONE, R53_PICK_NONE, R53_PICK_SEVERAL, R53_PICK_UNKNOWN };

/* The level-triggered rule: the index of the value selected when exactly one series of the
 * record's metric is 1 and its label names a value; -1 otherwise, with *pick saying why and
 * seen (when not NULL) the label value of the one series at 1. */
int r53_desired(const struct r53_record *r, const struct hw_snapshot *snap, enum r53_pick *pick,
                const char **seen);

#endif
