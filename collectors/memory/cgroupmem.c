#include "cgroupmem.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "collectors/procroot.h"

/* memory.stat is the largest file read here (about 2 KiB on 6.x kernels). */
#define CGROUPMEM_FILE_MAX (64 * 1024)
/* Full file paths: sysfs prefix + cgroup path + file name. */
#define CGROUPMEM_FILEPATH_MAX 4096
/* Ancestors visited when looking for the effective limit. */
#define CGROUPMEM_MAX_DEPTH 64

static const char *cgroupmem_skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }
    return p;
}

int cgroupmem_parse_u64(const char *text, size_t len, uint64_t *out)
{
    const char *end = text + len;
    const char *p = cgroupmem_skip_space(text, end);
    uint64_t v;
    if (hw_parse_u64(&p, end, &v) != 0 || cgroupmem_skip_space(p, end) != end) {
        return -1;
    }
    *out = v;
    return 0;
}

int cgroupmem_parse_max(const char *text, size_t len, uint64_t *out)
{
    const char *end = text + len;
    const char *p = cgroupmem_skip_space(text, end);
    if (end - p >= 3 && memcmp(p, "max", 3) == 0 && cgroupmem_skip_space(p + 3, end) == end) {
        *out = CGROUPMEM_MAX;
        return 0;
    }
    return cgroupmem_parse_u64(text, len, out);
}

int cgroupmem_stat_get(const char *text, size_t len, const char *key, uint64_t *out)
{
    const size_t klen = strlen(key);
    const char *p = text;
    const char *const end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if ((size_t)(eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == ' ') {
            return cgroupmem_parse_u64(p + klen + 1, (size_t)(eol - p - (ptrdiff_t)klen - 1), out);
        }
        p = nl ? nl + 1 : end;
    }
    return -1;
}

uint64_t cgroupmem_working_set(uint64_t usage, uint64_t inactive_file)
{
    return usage > inactive_file ? usage - inactive_file : 0;
}

uint64_t cgroupmem_v1_limit(uint64_t raw, uint64_t host_total)
{
    if (raw >= CGROUPMEM_V1_UNLIMITED || (host_total > 0 && raw >= host_total)) {
        return 0;
    }
    return raw;
}

int cgroupmem_limited(const struct cgroupmem *cg)
{
    return cg->ok && cg->limit_bytes > 0;
}

/* 1 when the comma-separated list [s, end) holds the controller "memory". */
static int cgroupmem_has_memory(const char *s, const char *end)
{
    while (s < end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        if (stop - s == 6 && memcmp(s, "memory", 6) == 0) {
            return 1;
        }
        s = comma ? comma + 1 : end;
    }
    return 0;
}

/* Copies an absolute path without ".." components; the kernel shows such paths when the
 * cgroup lies outside our cgroup namespace, and they must not escape the sysfs tree. */
