/* Paths under a configurable /proc, /sys or / prefix, so the agent in a container can read
 * the host's view through bind mounts. */
#ifndef HW_PROCROOT_H
#define HW_PROCROOT_H

#include <stddef.h>

/* Writes root + "/" + rel into out (no doubled slashes). 0, or -1 when it does not fit. */
int procroot_join(char *out, size_t len, const char *root, const char *rel);
/* Strips the rootfs prefix from an absolute mount point seen through it ("/rootfs/var" with
 * rootfs "/rootfs" gives "/var"); returns the input when the prefix does not apply. */
const char *procroot_strip(const char *path, const char *rootfs);

#endif
