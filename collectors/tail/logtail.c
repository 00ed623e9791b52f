/* Log tailer: the poll pass (globs, stat of every tracked file, rotation and truncation
 * handling), the block reader and line splitter, inotify wake-ups, read_all_once. Fingerprints,
 * rotated-copy lookup and checkpoints are in logtail_rotate.c. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "logtail.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "logtail_int.h"

#include "hash.h"
#include "buf.h"

#define LOGTAIL_DEFAULT_LINE (64u * 1024)
#define LOGTAIL_DEFAULT_BLOCK (256u * 1024)
/* Events on a glob's directory that may concern a matching file. Never IN_ACCESS, IN_OPEN or
 * IN_CLOSE_NOWRITE: our own reads would wake us forever. */
#define LOGTAIL_WATCH_MASK                                                                         \
    (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE |            \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* inotify reads per logtail_on_events call: a writer flooding events cannot keep us here. */
#define LOGTAIL_EVENT_READS 64

static int64_t logtail_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

/* The directory part of a glob in *out, or NULL there when it has wildcards: such a directory
 * cannot be watched, new files under it are found by the periodic poll only. */
static int logtail_watch_dir(const char *glob, char **out)
{
    const char *slash = strrchr(glob, '/');
    *out = NULL;
    if (!slash) {
        *out = strdup(".");
        return *out ? 0 : -ENOMEM;
    }
    const size_t len = slash == glob ? 1 : (size_t)(slash - glob);
    for (size_t i = 0; i < len; i++) {
        if (strchr("*?[\\", glob[i])) {
            return 0;
        }
    }
    *out = strndup(glob, len);
    return *out ? 0 : -ENOMEM;
}

/* (Re)adds a watch on every glob's directory: a directory created or re-created after the
 * start gets its watch at the next poll. Watching an inode twice returns the same watch. */
static void logtail_add_watches(const struct logtail *lt)
{
    for (size_t i = 0; i < lt->opts.npaths; i++) {
        if (lt->watch_dirs[i] &&
            inotify_add_watch(lt->ifd, lt->watch_dirs[i], LOGTAIL_WATCH_MASK) < 0) {
            /* missing or not a directory yet: polling covers it, retried at the next poll */
            continue;
        }
    }
}

static int logtail_copy_opts(struct logtail *lt, const struct logtail_opts *opts)
{
    lt->opts = *opts;
    lt->opts.paths = NULL;
    if (lt->opts.max_line_size == 0) {
        lt->opts.max_line_size = LOGTAIL_DEFAULT_LINE;
    }
    if (lt->opts.read_block == 0) {
        lt->opts.read_block = LOGTAIL_DEFAULT_BLOCK;
    }
    if (lt->opts.partial_flush_ns < 0) {
        lt->opts.partial_flush_ns = 0;
    }
    if (lt->opts.rotate_wait_ns < 0) {
        lt->opts.rotate_wait_ns = 0;
    }
    if (lt->opts.max_line_size > SIZE_MAX / 4 || lt->opts.read_block > SIZE_MAX / 4) {
        return -EINVAL;
    }
    lt->buf_max = lt->opts.max_line_size + 1 + lt->opts.read_block;
    if (opts->npaths == 0) {
        return 0;
    }
    lt->globs = calloc(opts->npaths, sizeof(*lt->globs));
    lt->watch_dirs = calloc(opts->npaths, sizeof(*lt->watch_dirs));
    if (!lt->globs || !lt->watch_dirs) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < opts->npaths; i++) {
        if (!opts->paths[i]) {
            return -EINVAL;
        }
        lt->globs[i] = strdup(opts->paths[i]);
        if (!lt->globs[i] || logtail_watch_dir(lt->globs[i], &lt->watch_dirs[i]) != 0) {
            return -ENOMEM;
        }
    }
    lt->opts.paths = (const char *const *)lt->globs;
    return 0;
}

struct logtail *logtail_new(const struct logtail_opts *opts, logtail_line_cb cb, void *arg)
{
    if (!opts || !cb || (opts->npaths > 0 && !opts->paths)) {
        return NULL;
    }
    struct logtail *lt = calloc(1, sizeof(*lt));
    if (!lt) {
        return NULL;
    }
    lt->ifd = -1;
    lt->cb = cb;
    lt->arg = arg;
    if (logtail_copy_opts(lt, opts) != 0) {
        goto fail;
    }
    if (lt->opts.use_inotify) {
        /* no inotify (fd limit, old kernel, seccomp): the periodic poll alone is correct */
        lt->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (lt->ifd >= 0) {
            logtail_add_watches(lt);
        }
    }
    return lt;
fail:
    logtail_free(lt);
    return NULL;
}

