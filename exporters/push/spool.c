/* On-disk spool for push exporters; format and contract in spool.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* openat, fdopendir, flock under -std=c11 */
#endif
#include "spool.h"
#include "spool_int.h"
#include "buf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* spool_read_entry results besides -errno. */
enum { SPOOL_OK = 0, SPOOL_BAD = 1, SPOOL_FOREIGN = 2 };

struct spool_item {
    uint64_t seq;
    uint64_t size; /* whole file, header included */
    int64_t oldest_ts_ms;
    uint32_t kind;
};

struct spool {
    int dirfd;
    char *path; /* to create the directory again when it is removed under a running agent */
    uint64_t max_bytes;
    uint64_t next_seq;
    uint64_t reserved; /* next-seq on disk: numbers below it may have been used */
    size_t aside_files;
    struct spool_item *items; /* live index: items[head .. head + count), ascending seq */
    size_t head, count, cap;
    struct spool_stats st;
};

/* Out of memory or descriptors is not the entry's fault: report it instead of discarding. */
static int spool_transient(int err)
{
    return err == ENOMEM || err == EMFILE || err == ENFILE || err == EINTR || err == EAGAIN ||
           err == ENOBUFS;
}

static int spool_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        const ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads exactly len bytes: 0, 1 on a short file, or -errno. */
static int spool_read_all(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        const ssize_t r = read(fd, p, len);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (r == 0) {
            return 1;
        }
        p += r;
        len -= (size_t)r;
    }
    return 0;
}

/* Writes a + b to tmp, makes it durable and renames it to name: the file is whole or absent. */
static int spool_write_file(const struct spool *sp, const char *tmp, const char *name,
                            const void *a, size_t alen, const void *b, size_t blen)
{
    const int fd =
        openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        return -errno;
    }
    int rc = spool_write_all(fd, a, alen);
    if (rc == 0 && blen > 0) {
        rc = spool_write_all(fd, b, blen);
    }
    if (rc == 0 && fsync(fd) != 0) {
        rc = -errno;
    }
    if (close(fd) != 0 && rc == 0) {
        rc = -errno;
    }
    if (rc != 0) {
        (void)unlinkat(sp->dirfd, tmp, 0); /* if this fails too, the next open removes it */
        return rc;
    }
    if (renameat(sp->dirfd, tmp, sp->dirfd, name) != 0) {
        rc = -errno;
        (void)unlinkat(sp->dirfd, tmp, 0);
        return rc;
    }
    if (fsync(sp->dirfd) != 0) {
        rc = -errno;
        (void)unlinkat(sp->dirfd, name, 0); /* not known durable: the caller keeps the data */
    }
    return rc;
}

/* Reads next-seq; 0 when missing or damaged (the entry names then give the floor). */
static uint64_t spool_seq_load(const struct spool *sp)
{
    uint8_t buf[SPOOL_SEQ_SIZE];
    const int fd =
        openat(sp->dirfd, SPOOL_SEQ_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        return 0;
    }
    const int rc = spool_read_all(fd, buf, sizeof(buf));
    (void)close(fd); /* read-only: nothing to lose */
    if (rc != 0 || memcmp(buf, SPOOL_SEQ_MAGIC, 8) != 0 ||
        (uint32_t)spool_get(buf + 16, 4) != spool_crc(0, buf, 16)) {
        return 0;
    }
    const uint64_t v = spool_get(buf + 8, 8);
    return v > SPOOL_SEQ_LIMIT ? 0 : v;
}

/* Makes sure next_seq is covered by the reservation on disk before it is used. */
static int spool_seq_reserve(struct spool *sp)
{
    if (sp->next_seq < sp->reserved) {
        return 0;
    }
    const uint64_t upto = sp->next_seq + SPOOL_SEQ_BLOCK;
    uint8_t buf[SPOOL_SEQ_SIZE];
    memcpy(buf, SPOOL_SEQ_MAGIC, 8);
    spool_put(buf + 8, upto, 8);
    spool_put(buf + 16, spool_crc(0, buf, 16), 4);
    const int rc = spool_write_file(sp, SPOOL_SEQ_TMP, SPOOL_SEQ_FILE, buf, sizeof(buf), NULL, 0);
    if (rc == 0) {
        sp->reserved = upto;
    }
    return rc;
}

