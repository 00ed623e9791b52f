#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"

/* The field an option describes, inside the plugin's conf struct. */
static void *field_ptr(void *conf, const struct hw_opt *o)
{
    return (char *)conf + o->offset;
}

#define FIELD(conf, opt, type) ((type *)field_ptr((conf), (opt)))

/* ---- scalar parsers --------------------------------------------------------------------- */

struct unit_mult {
    const char *unit;
    double mult;
};

static const struct unit_mult duration_units[] = {{"ns", 1},    {"us", 1e3},    {"ms", 1e6},
                                                  {"s", 1e9},   {"m", 60e9},    {"h", 3600e9},
                                                  {"d", 86400e9}};
#define NDURATION_UNITS (sizeof(duration_units) / sizeof(duration_units[0]))

static const struct unit_mult size_units[] = {
    {"", 1},    {"B", 1},           {"KiB", 1024.0}, {"MiB", 1048576.0},
    {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}, {"KB", 1e3}, {"MB", 1e6},
    {"GB", 1e9}, {"TB", 1e12}};
#define NSIZE_UNITS (sizeof(size_units) / sizeof(size_units[0]))

int hw_parse_duration(const char *s, int64_t *ns, const char **why)
{
    const struct unit_mult *units = duration_units;
    double total = 0;
    const char *p = s;
    if (!*p) {
        *why = "empty duration (use e.g. \"500ms\", \"10s\", \"5m\")";
        return -1;
    }
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.') {
            *why = "a duration is a number with a unit, e.g. \"500ms\", \"10s\", \"1h30m\"";
            return -1;
        }
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno != 0) {
            *why = "bad number in duration";
            return -1;
        }
        p = end;
        size_t ul = 0;
        while (isalpha((unsigned char)p[ul])) {
            ul++;
        }
        double mult = 0;
        for (size_t i = 0; i < NDURATION_UNITS; i++) {
            if (strlen(units[i].unit) == ul && strncmp(p, units[i].unit, ul) == 0) {
                mult = units[i].mult;
            }
        }
        if (mult == 0) {
            *why = ul ? "unknown duration unit (use ns, us, ms, s, m, h, d)"
                      : "missing duration unit (use ns, us, ms, s, m, h, d)";
            return -1;
        }
        total += v * mult;
        p += ul;
    }
    if (total > 9.2e18) {
        *why = "duration too large";
        return -1;
    }
    *ns = (int64_t)(total + 0.5); /* total >= 0: rounds to nearest without libm */
    return 0;
}

int hw_parse_size(const char *s, uint64_t *bytes, const char **why)
{
    const struct unit_mult *units = size_units;
    if (!isdigit((unsigned char)*s)) {
        *why = "a size is a number with a unit, e.g. \"64KiB\", \"10MiB\", \"1GB\"";
        return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s) {
        *why = "bad number in size";
        return -1;
    }
    for (size_t i = 0; i < NSIZE_UNITS; i++) {
        if (strcmp(end, units[i].unit) == 0) {
            double b = v * units[i].mult;
            if (b > 1.8e19) {
                *why = "size too large";
                return -1;
            }
            if (b != (double)(unsigned long long)b) {
                *why = "size is not a whole number of bytes";
                return -1;
            }
            *bytes = (uint64_t)b;
            return 0;
        }
    }
    *why = "unknown size unit (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)";
    return -1;
}

/* The decimal numbers strtod reads; a duration's may start with '.', a size's starts with a
 * digit (hexadecimal and the like, which strtod also takes, are left out on purpose). */
#define NUM_RE "[0-9]+(\\.[0-9]*)?([eE][+-]?[0-9]+)?"
#define DUR_NUM_RE "([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?"