static void logtail_file_free(struct logtail_file *f)
{
    if (f->fd >= 0) {
        /* read-only descriptor: a close error loses nothing */
        (void)close(f->fd);
    }
    free(f->path);
    free(f);
}

void logtail_free(struct logtail *lt)
{
    if (!lt) {
        return;
    }
    for (size_t i = 0; i < lt->nfiles; i++) {
        logtail_file_free(lt->files[i]);
    }
    free(lt->files);
    for (size_t i = 0; lt->globs && i < lt->opts.npaths; i++) {
        free(lt->globs[i]);
    }
    for (size_t i = 0; lt->watch_dirs && i < lt->opts.npaths; i++) {
        free(lt->watch_dirs[i]);
    }
    free(lt->globs);
    free(lt->watch_dirs);
    free(lt->buf);
    if (lt->ifd >= 0) {
        (void)close(lt->ifd);
    }
    free(lt);
}

int logtail_fd(const struct logtail *lt)
{
    return lt->ifd;
}

const struct logtail_stats *logtail_stats(const struct logtail *lt)
{
    return &lt->stats;
}

/* ---- the file table ----------------------------------------------------------------------- */

struct logtail_file *logtail_find(const struct logtail *lt, dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < lt->nfiles; i++) {
        if (lt->files[i]->dev == dev && lt->files[i]->ino == ino && !lt->files[i]->gone) {
            return lt->files[i];
        }
    }
    return NULL;
}

struct logtail_file *logtail_track(struct logtail *lt, const char *path, dev_t dev, ino_t ino)
{
    if (lt->nfiles >= LOGTAIL_MAX_FILES) {
        return NULL;
    }
    struct logtail_file ** v = hw_grow(lt->files, &lt->cap, lt->nfiles, sizeof(*v), 8);
    if (!v) {
        return NULL;
    }
    lt->files = v;
    struct logtail_file *f = calloc(1, sizeof(*f));
    if (!f) {
        return NULL;
    }
    f->path = strdup(path);
    if (!f->path) {
        free(f);
        return NULL;
    }
    f->fd = -1;
    f->dev = dev;
    f->ino = ino;
    f->fp = HW_FNV_OFFSET;
    f->grow_ns = lt->now;
    lt->files[lt->nfiles++] = f;
    return f;
}

/* Drops the entries marked gone, keeping the order (older files are read first). */
static void logtail_compact(struct logtail *lt)
{
    size_t w = 0;
    uint64_t open = 0;
    for (size_t i = 0; i < lt->nfiles; i++) {
        struct logtail_file *f = lt->files[i];
        if (f->gone) {
            logtail_file_free(f);
            continue;
        }
        open += f->fd >= 0;
        lt->files[w++] = f;
    }
    lt->nfiles = w;
    lt->stats.files_open = open;
}

/* Whether fd is among the last LOGTAIL_FD_RESERVE descriptors the limit allows: those stay
 * for the rest of the agent (a /proc read, a socket, the state file), so many globbed logs
 * cannot starve the other collectors and exporters. Descriptors are allocated lowest first,
 * so the number of the newest one is about how many are open. */
static int fd_in_reserve(int fd)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
           (rlim_t)fd + LOGTAIL_FD_RESERVE >= rl.rlim_cur;
}

int logtail_open_at(int dirfd, const char *name, dev_t dev, ino_t ino, struct stat *st)
{
    /* O_NONBLOCK: a FIFO swapped in after the stat must not block the loop */
    const int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return -errno;
    }
    if (fd_in_reserve(fd)) {
        (void)close(fd);
        return -EMFILE;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_dev != dev || st->st_ino != ino) {
        (void)close(fd);
        return -ESTALE;
    }
    return fd;
}

/* Opens f at path; a failure is counted in read_errors and returned once, not at every retry
 * (an unreadable file must not make every poll a failure). */
