/* FSFO observer-log parser, rule set fsfo-timeline/1: hand-written byte comparisons at the start
 * of each line's message part, so the cost is linear in the line and any bytes are safe. */
#include "fsfo_parse.h"

#include <string.h>

_Static_assert(sizeof(json_int_t) >= sizeof(int64_t), "json_int_t must hold 64-bit counters");

/* The unread rest of a line. Lines may hold any byte, NUL included: never use str* on them. */
struct fsfo_cur {
    const char *p;
    size_t len;
};

/* What a line matched, before the state decides whether it is an event. */
enum fsfo_pat {
    FSFO_PAT_NONE,
    FSFO_PAT_F,
    FSFO_PAT_S,
    FSFO_PAT_P, /* P and Q behave the same */
    FSFO_PAT_R,
    FSFO_PAT_START,
    FSFO_PAT_STOP
};

/* How a quoted or bare name pattern ends after its NAME. */
enum fsfo_tail {
    FSFO_TAIL_ANY,     /* the tail literal, then anything */
    FSFO_TAIL_EOL_DOT, /* optional '.', then only blanks up to the end (pattern P) */
};

/* One pattern that carries a NAME: head literal, NAME, then the tail. */
struct fsfo_name_pat {
    const char *head;
    const char *tail;
    enum fsfo_tail how;
    enum fsfo_pat pat;
};

static const struct fsfo_name_pat fsfo_name_pats[] = {
    {"Failover succeeded, new primary is \"", "\"", FSFO_TAIL_ANY, FSFO_PAT_F},
    {"Switchover succeeded, new primary is \"", "\"", FSFO_TAIL_ANY, FSFO_PAT_S},
    {"Primary database has changed to ", "", FSFO_TAIL_EOL_DOT, FSFO_PAT_P},
    {"Primary database, Name: ", ",", FSFO_TAIL_ANY, FSFO_PAT_P},
    {"Reinstatement of database \"", "\" succeeded", FSFO_TAIL_ANY, FSFO_PAT_R},
};

static const char fsfo_started[] = "Observer started.";
static const char fsfo_trace[] = "Observer trace level is set to ";
static const char fsfo_stopped[] = "Observer stopped";

void fsfo_state_init(struct fsfo_state *st)
{
    memset(st, 0, sizeof(*st));
    st->observer_up = -1;
}

const char *fsfo_event_name(enum fsfo_event ev)
{
    switch (ev) {
    case FSFO_EV_OBSERVER_START:
        return "observer_start";
    case FSFO_EV_OBSERVER_STOP:
        return "observer_stop";
    case FSFO_EV_FAILOVER:
        return "failover";
    case FSFO_EV_SWITCHOVER:
        return "switchover";
    case FSFO_EV_PRIMARY_DETECTED:
        return "primary_detected";
    case FSFO_EV_REINSTATE:
        return "reinstate";
    case FSFO_EV_NONE:
        break;
    }
    return "none";
}

/* Locale-free: names are ASCII and the agent must not depend on LC_CTYPE. */
static unsigned char fsfo_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int fsfo_is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c == '#';
}

static int fsfo_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int fsfo_name_equal(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    for (;; x++, y++) {
        if (fsfo_lower(*x) != fsfo_lower(*y)) {
            return 0;
        }
        if (*x == '\0') {
            return 1;
        }
    }
}