/* Appends the units of a table as a regex alternation "(a|b|c)" ("" as an optional group). */
static void put_units(struct hw_buf *b, const struct unit_mult *u, size_t n)
{
    int empty = 0, first = 1;
    hw_buf_putc(b, '(');
    for (size_t i = 0; i < n; i++) {
        if (!u[i].unit[0]) {
            empty = 1;
            continue;
        }
        if (!first) {
            hw_buf_putc(b, '|');
        }
        hw_buf_puts(b, u[i].unit);
        first = 0;
    }
    hw_buf_puts(b, empty ? ")?" : ")");
}

/* From the parsers' own unit tables, so that the schema's patterns follow a new unit. */
char *hw_opt_value_pattern(enum hw_opt_type t)
{
    struct hw_buf b;
    hw_buf_init(&b);
    if (t == HW_OPT_DURATION) {
        hw_buf_puts(&b, "^(" DUR_NUM_RE);
        put_units(&b, duration_units, NDURATION_UNITS);
        hw_buf_puts(&b, ")+$");
    } else if (t == HW_OPT_SIZE) {
        hw_buf_puts(&b, "^" NUM_RE);
        put_units(&b, size_units, NSIZE_UNITS);
        hw_buf_puts(&b, "$");
    } else {
        return NULL;
    }
    if (b.oom || !b.data) {
        hw_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* ---- suggestions ------------------------------------------------------------------------ */

size_t hw_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) {
        return (size_t)-1;
    }
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *hw_opt_suggest(const struct hw_opt *table, const char *key)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (const struct hw_opt *o = table; o && o->key; o++) {
        size_t dist = hw_edit_distance(key, o->key);
        if (dist < best_d) {
            best_d = dist;
            best = o->key;
        }
    }
    size_t limit = strlen(key) <= 4 ? 1 : (strlen(key) <= 8 ? 2 : 3);
    return best_d <= limit ? best : NULL;
}

/* ---- freeing ---------------------------------------------------------------------------- */

