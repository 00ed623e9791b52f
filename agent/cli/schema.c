/* The configuration's JSON Schema, walked out of the same option tables (agent, health, the
 * collectors' and exporters' common keys and each plugin's table) that hw_config_load parses
 * with, so an editor's validation and completion follow the agent without a copy to keep. */
#include "schema.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cost.h"
#include "health.h"
#include "plugin.h"
#include "version.h"

/* Sets obj[key] to v, stolen; -1 when v is NULL (a failed constructor) or the set failed. */
static int put(json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new(obj, key, v) : -1;
}

/* The help text; durations and sizes add their bounds in their own units ("(1s..1h)"), which
 * minimum/maximum cannot say of a string. */
static json_t *describe(const struct hw_opt *o)
{
    const char *help = o->help ? o->help : "";
    if (!(o->min < o->max) || (o->type != HW_OPT_DURATION && o->type != HW_OPT_SIZE)) {
        return json_string(help);
    }
    char lo[32], hi[32], text[600];
    hw_opt_fmt_bound(lo, sizeof(lo), o->type, o->min);
    hw_opt_fmt_bound(hi, sizeof(hi), o->type, o->max);
    snprintf(text, sizeof(text), "%s%s(%s..%s)", help, *help ? " " : "", lo, hi);
    return json_string(text);
}

/* minimum/maximum of a numeric option, when the table bounds it. */
static int put_bounds(json_t *s, const struct hw_opt *o)
{
    if (!(o->min < o->max)) {
        return 0;
    }
    if (o->type == HW_OPT_INT) {
        return put(s, "minimum", json_integer((json_int_t)o->min)) |
               put(s, "maximum", json_integer((json_int_t)o->max));
    }
    return put(s, "minimum", json_real(o->min)) | put(s, "maximum", json_real(o->max));
}

static json_t *string_list(const char *text)
{
    json_t *arr = json_array();
    for (const char *p = text; arr && *p;) {
        size_t n = strcspn(p, "\n");
        if (json_array_append_new(arr, json_stringn(p, n)) != 0) {
            json_decref(arr);
            return NULL;
        }
        p += n + (p[n] == '\n');
    }
    return arr;
}

/* The default as the value a user would write: the table's text typed as apply_default reads it
 * (a bool without one is false; the other types without one are absent or zero). */
static int put_default(json_t *s, const struct hw_opt *o)
{
    const char *def = o->def;
    if (o->type == HW_OPT_BOOL) {
        return put(s, "default", json_boolean(def && strcmp(def, "true") == 0));
    }
    if (!def) {
        return 0;
    }
    switch (o->type) {
    case HW_OPT_INT:
        return put(s, "default", json_integer(strtoll(def, NULL, 10)));
    case HW_OPT_DOUBLE:
        return put(s, "default", json_real(strtod(def, NULL)));
    case HW_OPT_STRLIST:
        return put(s, "default", string_list(def));
    case HW_OPT_JSON:
        return put(s, "default", json_loads(def, JSON_DECODE_ANY, NULL));
    case HW_OPT_STRING:
    case HW_OPT_ENUM:
    case HW_OPT_DURATION:
    case HW_OPT_SIZE:
    case HW_OPT_SCALAR:
        return put(s, "default", json_string(def));
    default:
        return 0; /* the container types take no default text */
    }
}

static json_t *table_schema(const char *help, const struct hw_opt *common,
                            const struct hw_opt *table);

static json_t *typed(const char *type)
{
    return json_pack("{s:s}", "type", type);
}

static json_t *array_of(json_t *items)
{
    return items ? json_pack("{s:s, s:o}", "type", "array", "items", items) : NULL;
}

