#include "health.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"

#define RULE_FIELD(op) (offsetof(struct hw_health_rule_conf, cmp) + (op) * sizeof(struct hw_optnum))

static const char *const op_text[HW_NOPS] = {"==", "!=", ">", "<", ">=", "<="};

static const struct hw_opt rule_opts[] = {
    {.key = "name", .type = HW_OPT_STRING, .offset = offsetof(struct hw_health_rule_conf, name),
     .help = "name shown when the rule fails (default: the metric and labels)"},
    {.key = "metric", .type = HW_OPT_STRING,
     .offset = offsetof(struct hw_health_rule_conf, metric), .help = "metric name (required)"},
    {.key = "labels", .type = HW_OPT_STRMAP,
     .offset = offsetof(struct hw_health_rule_conf, labels),
     .help = "labels the series must have (others are ignored)"},
    {.key = "equals", .type = HW_OPT_OPTNUM, .offset = RULE_FIELD(HW_OP_EQ),
     .help = "holds when the value equals this"},
    {.key = "not_equals", .type = HW_OPT_OPTNUM, .offset = RULE_FIELD(HW_OP_NE),
     .help = "holds when the value differs"},
    {.key = "above", .type = HW_OPT_OPTNUM, .offset = RULE_FIELD(HW_OP_GT),
     .help = "holds when the value is greater"},
    {.key = "below", .type = HW_OPT_OPTNUM, .offset = RULE_FIELD(HW_OP_LT),
     .help = "holds when the value is smaller"},
    {.key = "at_least", .type = HW_OPT_OPTNUM, .offset = RULE_FIELD(HW_OP_GE),
     .help = "holds when the value is greater or equal"},
    {.key = "at_most", .type = HW_OPT_OPTNUM, .offset = RULE_FIELD(HW_OP_LE),
     .help = "holds when the value is smaller or equal"},
    HW_OPT_END,
};

const struct hw_opt hw_health_opts[] = {
    {.key = "rules", .type = HW_OPT_OBJLIST, .offset = offsetof(struct hw_health_conf, rules),
     .sub = rule_opts, .elem_size = sizeof(struct hw_health_rule_conf),
     .help = "rules that must all hold for /healthz to answer 200"},
    HW_OPT_END,
};

int hw_health_validate(const struct hw_health_conf *c, const char *path, struct hw_diag *d)
{
    const struct hw_health_rule_conf *r = c->rules.items;
    int errs = 0;
    for (size_t i = 0; i < c->rules.n; i++) {
        char rp[256], kp[300];
        hw_path_idx(rp, sizeof(rp), path, i);
        int n = 0;
        for (int op = 0; op < HW_NOPS; op++) {
            n += r[i].cmp[op].set;
        }
        if (!r[i].metric) {
            hw_diag_add(d, hw_path_key(kp, sizeof(kp), rp, "metric"), "required");
            errs++;
        }
        if (n != 1) {
            hw_diag_add(d, rp, "needs exactly one of equals, not_equals, above, below, "
                               "at_least, at_most (has %d)", n);
            errs++;
        }
    }
    return errs;
}

struct health_rule {
    char *text; /* "name: metric{labels} == 1" */
    char *metric;
    struct hw_label labels[16];
    size_t nlabels;
    enum hw_health_op op;
    double want;
};

struct hw_health {
    pthread_mutex_t lock;
    struct health_rule *rules;
    size_t n;
};

static void rules_free(struct health_rule *rules, size_t n)
{
    for (size_t i = 0; rules && i < n; i++) {
        for (size_t k = 0; k < rules[i].nlabels; k++) {
            free((char *)rules[i].labels[k].key);
            free((char *)rules[i].labels[k].value);
        }
        free(rules[i].text);
        free(rules[i].metric);
    }
    free(rules);
}

struct hw_health *hw_health_new(void)
{
    struct hw_health *h = calloc(1, sizeof(*h));
    if (h && pthread_mutex_init(&h->lock, NULL) != 0) {
        free(h);
        return NULL;
    }
    return h;
}