/* Checks an entry header against the file size; fills it (seq is set by the caller). */
static int spool_hdr_decode(const uint8_t *hdr, uint64_t file_size, struct spool_item *it)
{
    if (memcmp(hdr, SPOOL_MAGIC, 8) != 0 || (uint32_t)spool_get(hdr + 8, 4) != SPOOL_VERSION ||
        spool_get(hdr + 24, 8) != file_size - SPOOL_HEADER_SIZE) {
        return SPOOL_BAD;
    }
    it->kind = (uint32_t)spool_get(hdr + 12, 4);
    it->oldest_ts_ms = (int64_t)spool_get(hdr + 16, 8);
    it->size = file_size;
    return SPOOL_OK;
}

/* CRC of the rest of the file, streamed through a small buffer so open never holds blobs. */
static int spool_crc_stream(int fd, uint64_t len, uint32_t *crc)
{
    uint8_t buf[SPOOL_CHUNK];
    while (len > 0) {
        const size_t n = len > sizeof(buf) ? sizeof(buf) : (size_t)len;
        const int rc = spool_read_all(fd, buf, n);
        if (rc != 0) {
            return rc;
        }
        *crc = spool_crc(*crc, buf, n);
        len -= n;
    }
    return 0;
}

/* Reads the rest of the file into a new NUL-terminated buffer and adds it to the CRC. */
static int spool_read_data(int fd, uint64_t len, uint32_t *crc, void **data)
{
    if (len >= SIZE_MAX) {
        return -ENOMEM;
    }
    uint8_t *buf = malloc((size_t)len + 1);
    if (!buf) {
        return -ENOMEM;
    }
    const int rc = spool_read_all(fd, buf, (size_t)len);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *crc = spool_crc(*crc, buf, (size_t)len);
    *data = buf;
    return 0;
}

/* Opens and validates entry seq. With data, the payload comes back in a new buffer; with
 * expect_size != 0 the file must still have the indexed size. SPOOL_OK, SPOOL_BAD (corrupt or
 * unreadable), SPOOL_FOREIGN (not a regular file) or -errno (transient). */
static int spool_read_entry(const struct spool *sp, uint64_t seq, uint64_t expect_size,
                            struct spool_item *it, void **data)
{
    char name[SPOOL_NAME_MAX];
    spool_name(name, seq, SPOOL_EXT);
    const int fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        return spool_transient(errno) ? -errno : (errno == ELOOP ? SPOOL_FOREIGN : SPOOL_BAD);
    }
    uint8_t hdr[SPOOL_HEADER_SIZE];
    struct stat st;
    void *buf = NULL;
    int rc = SPOOL_BAD;
    if (fstat(fd, &st) != 0) {
        rc = spool_transient(errno) ? -errno : SPOOL_BAD;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = SPOOL_FOREIGN;
        goto fail;
    }
    const uint64_t size = (uint64_t)st.st_size;
    if (size < SPOOL_HEADER_SIZE || (expect_size != 0 && size != expect_size)) {
        goto fail;
    }
    rc = spool_read_all(fd, hdr, sizeof(hdr));
    if (rc != 0 || spool_hdr_decode(hdr, size, it) != SPOOL_OK) {
        rc = (rc < 0 && spool_transient(-rc)) ? rc : SPOOL_BAD;
        goto fail;
    }
    it->seq = seq;
    uint32_t crc = spool_crc(0, hdr, 32);
    const uint64_t len = size - SPOOL_HEADER_SIZE;
    rc = data ? spool_read_data(fd, len, &crc, &buf) : spool_crc_stream(fd, len, &crc);
    if (rc != 0 || crc != (uint32_t)spool_get(hdr + 32, 4)) {
        rc = (rc < 0 && spool_transient(-rc)) ? rc : SPOOL_BAD;
        goto fail;
    }
    (void)close(fd); /* read-only: nothing to lose */
    if (data) {
        *data = buf;
    }
    return SPOOL_OK;