/* An enum's choices, or a duration's or size's pattern from the parser's unit table. */
static json_t *string_schema(const struct hw_opt *o)
{
    if (o->type == HW_OPT_ENUM) {
        json_t *choices = json_array();
        for (size_t i = 0; choices && o->choices[i]; i++) {
            if (json_array_append_new(choices, json_string(o->choices[i])) != 0) {
                json_decref(choices);
                return NULL;
            }
        }
        return choices ? json_pack("{s:s, s:o}", "type", "string", "enum", choices) : NULL;
    }
    char *pattern = hw_opt_value_pattern(o->type);
    json_t *s = pattern ? json_pack("{s:s, s:s}", "type", "string", "pattern", pattern) : NULL;
    free(pattern);
    return s;
}

/* What type_matches (agent/opt.c) lets through for each option type, and the bounds. */
static json_t *type_schema(const struct hw_opt *o)
{
    json_t *s = NULL;
    switch (o->type) {
    case HW_OPT_BOOL:
        return typed("boolean");
    case HW_OPT_INT:
    case HW_OPT_DOUBLE:
    case HW_OPT_OPTNUM:
        s = typed(o->type == HW_OPT_INT ? "integer" : "number");
        if (s && put_bounds(s, o) != 0) {
            json_decref(s);
            return NULL;
        }
        return s;
    case HW_OPT_STRING:
        return typed("string");
    case HW_OPT_ENUM:
    case HW_OPT_DURATION:
    case HW_OPT_SIZE:
        return string_schema(o);
    case HW_OPT_STRLIST:
        return array_of(typed("string"));
    case HW_OPT_STRMAP:
        return json_pack("{s:s, s:o}", "type", "object", "additionalProperties", typed("string"));
    case HW_OPT_DBLLIST:
        return array_of(typed("number"));
    case HW_OPT_OBJECT:
        return table_schema(NULL, NULL, o->sub);
    case HW_OPT_OBJLIST:
        return array_of(table_schema(NULL, NULL, o->sub));
    case HW_OPT_SCALAR:
        return json_pack("{s:[s,s]}", "type", "string", "number");
    case HW_OPT_JSON:
        return o->schema ? json_loads(o->schema, 0, NULL) : json_object();
    }
    return NULL;
}

/* One key: its description, what type_schema says, then its default. */
static json_t *opt_schema(const struct hw_opt *o)
{
    json_t *s = json_object(), *t = type_schema(o);
    int rc = s && t ? put(s, "description", describe(o)) : -1;
    rc = rc ? rc : json_object_update(s, t);
    rc = rc ? rc : put_default(s, o);
    json_decref(t);
    if (rc != 0) {
        json_decref(s);
        return NULL;
    }
    return s;
}

static int put_props(json_t *props, const struct hw_opt *table)
{
    for (const struct hw_opt *o = table; o && o->key; o++) {
        if (put(props, o->key, opt_schema(o)) != 0) {
            return -1;
        }
    }
    return 0;
}

/* An object of the keys of common (the core's) and table (the plugin's); no other key. */
static json_t *table_schema(const char *help, const struct hw_opt *common,
                            const struct hw_opt *table)
{
    json_t *s = json_object(), *props = json_object();
    int rc = s && props ? 0 : -1;
    if (rc == 0 && help) {
        rc = put(s, "description", json_string(help));
    }
    rc = rc ? rc : put(s, "type", json_string("object"));
    rc = rc ? rc : put_props(props, common);
    rc = rc ? rc : put_props(props, table);
    rc = rc ? rc : json_object_set(s, "properties", props);
    rc = rc ? rc : put(s, "additionalProperties", json_false());
    json_decref(props);
    if (rc != 0) {
        json_decref(s);
        return NULL;
    }
    return s;
}

/* A collector: its instance object (an array of them for a multi collector), with the interval's
 * default when the collector has its own rather than agent.interval. */
