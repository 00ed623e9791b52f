#include "r53_model.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Route 53 lists names with characters outside a-z0-9-_ as \ooo (e.g. "\052" for '*'). */
static int decode_escape(const char *s, char *c)
{
    if (s[0] < '0' || s[0] > '3' || s[1] < '0' || s[1] > '7' || s[2] < '0' || s[2] > '7') {
        return -1;
    }
    *c = (char)((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
    return 0;
}

static int label_char_ok(char c, size_t label_len, const char *rest)
{
    if (isalnum((unsigned char)c) || c == '-' || c == '_') {
        return 1;
    }
    return c == '*' && label_len == 0 && (*rest == '.' || *rest == '\0'); /* a wildcard label */
}

int r53_name_canon(const char *name, char *out, size_t len, const char **why)
{
    size_t o = 0, label = 0;
    *why = "an empty name";
    for (const char *p = name ? name : ""; *p; p++) {
        char c = *p;
        if (c == '\\' && decode_escape(p + 1, &c) == 0) {
            p += 3;
        }
        if (c == '.') {
            if (label == 0) {
                *why = "an empty label (two dots, or a leading dot)";
                return -1;
            }
            if (p[1] == '\0') {
                break; /* the trailing dot is optional */
            }
            label = 0;
        } else if (!label_char_ok(c, label, p + 1)) {
            *why = "a character other than a-z, 0-9, '-', '_' (or '*' as the first label)";
            return -1;
        } else if (++label > 63) {
            *why = "a label longer than 63 characters";
            return -1;
        }
        if (o + 1 >= len || o >= 253) {
            *why = "longer than 253 characters";
            return -1;
        }
        out[o++] = (char)tolower((unsigned char)c);
    }
    out[o] = '\0';
    return o > 0 ? 0 : -1;
}

int r53_zone_id(const char *in, char *out, size_t len)
{
    const char *p = in ? in : "";
    if (strncmp(p, "/hostedzone/", 12) == 0) {
        p += 12;
    }
    size_t n = strlen(p);
    if (p[0] != 'Z' || n < 2 || n > 32 || n >= len) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if (!isupper((unsigned char)p[i]) && !isdigit((unsigned char)p[i])) {
            return 0;
        }
    }
    memcpy(out, p, n + 1);
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One address in its canonical text (inet_ntop's), so "10.0.0.01"-like spellings and IPv6
 * abbreviations compare equal to what Route 53 lists. */
static int addr_canon(enum r53_type t, const char *s, char *out, size_t len)
{
    unsigned char bin[16];
    int af = t == R53_A ? AF_INET : AF_INET6;
    if (!s || inet_pton(af, s, bin) != 1) {
        return -1;
    }
    return inet_ntop(af, bin, out, (socklen_t)len) ? 0 : -1;
}

int r53_values_canon(enum r53_type t, const char *const *v, size_t n, char *out, size_t len,
                     const char **why)
{
    char addrs[R53_MAX_ADDRS][INET6_ADDRSTRLEN];
    const char *sorted[R53_MAX_ADDRS];
    if (n == 0) {
        *why = "no value";
        return -1;
    }
    if (t == R53_CNAME) {
        if (n != 1) {
            *why = "a CNAME takes exactly one name";
            return -1;
        }
        return r53_name_canon(v[0], out, len, why);
    }
    if (n > R53_MAX_ADDRS) {
        *why = "more than 16 addresses";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (addr_canon(t, v[i], addrs[i], sizeof(addrs[i])) != 0) {
            *why = t == R53_A ? "not an IPv4 address" : "not an IPv6 address";
            return -1;
        }
        sorted[i] = addrs[i];
    }
    qsort(sorted, n, sizeof(sorted[0]), cmp_str);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0) {
            *why = "an address given twice";
            return -1;
        }
        int w = snprintf(out + o, len - o, "%s%s", i ? "," : "", sorted[i]);
        if (w < 0 || (size_t)w >= len - o) {
            *why = "too long";
            return -1;
        }
        o += (size_t)w;
    }
    return 0;
}

int r53_value_canon(enum r53_type t, const json_t *v, char *out, size_t len, const char **why)
{
    const char *s[R53_MAX_ADDRS];
    size_t n = 0;
    if (json_is_string(v)) {
        s[n++] = json_string_value(v);
    } else if (json_is_array(v) && t != R53_CNAME) {
        if (json_array_size(v) > R53_MAX_ADDRS) {
            *why = "more than 16 addresses";
            return -1;
        }
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (!(s[n++] = json_string_value(json_array_get(v, i)))) {
                *why = "expected an array of address strings";
                return -1;
            }
        }
    } else {
        *why = t == R53_CNAME ? "expected a name (a string)"
                              : "expected an address or an array of addresses";
        return -1;
    }
    return r53_values_canon(t, s, n, out, len, why);
}

int r53_record_init(struct r53_record *r, const struct r53_record_conf *c, const char **where,
                    const char **why)
{
    memset(r, 0, sizeof(*r));
    r->conf = c;
    r->type = (enum r53_type)c->type;
    *where = "name";
    if (r53_name_canon(c->name, r->name, sizeof(r->name), why) != 0) {
        return -1;
    }
    *where = "values";
    *why = "expected an object of label value -> record value, not empty";
    if (!json_is_object(c->values) || json_object_size(c->values) == 0) {
        return -1;
    }
    r->values = calloc(json_object_size(c->values), sizeof(*r->values));
    if (!r->values) {
        *why = "out of memory";
        return -1;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)c->values, key, v)
    {
        struct r53_value *x = &r->values[r->nvalues];
        *where = key;
        if (strlen(key) == 0 || strlen(key) >= sizeof(x->key)) {
            *why = "a label value of 1-127 characters";
            return -1;
        }
        if (r53_value_canon(r->type, v, x->canon, sizeof(x->canon), why) != 0) {
            return -1;
        }
        snprintf(x->key, sizeof(x->key), "%s", key);
        r->nvalues++;
    }
    return 0;
}

void r53_record_free(struct r53_record *r)
{
    free(r->values);
    r->values = NULL;
    r->nvalues = 0;
}

static const char *label_of(const struct hw_snap_series *s, const char *key)
{
    for (size_t i = 0; i < s->nlabels; i++) {
        if (strcmp(s->labels[i].key, key) == 0) {
            return s->labels[i].value;
        }
    }
    return NULL;
}

int r53_desired(const struct r53_record *r, const struct hw_snapshot *snap, enum r53_pick *pick,
                const char **seen)
{
    const struct hw_snap_family *f = snap ? hw_snapshot_find(snap, r->conf->metric) : NULL;
    const char *one = NULL;
    size_t at_one = 0;
    for (size_t i = 0; f && i < f->nseries; i++) {
        if (f->series[i].value == 1.0) {
            one = label_of(&f->series[i], r->conf->label);
            at_one++;
        }
    }
    if (seen) {
        *seen = at_one == 1 ? one : NULL;
    }
    *pick = at_one == 0 ? R53_PICK_NONE : at_one > 1 ? R53_PICK_SEVERAL : R53_PICK_UNKNOWN;
    for (size_t i = 0; at_one == 1 && one && i < r->nvalues; i++) {
        /* database names are case-insensitive in Oracle, and label values come from logs */
        if (strcasecmp(r->values[i].key, one) == 0) {
            *pick = R53_PICK_ONE;
            return (int)i;
        }
    }
    return -1;
}