static int logtail_reopen(struct logtail *lt, struct logtail_file *f, const char *path)
{
    struct stat st;
    const int fd = logtail_open_at(AT_FDCWD, path, f->dev, f->ino, &st);
    if (fd == -ENOENT || fd == -ESTALE) {
        return 0; /* vanished or replaced since the stat: the next pass sees it */
    }
    if (fd < 0) {
        if (f->err == -fd) {
            return 0; /* reported already: not a failure of this pass again */
        }
        f->err = -fd;
        lt->stats.read_errors++;
        return fd;
    }
    f->fd = fd;
    f->err = 0;
    return 0;
}

/* start_at end on a file whose last line is unfinished: discard the rest of that line rather
 * than deliver its tail as a line of its own. */
static void logtail_start_mid_line(struct logtail_file *f)
{
    char c;
    if (f->fd >= 0 && f->off > 0 && pread(f->fd, &c, 1, (off_t)(f->off - 1)) == 1 && c != '\n') {
        f->skip = true;
        f->scan = f->off;
    }
}

/* Whether another entry was opened under this path: the path was rotated or re-created. */
static bool logtail_path_replaced(const struct logtail *lt, const char *path)
{
    for (size_t i = 0; i < lt->nfiles; i++) {
        if (!lt->files[i]->ignored && strcmp(lt->files[i]->path, path) == 0) {
            return true;
        }
    }
    return false;
}

/* A matching path not tracked yet: files present at the first poll start per start_at, any
 * file found later (or at a path whose checkpointed file was replaced) from its beginning. */
static int logtail_add(struct logtail *lt, const char *path, const struct stat *st)
{
    const bool replaced = logtail_path_replaced(lt, path);
    struct logtail_file *f = logtail_track(lt, path, st->st_dev, st->st_ino);
    if (!f) {
        if (lt->nfiles < LOGTAIL_MAX_FILES) {
            return -ENOMEM;
        }
        lt->stats.files_over_limit++;
        return 0;
    }
    f->seen = true;
    f->fresh = true;
    if (!S_ISREG(st->st_mode)) {
        /* a directory (or FIFO, device) matching the glob: counted once, never opened */
        f->ignored = true;
        f->err = S_ISDIR(st->st_mode) ? EISDIR : EINVAL;
        lt->stats.read_errors++;
        return 0;
    }
    lt->stats.rotations += replaced;
    const bool at_end = !lt->polled && !replaced && lt->opts.start_at == LOGTAIL_START_END;
    if (at_end) {
        f->off = f->end = (uint64_t)st->st_size;
    }
    const int r = logtail_reopen(lt, f, path);
    if (at_end) {
        logtail_start_mid_line(f);
    }
    return r;
}

/* One path a glob matched: marks its entry seen (found again, or found after a restore), or
 * starts tracking it. Identity is (dev, inode), so a file renamed within the globs stays one. */
static int logtail_match(struct logtail *lt, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        const int e = errno;
        if (e == ENOENT) {
            return 0; /* vanished since the glob, or a dangling symlink */
        }
        lt->stats.read_errors++;
        return -e;
    }
    struct logtail_file *f = logtail_find(lt, st.st_dev, st.st_ino);
    if (f && !f->ignored && !S_ISREG(st.st_mode)) {
        f->gone = true; /* its inode now belongs to a directory: not the same file */
        f = NULL;
    }
    if (!f) {
        return logtail_add(lt, path, &st);
    }
    if (f->seen) {
        return 0; /* a hard link, or matched by two globs */
    }
    f->seen = true;
    f->draining = false;
    f->restored = false;
    return f->fd < 0 && !f->ignored ? logtail_reopen(lt, f, path) : 0;
}

static int logtail_glob(struct logtail *lt, const char *pattern)
{
    glob_t g;
    int rc = 0;
    const int r = glob(pattern, 0, NULL, &g);
    if (r == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const int e = logtail_match(lt, g.gl_pathv[i]);
            rc = e < 0 ? e : rc;
        }
    } else if (r == GLOB_NOSPACE) {
        rc = -ENOMEM;
    } else if (r != GLOB_NOMATCH) {
        lt->stats.read_errors++;
        rc = -EIO;
    }
    globfree(&g);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* Grows the shared buffer to hold `need` bytes; need never exceeds buf_max. */
