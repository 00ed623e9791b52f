#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "fsstat.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FSSTAT_STACK_SIZE (64 * 1024)

struct fsstat_worker;

/* State that outlives the pool while an abandoned worker still runs; every field is guarded
 * by mu. Refcounted by the pool and by each worker thread. */
struct fsstat_shared {
    pthread_mutex_t mu;
    pthread_cond_t idle_cv; /* CLOCK_MONOTONIC; an abandoned worker returned */
    unsigned refs;
    struct fsstat_pool_opts opts;
    struct fsstat_worker *stuck; /* abandoned workers still blocked */
    size_t nstuck;
};

struct fsstat_worker {
    struct fsstat_shared *sh;
    pthread_t tid;
    pthread_cond_t work_cv; /* a request or quit arrived */
    pthread_cond_t done_cv; /* CLOCK_MONOTONIC; the request completed */
    int pending, quit, abandoned;
    int rc;
    struct statvfs st;
    struct fsstat_worker *next; /* in sh->stuck once abandoned */
    char path[PATH_MAX];        /* not written while pending */
};

struct fsstat_pool {
    struct fsstat_shared *sh;
    struct fsstat_worker *cur; /* the idle worker, or NULL until the next call starts one */
};

static int default_statvfs(const char *path, struct statvfs *out, void *arg)
{
    (void)arg;
    return statvfs(path, out) == 0 ? 0 : -errno;
}

static int monotonic_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);
    if (rc != 0) {
        return -rc;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(cv, &attr);
    }
    (void)pthread_condattr_destroy(&attr);
    return -rc;
}

static struct timespec deadline_after(int64_t ns)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    const int64_t sec = ns / 1000000000, rem = ns % 1000000000;
    ts.tv_sec += (time_t)sec;
    ts.tv_nsec += (long)rem;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Drops one reference; the last one frees the shared state, then hands arg back. */
static void shared_unref(struct fsstat_shared *sh)
{
    (void)pthread_mutex_lock(&sh->mu);
    const unsigned left = --sh->refs;
    (void)pthread_mutex_unlock(&sh->mu);
    if (left > 0) {
        return;
    }
    void (*release)(void *) = sh->opts.release;
    void *arg = sh->opts.arg;
    (void)pthread_cond_destroy(&sh->idle_cv);
    (void)pthread_mutex_destroy(&sh->mu);
    free(sh);
    if (release) {
        release(arg);
    }
}

static void worker_destroy(struct fsstat_worker *w)
{
    (void)pthread_cond_destroy(&w->work_cv);
    (void)pthread_cond_destroy(&w->done_cv);
    free(w);
}

/* Called with sh->mu held by a worker whose caller gave up on it. */
static void unlink_stuck(struct fsstat_shared *sh, const struct fsstat_worker *w)
{
    for (struct fsstat_worker **pp = &sh->stuck; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            sh->nstuck--;
            break;
        }
    }
    (void)pthread_cond_broadcast(&sh->idle_cv);
}

/* The worker serves requests until told to quit, or until its caller abandoned it: then it
 * owns itself and cleans up when its blocked call returns. */
static void *worker_main(void *arg)
{
    struct fsstat_worker *w = arg;
    struct fsstat_shared *sh = w->sh;
    (void)pthread_mutex_lock(&sh->mu);
    for (;;) {
        while (!w->pending && !w->quit) {
            (void)pthread_cond_wait(&w->work_cv, &sh->mu);
        }
        if (w->quit) {
            break;
        }
        (void)pthread_mutex_unlock(&sh->mu);
        struct statvfs st;
        memset(&st, 0, sizeof(st));
        const int rc = sh->opts.fn(w->path, &st, sh->opts.arg);
        (void)pthread_mutex_lock(&sh->mu);
        w->rc = rc;
        w->st = st;
        w->pending = 0;
        if (w->abandoned) {
            break;
        }
        (void)pthread_cond_signal(&w->done_cv);
    }
    const int abandoned = w->abandoned;
    if (abandoned) {
        unlink_stuck(sh, w);
    }
    (void)pthread_mutex_unlock(&sh->mu);
    if (abandoned) {
        worker_destroy(w);
    }
    shared_unref(sh);
    return NULL;
}

/* Starts a thread with every signal blocked (the loop thread owns signal handling) and a
 * small stack (it only makes one system call). */
static int spawn_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    sigset_t all, old;
    int rc = pthread_attr_init(&attr);
    if (rc != 0) {
        return -rc;
    }
    /* Fails only below the platform minimum, which leaves the default size: fine. */
    (void)pthread_attr_setstacksize(&attr, FSSTAT_STACK_SIZE);
    (void)sigfillset(&all);
    rc = pthread_sigmask(SIG_SETMASK, &all, &old);
    if (rc == 0) {
        rc = pthread_create(tid, &attr, fn, arg);
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    (void)pthread_attr_destroy(&attr);
    return -rc;
}

