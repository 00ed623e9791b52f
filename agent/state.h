/* The state file: every plugin's checkpoint in one JSON document under agent.state_dir,
 * written atomically (temp file, fsync, rename, fsync of the directory) and guarded by a
 * CRC-32, so a torn or edited file is detected and set aside instead of being trusted. */
#ifndef HW_STATE_H
#define HW_STATE_H

#include <jansson.h>
#include <stddef.h>

#define HW_STATE_FILE "state.json"
#define HW_STATE_FORMAT "hostwatch-state/1"

/* Loads <dir>/state.json. Returns the "instances" object (new reference), or NULL: no file
 * (*why NULL), or a bad one (*why says what; the file was renamed to `aside`). */
json_t *hw_state_load(const char *dir, const char **why, char *aside, size_t aside_len);
/* Writes instances (an object keyed by instance) atomically. 0 or -errno. */
int hw_state_save(const char *dir, const json_t *instances);
/* Parses a state document from memory (tests, fuzzing); same contract as hw_state_load. */
json_t *hw_state_parse(const char *text, size_t len, const char **why);

#endif