void hw_strlist_free(struct hw_strlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void opt_free_one(const struct hw_opt *o, void *conf)
{
    switch (o->type) {
    case HW_OPT_STRING:
    case HW_OPT_SCALAR: {
        char **p = FIELD(conf, o, char *);
        free(*p);
        *p = NULL;
        break;
    }
    case HW_OPT_STRLIST:
        hw_strlist_free(FIELD(conf, o, struct hw_strlist));
        break;
    case HW_OPT_STRMAP: {
        struct hw_strmap *m = FIELD(conf, o, struct hw_strmap);
        for (size_t i = 0; i < m->n; i++) {
            free(m->keys[i]);
            free(m->values[i]);
        }
        free(m->keys);
        free(m->values);
        memset(m, 0, sizeof(*m));
        break;
    }
    case HW_OPT_DBLLIST: {
        struct hw_dbllist *l = FIELD(conf, o, struct hw_dbllist);
        free(l->v);
        memset(l, 0, sizeof(*l));
        break;
    }
    case HW_OPT_OBJECT:
        hw_opt_free(o->sub, FIELD(conf, o, char));
        break;
    case HW_OPT_JSON: {
        json_t **j = FIELD(conf, o, json_t *);
        json_decref(*j);
        *j = NULL;
        break;
    }
    case HW_OPT_OBJLIST: {
        struct hw_objlist *l = FIELD(conf, o, struct hw_objlist);
        for (size_t i = 0; i < l->n; i++) {
            hw_opt_free(o->sub, (char *)l->items + i * o->elem_size);
        }
        free(l->items);
        memset(l, 0, sizeof(*l));
        break;
    }
    default:
        break;
    }
}

void hw_opt_free(const struct hw_opt *table, void *conf)
{
    for (const struct hw_opt *o = table; o && o->key; o++) {
        opt_free_one(o, conf);
    }
}

/* ---- parsing ---------------------------------------------------------------------------- */

static const char *type_name(enum hw_opt_type t)
{
    static const char *const names[] = {"a boolean",         "an integer",
                                        "a number",          "a string",
                                        "a string",          "a duration string",
                                        "a size string",     "an array of strings",
                                        "an object of strings", "an array of numbers",
                                        "an object",         "an array of objects",
                                        "a number or a string", "a number", "JSON"};
    return names[t];
}

void hw_opt_fmt_bound(char *out, size_t len, enum hw_opt_type t, double v)
{
    static const struct {
        const char *unit;
        double mult;
    } dur[] = {{"d", 86400e9}, {"h", 3600e9}, {"m", 60e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}},
      size[] = {{"GiB", 1073741824.0}, {"MiB", 1048576.0}, {"KiB", 1024.0}};
    const size_t nd = sizeof(dur) / sizeof(dur[0]), ns = sizeof(size) / sizeof(size[0]);
    size_t n = t == HW_OPT_DURATION ? nd : (t == HW_OPT_SIZE ? ns : 0);
    for (size_t i = 0; i < n; i++) {
        double mult = t == HW_OPT_DURATION ? dur[i].mult : size[i].mult;
        if (v >= mult && v / mult == (double)(long long)(v / mult)) {
            snprintf(out, len, "%lld%s", (long long)(v / mult),
                     t == HW_OPT_DURATION ? dur[i].unit : size[i].unit);
            return;
        }
    }
    snprintf(out, len, t == HW_OPT_DURATION ? "%gns" : (t == HW_OPT_SIZE ? "%gB" : "%g"), v);
}

static int check_bounds(const struct hw_opt *o, double v, const char *path, struct hw_diag *d,
                        const char *shown)
{
    if (o->min < o->max && (v < o->min || v > o->max)) {
        char lo[32], hi[32];
        hw_opt_fmt_bound(lo, sizeof(lo), o->type, o->min);
        hw_opt_fmt_bound(hi, sizeof(hi), o->type, o->max);
        hw_diag_add(d, path, "%s is out of range (%s..%s)", shown, lo, hi);
        return 1;
    }
    return 0;
}

static int parse_string_list(const struct hw_opt *o, void *conf, const json_t *v, const char *path,
                             struct hw_diag *d)
{
    struct hw_strlist *l = FIELD(conf, o, struct hw_strlist);
    hw_strlist_free(l);
    size_t n = json_array_size(v);
    l->v = calloc(n ? n : 1, sizeof(char *));
    if (!l->v) {
        hw_diag_add(d, path, "out of memory");
        return 1;
    }
    int errs = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        char ip[512];
        if (!json_is_string(e)) {
            hw_diag_add(d, hw_path_idx(ip, sizeof(ip), path, i), "expected a string");
            errs++;
            continue;
        }
        l->v[l->n] = strdup(json_string_value(e));
        if (l->v[l->n]) {
            l->n++;
        }
    }
    return errs;
}

static int parse_string_map(const struct hw_opt *o, void *conf, const json_t *v, const char *path,
                            struct hw_diag *d)
{
    struct hw_strmap *m = FIELD(conf, o, struct hw_strmap);
    size_t n = json_object_size(v);
    m->keys = calloc(n ? n : 1, sizeof(char *));
    m->values = calloc(n ? n : 1, sizeof(char *));
    if (!m->keys || !m->values) {
        hw_diag_add(d, path, "out of memory");
        return 1;
    }
    int errs = 0;
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e)
    {
        char kp[512];
        if (!json_is_string(e)) {
            hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, k), "expected a string");
            errs++;
            continue;
        }
        m->keys[m->n] = strdup(k);
        m->values[m->n] = strdup(json_string_value(e));
        m->n++;
    }
    return errs;
}

static int parse_double_list(const struct hw_opt *o, void *conf, const json_t *v, const char *path,
                             struct hw_diag *d)
{
    struct hw_dbllist *l = FIELD(conf, o, struct hw_dbllist);
    size_t n = json_array_size(v);
    free(l->v);
    l->n = 0;
    l->v = calloc(n ? n : 1, sizeof(double));
    if (!l->v) {
        hw_diag_add(d, path, "out of memory");
        return 1;
    }
    int errs = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        char ip[512];
        if (!json_is_number(e)) {
            hw_diag_add(d, hw_path_idx(ip, sizeof(ip), path, i), "expected a number");
            errs++;
            continue;
        }
        l->v[l->n++] = json_number_value(e);
    }
    return errs;
}

