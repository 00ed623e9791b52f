/* The literal prefilter searches with filters/finder.c (not memmem: see finder.h). */
#include "binding.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwpattern.h"
#include "diag.h"
#include "finder.h"
#include "regex.h"

/* In the order of enum hw_mtype: the parsed index is the registry's type. */
static const char *const type_choices[] = {"counter", "gauge", "histogram", NULL};
_Static_assert(HW_COUNTER == 0 && HW_GAUGE == 1 && HW_HISTOGRAM == 2, "type_choices order");

const struct hw_opt binding_opts[] = {
    {.key = "name", .type = HW_OPT_STRING, .offset = offsetof(struct binding_conf, name),
     .help = "filter name in self-metrics and test-filter (default: the metric)"},
    {.key = "metric", .type = HW_OPT_STRING, .offset = offsetof(struct binding_conf, metric),
     .help = "metric name (required)"},
    {.key = "type", .type = HW_OPT_ENUM, .def = "counter",
     .offset = offsetof(struct binding_conf, type), .choices = type_choices,
     .help = "counter, gauge or histogram"},
    {.key = "regex", .type = HW_OPT_STRING, .offset = offsetof(struct binding_conf, regex),
     .help = "PCRE2 regex; named groups give value and labels"},
    {.key = "pattern", .type = HW_OPT_STRING, .offset = offsetof(struct binding_conf, pattern),
     .help = "CloudWatch Logs filter pattern"},
    {.key = "value", .type = HW_OPT_SCALAR, .offset = offsetof(struct binding_conf, value),
     .help = "constant, or $field / $.json.path / regex group (default: group \"value\", else 1)"},
    {.key = "labels", .type = HW_OPT_STRLIST, .offset = offsetof(struct binding_conf, labels),
     .help = "regex groups or pattern fields turned into labels (Name=source names one)"},
    {.key = "buckets", .type = HW_OPT_DBLLIST, .offset = offsetof(struct binding_conf, buckets),
     .help = "histogram bucket upper bounds, ascending"},
    {.key = "unit", .type = HW_OPT_STRING, .def = "None",
     .offset = offsetof(struct binding_conf, unit), .help = "CloudWatch unit"},
    {.key = "help", .type = HW_OPT_STRING, .offset = offsetof(struct binding_conf, help),
     .help = "HELP text"},
    {.key = "max_series", .type = HW_OPT_INT, .def = "1000",
     .offset = offsetof(struct binding_conf, max_series), .min = 1, .max = 1000000,
     .help = "distinct label sets kept; more are dropped and counted"},
    HW_OPT_END,
};

static const double default_buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

struct binding_label {
    char *source;   /* group name, "$field" or "$.path" */
    char *key;      /* label name */
    int group;      /* regex group number of source, -1 when none */
};

struct binding {
    char *name;
    char *metric;
    int type;
    struct hw_regex *rx;
    struct cwp *cwp;
    struct cwp_match cm;
    const char *literal; /* prefilter: owned by rx or cwp */
    size_t literal_len;
    struct hw_finder finder; /* searches for literal */
    int value_const;     /* 1: value is the constant below */
    double value;
    char *value_src;     /* field/group the value comes from */
    int value_group;     /* regex group number of value_src, -1 when none */
    struct binding_label labels[BINDING_MAX_LABELS];
    size_t nlabels;
    size_t max_series;
    struct hw_family *fam;
    struct hw_series *series0; /* the one series of a filter without labels */
    struct binding_stats stats;
};

static int valid_metric_name(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_' || *s == ':')) {
        return 0;
    }
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != ':') {
            return 0;
        }
    }
    return 1;
}

/* "$.req.path" -> "req_path", "$status" -> "status", "status" -> "status". */
static void label_key_from(const char *src, char *out, size_t len)
{
    const char *p = src;
    if (*p == '$') {
        p++;
    }
    if (*p == '.') {
        p++;
    }
    size_t n = 0;
    for (; *p && n + 1 < len; p++) {
        out[n++] = (isalnum((unsigned char)*p) || *p == '_') ? *p : '_';
    }
    out[n] = '\0';
    if (n > 0 && isdigit((unsigned char)out[0]) && n + 1 < len) {
        memmove(out + 1, out, n + 1);
        out[0] = '_';
    }
}

