/* The two requests of one ECS collection (/task, then /task/stats) through the AWS HTTP client,
 * on a worker thread of their own so a slow or silent metadata endpoint never holds the loop:
 * the loop asks for a fetch and later takes the last complete result. */
#ifndef HW_ECS_FETCH_H
#define HW_ECS_FETCH_H

#include <stdint.h>

#include "ecs_parse.h"

/* What one fetch found. stats_status: 200 parsed, another HTTP status, or 0 (no answer or
 * garbage; see stats_err). */
struct ecs_result {
    int task_ok;
    long stats_status;
    int stats_ok;
    char task_err[900], stats_err[900];
    double seconds; /* wall time of both requests and the parsing */
    struct ecs_task task;
};

struct ecs_fetch;

/* base: the metadata URI (without /task). threaded 0: ecs_fetch_now() only (hostwatch once).
 * NULL with err (libcurl missing, URL refused, no memory). */
struct ecs_fetch *ecs_fetch_new(const char *base, long timeout_ms, int threaded, char *err,
                                size_t errlen);
/* Asks the worker for a fetch unless one is under way. */
void ecs_fetch_kick(struct ecs_fetch *f);
/* Moves the newest complete result into out when there is one not taken yet: 1, else 0. */
int ecs_fetch_take(struct ecs_fetch *f, struct ecs_result *out);
/* One fetch on the calling thread (time-boxed by timeout_ms per request). */
void ecs_fetch_now(struct ecs_fetch *f, struct ecs_result *out);
/* Stops and joins the worker (a request in flight ends within its timeout). Accepts NULL. */
void ecs_fetch_free(struct ecs_fetch *f);

#endif