static int parse_object_list(const struct hw_opt *o, void *conf, const json_t *v, const char *path,
                             struct hw_diag *d)
{
    struct hw_objlist *l = FIELD(conf, o, struct hw_objlist);
    size_t n = json_array_size(v);
    l->items = calloc(n ? n : 1, o->elem_size);
    if (!l->items) {
        hw_diag_add(d, path, "out of memory");
        return 1;
    }
    int errs = 0;
    for (size_t i = 0; i < n; i++) {
        char ip[512];
        hw_path_idx(ip, sizeof(ip), path, i);
        errs += hw_opt_parse(o->sub, (char *)l->items + l->n * o->elem_size,
                             json_array_get(v, i), ip, d);
        l->n++;
    }
    return errs;
}

static int type_matches(enum hw_opt_type t, const json_t *v)
{
    switch (t) {
    case HW_OPT_BOOL:
        return json_is_boolean(v);
    case HW_OPT_INT:
        return json_is_integer(v);
    case HW_OPT_DOUBLE:
        return json_is_number(v);
    case HW_OPT_STRING:
    case HW_OPT_ENUM:
    case HW_OPT_DURATION:
    case HW_OPT_SIZE:
        return json_is_string(v);
    case HW_OPT_STRLIST:
    case HW_OPT_DBLLIST:
    case HW_OPT_OBJLIST:
        return json_is_array(v);
    case HW_OPT_STRMAP:
    case HW_OPT_OBJECT:
        return json_is_object(v);
    case HW_OPT_SCALAR:
        return json_is_string(v) || json_is_number(v);
    case HW_OPT_OPTNUM:
        return json_is_number(v);
    case HW_OPT_JSON:
        return 1;
    }
    return 0;
}

static int parse_enum(const struct hw_opt *o, void *conf, const char *s, const char *path,
                      struct hw_diag *d)
{
    for (int i = 0; o->choices[i]; i++) {
        if (strcmp(o->choices[i], s) == 0) {
            *FIELD(conf, o, int) = i;
            return 0;
        }
    }
    char list[256] = "";
    for (int i = 0; o->choices[i]; i++) {
        strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
        strncat(list, o->choices[i], sizeof(list) - strlen(list) - 1);
    }
    hw_diag_add(d, path, "\"%s\" is not one of: %s", s, list);
    return 1;
}

/* Parses one scalar-like value (from JSON or from a default text) into its field. */
static int parse_text(const struct hw_opt *o, void *conf, const char *s, const char *path,
                      struct hw_diag *d)
{
    const char *why = NULL;
    switch (o->type) {
    case HW_OPT_STRING:
    case HW_OPT_SCALAR: {
        char **p = FIELD(conf, o, char *);
        free(*p);
        *p = strdup(s);
        return *p ? 0 : 1;
    }
    case HW_OPT_ENUM:
        return parse_enum(o, conf, s, path, d);
    case HW_OPT_DURATION: {
        int64_t ns;
        if (hw_parse_duration(s, &ns, &why) != 0) {
            hw_diag_add(d, path, "\"%s\": %s", s, why);
            return 1;
        }
        *FIELD(conf, o, int64_t) = ns;
        char shown[96];
        snprintf(shown, sizeof(shown), "\"%.80s\"", s);
        return check_bounds(o, (double)ns, path, d, shown);
    }
    case HW_OPT_SIZE: {
        uint64_t b;
        if (hw_parse_size(s, &b, &why) != 0) {
            hw_diag_add(d, path, "\"%s\": %s", s, why);
            return 1;
        }
        *FIELD(conf, o, uint64_t) = b;
        char shown[96];
        snprintf(shown, sizeof(shown), "\"%.80s\"", s);
        return check_bounds(o, (double)b, path, d, shown);
    }
    default:
        return 0;
    }
}

