/* sd_notify(3) by hand: the protocol is one AF_UNIX datagram, and libsystemd would be a
 * dependency for 40 lines. */
#include "sdnotify.h"
#include "loop.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Fills addr from $NOTIFY_SOCKET: a path, or "@name" for the abstract namespace. Returns the
 * address length, 0 when unset, or -errno when the value cannot be an AF_UNIX address. */
static int notify_addr(struct sockaddr_un *addr)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !path[0]) {
        return 0;
    }
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr->sun_path)) {
        return -EINVAL;
    }
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    memcpy(addr->sun_path, path, len);
    if (path[0] == '@') {
        addr->sun_path[0] = '\0';
    }
    return (int)(offsetof(struct sockaddr_un, sun_path) + len);
}

int hw_sd_notify(const char *state)
{
    struct sockaddr_un addr;
    int alen = notify_addr(&addr);
    if (alen <= 0) {
        return alen;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    size_t len = strlen(state);
    ssize_t n =
        sendto(fd, state, len, MSG_NOSIGNAL, (const struct sockaddr *)&addr, (socklen_t)alen);
    int rc = n < 0 ? -errno : ((size_t)n == len ? 0 : -EMSGSIZE);
    (void)close(fd);
    return rc;
}

/* systemd 253's Type=notify-reload matches the reload by the clock: send it with RELOADING=1. */
int hw_sd_notify_reloading(void)
{
    char msg[64];
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)(hw_now_mono_ns() / 1000));
    return hw_sd_notify(msg);
}

/* WatchdogSec= sets WATCHDOG_USEC; sd_watchdog_enabled(3) says to ping at half of it. */
int64_t hw_sd_watchdog_interval_ns(void)
{
    const char *usec = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    char *end = NULL;
    if (!usec || !usec[0]) {
        return 0;
    }
    if (pid && pid[0]) {
        errno = 0;
        long long p = strtoll(pid, &end, 10);
        if (errno != 0 || *end != '\0' || p != (long long)getpid()) {
            return 0;
        }
    }
    errno = 0;
    unsigned long long v = strtoull(usec, &end, 10);
    if (errno != 0 || *end != '\0' || usec[0] == '-' || v == 0 || v > INT64_MAX / 1000ULL) {
        return 0;
    }
    return (int64_t)(v * 1000ULL / 2ULL);
}