static json_t *collector_schema(const struct hw_collector *c)
{
    json_t *inst = table_schema(c->multi ? NULL : c->help, hw_collector_common_opts, c->opts);
    json_t *interval = json_object_get(json_object_get(inst, "properties"), "interval");
    int rc = inst && interval ? 0 : -1;
    if (rc == 0 && c->default_interval_ns > 0) {
        char def[32];
        hw_opt_fmt_bound(def, sizeof(def), HW_OPT_DURATION, (double)c->default_interval_ns);
        rc = put(interval, "default", json_string(def));
    }
    if (rc != 0) {
        json_decref(inst);
        return NULL;
    }
    if (!c->multi) {
        return inst;
    }
    return json_pack("{s:s, s:s, s:o}", "description", c->help, "type", "array", "items", inst);
}

/* "collectors" or "exporters": an object keyed by plugin name. */
static json_t *section_schema(int collectors)
{
    json_t *props = json_object();
    for (size_t i = 0; props && (collectors ? hw_collectors[i] != NULL : hw_exporters[i] != NULL); i++) {
        const char *name = collectors ? hw_collectors[i]->name : hw_exporters[i]->name;
        json_t *p = collectors ? collector_schema(hw_collectors[i])
                               : table_schema(hw_exporters[i]->help, hw_exporter_common_opts,
                                              hw_exporters[i]->opts);
        if (put(props, name, p) != 0) {
            json_decref(props);
            return NULL;
        }
    }
    const char *help = collectors ? "collectors by name (absent: the default collectors)"
                                  : "exporters by name (absent: the default exporter)";
    return props ? json_pack("{s:s, s:s, s:o, s:b}", "description", help, "type", "object",
                             "properties", props, "additionalProperties", 0)
                 : NULL;
}

/* "cost": the price table `check --cost` reads from cost.prices (agent/cli/prices.c). */
static json_t *cost_schema(void)
{
    json_t *props = json_object();
    for (size_t i = 0; props && hw_price_keys[i].key; i++) {
        const struct hw_price_key *k = &hw_price_keys[i];
        if (put(props, k->key, json_pack("{s:s, s:s}", "description", k->help, "type",
                                         k->json_type)) != 0) {
            json_decref(props);
            return NULL;
        }
    }
    json_t *prices = props ? json_pack("{s:s, s:s, s:o, s:b}", "description",
                                       "CloudWatch prices over the built-in ones", "type",
                                       "object", "properties", props, "additionalProperties", 0)
                           : NULL;
    return prices ? json_pack("{s:s, s:s, s:{s:o}, s:b}", "description",
                              "settings of hostwatch check --cost", "type", "object",
                              "properties", "prices", prices, "additionalProperties", 0)
                  : NULL;
}

json_t *hw_schema_build(void)
{
    json_t *props = json_object();
    int rc = props ? 0 : -1;
    rc = rc ? rc : put(props, "agent", table_schema("agent settings", NULL, hw_agent_opts));
    rc = rc ? rc : put(props, "collectors", section_schema(1));
    rc = rc ? rc : put(props, "exporters", section_schema(0));
    rc = rc ? rc
            : put(props, "health",
                  table_schema("health rules for /healthz and hostwatch health", NULL,
                               hw_health_opts));
    rc = rc ? rc : put(props, "cost", cost_schema());
    if (rc != 0) {
        json_decref(props);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "$schema",
                     "https://json-schema.org/draft/2020-12/schema", "$id", HW_SCHEMA_ID,
                     "title", "hostwatch configuration", "description",
                     "The configuration file of hostwatch " HW_VERSION
                     " (hostwatch check -c FILE checks what a schema cannot: cross-field rules, "
                     "paths, regexes)",
                     "type", "object", "properties", props, "additionalProperties", 0);
}

int hw_schema_print(FILE *out)
{
    json_t *s = hw_schema_build();
    char *text = s ? json_dumps(s, JSON_INDENT(2)) : NULL;
    json_decref(s);
    if (!text) {
        fprintf(stderr, "hostwatch: out of memory building the schema\n");
        return -1;
    }
    int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF || fflush(out) != 0 ? -1 : 0;
    free(text);
    if (rc != 0) {
        perror("hostwatch: writing the schema");
    }
    return rc;
}