static int logtail_reserve(struct logtail *lt, size_t need)
{
    if (need <= lt->buf_cap) {
        return 0;
    }
    size_t cap = lt->buf_cap ? lt->buf_cap * 2 : lt->opts.read_block;
    cap = cap < need ? need : cap;
    cap = cap > lt->buf_max ? lt->buf_max : cap;
    char *p = realloc(lt->buf, cap);
    if (!p) {
        return -ENOMEM;
    }
    lt->buf = p;
    lt->buf_cap = cap;
    return 0;
}

/* One line without its "\n": to the callback, or counted when too long. */
static void logtail_emit(struct logtail *lt, struct logtail_file *f, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }
    f->line_no++;
    if (len > lt->opts.max_line_size) {
        lt->stats.lines_too_long++;
        return;
    }
    const struct logtail_file_info info = {.path = f->path, .line_no = f->line_no};
    lt->stats.lines++;
    lt->stats.bytes += len;
    lt->cb(lt->arg, &info, line, len);
}

/* Delivers the complete lines of buf[0, have), buf[0] being at file offset base and
 * buf[0, from) known to hold no newline; returns the bytes consumed. */
static size_t logtail_split(struct logtail *lt, struct logtail_file *f, uint64_t base, size_t have,
                            size_t from)
{
    const char *buf = lt->buf;
    size_t start = 0;
    const char *nl;
    while (from < have && (nl = memchr(buf + from, '\n', have - from)) != NULL) {
        const size_t eol = (size_t)(nl - buf);
        if (f->skip) {
            f->skip = false; /* the over-long line ends here, unseen */
        } else {
            logtail_emit(lt, f, buf + start, eol - start);
        }
        start = from = eol + 1;
        f->off = base + start;
    }
    return start;
}

/* Whether an unfinished line is already longer than max_line_size, whatever comes next (its
 * last byte may be the "\r" of a "\r\n"): then it is discarded up to its newline. */
static bool logtail_too_long(const struct logtail *lt, const char *p, size_t n)
{
    const size_t max = lt->opts.max_line_size;
    return n > max + 1 || (n == max + 1 && p[n - 1] != '\r');
}

/* The unterminated bytes left at the end of a pass (at most max_line_size + 1). */
static void logtail_tail(struct logtail *lt, struct logtail_file *f, uint64_t base, size_t have,
                         enum logtail_tail tail)
{
    if (have == 0 || f->skip || tail == LOGTAIL_TAIL_DROP) {
        return;
    }
    if (tail == LOGTAIL_TAIL_HOLD &&
        (lt->opts.partial_flush_ns == 0 || lt->now - f->grow_ns < lt->opts.partial_flush_ns)) {
        return;
    }
    logtail_emit(lt, f, lt->buf, have);
    f->off = base + have;
}

int logtail_read_pass(struct logtail *lt, struct logtail_file *f, int fd, enum logtail_tail tail)
{
    const size_t block = lt->opts.read_block;
    uint64_t base = f->skip ? f->scan : f->off; /* file offset of buf[0] */
    size_t have = 0;
    for (;;) {
        const int r = logtail_reserve(lt, have + block);
        if (r < 0) {
            return r;
        }
        const ssize_t n = pread(fd, lt->buf + have, block, (off_t)(base + have));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            break;
        }
        const size_t from = have;
        have += (size_t)n;
        if (base + have > f->end) {
            f->end = base + have;
            f->grow_ns = lt->now;
        }
        const size_t used = logtail_split(lt, f, base, have, from);
        if (f->skip || logtail_too_long(lt, lt->buf + used, have - used)) {
            if (!f->skip) {
                f->skip = true;
                f->line_no++;
                lt->stats.lines_too_long++;
            }
            base += have;
            have = 0;
            f->scan = base;
        } else {
            memmove(lt->buf, lt->buf + used, have - used);
            base += used;
            have -= used;
        }
    }
    logtail_tail(lt, f, base, have, tail);
    return 0;
}

/* ---- the poll pass ------------------------------------------------------------------------ */

static bool logtail_flush_due(const struct logtail *lt, const struct logtail_file *f)
{
    return lt->opts.partial_flush_ns > 0 && !f->skip && f->end > f->off &&
           lt->now - f->grow_ns >= lt->opts.partial_flush_ns;
}

