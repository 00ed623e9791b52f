#include "tailsrc.h"

#include <string.h>
#include <sys/epoll.h>

#include "loop.h"

static void tailsrc_on_event(void *arg, uint32_t events)
{
    struct tailsrc *ts = arg;
    (void)events;
    (void)logtail_on_events(ts->lt);
    ts->after_events(ts->arg);
    if (ts->request_publish) {
        ts->request_publish(ts->core);
    }
}

int tailsrc_open(struct tailsrc *ts, const struct logtail_opts *lo, const struct hw_ctx *ctx,
                 logtail_line_cb on_line, void (*after_events)(void *arg), void *arg)
{
    struct logtail_opts o = *lo;
    memset(ts, 0, sizeof(*ts));
    ts->loop = ctx->loop;
    ts->mode = ctx->mode;
    ts->after_events = after_events;
    ts->arg = arg;
    ts->request_publish = ctx->request_publish;
    ts->core = ctx->core;
    o.use_inotify = lo->use_inotify && ctx->mode == HW_MODE_RUN && ctx->loop;
    if (!(ts->lt = logtail_new(&o, on_line, arg))) {
        return -1;
    }
    if (o.use_inotify && logtail_fd(ts->lt) >= 0) {
        ts->watch = hw_loop_add_fd(ts->loop, logtail_fd(ts->lt), EPOLLIN, tailsrc_on_event, ts);
    }
    return 0;
}

int tailsrc_collect(struct tailsrc *ts)
{
    if (ts->mode != HW_MODE_ONCE) {
        return logtail_poll(ts->lt);
    }
    if (ts->read_once) {
        return 0;
    }
    ts->read_once = 1;
    return logtail_read_all_once(ts->lt);
}

void tailsrc_close(struct tailsrc *ts)
{
    if (ts->watch) {
        hw_loop_remove(ts->loop, ts->watch);
        ts->watch = NULL;
    }
    logtail_free(ts->lt);
    ts->lt = NULL;
}