/* "Name=$field" gives the label its own name (a CloudWatch dimension name such as EventType);
 * otherwise the name comes from the source. Returns the source. */
static const char *label_parse(const char *spec, char *key, size_t len)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec) {
        label_key_from(spec, key, len);
        return spec;
    }
    size_t n = 0;
    for (const char *p = spec; p < eq && n + 1 < len; p++) {
        key[n++] = (isalnum((unsigned char)*p) || *p == '_') ? *p : '_';
    }
    key[n] = '\0';
    return eq + 1;
}

static int parse_number(const char *s, size_t len, double *out)
{
    /* Fast path: up to 15 decimal digits are exact in a double (what strtod would give). */
    if (len > 0 && len <= 15) {
        uint64_t n = 0;
        size_t i = 0;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            n = n * 10 + (uint64_t)(s[i] - '0');
        }
        if (i == len) {
            *out = (double)n;
            return 0;
        }
    }
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp)) {
        return -1;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end == tmp || *end != '\0' || errno == ERANGE || v != v) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Compiles the matcher; 0, or -1 with the message and 1-based column. */
static int compile_matcher(const struct binding_conf *c, struct hw_regex **rx, struct cwp **cwp,
                           char *err, size_t errlen, size_t *col)
{
    if (c->regex) {
        *rx = regex_compile(c->regex, err, errlen, col);
        return *rx ? 0 : -1;
    }
    *cwp = cwp_compile(c->pattern, err, errlen, col);
    return *cwp ? 0 : -1;
}

static int validate_labels(const struct binding_conf *c, const struct hw_regex *rx,
                           const char *path, struct hw_diag *d)
{
    int errs = 0;
    char kp[512];
    hw_path_key(kp, sizeof(kp), path, "labels");
    if (c->labels.n > BINDING_MAX_LABELS) {
        hw_diag_add(d, kp, "at most %d labels", BINDING_MAX_LABELS);
        return 1;
    }
    for (size_t i = 0; i < c->labels.n; i++) {
        char key[128], ip[560];
        const char *src = label_parse(c->labels.v[i], key, sizeof(key));
        hw_path_idx(ip, sizeof(ip), kp, i);
        if (!key[0] || strncmp(key, "__", 2) == 0) {
            hw_diag_add(d, ip, "\"%s\" does not make a label name", c->labels.v[i]);
            errs++;
        } else if (rx && !regex_has_group(rx, src[0] == '$' ? src + 1 : src)) {
            hw_diag_add(d, ip, "the regex has no named group \"%s\"", src);
            errs++;
        }
    }
    return errs;
}

static int validate_value_and_buckets(const struct binding_conf *c, const struct hw_regex *rx,
                                      const char *path, struct hw_diag *d)
{
    int errs = 0;
    char kp[512];
    double num;
    if (c->value && parse_number(c->value, strlen(c->value), &num) != 0 && rx &&
        !regex_has_group(rx, c->value[0] == '$' ? c->value + 1 : c->value)) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "value"),
                    "\"%s\" is neither a number nor a named group of the regex", c->value);
        errs++;
    }
    if (c->buckets.n && c->type != HW_HISTOGRAM) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "buckets"), "only for type histogram");
        errs++;
    }
    for (size_t i = 1; i < c->buckets.n; i++) {
        if (!(c->buckets.v[i] > c->buckets.v[i - 1])) {
            hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "buckets"),
                        "bounds must be strictly ascending");
            errs++;
            break;
        }
    }
    return errs;
}

int binding_validate(const struct binding_conf *c, const char *path, struct hw_diag *d)
{
    char kp[512];
    if (!c->metric || !valid_metric_name(c->metric)) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "metric"),
                    c->metric ? "\"%s\" is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"
                              : "required%s",
                    c->metric ? c->metric : "");
        return 1;
    }
    if (!!c->regex == !!c->pattern) {
        hw_diag_add(d, path, "needs exactly one of \"regex\" and \"pattern\"");
        return 1;
    }
    struct hw_regex *rx = NULL;
    struct cwp *cwp = NULL;
    char err[256];
    size_t col = 0;
    if (compile_matcher(c, &rx, &cwp, err, sizeof(err), &col) != 0) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, c->regex ? "regex" : "pattern"),
                    "column %zu: %s", col, err);
        return 1;
    }
    int errs = validate_labels(c, rx, path, d) + validate_value_and_buckets(c, rx, path, d);
    regex_free(rx);
    cwp_free(cwp);
    return errs;
}

