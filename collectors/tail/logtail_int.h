/* Internals shared by logtail.c (polling, reading, splitting) and logtail_rotate.c
 * (fingerprints, rotated-copy and moved-inode lookups, checkpoint JSON). Not for other
 * modules: they use logtail.h. */
#ifndef HW_LOGTAIL_INT_H
#define HW_LOGTAIL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "logtail.h"

/* Bytes hashed for a file's fingerprint once the file is that long. */
#define LOGTAIL_FP_MAX 1024
/* Descriptors a tailer leaves free under RLIMIT_NOFILE for the rest of the agent. */
#define LOGTAIL_FD_RESERVE 32
/* Entries in the table (files tracked, draining, unreadable, or ignored directories). */
#define LOGTAIL_MAX_FILES 1024
/* FNV-1a 64-bit offset basis: the fingerprint of zero bytes. */

/* One file known by its (dev, inode). */
struct logtail_file {
    char *path; /* the path it was first opened under: reported, checkpointed */
    int fd;     /* -1: not open (open failed, restored and not yet found, ignored) */
    int err;    /* errno of the failure already counted in read_errors, 0 when none */
    dev_t dev;
    ino_t ino;
    uint64_t off;  /* end of the last delivered (or skipped) line: what is checkpointed */
    uint64_t scan; /* while skipping an over-long line: bytes before this are discarded */
    uint64_t end;  /* how far the file has been read (its size at the last read) */
    uint64_t fp;   /* hash of the first fp_len bytes */
    size_t fp_len;
    uint64_t line_no; /* lines delivered or skipped since reading began */
    int64_t grow_ns;  /* when `end` last grew, or when draining began */
    bool skip;        /* inside an over-long line: discard up to its newline */
    bool seen;        /* matched by a glob in the current pass */
    bool fresh;       /* added in the current pass and not read yet */
    bool draining;    /* no longer at any matching path: read to its end, then close */
    bool restored;    /* from a checkpoint, not yet found by the first poll */
    bool ignored;     /* not a regular file: never opened, never checkpointed */
    bool gone;        /* to be removed at the end of the pass */
};

struct logtail {
    struct logtail_opts opts; /* paths point into `globs` */
    char **globs;
    char **watch_dirs; /* per glob: its directory to watch, NULL when it has wildcards */
    logtail_line_cb cb;
    void *arg;
    struct logtail_file **files;
    size_t nfiles, cap;
    char *buf; /* the read buffer shared by all files */
    size_t buf_cap, buf_max;
    int ifd;     /* inotify, -1 when polling only */
    bool polled; /* the first poll happened */
    int64_t now; /* CLOCK_MONOTONIC at the start of the current pass */
    struct logtail_stats stats;
};

/* How a read pass treats an unterminated last line. */
enum logtail_tail {
    LOGTAIL_TAIL_HOLD,  /* hold it (deliver it after partial_flush_ns idle, when enabled) */
    LOGTAIL_TAIL_FINAL, /* deliver it: the file will never be read again */
    LOGTAIL_TAIL_DROP   /* never deliver it (read_all_once) */
};

/* logtail.c */
/* Reads fd from f's position to its end, delivering f's complete lines. 0 or -errno. */
int logtail_read_pass(struct logtail *lt, struct logtail_file *f, int fd, enum logtail_tail tail);
/* The entry of (dev, ino), or NULL. */
struct logtail_file *logtail_find(const struct logtail *lt, dev_t dev, ino_t ino);
/* A new entry appended to the table (not open, position 0); NULL when full or out of memory. */
struct logtail_file *logtail_track(struct logtail *lt, const char *path, dev_t dev, ino_t ino);
/* Opens a regular file read-only (dirfd may be AT_FDCWD); -ESTALE when it is not a regular
 * file with that (dev, ino) any more. The fd or -errno. */
int logtail_open_at(int dirfd, const char *name, dev_t dev, ino_t ino, struct stat *st);

/* logtail_rotate.c */
/* 1 when the file still starts with f's fingerprint (which is then extended to up to
 * LOGTAIL_FP_MAX bytes), 0 when it does not, -errno on a read failure. */
int logtail_fp_check(struct logtail_file *f, int fd, uint64_t size);
/* Copytruncate: reads the lines of f not yet delivered from its rotated copy, if one is found
 * in f's directory. 1 when a copy was read, 0 when none was found, -errno on failure. */
int logtail_read_copy(struct logtail *lt, struct logtail_file *f);
/* A restored entry not at any matching path: finds its inode in its directory, checks the
 * fingerprint and opens it. 1 when found (f->fd is set), 0 when not, -errno on failure. */
int logtail_find_moved(struct logtail_file *f);
/* Whether path matches one of the configured globs. */
bool logtail_path_configured(const struct logtail *lt, const char *path);

#endif