fail:
    free(buf);
    (void)close(fd);
    return rc;
}

/* A bad entry is kept for inspection while few are; beyond that it is deleted. */
static void spool_set_aside(struct spool *sp, uint64_t seq)
{
    char name[SPOOL_NAME_MAX], aside[SPOOL_NAME_MAX];
    spool_name(name, seq, SPOOL_EXT);
    spool_name(aside, seq, SPOOL_BAD_EXT);
    sp->st.corrupt_entries++;
    if (sp->aside_files < SPOOL_MAX_ASIDE && renameat(sp->dirfd, name, sp->dirfd, aside) == 0) {
        sp->aside_files++;
        return;
    }
    (void)unlinkat(sp->dirfd, name, 0); /* nothing more to try; out of the index either way */
}

static int spool_unlink(const struct spool *sp, uint64_t seq)
{
    char name[SPOOL_NAME_MAX];
    spool_name(name, seq, SPOOL_EXT);
    return (unlinkat(sp->dirfd, name, 0) != 0 && errno != ENOENT) ? -errno : 0;
}

/* Removes index position i (absolute) and its bytes from the totals. */
static void spool_idx_remove(struct spool *sp, size_t i)
{
    sp->st.bytes -= sp->items[i].size;
    sp->st.entries--;
    if (i == sp->head) {
        sp->head++;
    } else {
        memmove(&sp->items[i], &sp->items[i + 1],
                (sp->head + sp->count - i - 1) * sizeof(sp->items[0]));
    }
    sp->count--;
    if (sp->count == 0) {
        sp->head = 0;
    }
}

/* Makes room for one more index slot at the end, compacting before growing. */
static int spool_idx_reserve(struct spool *sp)
{
    if (sp->head + sp->count < sp->cap) {
        return 0;
    }
    if (sp->head > 0) {
        memmove(sp->items, &sp->items[sp->head], sp->count * sizeof(sp->items[0]));
        sp->head = 0;
        return 0;
    }
    size_t cap = sp->cap ? sp->cap * 2 : 64;
    if (cap > SPOOL_MAX_ENTRIES) {
        cap = SPOOL_MAX_ENTRIES;
    }
    if (cap <= sp->count) {
        return -ENOSPC; /* cannot happen: spool_make_room keeps count below the cap */
    }
    struct spool_item *items = realloc(sp->items, cap * sizeof(*items));
    if (!items) {
        return -ENOMEM;
    }
    sp->items = items;
    sp->cap = cap;
    return 0;
}

static void spool_idx_append(struct spool *sp, const struct spool_item *it)
{
    sp->items[sp->head + sp->count] = *it;
    sp->count++;
    sp->st.entries++;
    sp->st.bytes += it->size;
}

/* Deletes oldest entries until `entries` more entries of `bytes` more bytes fit the bounds. */
static void spool_make_room(struct spool *sp, size_t entries, uint64_t bytes)
{
    while (sp->count > 0 &&
           (sp->count + entries > SPOOL_MAX_ENTRIES || sp->st.bytes + bytes > sp->max_bytes)) {
        const struct spool_item *it = &sp->items[sp->head];
        sp->st.dropped_entries++;
        sp->st.dropped_bytes += it->size;
        (void)spool_unlink(sp, it->seq); /* forgotten anyway; the next open trims again */
        spool_idx_remove(sp, sp->head);
    }
}

/* A growing array of sequence numbers found by the directory scan. */
struct spool_seqs {
    uint64_t *v;
    size_t n, cap;
};