void binding_free(struct binding *b)
{
    if (!b) {
        return;
    }
    regex_free(b->rx);
    cwp_free(b->cwp);
    cwp_match_free(&b->cm);
    for (size_t i = 0; i < b->nlabels; i++) {
        free(b->labels[i].source);
        free(b->labels[i].key);
    }
    free(b->value_src);
    free(b->metric);
    free(b->name);
    free(b);
}

static int binding_setup_value(struct binding *b, const struct binding_conf *c)
{
    if (c->value && parse_number(c->value, strlen(c->value), &b->value) == 0) {
        b->value_const = 1;
        return 0;
    }
    const char *src = c->value;
    if (!src && b->rx && regex_has_group(b->rx, "value")) {
        src = "value";
    }
    if (!src) {
        b->value_const = 1;
        b->value = 1;
        return 0;
    }
    if (b->rx && src[0] == '$') {
        src++; /* "$name" names a regex group too */
    }
    b->value_src = strdup(src);
    b->value_group = b->rx ? regex_group_number(b->rx, src) : -1;
    return b->value_src ? 0 : -1;
}

static struct hw_family *binding_make_family(const struct binding_conf *c,
                                             struct hw_registry *reg, const char *owner)
{
    char help[256];
    snprintf(help, sizeof(help), "%s", c->help ? c->help : "Log-derived metric.");
    struct hw_family_desc d = {.name = c->metric,
                               .help = help,
                               .unit = c->unit ? c->unit : "None",
                               .type = (enum hw_mtype)c->type,
                               .views = HW_VIEW_ALL};
    if (c->type == HW_HISTOGRAM) {
        d.buckets = c->buckets.n ? c->buckets.v : default_buckets;
        d.nbuckets = c->buckets.n ? c->buckets.n : sizeof(default_buckets) / sizeof(double);
    }
    return hw_registry_family(reg, &d, owner);
}

struct binding *binding_new(const struct binding_conf *c, struct hw_registry *reg,
                            const char *owner, char *err, size_t errlen)
{
    struct binding *b = calloc(1, sizeof(*b));
    size_t col = 0;
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cwp_match_init(&b->cm);
    b->type = c->type;
    b->max_series = (size_t)c->max_series;
    b->name = strdup(c->name ? c->name : c->metric);
    b->metric = strdup(c->metric);
    if (!b->name || !b->metric || compile_matcher(c, &b->rx, &b->cwp, err, errlen, &col) != 0 ||
        binding_setup_value(b, c) != 0) {
        goto fail;
    }
    b->literal = b->rx ? regex_required_literal(b->rx, &b->literal_len)
                       : cwp_required_literal(b->cwp, &b->literal_len);
    if (b->literal) {
        hw_finder_init(&b->finder, b->literal, b->literal_len);
    }
    for (size_t i = 0; i < c->labels.n && i < BINDING_MAX_LABELS; i++) {
        char key[128];
        const char *src = label_parse(c->labels.v[i], key, sizeof(key));
        b->labels[i].source = strdup(b->rx && src[0] == '$' ? src + 1 : src);
        b->labels[i].key = strdup(key);
        b->labels[i].group = b->rx && b->labels[i].source
                                 ? regex_group_number(b->rx, b->labels[i].source)
                                 : -1;
        b->nlabels++;
        if (!b->labels[i].source || !b->labels[i].key) {
            goto fail;
        }
    }
    b->fam = binding_make_family(c, reg, owner);
    if (!b->fam) {
        snprintf(err, errlen, "metric \"%s\" already exists with another type", c->metric);
        goto fail;
    }
    return b;
fail:
    if (!err[0]) {
        snprintf(err, errlen, "out of memory");
    }
    binding_free(b);
    return NULL;
}