static int cgroupmem_copy_path(char *dst, const char *s, const char *end)
{
    const size_t n = (size_t)(end - s);
    if (n == 0 || s[0] != '/' || n >= CGROUPMEM_PATH_MAX || memchr(s, '\0', n)) {
        return -1;
    }
    for (const char *c = s; c < end; c++) {
        if (c[0] == '/' && end - c >= 3 && c[1] == '.' && c[2] == '.' &&
            (end - c == 3 || c[3] == '/')) {
            return -1;
        }
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

/* Applies one "hierarchy-ID:controller-list:cgroup-path" line. */
static void cgroupmem_self_line(const char *s, const char *end, struct cgroupmem_self *out)
{
    const char *c1 = memchr(s, ':', (size_t)(end - s));
    const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
    if (!c2) {
        return;
    }
    if (!out->has_v2 && c1 - s == 1 && s[0] == '0' && c2 == c1 + 1) {
        out->has_v2 = cgroupmem_copy_path(out->v2_path, c2 + 1, end) == 0;
    } else if (!out->has_v1 && cgroupmem_has_memory(c1 + 1, c2)) {
        out->has_v1 = cgroupmem_copy_path(out->v1_path, c2 + 1, end) == 0;
    }
}

int cgroupmem_parse_self(const char *text, size_t len, struct cgroupmem_self *out)
{
    if (!text || !out) {
        return -1;
    }
    memset(out, 0, sizeof(*out));
    const char *p = text;
    const char *const end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        cgroupmem_self_line(p, eol, out);
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* ---- file reading ----------------------------------------------------------------------- */

/* Reads dir/file into buf; 0 or -errno. */
static int cgroupmem_read_file(struct hw_buf *buf, const char *dir, const char *file)
{
    char path[CGROUPMEM_FILEPATH_MAX];
    if (procroot_join(path, sizeof(path), dir, file) != 0) {
        return -ENAMETOOLONG;
    }
    return hw_buf_read_file(buf, path, CGROUPMEM_FILE_MAX);
}

static const char *cgroupmem_text(const struct hw_buf *buf)
{
    return buf->data ? buf->data : "";
}

/* Reads dir/file as one number (parse: cgroupmem_parse_u64 or _max); 0 or -errno. */
static int cgroupmem_read_num(struct hw_buf *buf, const char *dir, const char *file,
                              int (*parse)(const char *, size_t, uint64_t *), uint64_t *out)
{
    const int rc = cgroupmem_read_file(buf, dir, file);
    if (rc != 0) {
        return rc;
    }
    return parse(cgroupmem_text(buf), buf->len, out) == 0 ? 0 : -EINVAL;
}

/* base + cgpath without a trailing slash when cgpath is "/" or empty; 0 or -1. */
static int cgroupmem_join_dir(char *dir, size_t dlen, const char *base, const char *cgpath)
{
    if (cgpath[0] != '\0' && strcmp(cgpath, "/") != 0) {
        return procroot_join(dir, dlen, base, cgpath);
    }
    const size_t n = strlen(base);
    if (n >= dlen) {
        return -1;
    }
    memcpy(dir, base, n + 1);
    return 0;
}

/* Finds the directory of cgpath under base by reading its usage file there. Without a cgroup
 * namespace a container sees its own cgroup as the mount root while /proc/self/cgroup shows
 * the host's path, so shorter suffixes of the path are tried, down to base itself. */
static int cgroupmem_locate(struct hw_buf *buf, const char *base, const char *cgpath,
                            const char *probe, char *dir, size_t dlen, uint64_t *usage)
{
    const char *s = cgpath;
    for (;;) {
        if (cgroupmem_join_dir(dir, dlen, base, s) != 0) {
            return -ENAMETOOLONG;
        }
        const int rc = cgroupmem_read_num(buf, dir, probe, cgroupmem_parse_u64, usage);
        if (rc != -ENOENT && rc != -ENOTDIR) {
            return rc;
        }
        if (s[0] == '\0' || strcmp(s, "/") == 0) {
            return -ENOENT;
        }
        const char *next = strchr(s + 1, '/');
        s = next ? next : "";
    }
}

/* The smallest value of file (parsed by parse) in dir and its ancestors up to the first
 * base_len characters of dir; unreadable levels are skipped. dir is modified. */
static uint64_t cgroupmem_min_limit(struct hw_buf *buf, char *dir, size_t base_len,
                                    const char *file,
                                    int (*parse)(const char *, size_t, uint64_t *))
{
    uint64_t lim = CGROUPMEM_MAX;
    size_t n = strlen(dir);
    for (int depth = 0; depth < CGROUPMEM_MAX_DEPTH; depth++) {
        uint64_t v;
        if (cgroupmem_read_num(buf, dir, file, parse, &v) == 0 && v < lim) {
            lim = v;
        }
        if (n <= base_len) {
            break;
        }
        while (n > base_len && dir[n - 1] != '/') {
            n--;
        }
        if (n > base_len) {
            n--;
        }
        dir[n] = '\0';
    }
    return lim;
}

/* Reads memory.stat in dir and returns key's value (0 when absent); 0 or -errno. */
static int cgroupmem_read_stat(struct hw_buf *buf, const char *dir, const char *key,
                               const char *alt_key, uint64_t *out)
{
    const int rc = cgroupmem_read_file(buf, dir, "memory.stat");
    if (rc != 0) {
        return rc;
    }
    *out = 0;
    if (cgroupmem_stat_get(cgroupmem_text(buf), buf->len, key, out) != 0 && alt_key) {
        if (cgroupmem_stat_get(cgroupmem_text(buf), buf->len, alt_key, out) != 0) {
            *out = 0;
        }
    }
    return 0;
}

static int cgroupmem_read_v2(const char *sysfs, const char *cgpath, struct hw_buf *buf,
                             struct cgroupmem *out)
{
    char base[CGROUPMEM_FILEPATH_MAX], dir[CGROUPMEM_FILEPATH_MAX];
    if (procroot_join(base, sizeof(base), sysfs, "fs/cgroup") != 0) {
        return -ENAMETOOLONG;
    }
    uint64_t usage, inactive;
    int rc = cgroupmem_locate(buf, base, cgpath, "memory.current", dir, sizeof(dir), &usage);
    if (rc == 0) {
        rc = cgroupmem_read_stat(buf, dir, "inactive_file", NULL, &inactive);
    }
    if (rc != 0) {
        return rc;
    }
    const uint64_t lim =
        cgroupmem_min_limit(buf, dir, strlen(base), "memory.max", cgroupmem_parse_max);
    out->version = 2;
    out->usage_bytes = usage;
    out->working_set_bytes = cgroupmem_working_set(usage, inactive);
    out->limit_bytes = lim == CGROUPMEM_MAX ? 0 : lim;
    out->ok = 1;
    return 0;
}

static int cgroupmem_read_v1(const char *sysfs, const char *cgpath, uint64_t host_total,
                             struct hw_buf *buf, struct cgroupmem *out)
{
    char base[CGROUPMEM_FILEPATH_MAX], dir[CGROUPMEM_FILEPATH_MAX];
    if (procroot_join(base, sizeof(base), sysfs, "fs/cgroup/memory") != 0) {
        return -ENAMETOOLONG;
    }
    uint64_t usage, inactive, hier = CGROUPMEM_MAX;
    int rc = cgroupmem_locate(buf, base, cgpath, "memory.usage_in_bytes", dir, sizeof(dir), &usage);
    if (rc == 0) {
        rc = cgroupmem_read_stat(buf, dir, "total_inactive_file", "inactive_file", &inactive);
    }
    if (rc != 0) {
        return rc;
    }
    /* With use_hierarchy the kernel already folded the ancestors' limits in here. */
    if (cgroupmem_stat_get(cgroupmem_text(buf), buf->len, "hierarchical_memory_limit", &hier) !=
        0) {
        hier = CGROUPMEM_MAX;
    }
    uint64_t lim =
        cgroupmem_min_limit(buf, dir, strlen(base), "memory.limit_in_bytes", cgroupmem_parse_u64);
    lim = hier < lim ? hier : lim;
    out->version = 1;
    out->usage_bytes = usage;
    out->working_set_bytes = cgroupmem_working_set(usage, inactive);
    out->limit_bytes = cgroupmem_v1_limit(lim, host_total);
    out->ok = 1;
    return 0;
}

int cgroupmem_read(const char *procfs, const char *sysfs, uint64_t host_total,
                   struct hw_buf *scratch, struct cgroupmem *out)
{
    struct cgroupmem_self self;
    char path[CGROUPMEM_FILEPATH_MAX];
    memset(out, 0, sizeof(*out));
    if (procroot_join(path, sizeof(path), procfs, "self/cgroup") != 0) {
        return -ENAMETOOLONG;
    }
    int rc = hw_buf_read_file(scratch, path, CGROUPMEM_FILE_MAX);
    if (rc != 0) {
        return rc;
    }
    if (cgroupmem_parse_self(cgroupmem_text(scratch), scratch->len, &self) != 0) {
        return -EINVAL;
    }
    rc = -ENOENT;
    if (self.has_v2) {
        rc = cgroupmem_read_v2(sysfs, self.v2_path, scratch, out);
    }
    if (rc != 0 && self.has_v1) {
        memset(out, 0, sizeof(*out));
        rc = cgroupmem_read_v1(sysfs, self.v1_path, host_total, scratch, out);
    }
    if (rc != 0) {
        memset(out, 0, sizeof(*out));
    }
    return rc;
}
