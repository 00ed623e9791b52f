#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum watch_kind { WATCH_FD, WATCH_TIMER, WATCH_SIGNAL };

struct hw_watch {
    enum watch_kind kind;
    int fd;
    hw_watch_cb cb;
    hw_signal_cb sigcb;
    void *arg;
    int dead; /* removed inside a callback; freed after the dispatch round */
    struct hw_watch *next_dead;
};

struct hw_loop {
    int epfd;
    int stop;
    int dispatching;
    struct hw_watch *dead; /* watches removed while dispatching */
    struct hw_watch *sig;
};

int64_t hw_now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t hw_now_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct hw_loop *hw_loop_new(void)
{
    struct hw_loop *loop = calloc(1, sizeof(*loop));
    if (!loop) {
        return NULL;
    }
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        free(loop);
        return NULL;
    }
    return loop;
}

static void watch_free(struct hw_watch *w)
{
    if (w->kind != WATCH_FD && w->fd >= 0) {
        close(w->fd);
    }
    free(w);
}

void hw_loop_free(struct hw_loop *loop)
{
    if (!loop) {
        return;
    }
    if (loop->sig) {
        hw_loop_remove(loop, loop->sig);
    }
    close(loop->epfd);
    free(loop);
}

static struct hw_watch *watch_add(struct hw_loop *loop, enum watch_kind kind, int fd,
                                  uint32_t events, void *arg)
{
    struct hw_watch *w = calloc(1, sizeof(*w));
    if (!w) {
        return NULL;
    }
    w->kind = kind;
    w->fd = fd;
    w->arg = arg;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

struct hw_watch *hw_loop_add_fd(struct hw_loop *loop, int fd, uint32_t events, hw_watch_cb cb,
                                void *arg)
{
    struct hw_watch *w = watch_add(loop, WATCH_FD, fd, events, arg);
    if (w) {
        w->cb = cb;
    }
    return w;
}

/* A timerfd under the loop's watch, or NULL with the fd closed. */
static struct hw_watch *timer_watch(struct hw_loop *loop, int fd, hw_watch_cb cb, void *arg)
{
    struct hw_watch *w = watch_add(loop, WATCH_TIMER, fd, EPOLLIN, arg);
    if (!w) {
        close(fd);
        return NULL;
    }
    w->cb = cb;
    return w;
}

struct hw_watch *hw_loop_add_timer(struct hw_loop *loop, int64_t interval_ns, int64_t first_ns,
                                   hw_watch_cb cb, void *arg)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    int64_t first = hw_now_mono_ns() + (first_ns > 0 ? first_ns : 1);
    struct itimerspec its = {
        .it_interval = {.tv_sec = interval_ns / 1000000000, .tv_nsec = interval_ns % 1000000000},
        .it_value = {.tv_sec = first / 1000000000, .tv_nsec = first % 1000000000},
    };
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
        close(fd);
        return NULL;
    }
    return timer_watch(loop, fd, cb, arg);
}

struct hw_watch *hw_loop_add_oneshot(struct hw_loop *loop, hw_watch_cb cb, void *arg)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    return timer_watch(loop, fd, cb, arg);
}

int hw_loop_arm(struct hw_watch *w, int64_t delay_ns)
{
    int64_t d = delay_ns > 0 ? delay_ns : 1;
    struct itimerspec its = {.it_value = {.tv_sec = d / 1000000000, .tv_nsec = d % 1000000000}};
    return timerfd_settime(w->fd, 0, &its, NULL) == 0 ? 0 : -errno;
}

void hw_loop_remove(struct hw_loop *loop, struct hw_watch *w)
{
    if (!w || w->dead) {
        return;
    }
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    if (loop->dispatching) {
        w->dead = 1;
        w->next_dead = loop->dead;
        loop->dead = w;
        return;
    }
    watch_free(w);
}

int hw_loop_signals(struct hw_loop *loop, hw_signal_cb cb, void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        return -errno;
    }
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    struct hw_watch *w = watch_add(loop, WATCH_SIGNAL, fd, EPOLLIN, arg);
    if (!w) {
        close(fd);
        return -ENOMEM;
    }
    w->sigcb = cb;
    loop->sig = w;
    return 0;
}

static void dispatch(struct hw_loop *loop, struct hw_watch *w, uint32_t events)
{
    if (w->dead) {
        return;
    }
    if (w->kind == WATCH_TIMER) {
        uint64_t expirations;
        if (read(w->fd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations)) {
            return; /* spurious wake-up */
        }
        w->cb(w->arg, events);
    } else if (w->kind == WATCH_SIGNAL) {
        struct signalfd_siginfo si;
        while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            w->sigcb(w->arg, (int)si.ssi_signo);
            if (loop->stop) {
                break;
            }
        }
    } else {
        w->cb(w->arg, events);
    }
}

int hw_loop_run(struct hw_loop *loop)
{
    struct epoll_event evs[32];
    loop->stop = 0;
    while (!loop->stop) {
        int n = epoll_wait(loop->epfd, evs, 32, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        loop->dispatching = 1;
        for (int i = 0; i < n && !loop->stop; i++) {
            dispatch(loop, evs[i].data.ptr, evs[i].events);
        }
        loop->dispatching = 0;
        while (loop->dead) {
            struct hw_watch *w = loop->dead;
            loop->dead = w->next_dead;
            watch_free(w);
        }
    }
    return 0;
}

void hw_loop_stop(struct hw_loop *loop)
{
    loop->stop = 1;
}
