/* Time-boxed statvfs(3): a dead NFS server or a hung FUSE daemon must not block the agent's
 * loop. A persistent worker thread serves one request at a time; a caller waits at most its
 * timeout. A call that times out marks its path stuck, and the blocked worker is abandoned
 * (detached; it frees itself and clears the mark when the call finally returns) while a fresh
 * worker serves the next requests. Calls for a stuck path fail at once with -EBUSY.
 *
 * One pool is used by one thread at a time (the collector's); it is not a concurrent queue. */
#ifndef HW_FSSTAT_H
#define HW_FSSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/statvfs.h>

/* At most this many abandoned workers at once; beyond it calls fail with -EAGAIN rather than
 * piling up threads behind a dead server. */
#define FSSTAT_MAX_STUCK 32

/* The blocking call a worker makes: 0 or -errno. The default is statvfs(3). */
typedef int (*fsstat_fn)(const char *path, struct statvfs *out, void *arg);

struct fsstat_pool_opts {
    fsstat_fn fn; /* NULL: statvfs(3) */
    void *arg;    /* passed to fn; must stay valid until release(arg) runs */
    /* Called once, by the last thread that can still use arg (the pool, or a worker that
     * outlived it), when arg is no longer needed. May be NULL. */
    void (*release)(void *arg);
};

struct fsstat_pool;

/* A pool calling statvfs(3). NULL on allocation failure. */
struct fsstat_pool *fsstat_pool_new(void);
/* A pool calling opts->fn (tests inject a blocking function here). */
struct fsstat_pool *fsstat_pool_new_with(const struct fsstat_pool_opts *opts);

/* statvfs(path) waiting at most timeout_ns. Returns 0 with *out filled, -ETIMEDOUT (the path
 * is now stuck), -EBUSY (a previous call for path is still blocked), -EAGAIN (too many stuck
 * workers), -ENAMETOOLONG, or the call's -errno. */
int fsstat_statvfs(struct fsstat_pool *pool, const char *path, int64_t timeout_ns,
                   struct statvfs *out);

/* 1 while an abandoned call for path has not returned. */
int fsstat_is_stuck(struct fsstat_pool *pool, const char *path);
/* Number of abandoned workers still blocked. */
size_t fsstat_stuck_count(struct fsstat_pool *pool);

/* Waits up to timeout_ns for every abandoned worker to return (a graceful shutdown, or a test
 * that released its blocked calls). 0 when none is left, -ETIMEDOUT otherwise. */
int fsstat_pool_drain(struct fsstat_pool *pool, int64_t timeout_ns);

/* Stops the idle worker; abandoned workers are left detached and finish on their own. Never
 * blocks on a stuck call. Accepts NULL. */
void fsstat_pool_free(struct fsstat_pool *pool);

#endif