static int spool_seqs_add(struct spool_seqs *s, uint64_t seq)
{
    uint64_t *v = hw_grow(s->v, &s->cap, s->n, sizeof(*v), 256);
    if (!v) {
        return -ENOMEM;
    }
    s->v = v;
    s->v[s->n++] = seq;
    return 0;
}

static int spool_seq_cmp(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* One pass over the directory: removes temp files, collects entry numbers, counts set-aside
 * files and raises next_seq above every number seen. 0 or -errno. */
static int spool_scan(struct spool *sp, struct spool_seqs *seqs)
{
    const int fd = fcntl(sp->dirfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        const int rc = -errno;
        (void)close(fd);
        return rc;
    }
    int rc = 0;
    for (;;) {
        errno = 0;
        const struct dirent *de = readdir(d);
        if (!de) {
            rc = errno ? -errno : 0;
            break;
        }
        uint64_t seq = 0;
        const int kind = spool_parse_name(de->d_name, &seq);
        if (kind == SPOOL_NAME_OTHER) {
            continue;
        }
        if (seq >= sp->next_seq) {
            sp->next_seq = seq + 1;
        }
        if (kind == SPOOL_NAME_TMP) {
            if (unlinkat(sp->dirfd, de->d_name, 0) != 0 && errno != ENOENT) {
                rc = -errno;
                break;
            }
        } else if (kind == SPOOL_NAME_ASIDE) {
            sp->aside_files++;
        } else if ((rc = spool_seqs_add(seqs, seq)) != 0) {
            break;
        }
    }
    (void)closedir(d); /* a directory stream: nothing to lose */
    return rc;
}

/* Validates the scanned entries oldest first and indexes the good ones; beyond the entry cap
 * the oldest are deleted unread. 0 or -errno. */
static int spool_load(struct spool *sp, struct spool_seqs *seqs)
{
    if (seqs->n > 0) { /* qsort's array may not be NULL, even when empty */
        qsort(seqs->v, seqs->n, sizeof(seqs->v[0]), spool_seq_cmp);
    }
    size_t first = 0;
    for (; seqs->n - first > SPOOL_MAX_ENTRIES; first++) {
        char name[SPOOL_NAME_MAX];
        struct stat st;
        spool_name(name, seqs->v[first], SPOOL_EXT);
        if (fstatat(sp->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
            continue; /* gone or not ours */
        }
        sp->st.dropped_entries++;
        sp->st.dropped_bytes += (uint64_t)st.st_size;
        (void)spool_unlink(sp, seqs->v[first]); /* left over: the next open tries again */
    }
    for (size_t i = first; i < seqs->n; i++) {
        struct spool_item it;
        const int rc = spool_read_entry(sp, seqs->v[i], 0, &it, NULL);
        if (rc < 0) {
            return rc;
        }
        if (rc == SPOOL_BAD) {
            spool_set_aside(sp, seqs->v[i]);
        } else if (rc == SPOOL_OK) {
            const int r = spool_idx_reserve(sp);
            if (r != 0) {
                return r;
            }
            spool_idx_append(sp, &it);
        }
    }
    spool_make_room(sp, 0, 0);
    return 0;
}

/* mkdir -p with mode 0700 for every missing component. 0 or -errno. */
static int spool_mkdirs(const char *dir)
{
    char *path = strdup(dir);
    if (!path) {
        return -ENOMEM;
    }
    int rc = 0;
    for (char *p = path + 1; *p && rc == 0; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                rc = -errno;
            }
            *p = '/';
        }
    }
    if (rc == 0 && mkdir(path, 0700) != 0 && errno != EEXIST) {
        rc = -errno;
    }
    free(path);
    return rc;
}

static void spool_err(char *err, size_t errlen, const char *dir, const char *what, int rc)
{
    if (err && errlen > 0) {
        snprintf(err, errlen, "spool directory '%s': %s: %s", dir, what, strerror(-rc));
    }
}