int fsfo_name_valid(const char *s, size_t len)
{
    if (len == 0 || len > FSFO_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (!fsfo_is_name_char((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* Length of the bracketed prefix ^\[[A-Z][0-9]{3} [^\]]*\] ? at the start of s, or 0. */
static size_t fsfo_prefix_len(const char *s, size_t len)
{
    if (len < 7 || s[0] != '[' || s[1] < 'A' || s[1] > 'Z' || s[5] != ' ') {
        return 0;
    }
    for (size_t i = 2; i < 5; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    const char *close = memchr(s + 6, ']', len - 6);
    if (!close) {
        return 0;
    }
    size_t n = (size_t)(close - s) + 1;
    if (n < len && s[n] == ' ') {
        n++;
    }
    return n;
}

/* Consumes the literal lit when the cursor starts with it; 1 when it did. */
static int fsfo_eat(struct fsfo_cur *c, const char *lit)
{
    const size_t n = strlen(lit);
    if (c->len < n || memcmp(c->p, lit, n) != 0) {
        return 0;
    }
    c->p += n;
    c->len -= n;
    return 1;
}

/* Consumes the longest run of NAME bytes; returns where it began, its length in *n. */
static const char *fsfo_eat_name(struct fsfo_cur *c, size_t *n)
{
    const char *start = c->p;
    size_t i = 0;
    while (i < c->len && fsfo_is_name_char((unsigned char)c->p[i])) {
        i++;
    }
    c->p += i;
    c->len -= i;
    *n = i;
    return start;
}

/* Pattern P's end: an optional '.', then nothing but blanks. */
static int fsfo_rest_is_eol_dot(struct fsfo_cur c)
{
    if (c.len > 0 && c.p[0] == '.') {
        c.p++;
        c.len--;
    }
    for (size_t i = 0; i < c.len; i++) {
        if (!fsfo_is_blank(c.p[i])) {
            return 0;
        }
    }
    return 1;
}

/* Matches one NAME pattern against the message part; on success copies NAME into out (NUL
 * terminated). Too long or empty names do not match, so their lines produce no event. */
static int fsfo_match_name_pat(const struct fsfo_name_pat *np, struct fsfo_cur c,
                               char out[FSFO_NAME_MAX + 1])
{
    if (!fsfo_eat(&c, np->head)) {
        return 0;
    }
    size_t n;
    const char *name = fsfo_eat_name(&c, &n);
    if (n == 0 || n > FSFO_NAME_MAX) {
        return 0;
    }
    const int ok = np->how == FSFO_TAIL_EOL_DOT ? fsfo_rest_is_eol_dot(c) : fsfo_eat(&c, np->tail);
    if (!ok) {
        return 0;
    }
    memcpy(out, name, n);
    out[n] = '\0';
    return 1;
}

/* 1 when the unprefixed message part is the whole STOP line: "Observer stopped" [.] */
static int fsfo_is_stop(struct fsfo_cur c)
{
    if (!fsfo_eat(&c, fsfo_stopped)) {
        return 0;
    }
    return c.len == 0 || (c.len == 1 && c.p[0] == '.');
}

/* Classifies a line's message part; NAME patterns leave their name in name. */
static enum fsfo_pat fsfo_classify(struct fsfo_cur m, int had_prefix, char name[FSFO_NAME_MAX + 1])
{
    for (size_t i = 0; i < sizeof(fsfo_name_pats) / sizeof(fsfo_name_pats[0]); i++) {
        if (fsfo_match_name_pat(&fsfo_name_pats[i], m, name)) {
            return fsfo_name_pats[i].pat;
        }
    }
    struct fsfo_cur t = m;
    if (fsfo_eat(&t, fsfo_trace)) {
        return FSFO_PAT_START;
    }
    t = m;
    if (had_prefix && fsfo_eat(&t, fsfo_started)) {
        return FSFO_PAT_START;
    }
    if (!had_prefix && fsfo_is_stop(m)) {
        return FSFO_PAT_STOP;
    }
    return FSFO_PAT_NONE;
}

/* F, S, P and Q: a role change only when the name differs from the believed primary. */
static enum fsfo_event fsfo_role_change(struct fsfo_state *st, const char *name, enum fsfo_event ev,
                                        uint64_t *counter)
{
    if (st->has_primary && fsfo_name_equal(st->primary, name)) {
        return FSFO_EV_NONE;
    }
    memset(st->primary, 0, sizeof(st->primary));
    memcpy(st->primary, name, strlen(name));
    st->has_primary = 1;
    if (counter) {
        (*counter)++;
    }
    st->role_changes++;
    memset(st->last_reinstated, 0, sizeof(st->last_reinstated));
    st->has_last_reinstated = 0;
    return ev;
}

/* R: a repeat of the last reinstated name is an echo; the spelling is stored either way. */
static enum fsfo_event fsfo_reinstate(struct fsfo_state *st, const char *name)
{
    const int echo = st->has_last_reinstated && fsfo_name_equal(st->last_reinstated, name);
    memset(st->last_reinstated, 0, sizeof(st->last_reinstated));
    memcpy(st->last_reinstated, name, strlen(name));
    st->has_last_reinstated = 1;
    if (echo) {
        return FSFO_EV_NONE;
    }
    st->reinstatements++;
    return FSFO_EV_REINSTATE;
}

/* Applies a classified line to the state. */
static enum fsfo_event fsfo_transition(struct fsfo_state *st, enum fsfo_pat pat, const char *name)
{
    switch (pat) {
    case FSFO_PAT_F:
        return fsfo_role_change(st, name, FSFO_EV_FAILOVER, &st->failovers);
    case FSFO_PAT_S:
        return fsfo_role_change(st, name, FSFO_EV_SWITCHOVER, &st->switchovers);
    case FSFO_PAT_P:
        return fsfo_role_change(st, name, FSFO_EV_PRIMARY_DETECTED, NULL);
    case FSFO_PAT_R:
        return fsfo_reinstate(st, name);
    case FSFO_PAT_START:
        st->observer_up = 1;
        return FSFO_EV_OBSERVER_START;
    case FSFO_PAT_STOP:
        st->observer_up = 0;
        return FSFO_EV_OBSERVER_STOP;
    case FSFO_PAT_NONE:
        break;
    }
    return FSFO_EV_NONE;
}

enum fsfo_event fsfo_apply_line(struct fsfo_state *st, const char *line, size_t len,
                                const char **name)
{
    if (name) {
        *name = NULL;
    }
    if (!line || len == 0) {
        return FSFO_EV_NONE;
    }
    if (line[len - 1] == '\r') {
        len--;
    }
    const size_t pre = fsfo_prefix_len(line, len);
    struct fsfo_cur m = {line + pre, len - pre};
    while (m.len > 0 && fsfo_is_blank(m.p[0])) {
        m.p++;
        m.len--;
    }
    char found[FSFO_NAME_MAX + 1] = "";
    const enum fsfo_event ev = fsfo_transition(st, fsfo_classify(m, pre > 0, found), found);
    if (name) {
        if (ev == FSFO_EV_REINSTATE) {
            *name = st->last_reinstated;
        } else if (ev == FSFO_EV_FAILOVER || ev == FSFO_EV_SWITCHOVER ||
                   ev == FSFO_EV_PRIMARY_DETECTED) {
            *name = st->primary;
        }
    }
    return ev;
}

/* Stores a counter; JSON integers are signed, so values past INT64_MAX cannot be saved. */
static int fsfo_save_count(json_t *o, const char *key, uint64_t v)
{
    if (v > (uint64_t)INT64_MAX) {
        return -1;
    }
    return json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* A name or JSON null: restore tells "no primary yet" from an empty name. */
static json_t *fsfo_save_name(const char *s, int has)
{
    return has ? json_string(s) : json_null();
}

json_t *fsfo_state_save(const struct fsfo_state *st)
{
    json_t *o = json_object();
    if (!o) {
        return NULL;
    }
    if (json_object_set_new(o, "spec", json_string(FSFO_SPEC)) != 0 ||
        json_object_set_new(o, "primary", fsfo_save_name(st->primary, st->has_primary)) != 0 ||
        json_object_set_new(o, "last_reinstated",
                            fsfo_save_name(st->last_reinstated, st->has_last_reinstated)) != 0 ||
        fsfo_save_count(o, "failovers", st->failovers) != 0 ||
        fsfo_save_count(o, "switchovers", st->switchovers) != 0 ||
        fsfo_save_count(o, "reinstatements", st->reinstatements) != 0 ||
        fsfo_save_count(o, "role_changes", st->role_changes) != 0 ||
        json_object_set_new(o, "observer_up", json_integer(st->observer_up)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Reads a name-or-null member into dst/has; the reason for a bad one goes to *why. */
static int fsfo_restore_name(const json_t *in, const char *key, char dst[FSFO_NAME_MAX + 1],
                             int *has, const char **why)
{
    const json_t *v = json_object_get(in, key);
    if (!v) {
        *why = "fsfo state: a name member is missing";
        return -1;
    }
    memset(dst, 0, FSFO_NAME_MAX + 1);
    *has = 0;
    if (json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        *why = "fsfo state: a name is neither a string nor null";
        return -1;
    }
    const size_t n = json_string_length(v);
    if (!fsfo_name_valid(json_string_value(v), n)) {
        *why = "fsfo state: a name is empty, too long or has bytes outside [A-Za-z0-9_$#]";
        return -1;
    }
    memcpy(dst, json_string_value(v), n);
    *has = 1;
    return 0;
}

/* Reads a counter member: a JSON integer from 0 to INT64_MAX. */
static int fsfo_restore_count(const json_t *in, const char *key, uint64_t *dst, const char **why)
{
    const json_t *v = json_object_get(in, key);
    if (!json_is_integer(v)) {
        *why = "fsfo state: a counter is missing or not an integer";
        return -1;
    }
    const json_int_t i = json_integer_value(v);
    if (i < 0) {
        *why = "fsfo state: a counter is negative";
        return -1;
    }
    *dst = (uint64_t)i;
    return 0;
}

/* Everything but the names: spec, counters, observer_up, key count and counter consistency. */
static int fsfo_restore_scalars(const json_t *in, struct fsfo_state *t, const char **why)
{
    const json_t *spec = json_object_get(in, "spec");
    if (!json_is_string(spec) || strcmp(json_string_value(spec), FSFO_SPEC) != 0 ||
        json_string_length(spec) != strlen(FSFO_SPEC)) {
        *why = "fsfo state: spec is not \"" FSFO_SPEC "\"";
        return -1;
    }
    if (fsfo_restore_count(in, "failovers", &t->failovers, why) != 0 ||
        fsfo_restore_count(in, "switchovers", &t->switchovers, why) != 0 ||
        fsfo_restore_count(in, "reinstatements", &t->reinstatements, why) != 0 ||
        fsfo_restore_count(in, "role_changes", &t->role_changes, why) != 0) {
        return -1;
    }
    const json_t *up = json_object_get(in, "observer_up");
    if (!json_is_integer(up) || json_integer_value(up) < -1 || json_integer_value(up) > 1) {
        *why = "fsfo state: observer_up is not -1, 0 or 1";
        return -1;
    }
    t->observer_up = (int)json_integer_value(up);
    /* Both are at most INT64_MAX, so the sum cannot wrap. */
    if (t->role_changes < t->failovers + t->switchovers) {
        *why = "fsfo state: role_changes is below failovers + switchovers";
        return -1;
    }
    if (json_object_size(in) != 8) {
        *why = "fsfo state: unknown members";
        return -1;
    }
    return 0;
}

int fsfo_state_restore(struct fsfo_state *st, const json_t *in, const char **why)
{
    const char *dummy = NULL;
    if (!why) {
        why = &dummy;
    }
    if (!json_is_object(in)) {
        *why = "fsfo state: not a JSON object";
        return -1;
    }
    struct fsfo_state t;
    fsfo_state_init(&t);
    if (fsfo_restore_name(in, "primary", t.primary, &t.has_primary, why) != 0) {
        return -1;
    }
    const int rc =
        fsfo_restore_name(in, "last_reinstated", t.last_reinstated, &t.has_last_reinstated, why);
    if (rc != 0) {
        return -1;
    }
    if (fsfo_restore_scalars(in, &t, why) != 0) {
        return -1;
    }
    *st = t;
    return 0;
}
