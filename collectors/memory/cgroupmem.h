/* Memory of the cgroup this process runs in (cgroup v2, else v1): usage, working set and the
 * effective limit, as docker stats and cAdvisor report them. The text parsers are pure; only
 * cgroupmem_read() touches files. */
#ifndef HW_CGROUPMEM_H
#define HW_CGROUPMEM_H

#include <stddef.h>
#include <stdint.h>

struct hw_buf;

#define CGROUPMEM_PATH_MAX 1024
/* cgroupmem_parse_max()'s value for "max". */
#define CGROUPMEM_MAX UINT64_MAX
/* cgroup v1 reports "no limit" as a huge page-aligned number (2^63 - 4096 on x86-64). */
#define CGROUPMEM_V1_UNLIMITED (UINT64_C(1) << 62)

/* What <procfs>/self/cgroup says about this process. */
struct cgroupmem_self {
    char v2_path[CGROUPMEM_PATH_MAX]; /* from "0::/path" */
    char v1_path[CGROUPMEM_PATH_MAX]; /* from "N:...memory...:/path" */
    int has_v2, has_v1;
};

struct cgroupmem {
    int ok;                     /* 1 when the fields below describe a cgroup */
    int version;                /* 1 or 2 */
    uint64_t usage_bytes;       /* memory.current / memory.usage_in_bytes */
    uint64_t working_set_bytes; /* usage - inactive_file, floored at 0 */
    uint64_t limit_bytes;       /* smallest limit of the cgroup and its ancestors; 0 = none */
};

/* Parses /proc/self/cgroup text. Paths that are not absolute, contain a ".." component or do
 * not fit are ignored. Returns 0, or -1 when an argument is NULL. */
int cgroupmem_parse_self(const char *text, size_t len, struct cgroupmem_self *out);

/* Parses a file holding one decimal number and an optional newline. 0 or -1. */
int cgroupmem_parse_u64(const char *text, size_t len, uint64_t *out);

/* Parses a cgroup v2 memory.max: "max" gives CGROUPMEM_MAX, else the number. 0 or -1. */
int cgroupmem_parse_max(const char *text, size_t len, uint64_t *out);

/* Finds "key value" in memory.stat text. 0, or -1 when the key is absent or malformed. */
int cgroupmem_stat_get(const char *text, size_t len, const char *key, uint64_t *out);

/* usage - inactive_file, floored at 0 (cAdvisor's container_memory_working_set_bytes). */
uint64_t cgroupmem_working_set(uint64_t usage, uint64_t inactive_file);

/* A v1 limit_in_bytes as a limit: 0 (none) when >= 2^62 or >= host_total (host_total 0:
 * unknown, only the first rule applies). */
uint64_t cgroupmem_v1_limit(uint64_t raw, uint64_t host_total);

/* 1 when cg describes a cgroup that runs under a memory limit. */
int cgroupmem_limited(const struct cgroupmem *cg);

/* Reads this process's cgroup through <procfs>/self/cgroup and <sysfs>/fs/cgroup, using
 * scratch as the read buffer. host_total is the host's MemTotal in bytes (0 if unknown).
 * 0 with out->ok set, or -errno (-ENOENT: no cgroup memory controller found). */
int cgroupmem_read(const char *procfs, const char *sysfs, uint64_t host_total,
                   struct hw_buf *scratch, struct cgroupmem *out);

#endif