/* Creates and locks the directory; on failure says which step failed. 0 or -errno. */
static int spool_open_dir(struct spool *sp, const char *dir, const char **what)
{
    int rc = spool_mkdirs(dir);
    if (rc != 0) {
        *what = "cannot create";
        return rc;
    }
    sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sp->dirfd < 0) {
        *what = "cannot open";
        return -errno;
    }
    if (flock(sp->dirfd, LOCK_EX | LOCK_NB) != 0) {
        rc = -errno;
        *what = rc == -EWOULDBLOCK ? "in use by another spool" : "cannot lock";
        return rc;
    }
    return 0;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
    if (!dir || !*dir || max_bytes < SPOOL_HEADER_SIZE) {
        spool_err(err, errlen, dir ? dir : "(null)", "invalid arguments", -EINVAL);
        return NULL;
    }
    struct spool *sp = calloc(1, sizeof(*sp));
    struct spool_seqs seqs = {NULL, 0, 0};
    const char *what = "out of memory";
    int rc = -ENOMEM;
    if (!sp) {
        goto fail;
    }
    sp->dirfd = -1;
    sp->path = strdup(dir);
    sp->max_bytes = max_bytes;
    sp->next_seq = 1;
    rc = sp->path ? spool_open_dir(sp, dir, &what) : -ENOMEM;
    if (rc != 0) {
        goto fail;
    }
    if (unlinkat(sp->dirfd, SPOOL_SEQ_TMP, 0) != 0 && errno != ENOENT) {
        rc = -errno;
        what = "not writable";
        goto fail;
    }
    const uint64_t stored = spool_seq_load(sp);
    if (stored > sp->next_seq) {
        sp->next_seq = stored;
    }
    what = "cannot scan";
    rc = spool_scan(sp, &seqs);
    if (rc == 0) {
        rc = spool_load(sp, &seqs);
    }
    if (rc != 0) {
        goto fail;
    }
    what = "not writable";
    rc = spool_seq_reserve(sp); /* also proves the directory is writable */
    if (rc != 0) {
        goto fail;
    }
    free(seqs.v);
    return sp;
fail:
    spool_err(err, errlen, dir, what, rc);
    free(seqs.v);
    spool_close(sp);
    return NULL;
}

void spool_close(struct spool *sp)
{
    if (!sp) {
        return;
    }
    if (sp->dirfd >= 0) {
        (void)close(sp->dirfd); /* a directory: nothing to flush; also releases the lock */
    }
    free(sp->items);
    free(sp->path);
    free(sp);
}

/* The directory was removed while open (ENOENT inside it): what it held is gone, counted as
 * lost; the directory is made again so later batches are kept again. 0 or -errno. */
static int spool_recreate(struct spool *sp)
{
    const char *what;
    (void)close(sp->dirfd);
    sp->dirfd = -1;
    sp->st.lost_entries += sp->count;
    sp->st.entries = sp->st.bytes = 0;
    sp->head = sp->count = 0;
    sp->reserved = 0; /* next-seq is written again, above every number used */
    int rc = spool_open_dir(sp, sp->path, &what);
    return rc == 0 ? spool_seq_reserve(sp) : rc;
}

