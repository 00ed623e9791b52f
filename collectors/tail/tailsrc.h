/* A tailer wired to the agent: in HW_MODE_RUN it polls and wakes on inotify through the loop,
 * in HW_MODE_ONCE it reads every file whole once. Shared by the logs and fsfo collectors. */
#ifndef HW_TAILSRC_H
#define HW_TAILSRC_H

#include "logtail.h"
#include "plugin.h"

struct tailsrc {
    struct logtail *lt;
    struct hw_loop *loop;
    struct hw_watch *watch;
    enum hw_mode mode;
    int read_once;
    void (*after_events)(void *arg); /* the owner publishes what the lines changed */
    void *arg;
    void (*request_publish)(void *core);
    void *core;
};

/* lo->use_inotify is honoured only in HW_MODE_RUN with a loop. 0 or -1. */
int tailsrc_open(struct tailsrc *ts, const struct logtail_opts *lo, const struct hw_ctx *ctx,
                 logtail_line_cb on_line, void (*after_events)(void *arg), void *arg);
/* The collector's periodic pass. 0 or -errno. */
int tailsrc_collect(struct tailsrc *ts);
void tailsrc_close(struct tailsrc *ts);

#endif
