/* Parser and state machine for the Oracle Data Guard fast-start failover (FSFO) observer log,
 * rule set "fsfo-timeline/1" (tests/fixtures/fsfo/README.md). Pure: no I/O and no globals, so
 * the tailer, the tests and the fuzzer feed it lines.
 *
 * Choices where the rules leave room:
 * - A name longer than FSFO_NAME_MAX bytes makes its line produce no event.
 * - Names are ASCII (letters, digits, '_', '$', '#'); case-insensitive comparison is ASCII only.
 * - STOP: the message part (leading blanks removed) must be exactly "Observer stopped" or
 *   "Observer stopped."; trailing blanks are not allowed there, unlike pattern P.
 * - START "Observer started." and the other patterns only need to start the message part.
 * - A repeated R (same name as last_reinstated) emits nothing but still stores its spelling. */
#ifndef HW_FSFO_PARSE_H
#define HW_FSFO_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FSFO_NAME_MAX 64 /* longer names: the line is ignored (no event) */
#define FSFO_SPEC "fsfo-timeline/1"

enum fsfo_event {
    FSFO_EV_NONE,
    FSFO_EV_OBSERVER_START,
    FSFO_EV_OBSERVER_STOP,
    FSFO_EV_FAILOVER,
    FSFO_EV_SWITCHOVER,
    FSFO_EV_PRIMARY_DETECTED,
    FSFO_EV_REINSTATE
};

struct fsfo_state {
    char primary[FSFO_NAME_MAX + 1];
    int has_primary;
    char last_reinstated[FSFO_NAME_MAX + 1];
    int has_last_reinstated;
    /* role_changes = failover + switchover + primary_detected events */
    uint64_t failovers, switchovers, reinstatements, role_changes;
    int observer_up; /* -1 unknown (no start/stop seen yet), 1 after START, 0 after STOP */
};

void fsfo_state_init(struct fsfo_state *st);

/* Applies one complete line (without its LF; a trailing CR is removed here). Returns the event
 * emitted (FSFO_EV_NONE for most lines); when an event names a database, *name points at it
 * inside st (primary or last_reinstated) — valid until the next call — else *name is NULL.
 * name may be NULL. Any bytes are accepted; line may be NULL when len is 0. */
enum fsfo_event fsfo_apply_line(struct fsfo_state *st, const char *line, size_t len,
                                const char **name);

/* "failover", "switchover", "primary_detected", "reinstate", "observer_start",
 * "observer_stop", "none": the names the expected.json files use. Never NULL. */
const char *fsfo_event_name(enum fsfo_event ev);

/* 1 when the NUL-terminated names are equal ignoring ASCII case, else 0. */
int fsfo_name_equal(const char *a, const char *b);

/* 1 when s[0..len) is a storable name: 1..FSFO_NAME_MAX bytes of letters, digits, _ $ #. */
int fsfo_name_valid(const char *s, size_t len);

/* Checkpoint form, a new reference (NULL when out of memory):
 * {"spec": "fsfo-timeline/1", "primary": "X"|null, "last_reinstated": "X"|null,
 *  "failovers": n, "switchovers": n, "reinstatements": n, "role_changes": n,
 *  "observer_up": -1|0|1} */
json_t *fsfo_state_save(const struct fsfo_state *st);

/* Restores a checkpoint with full validation: exactly the keys above, their types, names by
 * length and charset, counters 0..INT64_MAX with role_changes >= failovers + switchovers.
 * Returns 0, or -1 with a static reason in *why (why may be NULL) and st unchanged. */
int fsfo_state_restore(struct fsfo_state *st, const json_t *in, const char **why);

#endif
