#include "ecs_fetch.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporters/net/http_client.h"
#include "loop.h"

struct ecs_fetch {
    char task_url[600], stats_url[600];
    struct netlib *lib;
    struct hw_http *http;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int threaded, want, busy, stop, fresh;
    int orphan; /* freed while a request was under way: the worker frees f when it ends */
    struct ecs_result *done; /* the newest complete result (under mu) */
    struct ecs_result *work; /* the worker's */
};

/* GET url into r; 0 with an HTTP 200 answer, else -1 with what happened in err. */
static int ecs_get(struct hw_http *h, const char *url, struct hw_http_resp *r, char *err,
                   size_t len)
{
    if (hw_http_request(h, "GET", url, NULL, 0, NULL, 0, r) != 0) {
        snprintf(err, len, "GET %s: %s", url, r->error[0] ? r->error : "no answer");
        return -1;
    }
    if (r->status != 200) {
        snprintf(err, len, "GET %s: HTTP %ld", url, r->status);
        return -1;
    }
    return 0;
}

void ecs_fetch_now(struct ecs_fetch *f, struct ecs_result *out)
{
    const double t0 = (double)hw_now_mono_ns() / 1e9;
    struct hw_http_resp r = {0};
    char why[256];
    memset(out, 0, offsetof(struct ecs_result, task));
    if (ecs_get(f->http, f->task_url, &r, out->task_err, sizeof(out->task_err)) != 0) {
        goto out;
    }
    if (ecs_parse_task(r.body.data, r.body.len, &out->task, why, sizeof(why)) != 0) {
        snprintf(out->task_err, sizeof(out->task_err), "GET %s: %s", f->task_url, why);
        goto out;
    }
    out->task_ok = 1;
    const int got = ecs_get(f->http, f->stats_url, &r, out->stats_err, sizeof(out->stats_err));
    out->stats_status = r.status;
    if (got == 0 && ecs_parse_stats(r.body.data, r.body.len, &out->task, why, sizeof(why)) < 0) {
        snprintf(out->stats_err, sizeof(out->stats_err), "GET %s: %s", f->stats_url, why);
    } else if (got == 0) {
        out->stats_ok = 1;
    }
out:
    hw_http_resp_free(&r);
    out->seconds = (double)hw_now_mono_ns() / 1e9 - t0;
}

static void ecs_fetch_release(struct ecs_fetch *f);

/* The worker: one fetch per kick, the result swapped in under the lock. */
static void *ecs_fetch_main(void *arg)
{
    struct ecs_fetch *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->want && !f->stop) {
            pthread_cond_wait(&f->cv, &f->mu);
        }
        if (f->stop) {
            break;
        }
        f->want = 0;
        f->busy = 1;
        pthread_mutex_unlock(&f->mu);
        ecs_fetch_now(f, f->work);
        pthread_mutex_lock(&f->mu);
        if (f->orphan) {
            pthread_mutex_unlock(&f->mu);
            ecs_fetch_release(f);
            return NULL;
        }
        struct ecs_result *t = f->done;
        f->done = f->work;
        f->work = t;
        f->fresh = 1;
        f->busy = 0;
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

void ecs_fetch_kick(struct ecs_fetch *f)
{
    pthread_mutex_lock(&f->mu);
    if (!f->busy) {
        f->want = 1;
        pthread_cond_signal(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
}

int ecs_fetch_take(struct ecs_fetch *f, struct ecs_result *out)
{
    int got = 0;
    pthread_mutex_lock(&f->mu);
    if (f->fresh) {
        memcpy(out, f->done, sizeof(*out));
        f->fresh = 0;
        got = 1;
    }
    pthread_mutex_unlock(&f->mu);
    return got;
}

/* Everything but the thread; 0 or -1 with err. */
static int ecs_fetch_init(struct ecs_fetch *f, const char *base, long timeout_ms, char *err,
                          size_t errlen)
{
    const char *why = NULL;
    const size_t n = strlen(base);
    const int slash = n > 0 && base[n - 1] == '/';
    if (n + 12 >= sizeof(f->task_url) || !aws_url_allowed(base, &why)) {
        snprintf(err, errlen, "metadata endpoint \"%s\" refused: %s", base, why ? why : "too long");
        return -1;
    }
    snprintf(f->task_url, sizeof(f->task_url), "%.*s/task", (int)(n - (size_t)slash), base);
    snprintf(f->stats_url, sizeof(f->stats_url), "%.*s/task/stats", (int)(n - (size_t)slash), base);
    f->done = calloc(1, sizeof(*f->done));
    f->work = calloc(1, sizeof(*f->work));
    if (!f->done || !f->work) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!(f->lib = netlib_open(err, errlen))) {
        return -1;
    }
    /* The metadata endpoint is link-local: never through a proxy. */
    const struct hw_http_opts o = {.connect_timeout_ms = timeout_ms < 1000 ? timeout_ms : 1000,
                                    .timeout_ms = timeout_ms,
                                    .tls_verify = 1,
                                    .direct = 1};
    if (!(f->http = hw_http_new(f->lib, &o))) {
        snprintf(err, errlen, "cannot create an HTTP client");
        return -1;
    }
    return 0;
}

/* The worker blocks every signal: SIGTERM and SIGHUP belong to the loop's signalfd, and a
 * thread that can take them would let the default action end the process. */
static int ecs_fetch_spawn(struct ecs_fetch *f)
{
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_BLOCK, &all, &old) != 0) {
        return -1;
    }
    const int rc = pthread_create(&f->th, NULL, ecs_fetch_main, f);
    if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0 && rc == 0) {
        return 0; /* the worker runs; only the caller's mask could not be put back */
    }
    return rc == 0 ? 0 : -1;
}

struct ecs_fetch *ecs_fetch_new(const char *base, long timeout_ms, int threaded, char *err,
                                size_t errlen)
{
    struct ecs_fetch *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&f->mu, NULL) != 0) {
        free(f);
        snprintf(err, errlen, "cannot create a mutex");
        return NULL;
    }
    if (pthread_cond_init(&f->cv, NULL) != 0) {
        pthread_mutex_destroy(&f->mu);
        free(f);
        snprintf(err, errlen, "cannot create a condition variable");
        return NULL;
    }
    if (ecs_fetch_init(f, base, timeout_ms, err, errlen) != 0) {
        goto fail;
    }
    if (threaded && ecs_fetch_spawn(f) != 0) {
        snprintf(err, errlen, "cannot start the fetch thread");
        goto fail;
    }
    f->threaded = threaded;
    return f;
fail:
    ecs_fetch_free(f);
    return NULL;
}

/* Frees what the fetcher owns, the worker thread excepted. */
static void ecs_fetch_release(struct ecs_fetch *f)
{
    hw_http_free(f->http);
    netlib_close(f->lib);
    free(f->done);
    free(f->work);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* A request under way is not waited for (that could hold the loop for the whole timeout on a
 * reload or at exit): the worker is detached and frees everything when the request ends. */
void ecs_fetch_free(struct ecs_fetch *f)
{
    if (!f) {
        return;
    }
    if (f->threaded) {
        pthread_mutex_lock(&f->mu);
        f->stop = 1;
        const int busy = f->busy;
        const pthread_t th = f->th;
        f->orphan = busy;
        pthread_cond_signal(&f->cv);
        pthread_mutex_unlock(&f->mu);
        if (busy) {
            if (pthread_detach(th) != 0) {
                pthread_join(th, NULL); /* cannot detach: wait; the worker still frees f */
            }
            return;
        }
        pthread_join(th, NULL);
    }
    ecs_fetch_release(f);
}