static int parse_value(const struct hw_opt *o, void *conf, const json_t *v, const char *path,
                       struct hw_diag *d)
{
    if (!type_matches(o->type, v)) {
        hw_diag_add(d, path, "expected %s", type_name(o->type));
        return 1;
    }
    switch (o->type) {
    case HW_OPT_BOOL:
        *FIELD(conf, o, int) = json_is_true(v);
        return 0;
    case HW_OPT_INT:
        *FIELD(conf, o, int64_t) = json_integer_value(v);
        return check_bounds(o, (double)json_integer_value(v), path, d, "value");
    case HW_OPT_DOUBLE:
        *FIELD(conf, o, double) = json_number_value(v);
        return check_bounds(o, json_number_value(v), path, d, "value");
    case HW_OPT_STRLIST:
        return parse_string_list(o, conf, v, path, d);
    case HW_OPT_STRMAP:
        opt_free_one(o, conf);
        return parse_string_map(o, conf, v, path, d);
    case HW_OPT_DBLLIST:
        return parse_double_list(o, conf, v, path, d);
    case HW_OPT_OBJECT:
        opt_free_one(o, conf); /* drop the defaults applied before; parsing applies them again */
        return hw_opt_parse(o->sub, FIELD(conf, o, char), v, path, d);
    case HW_OPT_OBJLIST:
        opt_free_one(o, conf);
        return parse_object_list(o, conf, v, path, d);
    case HW_OPT_JSON:
        opt_free_one(o, conf);
        *FIELD(conf, o, json_t *) = json_deep_copy(v);
        return 0;
    case HW_OPT_OPTNUM:
        *FIELD(conf, o, struct hw_optnum) = (struct hw_optnum){1, json_number_value(v)};
        return check_bounds(o, json_number_value(v), path, d, "value");
    case HW_OPT_SCALAR:
        if (json_is_number(v)) {
            char num[HW_DOUBLE_LEN];
            hw_fmt_double(num, json_number_value(v));
            return parse_text(o, conf, num, path, d);
        }
        return parse_text(o, conf, json_string_value(v), path, d);
    default:
        return parse_text(o, conf, json_string_value(v), path, d);
    }
}

/* Defaults are written as text in the tables; a bad default is a programming error that the
 * unit tests catch by parsing every table with no input. */
static int apply_default(const struct hw_opt *o, void *conf, const char *path, struct hw_diag *d)
{
    const char *def = o->def;
    switch (o->type) {
    case HW_OPT_BOOL:
        *FIELD(conf, o, int) = def && strcmp(def, "true") == 0;
        return 0;
    case HW_OPT_INT:
        *FIELD(conf, o, int64_t) = def ? strtoll(def, NULL, 10) : 0;
        return 0;
    case HW_OPT_DOUBLE:
        *FIELD(conf, o, double) = def ? strtod(def, NULL) : 0;
        return 0;
    case HW_OPT_STRLIST: {
        struct hw_strlist *l = FIELD(conf, o, struct hw_strlist);
        memset(l, 0, sizeof(*l));
        if (!def) {
            return 0;
        }
        json_t *arr = json_array();
        for (const char *p = def; arr && *p;) {
            size_t n = strcspn(p, "\n");
            json_array_append_new(arr, json_stringn(p, n));
            p += n + (p[n] == '\n');
        }
        int errs = arr ? parse_string_list(o, conf, arr, path, d) : 1;
        json_decref(arr);
        return errs;
    }
    case HW_OPT_OBJECT:
        return hw_opt_parse(o->sub, FIELD(conf, o, char), NULL, path, d);
    case HW_OPT_STRMAP:
    case HW_OPT_DBLLIST:
    case HW_OPT_OBJLIST:
        return 0;
    case HW_OPT_OPTNUM:
        *FIELD(conf, o, struct hw_optnum) = (struct hw_optnum){0, 0};
        return 0;
    case HW_OPT_JSON:
        *FIELD(conf, o, json_t *) = def ? json_loads(def, JSON_DECODE_ANY, NULL) : NULL;
        return 0;
    default:
        if (o->type == HW_OPT_STRING || o->type == HW_OPT_SCALAR) {
            *FIELD(conf, o, char *) = NULL;
        }
        return def ? parse_text(o, conf, def, path, d) : 0;
    }
}