int spool_push(struct spool *sp, const void *data, size_t len, int64_t oldest_ts_ms, uint32_t kind)
{
    if (!sp || (!data && len > 0)) {
        return -EINVAL;
    }
    if (len > sp->max_bytes - SPOOL_HEADER_SIZE) {
        sp->st.refused_entries++;
        return -EFBIG;
    }
    if (sp->next_seq >= SPOOL_SEQ_LIMIT) {
        return -EOVERFLOW;
    }
    const struct spool_item it = {
        .seq = sp->next_seq,
        .size = SPOOL_HEADER_SIZE + (uint64_t)len,
        .oldest_ts_ms = oldest_ts_ms,
        .kind = kind,
    };
    spool_make_room(sp, 1, it.size);
    int rc = spool_idx_reserve(sp);
    if (rc == 0) {
        rc = spool_seq_reserve(sp);
    }
    if (rc != 0) {
        return rc;
    }
    uint8_t hdr[SPOOL_HEADER_SIZE];
    memcpy(hdr, SPOOL_MAGIC, 8);
    spool_put(hdr + 8, SPOOL_VERSION, 4);
    spool_put(hdr + 12, kind, 4);
    spool_put(hdr + 16, (uint64_t)oldest_ts_ms, 8);
    spool_put(hdr + 24, (uint64_t)len, 8);
    spool_put(hdr + 32, spool_crc(spool_crc(0, hdr, 32), data, len), 4);
    char tmp[SPOOL_NAME_MAX], name[SPOOL_NAME_MAX];
    spool_name(tmp, it.seq, SPOOL_TMP_EXT);
    spool_name(name, it.seq, SPOOL_EXT);
    sp->next_seq++; /* never reuse a number, even one whose write failed */
    rc = spool_write_file(sp, tmp, name, hdr, sizeof(hdr), data, len);
    if (rc == -ENOENT && spool_recreate(sp) == 0) {
        sp->st.recreated++;
        rc = spool_write_file(sp, tmp, name, hdr, sizeof(hdr), data, len);
    }
    if (rc != 0) {
        return rc;
    }
    spool_idx_append(sp, &it);
    return 0;
}

int spool_peek(struct spool *sp, struct spool_entry *e)
{
    memset(e, 0, sizeof(*e));
    while (sp->count > 0) {
        const struct spool_item cur = sp->items[sp->head];
        struct spool_item it;
        void *data = NULL;
        const int rc = spool_read_entry(sp, cur.seq, cur.size, &it, &data);
        if (rc < 0) {
            return rc;
        }
        if (rc == SPOOL_OK) {
            e->seq = it.seq;
            e->oldest_ts_ms = it.oldest_ts_ms;
            e->kind = it.kind;
            e->len = (size_t)(it.size - SPOOL_HEADER_SIZE);
            e->data = data;
            return 1;
        }
        if (rc == SPOOL_BAD) {
            spool_set_aside(sp, cur.seq);
        } else {
            sp->st.corrupt_entries++; /* replaced by something not ours: leave it alone */
        }
        spool_idx_remove(sp, sp->head);
    }
    return 0;
}

void spool_entry_free(struct spool_entry *e)
{
    if (e) {
        free(e->data);
        e->data = NULL;
        e->len = 0;
    }
}

/* Index position of seq (the head in normal use, else a binary search), or SIZE_MAX. */
static size_t spool_find(const struct spool *sp, uint64_t seq)
{
    size_t lo = sp->head, hi = sp->head + sp->count;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (sp->items[mid].seq == seq) {
            return mid;
        }
        if (sp->items[mid].seq < seq) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return SIZE_MAX;
}

int spool_pop(struct spool *sp, uint64_t seq)
{
    const size_t i =
        (sp->count > 0 && sp->items[sp->head].seq == seq) ? sp->head : spool_find(sp, seq);
    if (i == SIZE_MAX) {
        return -ENOENT;
    }
    const int rc = spool_unlink(sp, seq);
    spool_idx_remove(sp, i);
    return rc;
}

size_t spool_drop_older_than(struct spool *sp, int64_t cutoff_ms)
{
    const size_t end = sp->head + sp->count;
    size_t out = sp->head, n = 0;
    for (size_t i = sp->head; i < end; i++) {
        const struct spool_item it = sp->items[i];
        if (it.oldest_ts_ms >= cutoff_ms) {
            sp->items[out++] = it;
            continue;
        }
        (void)spool_unlink(sp, it.seq); /* left over: expires again after a restart */
        sp->st.bytes -= it.size;
        sp->st.entries--;
        sp->st.expired_entries++;
        n++;
    }
    sp->count = out - sp->head;
    if (sp->count == 0) {
        sp->head = 0;
    }
    return n;
}

const struct spool_stats *spool_stats(const struct spool *sp)
{
    return &sp->st;
}