/* Truncated or replaced in place: first the lines not yet delivered, from the rotated copy
 * when there is one, then the file from its beginning. */
static int logtail_restart(struct logtail *lt, struct logtail_file *f)
{
    const int r = f->fp_len > 0 ? logtail_read_copy(lt, f) : 0;
    lt->stats.rotations++;
    f->off = f->end = f->scan = 0;
    f->skip = false;
    f->line_no = 0;
    f->fp = HW_FNV_OFFSET;
    f->fp_len = 0;
    f->grow_ns = lt->now;
    return r < 0 ? r : 0;
}

/* A file at a matching path: restart it when it shrank or no longer starts with its
 * fingerprint, then read what is new (or flush an idle partial line). The fingerprint is checked
 * at every pass (one read of at most 1 KiB): a copytruncate whose new content has reached our
 * size again by the time we look leaves nothing else to see, not even the mtime at a coarse
 * clock's granularity. */
static int logtail_follow(struct logtail *lt, struct logtail_file *f, uint64_t size)
{
    int rc = 0;
    int r = size < f->end ? 0 : logtail_fp_check(f, f->fd, size);
    if (r == 0) {
        rc = logtail_restart(lt, f); /* a failed copy lookup is reported, not fatal */
        r = logtail_fp_check(f, f->fd, size);
    }
    if (r < 0) {
        return r;
    }
    if (size > f->end || logtail_flush_due(lt, f)) {
        r = logtail_read_pass(lt, f, f->fd, LOGTAIL_TAIL_HOLD);
    }
    return r < 0 ? r : rc;
}

/* A file no longer at any matching path (renamed away, deleted): read what its writer still
 * appends until rotate_wait_ns passes without growth, then its last partial line, and close. */
static int logtail_drain(struct logtail *lt, struct logtail_file *f, uint64_t size)
{
    int r = 0;
    if (!f->draining) {
        f->draining = true;
        f->grow_ns = lt->now;
    }
    if (size < f->end) {
        f->gone = true; /* truncated after it was rotated: nothing of it is left to read */
        return 0;
    }
    if (size > f->end) {
        r = logtail_read_pass(lt, f, f->fd, LOGTAIL_TAIL_HOLD);
    }
    if (r == 0 && lt->now - f->grow_ns >= lt->opts.rotate_wait_ns) {
        r = logtail_read_pass(lt, f, f->fd, LOGTAIL_TAIL_FINAL);
        f->gone = true;
    }
    return r;
}

static int logtail_service(struct logtail *lt, struct logtail_file *f)
{
    struct stat st;
    f->fresh = false;
    if (f->gone) {
        return 0;
    }
    if (f->fd < 0 || f->ignored) {
        f->gone = !f->seen; /* unreadable or ignored: forgotten once it no longer matches */
        return 0;
    }
    int r = fstat(f->fd, &st) == 0 ? 0 : -errno;
    if (r == 0) {
        r = f->seen ? logtail_follow(lt, f, (uint64_t)st.st_size)
                    : logtail_drain(lt, f, (uint64_t)st.st_size);
    }
    if (r < 0) {
        lt->stats.read_errors++;
        if (r != -ENOMEM) {
            /* a drained file is given up, one at a matching path retried at the next pass */
            f->gone = f->draining || !f->seen;
        }
    }
    return r;
}

/* First poll: restored entries not at any matching path were rotated while the agent was
 * down; finish them from their directory, or forget them. */
static int logtail_resolve_restored(struct logtail *lt)
{
    int rc = 0;
    for (size_t i = 0; i < lt->nfiles; i++) {
        struct logtail_file *f = lt->files[i];
        if (!f->restored) {
            continue;
        }
        f->restored = false;
        const int r = logtail_find_moved(f);
        if (r < 0) {
            lt->stats.read_errors++;
            rc = r;
        }
        f->gone = r != 1;
    }
    return rc;
}

