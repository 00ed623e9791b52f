/* Log file tailer shared by the log collector and the FSFO collector: glob sources, inotify
 * with a stat-polling fallback, rotation by (dev, inode) tracking, block reads split into
 * lines without a copy per line, checkpoints of every file's position. No metrics and no
 * registry here: it hands complete lines to a callback and keeps counters in its stats.
 *
 * What it promises and how (logtail.c, logtail_rotate.c):
 * - A file is known by its (dev, inode); a file renamed from one matching path to another stays
 *   the same file. logtail_poll decides everything; inotify (on each glob's directory; the
 *   directory part of a glob must not contain wildcards, else that glob is found by polling
 *   only) just wakes the loop early.
 * - Files present at the first poll without a checkpoint start per start_at (END: at their
 *   size, discarding the rest of an unfinished last line); any file found later, and a file at
 *   a path whose checkpointed file was replaced, is read from its beginning.
 * - Rename/create and deletion: a file no longer at any matching path keeps its descriptor and
 *   is read until rotate_wait_ns passes without growth; then its unterminated last line, if
 *   any, is delivered (nothing can complete it any more) and it is closed. Its last lines come
 *   before its successor's.
 * - Truncation and copytruncate: a file shorter than what was read, or no longer starting with
 *   its fingerprint, restarts at 0 after reading the bytes not yet delivered from its rotated
 *   copy, when one is in the same directory (a regular file not already being read, at least
 *   that long, with the same fingerprint; the newest if several). A compressed copy cannot be
 *   used: its bytes differ. With a glob that matches the copies too (app.log*), a copy that
 *   shows up in an earlier pass than the truncation is a new file, read from its beginning.
 * - Fingerprint: 64-bit FNV-1a of the first fp_len = min(size, 1024) bytes, checked at every
 *   poll; a shorter one grows with the file, so a file first seen small gets a full one later.
 * - Lines: complete lines only; "\r\n" counts as "\n"; NUL and invalid UTF-8 pass as bytes; a
 *   line longer than max_line_size is skipped whole. The checkpointed offset is the end of the
 *   last delivered line: a held partial line is read again after a restart.
 * - Errors (unreadable file, directory matching a glob) are counted in read_errors once per
 *   file and cause, then retried at every poll. At most 1024 files are tracked (each holds a
 *   descriptor). max_line_size and read_block 0 mean 64 KiB and 256 KiB.
 * The callback must not call back into the tailer. */
#ifndef HW_LOGTAIL_H
#define HW_LOGTAIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum logtail_start { LOGTAIL_START_END = 0, LOGTAIL_START_BEGINNING = 1 };

struct logtail_opts {
    const char *const *paths; /* absolute paths or glob(3) patterns */
    size_t npaths;
    enum logtail_start start_at; /* for files present at the first scan with no checkpoint */
    size_t max_line_size;        /* longer lines are skipped whole and counted */
    size_t read_block;           /* bytes per read(2), e.g. 256 KiB */
    int64_t partial_flush_ns;    /* an unterminated last line idle this long is delivered;
                                    0 = never (wait for its newline forever) */
    int64_t rotate_wait_ns;      /* how long a rotated-away file is still drained */
    int use_inotify;             /* 0: stat polling only */
};

/* What the callback learns about the line's file. */
struct logtail_file_info {
    const char *path;  /* the path it was opened under */
    uint64_t line_no;  /* 1-based line number within this file (from where reading began) */
};

/* Called for every complete line, without its "\n" (and without a "\r" before it). The bytes
 * are valid only during the call. */
typedef void (*logtail_line_cb)(void *arg, const struct logtail_file_info *f, const char *line,
                                size_t len);

struct logtail_stats {
    uint64_t lines, bytes;      /* delivered */
    uint64_t lines_too_long;    /* skipped, longer than max_line_size */
    uint64_t rotations;         /* rename/create, copytruncate, truncation, re-creation seen */
    uint64_t read_errors;       /* open/read/stat failures (retried) */
    uint64_t files_open;        /* gauge */
    uint64_t files_over_limit;  /* gauge: matching files not tracked at the last poll (the
                                   table holds 1024) */
};

struct logtail;

/* Copies opts (paths included). NULL on allocation failure. */
struct logtail *logtail_new(const struct logtail_opts *opts, logtail_line_cb cb, void *arg);
void logtail_free(struct logtail *lt);

/* The inotify descriptor to watch for readability, or -1 (no inotify: poll only). */
int logtail_fd(const struct logtail *lt);
/* After the fd is readable: drains the events, then does what logtail_poll does (nothing more
 * when no event names a file a glob could match, the directory itself, or an overflow, while
 * no rotated-away file is being drained). */
int logtail_on_events(struct logtail *lt);
/* A full pass: expands the globs (new files are picked up), stats every tracked file,
 * handles rotation/truncation/deletion, reads all new complete lines, delivers due partial
 * lines. Call it periodically (the stat-polling fallback) and after events. 0 or -errno of the
 * last failure (it goes on with the other files); a file that cannot be opened is reported at
 * the first failing pass only, then retried silently. */
int logtail_poll(struct logtail *lt);
/* Reads every matching file from its start to its end once, delivering complete lines only
 * (`hostwatch once`, `test-filter`). */
int logtail_read_all_once(struct logtail *lt);

/* Positions as JSON (an array of {path, dev, ino, offset, fp_len, fp} objects, fp being a
 * hash of the file's first fp_len bytes). Call between lines only (it is, on the loop thread).
 * Types: path string (the path the file was first opened under; a path that is not UTF-8
 * cannot be saved), dev and ino integers (their 64 bits as a signed integer), offset integer
 * >= 0, fp_len integer 0..1024, fp 16 lowercase hex digits. NULL on allocation failure. */
json_t *logtail_checkpoint(const struct logtail *lt);
/* Restores positions before the first poll. Entries that do not validate are ignored with a
 * message in *why (static string); returns the number of entries restored, or -1 when `in`
 * is not the shape logtail_checkpoint writes. Ignored too: a path no configured path or glob
 * matches, a (dev, ino) listed twice. The first poll finds each entry at a matching path by
 * (dev, ino), else in its path's directory (rotated while down: finished from its offset); an
 * entry whose file is shorter than its offset or whose fingerprint differs restarts at 0
 * after its rotated copy as above; an entry not found is dropped. -1 after the first poll. */
int logtail_restore(struct logtail *lt, const json_t *in, const char **why);

const struct logtail_stats *logtail_stats(const struct logtail *lt);
/* Each file's path, state, (dev, inode), position, size, bytes behind and when it last grew,
 * at most max_files of them (and how many there are), for the status document. */
json_t *logtail_status(const struct logtail *lt, size_t max_files);
/* Bytes written to the open files and not read yet, and when a file last grew (wall-clock ms,
 * 0 before any did): a source falling behind, or gone quiet. */
void logtail_lag(const struct logtail *lt, uint64_t *behind, int64_t *grew_ms);

#endif
