/* The agent's status document (GET /status, GET /, `hostwatch status`): what each source,
 * filter and exporter is doing, built by the core on the loop thread from the same state the
 * metrics come from (and each plugin's status slot), and read by HTTP threads as immutable
 * text. The format is "hostwatch-status/1" (docs/hostwatch.1, STATUS). */
#ifndef HW_STATUS_H
#define HW_STATUS_H

#include <stddef.h>
#include <stdint.h>

#define HW_STATUS_FORMAT "hostwatch-status/1"
#define HW_STATUS_MAX_FILES 100 /* files listed per source; more are counted, not listed */

struct hw_status;

struct hw_status *hw_status_new(void);
void hw_status_free(struct hw_status *s);
/* Replaces the document with text (malloc'd, taken over; NULL keeps the old one). */
void hw_status_put(struct hw_status *s, char *text, size_t len);
/* A copy of the current document (malloc'd, *len its length); NULL before the first one or
 * when out of memory. Thread-safe. */
char *hw_status_get(struct hw_status *s, size_t *len);

/* "2026-12-04T22:10:00.250Z" for wall-clock ms into out (at least 32 bytes). */
void hw_status_time(int64_t wall_ms, char *out, size_t len);

#endif
