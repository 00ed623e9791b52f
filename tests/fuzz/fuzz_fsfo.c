/* libFuzzer: observer logs are tailed from disk, so any bytes must be safe. The input is split
 * on LF like a tailer does; after each line the state must stay valid and consistent with the
 * event returned, and at the end a save/restore round trip must reproduce it. The same bytes
 * are also offered to restore as a checkpoint. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/fsfo/fsfo_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stored name: NUL-terminated, valid, and absent exactly when its flag says so. */
static void fsfo_check_name(const char *s, int has)
{
    const char *nul = memchr(s, '\0', FSFO_NAME_MAX + 1);
    if (!nul || (has != 0 && has != 1)) {
        __builtin_trap();
    }
    const size_t n = (size_t)(nul - s);
    if (has ? !fsfo_name_valid(s, n) : n != 0) {
        __builtin_trap();
    }
}

static void fsfo_check_state(const struct fsfo_state *st)
{
    fsfo_check_name(st->primary, st->has_primary);
    fsfo_check_name(st->last_reinstated, st->has_last_reinstated);
    if (st->observer_up < -1 || st->observer_up > 1 ||
        st->role_changes < st->failovers + st->switchovers) {
        __builtin_trap();
    }
}

/* The counters' and names' change must be exactly what the event says. */
static void fsfo_check_step(const struct fsfo_state *a, const struct fsfo_state *b,
                            enum fsfo_event ev, const char *name)
{
    const uint64_t dfo = b->failovers - a->failovers, dsw = b->switchovers - a->switchovers;
    const uint64_t drc = b->role_changes - a->role_changes;
    const uint64_t dre = b->reinstatements - a->reinstatements;
    const int role =
        ev == FSFO_EV_FAILOVER || ev == FSFO_EV_SWITCHOVER || ev == FSFO_EV_PRIMARY_DETECTED;
    if (b->failovers < a->failovers || b->switchovers < a->switchovers ||
        b->role_changes < a->role_changes || b->reinstatements < a->reinstatements) {
        __builtin_trap();
    }
    if (dfo != (ev == FSFO_EV_FAILOVER) || dsw != (ev == FSFO_EV_SWITCHOVER) ||
        drc != (uint64_t)role || dre != (ev == FSFO_EV_REINSTATE)) {
        __builtin_trap();
    }
    if (role && (name != b->primary || !b->has_primary || b->has_last_reinstated ||
                 (a->has_primary && fsfo_name_equal(a->primary, b->primary)))) {
        __builtin_trap();
    }
    if (!role && (a->has_primary != b->has_primary || strcmp(a->primary, b->primary) != 0)) {
        __builtin_trap();
    }
    if (ev == FSFO_EV_REINSTATE && (name != b->last_reinstated || !b->has_last_reinstated)) {
        __builtin_trap();
    }
    if (!role && ev != FSFO_EV_REINSTATE && name != NULL) {
        __builtin_trap();
    }
    if ((ev == FSFO_EV_OBSERVER_START && b->observer_up != 1) ||
        (ev == FSFO_EV_OBSERVER_STOP && b->observer_up != 0) ||
        (ev != FSFO_EV_OBSERVER_START && ev != FSFO_EV_OBSERVER_STOP &&
         b->observer_up != a->observer_up)) {
        __builtin_trap();
    }
}

static int fsfo_same(const struct fsfo_state *a, const struct fsfo_state *b)
{
    return a->has_primary == b->has_primary && strcmp(a->primary, b->primary) == 0 &&
           a->has_last_reinstated == b->has_last_reinstated &&
           strcmp(a->last_reinstated, b->last_reinstated) == 0 && a->failovers == b->failovers &&
           a->switchovers == b->switchovers && a->reinstatements == b->reinstatements &&
           a->role_changes == b->role_changes && a->observer_up == b->observer_up;
}

/* save -> text -> parse -> restore must give the same state back. */
static void fsfo_check_roundtrip(const struct fsfo_state *st)
{
    json_t *j = fsfo_state_save(st);
    if (!j) {
        __builtin_trap();
    }
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text) {
        __builtin_trap();
    }
    json_error_t err;
    json_t *back = json_loads(text, 0, &err);
    free(text);
    struct fsfo_state r;
    fsfo_state_init(&r);
    const char *why = NULL;
    if (!back || fsfo_state_restore(&r, back, &why) != 0 || !fsfo_same(&r, st)) {
        __builtin_trap();
    }
    json_decref(back);
}

/* The input as a checkpoint: rejected with a reason and no change, or accepted and valid. */
static void fsfo_check_restore(const uint8_t *data, size_t size, const struct fsfo_state *st)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!j) {
        return;
    }
    struct fsfo_state r = *st;
    const char *why = NULL;
    if (fsfo_state_restore(&r, j, &why) != 0) {
        if (!why || !fsfo_same(&r, st)) {
            __builtin_trap();
        }
    } else {
        fsfo_check_state(&r);
        fsfo_check_roundtrip(&r);
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fsfo_state st;
    fsfo_state_init(&st);
    const char *p = (const char *)data;
    size_t left = size;
    const char *lf;
    while (left > 0 && (lf = memchr(p, '\n', left)) != NULL) {
        const size_t n = (size_t)(lf - p);
        const struct fsfo_state before = st;
        const char *name = NULL;
        const enum fsfo_event ev = fsfo_apply_line(&st, p, n, &name);
        fsfo_check_state(&st);
        fsfo_check_step(&before, &st, ev, name);
        if (fsfo_event_name(ev) == NULL) {
            __builtin_trap();
        }
        p += n + 1;
        left -= n + 1;
    }
    /* The unterminated rest is no line for a tailer, but must be safe all the same. */
    struct fsfo_state tail = st;
    (void)fsfo_apply_line(&tail, p, left, NULL);
    fsfo_check_state(&tail);
    fsfo_check_roundtrip(&st);
    fsfo_check_roundtrip(&tail);
    fsfo_check_restore(data, size, &st);
    return 0;
}