int logtail_poll(struct logtail *lt)
{
    int rc = 0;
    lt->now = logtail_now();
    lt->stats.files_over_limit = 0;
    if (lt->ifd >= 0) {
        logtail_add_watches(lt);
    }
    for (size_t i = 0; i < lt->nfiles; i++) {
        lt->files[i]->seen = false;
    }
    for (size_t i = 0; i < lt->opts.npaths; i++) {
        const int r = logtail_glob(lt, lt->globs[i]);
        rc = r < 0 ? r : rc;
    }
    if (!lt->polled) {
        const int r = logtail_resolve_restored(lt);
        rc = r < 0 ? r : rc;
    }
    /* in table order: a rotated-away file's last lines come before its successor's */
    for (size_t i = 0; i < lt->nfiles; i++) {
        const int r = logtail_service(lt, lt->files[i]);
        rc = r < 0 ? r : rc;
    }
    logtail_compact(lt);
    lt->polled = true;
    return rc;
}

/* ---- inotify ------------------------------------------------------------------------------ */

/* Whether an event may concern us: a name a glob could match, the directory itself, an
 * overflow. */
static bool logtail_event_relevant(const struct logtail *lt, const struct inotify_event *ev)
{
    if ((ev->mask & IN_Q_OVERFLOW) || ev->len == 0) {
        return true;
    }
    for (size_t i = 0; i < lt->opts.npaths; i++) {
        const char *base = strrchr(lt->globs[i], '/');
        base = base ? base + 1 : lt->globs[i];
        if (fnmatch(base, ev->name, FNM_PERIOD) == 0) {
            return true;
        }
    }
    return false;
}

int logtail_on_events(struct logtail *lt)
{
    _Alignas(struct inotify_event) char buf[4096];
    bool relevant = lt->ifd < 0;
    /* a rotated-away file being drained is written under a name no glob matches */
    for (size_t i = 0; i < lt->nfiles; i++) {
        relevant |= lt->files[i]->draining;
    }
    for (int reads = 0; lt->ifd >= 0 && reads < LOGTAIL_EVENT_READS; reads++) {
        const ssize_t n = read(lt->ifd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            relevant |= n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
            break;
        }
        for (size_t i = 0; i + sizeof(struct inotify_event) <= (size_t)n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(const void *)(buf + i);
            relevant |= logtail_event_relevant(lt, ev);
            i += sizeof(*ev) + ev->len;
        }
    }
    return relevant ? logtail_poll(lt) : 0;
}

/* ---- read_all_once ------------------------------------------------------------------------ */

struct logtail_once {
    struct logtail_file *files; /* only dev and ino: files already read */
    size_t n, cap;
};

/* Reads one matching file from its start, once even when several globs match it. */
static int logtail_once_file(struct logtail *lt, struct logtail_once *seen, char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return errno == ENOENT ? 0 : -errno;
    }
    if (!S_ISREG(st.st_mode)) {
        lt->stats.read_errors++; /* a directory matching the glob: counted, not a failure */
        return 0;
    }
    for (size_t i = 0; i < seen->n; i++) {
        if (seen->files[i].dev == st.st_dev && seen->files[i].ino == st.st_ino) {
            return 0;
        }
    }
    struct logtail_file *v = hw_grow(seen->files, &seen->cap, seen->n, sizeof(*v), 16);
    if (!v) {
        return -ENOMEM;
    }
    seen->files = v;
    const int fd = logtail_open_at(AT_FDCWD, path, st.st_dev, st.st_ino, &st);
    if (fd < 0) {
        return fd == -ENOENT ? 0 : fd;
    }
    struct logtail_file *f = &seen->files[seen->n++];
    memset(f, 0, sizeof(*f));
    f->path = path;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    const int r = logtail_read_pass(lt, f, fd, LOGTAIL_TAIL_DROP);
    f->path = NULL;
    (void)close(fd);
    return r;
}

int logtail_read_all_once(struct logtail *lt)
{
    struct logtail_once seen = {0};
    int rc = 0;
    lt->now = logtail_now();
    for (size_t i = 0; i < lt->opts.npaths; i++) {
        glob_t g;
        const int r = glob(lt->globs[i], 0, NULL, &g);
        if (r != 0 && r != GLOB_NOMATCH) {
            rc = r == GLOB_NOSPACE ? -ENOMEM : -EIO;
            lt->stats.read_errors++;
        }
        for (size_t j = 0; r == 0 && j < g.gl_pathc; j++) {
            const int e = logtail_once_file(lt, &seen, g.gl_pathv[j]);
            if (e < 0) {
                lt->stats.read_errors++;
                rc = e;
            }
        }
        globfree(&g);
    }
    free(seen.files);
    return rc;
}