void hw_health_free(struct hw_health *h)
{
    if (!h) {
        return;
    }
    rules_free(h->rules, h->n);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static int rule_copy(struct health_rule *out, const struct hw_health_rule_conf *c)
{
    struct hw_buf b;
    hw_buf_init(&b);
    hw_buf_printf(&b, "%s%s%s{", c->name ? c->name : "", c->name ? ": " : "", c->metric);
    out->metric = strdup(c->metric);
    for (size_t k = 0; k < c->labels.n && k < 16; k++) {
        out->labels[k].key = strdup(c->labels.keys[k]);
        out->labels[k].value = strdup(c->labels.values[k]);
        out->nlabels++;
        hw_buf_printf(&b, "%s%s=\"%s\"", k ? "," : "", c->labels.keys[k], c->labels.values[k]);
        if (!out->labels[k].key || !out->labels[k].value) {
            hw_buf_free(&b);
            return -1;
        }
    }
    for (int op = 0; op < HW_NOPS; op++) {
        if (c->cmp[op].set) {
            out->op = (enum hw_health_op)op;
            out->want = c->cmp[op].v;
        }
    }
    hw_buf_printf(&b, "} %s %g", op_text[out->op], out->want);
    out->text = b.oom ? NULL : strdup(b.data);
    hw_buf_free(&b);
    return out->metric && out->text ? 0 : -1;
}

int hw_health_set(struct hw_health *h, const struct hw_health_conf *c)
{
    const struct hw_health_rule_conf *rc = c ? c->rules.items : NULL;
    size_t n = c ? c->rules.n : 0;
    struct health_rule *rules = calloc(n ? n : 1, sizeof(*rules));
    if (!rules) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (rule_copy(&rules[i], &rc[i]) != 0) {
            rules_free(rules, n);
            return -1;
        }
    }
    pthread_mutex_lock(&h->lock);
    struct health_rule *old = h->rules;
    size_t old_n = h->n;
    h->rules = rules;
    h->n = n;
    pthread_mutex_unlock(&h->lock);
    rules_free(old, old_n);
    return 0;
}

static int compare(enum hw_health_op op, double v, double want)
{
    switch (op) {
    case HW_OP_EQ:
        return v == want;
    case HW_OP_NE:
        return v != want;
    case HW_OP_GT:
        return v > want;
    case HW_OP_LT:
        return v < want;
    case HW_OP_GE:
        return v >= want;
    default:
        return v <= want;
    }
}

static int series_has(const struct hw_snap_series *s, const struct health_rule *r)
{
    for (size_t k = 0; k < r->nlabels; k++) {
        size_t j = 0;
        while (j < s->nlabels && (strcmp(s->labels[j].key, r->labels[k].key) != 0 ||
                                  strcmp(s->labels[j].value, r->labels[k].value) != 0)) {
            j++;
        }
        if (j == s->nlabels) {
            return 0;
        }
    }
    return 1;
}

/* A rule holds when some series has its labels and every such series passes the comparison;
 * an absent series fails, so "unknown" is never mistaken for healthy. */
static int rule_eval(const struct health_rule *r, const struct hw_snapshot *snap, char *why,
                     size_t len)
{
    const struct hw_snap_family *f = snap ? hw_snapshot_find(snap, r->metric) : NULL;
    size_t seen = 0;
    for (size_t i = 0; f && i < f->nseries; i++) {
        const struct hw_snap_series *s = &f->series[i];
        if (!series_has(s, r)) {
            continue;
        }
        seen++;
        if (!compare(r->op, s->value, r->want)) {
            snprintf(why, len, "rule failed: %s (value is %g)\n", r->text, s->value);
            return 0;
        }
    }
    if (seen == 0) {
        snprintf(why, len, "rule failed: %s (no such series: the value is unknown)\n", r->text);
        return 0;
    }
    return 1;
}

int hw_health_eval(struct hw_health *h, const struct hw_snapshot *snap, char *why, size_t len)
{
    int ok = 1;
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; ok && i < h->n; i++) {
        ok = rule_eval(&h->rules[i], snap, why, len);
    }
    if (ok) {
        snprintf(why, len, "ok\n");
    }
    pthread_mutex_unlock(&h->lock);
    return ok;
}

void hw_health_each(struct hw_health *h, const struct hw_snapshot *snap,
                    void (*cb)(void *arg, const char *rule, int holds, const char *why),
                    void *arg)
{
    char why[512];
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->n; i++) {
        int ok = rule_eval(&h->rules[i], snap, why, sizeof(why));
        why[strcspn(why, "\n")] = '\0';
        cb(arg, h->rules[i].text, ok, ok ? "" : why);
    }
    pthread_mutex_unlock(&h->lock);
}
