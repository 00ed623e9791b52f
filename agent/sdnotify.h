/* systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram to the socket
 * named by $NOTIFY_SOCKET. */
#ifndef HW_SDNOTIFY_H
#define HW_SDNOTIFY_H

#include <stdint.h>

/* Sends STATE (e.g. "READY=1", "RELOADING=1", "STOPPING=1") to the service manager. 0 when
 * sent or when there is no manager to tell ($NOTIFY_SOCKET unset), else -errno. */
int hw_sd_notify(const char *state);
/* "RELOADING=1" with the monotonic time systemd wants beside it. */
int hw_sd_notify_reloading(void);
/* How often to send WATCHDOG=1: half of $WATCHDOG_USEC, in ns, when the watchdog is on for
 * this process ($WATCHDOG_PID unset or ours); 0 when it is off or the value is not a number. */
int64_t hw_sd_watchdog_interval_ns(void);

#endif
