/* Log tailer, the parts about a file's identity: content fingerprints, finding a file's
 * rotated copy (copytruncate) or its new name (rotated while the agent was down), and the
 * checkpoint JSON. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logtail_int.h"

#include "hash.h"

/* ---- fingerprints ------------------------------------------------------------------------- */


/* Reads the first min(size, LOGTAIL_FP_MAX) bytes of fd; the count (less at a short file) or
 * -errno. */
static ssize_t logtail_read_head(int fd, unsigned char *head, uint64_t size)
{
    const size_t want = size < LOGTAIL_FP_MAX ? (size_t)size : LOGTAIL_FP_MAX;
    size_t got = 0;
    while (got < want) {
        const ssize_t n = pread(fd, head + got, want - got, (off_t)got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Whether the first fp_len bytes in head[0, n) hash to fp. */
static bool logtail_fp_matches(uint64_t fp, size_t fp_len, const unsigned char *head, size_t n)
{
    return n >= fp_len && hw_fnv1a(HW_FNV_OFFSET, head, fp_len) == fp;
}

int logtail_fp_check(struct logtail_file *f, int fd, uint64_t size)
{
    unsigned char head[LOGTAIL_FP_MAX];
    const ssize_t n = logtail_read_head(fd, head, size);
    if (n < 0) {
        return (int)n;
    }
    if (!logtail_fp_matches(f->fp, f->fp_len, head, (size_t)n)) {
        return 0;
    }
    /* a short fingerprint grows with the file, up to LOGTAIL_FP_MAX bytes */
    f->fp = hw_fnv1a(f->fp, head + f->fp_len, (size_t)n - f->fp_len);
    f->fp_len = (size_t)n;
    return 1;
}

/* ---- looking in a file's directory -------------------------------------------------------- */

/* Called for each regular file of a directory until it returns non-zero. */
typedef int (*logtail_dir_fn)(void *ctx, int dfd, const char *name, const struct stat *st);

/* Runs fn over the regular files (symlinks not followed) in the directory of path; fn's
 * non-zero value, 0, or -errno when the directory cannot be read. */
static int logtail_scan_dir(const char *path, logtail_dir_fn fn, void *ctx)
{
    const char *slash = strrchr(path, '/');
    char *dir = !slash ? strdup(".") : strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (!dir) {
        return -ENOMEM;
    }
    DIR *d = opendir(dir);
    free(dir);
    if (!d) {
        return errno == ENOENT ? 0 : -errno;
    }
    int rc = 0;
    const struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
            rc = fn(ctx, dirfd(d), de->d_name, &st);
        }
    }
    if (closedir(d) != 0 && rc == 0) {
        rc = -errno;
    }
    return rc;
}

struct logtail_copy_ctx {
    struct logtail *lt;
    const struct logtail_file *f;
    int fd;                   /* the best candidate so far, -1 when none */
    struct stat st;           /* its stat */
    struct logtail_file *own; /* its entry when a glob matches it too (found in this pass) */
};

/* A rotated copy of f: a regular file not tracked (or only just found by this pass, so not read
 * yet), at least as long as f's delivered offset, starting with f's fingerprint. Several: the
 * most recently modified. A compressed copy never matches: its bytes differ. */
static int logtail_copy_candidate(void *arg, int dfd, const char *name, const struct stat *st)
{
    struct logtail_copy_ctx *c = arg;
    unsigned char head[LOGTAIL_FP_MAX];
    struct stat fst;
    if ((uint64_t)st->st_size < c->f->off || (st->st_dev == c->f->dev && st->st_ino == c->f->ino)) {
        return 0;
    }
    struct logtail_file *own = logtail_find(c->lt, st->st_dev, st->st_ino);
    if ((own && !own->fresh) || (c->fd >= 0 && (st->st_mtim.tv_sec < c->st.st_mtim.tv_sec ||
                                                (st->st_mtim.tv_sec == c->st.st_mtim.tv_sec &&
                                                 st->st_mtim.tv_nsec <= c->st.st_mtim.tv_nsec)))) {
        return 0;
    }
    const int fd = logtail_open_at(dfd, name, st->st_dev, st->st_ino, &fst);
    if (fd < 0) {
        return 0; /* unreadable or gone: not usable */
    }
    const ssize_t n = logtail_read_head(fd, head, (uint64_t)fst.st_size);
    if (n < 0 || !logtail_fp_matches(c->f->fp, c->f->fp_len, head, (size_t)n)) {
        (void)close(fd);
        return 0;
    }
    if (c->fd >= 0) {
        (void)close(c->fd);
    }
    c->fd = fd;
    c->st = fst;
    c->own = own;
    return 0;
}

int logtail_read_copy(struct logtail *lt, struct logtail_file *f)
{
    struct logtail_copy_ctx c = {.lt = lt, .f = f, .fd = -1};
    const int r = logtail_scan_dir(f->path, logtail_copy_candidate, &c);
    if (c.fd < 0) {
        return r;
    }
    const int rc = logtail_read_pass(lt, f, c.fd, LOGTAIL_TAIL_FINAL);
    if (c.own) {
        /* the copy matches a glob too: what it holds is delivered, follow it from its end */
        c.own->off = c.own->end = c.own->scan = (uint64_t)c.st.st_size;
        c.own->skip = false;
    }
    (void)close(c.fd);
    return rc < 0 ? rc : 1;
}

struct logtail_moved_ctx {
    const struct logtail_file *f;
    int fd;
};

static int logtail_moved_candidate(void *arg, int dfd, const char *name, const struct stat *st)
{
    struct logtail_moved_ctx *c = arg;
    struct stat fst;
    if (st->st_dev != c->f->dev || st->st_ino != c->f->ino) {
        return 0;
    }
    const int fd = logtail_open_at(dfd, name, st->st_dev, st->st_ino, &fst);
    if (fd < 0) {
        return fd == -ENOENT || fd == -ESTALE ? 0 : fd;
    }
    c->fd = fd;
    return 1;
}

int logtail_find_moved(struct logtail_file *f)
{
    struct logtail_moved_ctx c = {.f = f, .fd = -1};
    struct stat st;
    const int r = logtail_scan_dir(f->path, logtail_moved_candidate, &c);
    if (c.fd < 0) {
        return r < 0 ? r : 0;
    }
    int ok = fstat(c.fd, &st) == 0 ? 0 : -errno;
    if (ok == 0 && (uint64_t)st.st_size >= f->off) {
        ok = logtail_fp_check(f, c.fd, (uint64_t)st.st_size);
    }
    if (ok != 1) {
        (void)close(c.fd); /* inode reused by another file, or shorter than our position */
        return ok;
    }
    f->fd = c.fd;
    return 1;
}

bool logtail_path_configured(const struct logtail *lt, const char *path)
{
    for (size_t i = 0; i < lt->opts.npaths; i++) {
        if (fnmatch(lt->opts.paths[i], path, FNM_PATHNAME | FNM_PERIOD) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- checkpoints -------------------------------------------------------------------------- */

/* One entry; NULL when the path is not valid UTF-8 (JSON cannot hold it) or out of memory. */
static json_t *logtail_entry_json(const struct logtail_file *f)
{
    char fp[17];
    if (snprintf(fp, sizeof(fp), "%016" PRIx64, f->fp) != 16) {
        return NULL;
    }
    /* dev and ino as the two's complement of their 64 bits: inode numbers of 2^63 and above
     * (overlayfs xino) read back negative but exact */
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:s}", "path", f->path, "dev",
                     (json_int_t)(uint64_t)f->dev, "ino", (json_int_t)(uint64_t)f->ino, "offset",
                     (json_int_t)f->off, "fp_len", (json_int_t)f->fp_len, "fp", fp);
}

json_t *logtail_checkpoint(const struct logtail *lt)
{
    json_t *arr = json_array();
    if (!arr) {
        return NULL;
    }
    for (size_t i = 0; i < lt->nfiles; i++) {
        const struct logtail_file *f = lt->files[i];
        if (f->ignored || f->gone) {
            continue;
        }
        json_t *e = logtail_entry_json(f);
        if (e && json_array_append_new(arr, e) != 0) {
            goto fail;
        }
    }
    return arr;
fail:
    json_decref(arr);
    return NULL;
}

/* Parses exactly 16 hex digits. */
static bool logtail_parse_fp(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len != 16) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        const char c = s[i];
        const int d = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
        if (d < 0) {
            return false;
        }
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

struct logtail_saved {
    const char *path;
    dev_t dev;
    ino_t ino;
    uint64_t off, fp;
    size_t fp_len;
};

/* Validates one checkpoint entry's shape, types and ranges; NULL or why it is ignored. */
static const char *logtail_parse_entry(const json_t *e, struct logtail_saved *s)
{
    if (!json_is_object(e)) {
        return "checkpoint entry is not an object";
    }
    const json_t *path = json_object_get(e, "path"), *dev = json_object_get(e, "dev");
    const json_t *ino = json_object_get(e, "ino"), *off = json_object_get(e, "offset");
    const json_t *fpl = json_object_get(e, "fp_len"), *fp = json_object_get(e, "fp");
    if (!json_is_string(path) || json_string_length(path) == 0 ||
        strlen(json_string_value(path)) != json_string_length(path)) {
        return "checkpoint path is not a non-empty string";
    }
    if (!json_is_integer(dev) || !json_is_integer(ino)) {
        return "checkpoint dev or ino is not an integer";
    }
    const uint64_t d = (uint64_t)json_integer_value(dev), i = (uint64_t)json_integer_value(ino);
    if ((uint64_t)(dev_t)d != d || (uint64_t)(ino_t)i != i) {
        return "checkpoint dev or ino out of range";
    }
    if (!json_is_integer(off) || json_integer_value(off) < 0) {
        return "checkpoint offset is not a non-negative integer";
    }
    if (!json_is_integer(fpl) || json_integer_value(fpl) < 0 ||
        json_integer_value(fpl) > LOGTAIL_FP_MAX) {
        return "checkpoint fp_len is not an integer from 0 to 1024";
    }
    if (!json_is_string(fp) ||
        !logtail_parse_fp(json_string_value(fp), json_string_length(fp), &s->fp)) {
        return "checkpoint fp is not 16 hex digits";
    }
    s->path = json_string_value(path);
    s->dev = (dev_t)d;
    s->ino = (ino_t)i;
    s->off = (uint64_t)json_integer_value(off);
    s->fp_len = (size_t)json_integer_value(fpl);
    return NULL;
}

/* Adds one validated entry, to be looked for by the first poll; NULL or why not. */
static const char *logtail_restore_one(struct logtail *lt, const json_t *e)
{
    struct logtail_saved s;
    const char *why = logtail_parse_entry(e, &s);
    if (why) {
        return why;
    }
    if (!logtail_path_configured(lt, s.path)) {
        return "checkpoint path matches no configured path";
    }
    if (logtail_find(lt, s.dev, s.ino)) {
        return "checkpoint (dev, ino) listed twice";
    }
    struct logtail_file *f = logtail_track(lt, s.path, s.dev, s.ino);
    if (!f) {
        return lt->nfiles >= LOGTAIL_MAX_FILES ? "too many checkpoint entries" : "out of memory";
    }
    f->off = f->end = f->scan = s.off;
    f->fp = s.fp;
    f->fp_len = s.fp_len;
    f->restored = true;
    return NULL;
}

int logtail_restore(struct logtail *lt, const json_t *in, const char **why)
{
    const char *unused = NULL;
    size_t i;
    json_t *e;
    int n = 0;
    why = why ? why : &unused;
    *why = NULL;
    if (lt->polled) {
        *why = "restore after the first poll";
        return -1;
    }
    if (!json_is_array(in)) {
        *why = "checkpoint is not an array";
        return -1;
    }
    json_array_foreach(in, i, e)
    {
        const char *msg = logtail_restore_one(lt, e);
        if (msg) {
            *why = msg;
        } else {
            n++;
        }
    }
    return n;
}