/* Called with sh->mu held: makes pool->cur a fresh idle worker. */
static int worker_start(struct fsstat_pool *pool)
{
    struct fsstat_worker *w = calloc(1, sizeof(*w));
    if (!w) {
        return -ENOMEM;
    }
    w->sh = pool->sh;
    int rc = pthread_cond_init(&w->work_cv, NULL);
    if (rc != 0) {
        free(w);
        return -rc;
    }
    rc = monotonic_cond_init(&w->done_cv);
    if (rc != 0) {
        (void)pthread_cond_destroy(&w->work_cv);
        free(w);
        return rc;
    }
    pool->sh->refs++;
    rc = spawn_thread(&w->tid, worker_main, w);
    if (rc != 0) {
        pool->sh->refs--;
        worker_destroy(w);
        return rc;
    }
    pool->cur = w;
    return 0;
}

struct fsstat_pool *fsstat_pool_new_with(const struct fsstat_pool_opts *opts)
{
    struct fsstat_pool *pool = calloc(1, sizeof(*pool));
    struct fsstat_shared *sh = calloc(1, sizeof(*sh));
    if (!pool || !sh) {
        goto fail;
    }
    if (pthread_mutex_init(&sh->mu, NULL) != 0) {
        goto fail;
    }
    if (monotonic_cond_init(&sh->idle_cv) != 0) {
        (void)pthread_mutex_destroy(&sh->mu);
        goto fail;
    }
    sh->refs = 1;
    sh->opts = *opts;
    if (!sh->opts.fn) {
        sh->opts.fn = default_statvfs;
    }
    pool->sh = sh;
    return pool;
fail:
    free(sh);
    free(pool);
    return NULL;
}

struct fsstat_pool *fsstat_pool_new(void)
{
    const struct fsstat_pool_opts opts = {.fn = NULL};
    return fsstat_pool_new_with(&opts);
}

/* Called with sh->mu held. */
static int stuck_locked(const struct fsstat_shared *sh, const char *path)
{
    for (const struct fsstat_worker *w = sh->stuck; w; w = w->next) {
        if (strcmp(w->path, path) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Called with sh->mu held after the wait expired: the worker now belongs to itself. */
static void abandon_locked(struct fsstat_pool *pool, struct fsstat_worker *w)
{
    w->abandoned = 1;
    w->next = pool->sh->stuck;
    pool->sh->stuck = w;
    pool->sh->nstuck++;
    (void)pthread_detach(w->tid);
    pool->cur = NULL;
}

int fsstat_statvfs(struct fsstat_pool *pool, const char *path, int64_t timeout_ns,
                   struct statvfs *out)
{
    struct fsstat_shared *sh = pool->sh;
    const size_t len = strlen(path);
    if (len >= PATH_MAX) {
        return -ENAMETOOLONG;
    }
    if (timeout_ns <= 0) {
        return -EINVAL;
    }
    (void)pthread_mutex_lock(&sh->mu);
    int rc = 0;
    if (stuck_locked(sh, path)) {
        rc = -EBUSY;
    } else if (!pool->cur) {
        rc = sh->nstuck >= FSSTAT_MAX_STUCK ? -EAGAIN : worker_start(pool);
    }
    if (rc != 0) {
        (void)pthread_mutex_unlock(&sh->mu);
        return rc;
    }
    struct fsstat_worker *w = pool->cur;
    memcpy(w->path, path, len + 1);
    w->pending = 1;
    (void)pthread_cond_signal(&w->work_cv);
    const struct timespec deadline = deadline_after(timeout_ns);
    while (w->pending) {
        if (pthread_cond_timedwait(&w->done_cv, &sh->mu, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    if (w->pending) {
        abandon_locked(pool, w);
        rc = -ETIMEDOUT;
    } else {
        rc = w->rc;
        if (rc == 0) {
            *out = w->st;
        }
    }
    (void)pthread_mutex_unlock(&sh->mu);
    return rc;
}

int fsstat_is_stuck(struct fsstat_pool *pool, const char *path)
{
    (void)pthread_mutex_lock(&pool->sh->mu);
    const int stuck = stuck_locked(pool->sh, path);
    (void)pthread_mutex_unlock(&pool->sh->mu);
    return stuck;
}

size_t fsstat_stuck_count(struct fsstat_pool *pool)
{
    (void)pthread_mutex_lock(&pool->sh->mu);
    const size_t n = pool->sh->nstuck;
    (void)pthread_mutex_unlock(&pool->sh->mu);
    return n;
}

int fsstat_pool_drain(struct fsstat_pool *pool, int64_t timeout_ns)
{
    struct fsstat_shared *sh = pool->sh;
    const struct timespec deadline = deadline_after(timeout_ns > 0 ? timeout_ns : 0);
    (void)pthread_mutex_lock(&sh->mu);
    while (sh->nstuck > 0) {
        if (pthread_cond_timedwait(&sh->idle_cv, &sh->mu, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    const size_t left = sh->nstuck;
    (void)pthread_mutex_unlock(&sh->mu);
    return left ? -ETIMEDOUT : 0;
}

void fsstat_pool_free(struct fsstat_pool *pool)
{
    if (!pool) {
        return;
    }
    struct fsstat_worker *w = pool->cur;
    if (w) {
        /* The current worker is idle: the single caller only returns once it is done. */
        (void)pthread_mutex_lock(&pool->sh->mu);
        w->quit = 1;
        (void)pthread_cond_signal(&w->work_cv);
        (void)pthread_mutex_unlock(&pool->sh->mu);
        (void)pthread_join(w->tid, NULL);
        worker_destroy(w);
    }
    shared_unref(pool->sh);
    free(pool);
}