/* The named field of the current match (regex group, by its number, or pattern field). */
static int binding_field(struct binding *b, const char *line, const char *name, int group,
                         const char **v, size_t *len)
{
    if (b->rx) {
        return regex_group_at(b->rx, line, group, v, len);
    }
    return cwp_match_lookup(&b->cm, name, v, len);
}

/* Copies a label value, replacing bytes that are not valid UTF-8 with '?' so the exposition
 * stays valid whatever the log contains. */
static void copy_label(char *dst, const char *src, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < BINDING_LABEL_MAX;) {
        unsigned char ch = (unsigned char)src[i];
        size_t want = ch < 0x80 ? 1 : (ch >> 5) == 6 ? 2 : (ch >> 4) == 14 ? 3 : (ch >> 3) == 30 ? 4 : 0;
        int ok = want > 0 && i + want <= len && n + want < BINDING_LABEL_MAX;
        for (size_t k = 1; ok && k < want; k++) {
            ok = ((unsigned char)src[i + k] >> 6) == 2;
        }
        if (!ok || ch == 0) {
            dst[n++] = '?';
            i++;
            continue;
        }
        memcpy(dst + n, src + i, want);
        n += want;
        i += want;
    }
    dst[n] = '\0';
}

static int binding_update(struct binding *b, const struct binding_hit *hit)
{
    struct hw_series *s = b->series0;
    if (!s) {
        s = hw_family_series(b->fam, hit->labels, hit->nlabels, b->max_series);
        if (!s) {
            b->stats.dropped++;
            return -1;
        }
        if (hit->nlabels == 0) {
            b->series0 = s;
        }
    }
    if (b->type == HW_COUNTER) {
        hw_series_add(s, hit->value);
    } else if (b->type == HW_GAUGE) {
        hw_series_set(s, hit->value);
    } else {
        hw_family_observe(b->fam, s, hit->value);
    }
    return 0;
}

int binding_apply(struct binding *b, const char *line, size_t len, struct binding_hit *hit)
{
    struct binding_hit local;
    if (b->literal && !hw_finder_find(&b->finder, line, len)) {
        return 0;
    }
    int m = b->rx ? regex_match(b->rx, line, len) : cwp_match(b->cwp, line, len, &b->cm);
    if (m <= 0) {
        b->stats.limit_errors += m < 0;
        return m;
    }
    hit = hit ? hit : &local;
    hit->value = b->value;
    const char *v;
    size_t vlen;
    if (!b->value_const && (!binding_field(b, line, b->value_src, b->value_group, &v, &vlen) ||
                            parse_number(v, vlen, &hit->value) != 0 ||
                            (b->type == HW_COUNTER && hit->value < 0))) {
        b->stats.bad_values++;
        return -1;
    }
    hit->nlabels = b->nlabels;
    for (size_t i = 0; i < b->nlabels; i++) {
        if (!binding_field(b, line, b->labels[i].source, b->labels[i].group, &v, &vlen)) {
            v = "";
            vlen = 0;
        }
        copy_label(hit->label_buf[i], v, vlen);
        hit->labels[i] = (struct hw_label){b->labels[i].key, hit->label_buf[i]};
    }
    b->stats.matches++;
    binding_update(b, hit);
    return 1;
}

void binding_foreach_field(struct binding *b, const char *line,
                           void (*cb)(void *arg, const char *name, const char *v, size_t len),
                           void *arg)
{
    if (b->rx) {
        regex_foreach_group(b->rx, line, cb, arg);
        return;
    }
    for (size_t i = 0; i < b->cm.nfields; i++) {
        cb(arg, b->cm.fields[i].name, b->cm.fields[i].value, b->cm.fields[i].len);
    }
}

const struct binding_stats *binding_stats(const struct binding *b)
{
    return &b->stats;
}

const char *binding_name(const struct binding *b)
{
    return b->name;
}

const char *binding_metric(const struct binding *b)
{
    return b->metric;
}

enum hw_mtype binding_type(const struct binding *b)
{
    return (enum hw_mtype)b->type;
}

struct hw_family *binding_family(const struct binding *b)
{
    return b->fam;
}
