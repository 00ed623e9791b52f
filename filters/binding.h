/* A log filter bound to its metric: a matcher (PCRE2 regex or CloudWatch filter pattern),
 * the value and labels it extracts, and the counter, gauge or histogram it updates, with a
 * bound on the number of label sets. */
#ifndef HW_BINDING_H
#define HW_BINDING_H

#include <stddef.h>
#include <stdint.h>

#include "opt.h"
#include "registry.h"

#define BINDING_MAX_LABELS 8
#define BINDING_LABEL_MAX 256 /* bytes of one label value kept */


/* One element of collectors.logs[].filters (parsed by binding_opts). */
struct binding_conf {
    char *name;   /* for self-metrics and test-filter; default: the metric name */
    char *metric; /* required */
    int type;     /* enum hw_mtype (the option's choices are in its order) */
    char *regex;  /* exactly one of regex / pattern */
    char *pattern;
    char *value; /* constant number, or "$field" / "$.json.path" / a regex group name */
    struct hw_strlist labels;
    struct hw_dbllist buckets;
    char *unit; /* CloudWatch unit */
    char *help;
    int64_t max_series;
};

extern const struct hw_opt binding_opts[];

struct hw_diag;
/* Checks one filter (compiles its regex or pattern, names, labels, buckets); adds to d. */
int binding_validate(const struct binding_conf *c, const char *path, struct hw_diag *d);

/* What one matching line did (for test-filter and tests). */
struct binding_hit {
    double value;
    struct hw_label labels[BINDING_MAX_LABELS];
    size_t nlabels;
    char label_buf[BINDING_MAX_LABELS][BINDING_LABEL_MAX];
};

struct binding_stats {
    uint64_t matches;
    uint64_t bad_values;    /* extracted value missing or not a number; line not counted */
    uint64_t limit_errors;  /* regex match/depth limit or oversized JSON */
    uint64_t dropped;       /* updates refused: max_series reached */
};

struct binding;

/* Compiles c and creates its family in reg (owned by owner). NULL with a message in err. */
struct binding *binding_new(const struct binding_conf *c, struct hw_registry *reg,
                            const char *owner, char *err, size_t errlen);
void binding_free(struct binding *b);
/* Runs the filter on one line: 1 matched (metric updated; *hit filled when not NULL), 0 not,
 * -1 counted error. The literal prefilter runs first. */
int binding_apply(struct binding *b, const char *line, size_t len, struct binding_hit *hit);
/* After a match: every captured field (regex named groups, pattern fields). */
void binding_foreach_field(struct binding *b, const char *line,
                           void (*cb)(void *arg, const char *name, const char *v, size_t len),
                           void *arg);
const struct binding_stats *binding_stats(const struct binding *b);
const char *binding_name(const struct binding *b);
const char *binding_metric(const struct binding *b);
enum hw_mtype binding_type(const struct binding *b);
struct hw_family *binding_family(const struct binding *b);

#endif
