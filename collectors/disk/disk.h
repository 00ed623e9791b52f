/* The `disk` collector: statvfs of every selected mount as node_exporter's node_filesystem_*
 * and the CloudWatch agent's disk_* families, and /proc/diskstats as node_disk_* and diskio_*.
 * statvfs runs time-boxed (fsstat), so a dead NFS mount cannot stall the agent's loop. */
#ifndef HW_DISK_H
#define HW_DISK_H

#include <stdint.h>

#include "plugin.h"

/* The option struct the table fills (conf_size bytes). */
struct disk_conf {
    struct hw_strlist mounts;          /* mount points or fnmatch(3) globs */
    struct hw_strlist ignore_mounts;   /* globs, applied to glob matches only */
    struct hw_strlist ignore_fs_types; /* globs, applied to glob matches only */
    int io;                            /* publish /proc/diskstats */
    char *io_ignore_devices;           /* PCRE2; NULL or "": keep every device */
    int64_t mount_timeout_ns;          /* per statvfs call */
    int drop_device;                   /* disk_* without the device dimension */
};

extern const struct hw_collector hw_collector_disk;

#endif
