/* Health rules (config "health.rules"): each names a metric, labels and one comparison.
 * /healthz and `hostwatch health` answer whether all hold, and say which does not and why. */
#ifndef HW_HEALTH_H
#define HW_HEALTH_H

#include <stddef.h>

#include "opt.h"
#include "registry.h"

enum hw_health_op { HW_OP_EQ, HW_OP_NE, HW_OP_GT, HW_OP_LT, HW_OP_GE, HW_OP_LE, HW_NOPS };

struct hw_health_rule_conf {
    char *name;
    char *metric;
    struct hw_strmap labels;
    struct hw_optnum cmp[HW_NOPS]; /* exactly one set: equals, not_equals, above, ... */
};

struct hw_health_conf {
    struct hw_objlist rules; /* struct hw_health_rule_conf */
};

extern const struct hw_opt hw_health_opts[];

struct hw_diag;
/* Cross-checks after parsing: exactly one comparison per rule. */
int hw_health_validate(const struct hw_health_conf *c, const char *path, struct hw_diag *d);

/* The rule set the endpoint evaluates: replaced as a whole on reload, read from HTTP threads. */
struct hw_health;

struct hw_health *hw_health_new(void);
void hw_health_free(struct hw_health *h);
/* Copies the rules of c. 0 or -1 (out of memory: the old rules stay). */
int hw_health_set(struct hw_health *h, const struct hw_health_conf *c);
/* 1 when every rule holds on snap; otherwise 0 and `why` names the first failing rule and what
 * it saw. No rules: 1. */
int hw_health_eval(struct hw_health *h, const struct hw_snapshot *snap, char *why, size_t len);
/* Every rule on snap, in order: cb(arg, text, holds, why) with the rule's text and, when it
 * fails, what it saw (the status document lists them all). */
void hw_health_each(struct hw_health *h, const struct hw_snapshot *snap,
                    void (*cb)(void *arg, const char *rule, int holds, const char *why),
                    void *arg);

#endif