int hw_opt_parse(const struct hw_opt *table, void *conf, const json_t *obj, const char *path,
                 struct hw_diag *d)
{
    int errs = 0;
    char kp[512];
    for (const struct hw_opt *o = table; o && o->key; o++) {
        errs += apply_default(o, conf, hw_path_key(kp, sizeof(kp), path, o->key), d);
    }
    if (!obj) {
        return errs;
    }
    if (!json_is_object(obj)) {
        hw_diag_add(d, path, "expected an object");
        return errs + 1;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const struct hw_opt *o = table;
        while (o && o->key && strcmp(o->key, key) != 0) {
            o++;
        }
        hw_path_key(kp, sizeof(kp), path, key);
        if (!o || !o->key) {
            const char *near = hw_opt_suggest(table, key);
            if (near) {
                hw_diag_add(d, kp, "unknown key (did you mean \"%s\"?)", near);
            } else {
                hw_diag_add(d, kp, "unknown key");
            }
            errs++;
            continue;
        }
        errs += parse_value(o, conf, v, kp, d);
    }
    return errs;
}

/* ---- documentation ---------------------------------------------------------------------- */

void hw_opt_describe(const struct hw_opt *table, const char *prefix,
                     void (*emit)(const char *line, void *arg), void *arg)
{
    for (const struct hw_opt *o = table; o && o->key; o++) {
        char line[512], key[256];
        snprintf(key, sizeof(key), "%s%s%s", prefix ? prefix : "", prefix && *prefix ? "." : "",
                 o->key);
        if (o->type == HW_OPT_OBJECT || o->type == HW_OPT_OBJLIST) {
            snprintf(line, sizeof(line), "%s%s  %s", key, o->type == HW_OPT_OBJLIST ? "[]" : "",
                     o->help ? o->help : "");
            emit(line, arg);
            hw_opt_describe(o->sub, line[0] ? key : NULL, emit, arg);
            continue;
        }
        char def[128];
        snprintf(def, sizeof(def), "%s", o->def ? o->def : "");
        for (char *p = def; *p; p++) {
            if (*p == '\n') {
                *p = ',';
            }
        }
        snprintf(line, sizeof(line), "%s  (%s%s%s)  %s", key, type_name(o->type),
                 def[0] ? ", default " : "", def, o->help ? o->help : "");
        emit(line, arg);
    }
}

/* Whether option o holds a value in conf (a secret counts only when it is there). */
static int opt_is_set(const struct hw_opt *o, const void *cconf)
{
    void *conf = (void *)cconf; /* only read */
    switch (o->type) {
    case HW_OPT_STRING:
    case HW_OPT_SCALAR: {
        const char *v = *FIELD(conf, o, char *);
        return v && *v;
    }
    case HW_OPT_STRMAP:
        return FIELD(conf, o, struct hw_strmap)->n > 0;
    case HW_OPT_STRLIST:
        return FIELD(conf, o, struct hw_strlist)->n > 0;
    default:
        return 0;
    }
}

int hw_opt_find_secret(const struct hw_opt *table, const void *conf, char *out, size_t len)
{
    for (const struct hw_opt *o = table; o && o->key; o++) {
        if (o->secret && opt_is_set(o, conf)) {
            snprintf(out, len, "%s", o->key);
            return 1;
        }
        char sub[256];
        if (o->type == HW_OPT_OBJECT &&
            hw_opt_find_secret(o->sub, (const char *)conf + o->offset, sub, sizeof(sub))) {
            snprintf(out, len, "%s.%s", o->key, sub);
            return 1;
        }
    }
    return 0;
}
