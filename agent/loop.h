/* The event loop: epoll over timerfds (collector schedules), a signalfd and plugin fds. */
#ifndef HW_LOOP_H
#define HW_LOOP_H

#include <stdint.h>

struct hw_loop;
struct hw_watch;

/* Called on the loop thread; events are EPOLL* bits (timers: EPOLLIN). */
typedef void (*hw_watch_cb)(void *arg, uint32_t events);
typedef void (*hw_signal_cb)(void *arg, int signo);

struct hw_loop *hw_loop_new(void);
void hw_loop_free(struct hw_loop *loop);

/* Watches fd (not owned) for events. NULL on error. */
struct hw_watch *hw_loop_add_fd(struct hw_loop *loop, int fd, uint32_t events, hw_watch_cb cb,
                                void *arg);
/* A periodic timer on CLOCK_MONOTONIC with absolute due times: a late wake-up runs the callback
 * once, never a burst of catch-up runs. The first run is after first_ns (0 = at once). */
struct hw_watch *hw_loop_add_timer(struct hw_loop *loop, int64_t interval_ns, int64_t first_ns,
                                   hw_watch_cb cb, void *arg);
/* A one-shot timer, disarmed until hw_loop_arm(). */
struct hw_watch *hw_loop_add_oneshot(struct hw_loop *loop, hw_watch_cb cb, void *arg);
/* (Re)arms a one-shot timer to fire once after delay_ns. 0 or -errno. */
int hw_loop_arm(struct hw_watch *w, int64_t delay_ns);
/* Stops watching and frees w (closes the fd for timers). Safe inside a callback. */
void hw_loop_remove(struct hw_loop *loop, struct hw_watch *w);
/* Blocks SIGHUP, SIGTERM and SIGINT and delivers them through the loop. */
int hw_loop_signals(struct hw_loop *loop, hw_signal_cb cb, void *arg);

/* Runs until hw_loop_stop(); 0 or -errno. */
int hw_loop_run(struct hw_loop *loop);
void hw_loop_stop(struct hw_loop *loop);

int64_t hw_now_mono_ns(void);
/* Wall-clock milliseconds since the epoch (timestamps that leave the process). */
int64_t hw_now_wall_ms(void);

#endif
