/* Unit tests of the log tailer: line splitting, long and partial lines, start_at, new files,
 * rename/create, copytruncate, truncation, deletion, checkpoints and restore (also after a
 * rotation while down), inotify wake-ups, errors, read_all_once. Each test works in its own
 * temporary directory and drives logtail_poll() itself. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collectors/logtail.h"

#define LT_MAX_LINES 2048

struct lt_test {
    char dir[64];
    char glob[2][PATH_MAX];
    const char *globv[2];
    char *lines[LT_MAX_LINES];
    size_t lens[LT_MAX_LINES];
    uint64_t line_nos[LT_MAX_LINES];
    char *paths[LT_MAX_LINES];
    size_t n;
};

/* ---- harness ------------------------------------------------------------------------------ */

static void collect(void *arg, const struct logtail_file_info *f, const char *line, size_t len)
{
    struct lt_test *t = arg;
    assert_true(t->n < LT_MAX_LINES);
    t->lines[t->n] = malloc(len + 1);
    assert_non_null(t->lines[t->n]);
    memcpy(t->lines[t->n], line, len);
    t->lines[t->n][len] = '\0';
    t->lens[t->n] = len;
    t->line_nos[t->n] = f->line_no;
    t->paths[t->n] = strdup(f->path);
    assert_non_null(t->paths[t->n]);
    t->n++;
}

static void clear_lines(struct lt_test *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->lines[i]);
        free(t->paths[i]);
    }
    t->n = 0;
}

/* Asserts exactly these lines were delivered since the last check, then forgets them. */
static void expect_lines(struct lt_test *t, const char *const *want, size_t n)
{
    if (t->n != n) {
        for (size_t i = 0; i < t->n; i++) {
            print_error("got line %zu: \"%s\"\n", i, t->lines[i]);
        }
    }
    assert_int_equal(t->n, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(t->lines[i], want[i]);
        assert_int_equal(t->lens[i], strlen(want[i]));
    }
    clear_lines(t);
}

#define EXPECT(t, ...)                                                                             \
    expect_lines((t), (const char *const[]){__VA_ARGS__},                                          \
                 sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define EXPECT_NONE(t) expect_lines((t), NULL, 0)

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct lt_test *t = calloc(1, sizeof(*t));
    if (!t) {
        return -1;
    }
    strcpy(t->dir, "/tmp/test_logtail-XXXXXX");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct lt_test *t = *state;
    clear_lines(t);
    /* give back permissions a test took away so the tree can be removed */
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/app.log", t->dir);
    (void)chmod(p, 0644);
    const int rc = nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(t);
    return rc;
}

static void tpath(const struct lt_test *t, const char *name, char *out)
{
    const int n = snprintf(out, PATH_MAX, "%s/%s", t->dir, name);
    assert_true(n > 0 && n < PATH_MAX);
}

/* Appends len bytes to dir/name (created when missing). */
static void put_n(const struct lt_test *t, const char *name, const char *data, size_t len)
{
    char p[PATH_MAX];
    tpath(t, name, p);
    const int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void put(const struct lt_test *t, const char *name, const char *s)
{
    put_n(t, name, s, strlen(s));
}

static void mv(const struct lt_test *t, const char *from, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    tpath(t, from, a);
    tpath(t, to, b);
    assert_int_equal(rename(a, b), 0);
}

static void rm(const struct lt_test *t, const char *name)
{
    char p[PATH_MAX];
    tpath(t, name, p);
    assert_int_equal(unlink(p), 0);
}

static void trunc_to(const struct lt_test *t, const char *name, off_t size)
{
    char p[PATH_MAX];
    tpath(t, name, p);
    assert_int_equal(truncate(p, size), 0);
}

/* cp from to: what logrotate's copytruncate does before truncating. */
static void copy_file(const struct lt_test *t, const char *from, const char *to)
{
    char a[PATH_MAX], buf[4096];
    tpath(t, from, a);
    const int fd = open(a, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        put_n(t, to, buf, (size_t)n);
    }
    assert_int_equal(n, 0);
    assert_int_equal(close(fd), 0);
}

static void sleep_ms(long ms)
{
    const struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    assert_int_equal(nanosleep(&ts, NULL), 0);
}

/* Options for one glob under the test directory: from the beginning, 7-byte reads, lines of at
 * most 64 bytes, no partial flush, no rotate wait, no inotify. */
static struct logtail_opts opts_for(struct lt_test *t, const char *glob)
{
    tpath(t, glob, t->glob[0]);
    t->globv[0] = t->glob[0];
    const struct logtail_opts o = {
        .paths = t->globv,
        .npaths = 1,
        .start_at = LOGTAIL_START_BEGINNING,
        .max_line_size = 64,
        .read_block = 7,
    };
    return o;
}

static struct logtail *tailer(struct lt_test *t, const struct logtail_opts *o)
{
    struct logtail *lt = logtail_new(o, collect, t);
    assert_non_null(lt);
    return lt;
}

/* The checkpoint through text and back, as the state file does. */
static json_t *checkpoint_roundtrip(const struct logtail *lt)
{
    json_t *cp = logtail_checkpoint(lt);
    assert_non_null(cp);
    char *text = json_dumps(cp, JSON_COMPACT);
    assert_non_null(text);
    json_decref(cp);
    json_t *back = json_loads(text, 0, NULL);
    assert_non_null(back);
    free(text);
    return back;
}

static json_int_t cp_offset(const json_t *cp, size_t i)
{
    const json_t *v = json_object_get(json_array_get(cp, i), "offset");
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* ---- lines -------------------------------------------------------------------------------- */

static void test_split_across_blocks(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "a\nabcdef\nabcdefg\nabcdefgh\n\n0123456789abcdefghijklmnopqrstuvwxyz\nxy\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "a", "abcdef", "abcdefg", "abcdefgh", "", "0123456789abcdefghijklmnopqrstuvwxyz",
           "xy");
    /* a line split over two appends, and over two polls */
    put(t, "app.log", "hello ");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT_NONE(t);
    put(t, "app.log", "world\nnext\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "hello world", "next");
    const struct logtail_stats *st = logtail_stats(lt);
    assert_int_equal(st->lines, 9);
    assert_int_equal(st->bytes, 1 + 6 + 7 + 8 + 0 + 36 + 2 + 11 + 4);
    assert_int_equal(st->files_open, 1);
    logtail_free(lt);
}

static void test_line_numbers_and_path(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "one\ntwo\nthree\n");
    assert_int_equal(logtail_poll(lt), 0);
    char p[PATH_MAX];
    tpath(t, "app.log", p);
    assert_int_equal(t->n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(t->line_nos[i], i + 1);
        assert_string_equal(t->paths[i], p);
    }
    clear_lines(t);
    logtail_free(lt);
}

static void test_crlf_empty_nul_binary(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    static const char data[] = "crlf\r\n\r\n\nb\0c\n\xff\xfe\xc3\n"
                               "two\r\r\n\rlead\n";
    put_n(t, "app.log", data, sizeof(data) - 1);
    assert_int_equal(logtail_poll(lt), 0);
    assert_int_equal(t->n, 7);
    assert_string_equal(t->lines[0], "crlf");
    assert_int_equal(t->lens[1], 0);
    assert_int_equal(t->lens[2], 0);
    assert_int_equal(t->lens[3], 3);
    assert_memory_equal(t->lines[3], "b\0c", 3);
    assert_int_equal(t->lens[4], 3);
    assert_memory_equal(t->lines[4], "\xff\xfe\xc3", 3);
    assert_string_equal(t->lines[5], "two\r"); /* only the "\r" right before "\n" goes */
    assert_string_equal(t->lines[6], "\rlead");
    clear_lines(t);
    logtail_free(lt);
}

static void test_max_line_size(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.max_line_size = 10;
    o.read_block = 4;
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "0123456789\n0123456789A\nnext\n0123456789\r\nshort\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "0123456789", "next", "0123456789", "short");
    assert_int_equal(logtail_stats(lt)->lines_too_long, 1);
    /* a long line arriving in pieces, across polls: skipped whole, never split */
    put(t, "app.log", "abcdefghijklmnop");
    assert_int_equal(logtail_poll(lt), 0);
    put(t, "app.log", "qrstuvwxyz");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT_NONE(t);
    put(t, "app.log", "0123456789\nafter\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "after");
    assert_int_equal(t->n, 0);
    assert_int_equal(logtail_stats(lt)->lines_too_long, 2);
    /* the lines skipped still count in the line numbers */
    put(t, "app.log", "last\n");
    assert_int_equal(logtail_poll(lt), 0);
    assert_int_equal(t->line_nos[0], 8);
    EXPECT(t, "last");
    logtail_free(lt);
}

static void test_partial_line_held(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "first\nsec");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "first");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT_NONE(t);
    json_t *cp = logtail_checkpoint(lt);
    assert_int_equal(cp_offset(cp, 0), 6); /* the end of the last delivered line */
    json_decref(cp);
    put(t, "app.log", "ond\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "second");
    logtail_free(lt);
}

static void test_partial_flush_after_idle(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.partial_flush_ns = 5 * 1000000; /* 5 ms */
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "done\npart");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "done"); /* the partial line has just grown: not due yet */
    for (int i = 0; i < 2000 && t->n == 0; i++) {
        sleep_ms(1);
        assert_int_equal(logtail_poll(lt), 0);
    }
    EXPECT(t, "part");
    json_t *cp = logtail_checkpoint(lt);
    assert_int_equal(cp_offset(cp, 0), 9);
    json_decref(cp);
    put(t, "app.log", "\nnext\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "", "next");
    logtail_free(lt);
}

/* A partial line already over the limit is never flushed as a line, nor is its rest. */
static void test_long_partial_line_not_flushed(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.max_line_size = 10;
    o.partial_flush_ns = 1; /* due at the next pass */
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "0123456789A");
    for (int i = 0; i < 5; i++) {
        sleep_ms(1);
        assert_int_equal(logtail_poll(lt), 0);
    }
    EXPECT_NONE(t);
    assert_int_equal(logtail_stats(lt)->lines_too_long, 1);
    put(t, "app.log", "BC\nnext\n0123456789\r");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "next");
    put(t, "app.log", "\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "0123456789"); /* exactly the limit, its "\r\n" split over two polls */
    assert_int_equal(logtail_stats(lt)->lines_too_long, 1);
    logtail_free(lt);
}

/* Random appends, polled at random points, against a reference split of the whole content:
 * every block size and line limit gives the same lines. */
static void test_random_chunks_match_reference(void **state)
{
    struct lt_test *t = *state;
    static const char alphabet[] = "ab\n\r\0xyz";
    static const size_t blocks[] = {1, 2, 7, 64}, limits[] = {1, 3, 10};
    uint32_t rnd = 12345;
    for (size_t b = 0; b < 4; b++) {
        for (size_t m = 0; m < 3; m++) {
            struct logtail_opts o = opts_for(t, "*.log");
            o.read_block = blocks[b];
            o.max_line_size = limits[m];
            struct logtail *lt = tailer(t, &o);
            char all[4096];
            size_t len = 0;
            while (len < sizeof(all) - 64) {
                const size_t n = (rnd = rnd * 1103515245u + 12345u) >> 16 & 31;
                for (size_t i = 0; i < n; i++) {
                    rnd = rnd * 1103515245u + 12345u;
                    all[len + i] = alphabet[(rnd >> 16) % (sizeof(alphabet) - 1)];
                }
                put_n(t, "app.log", all + len, n);
                len += n;
                if ((rnd >> 20) & 1) {
                    assert_int_equal(logtail_poll(lt), 0);
                }
            }
            all[len++] = '\n';
            put_n(t, "app.log", all + len - 1, 1);
            assert_int_equal(logtail_poll(lt), 0);
            /* the reference */
            size_t k = 0, start = 0, skipped = 0;
            for (size_t i = 0; i < len; i++) {
                if (all[i] != '\n') {
                    continue;
                }
                size_t n = i - start;
                n -= n > 0 && all[i - 1] == '\r';
                if (n > limits[m]) {
                    skipped++;
                } else {
                    assert_true(k < t->n);
                    assert_int_equal(t->lens[k], n);
                    assert_memory_equal(t->lines[k], all + start, n);
                    k++;
                }
                start = i + 1;
            }
            assert_int_equal(k, t->n);
            assert_int_equal(logtail_stats(lt)->lines_too_long, skipped);
            clear_lines(t);
            logtail_free(lt);
            rm(t, "app.log");
        }
    }
}

/* ---- start_at and new files ---------------------------------------------------------------- */

static void test_start_at_end(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.start_at = LOGTAIL_START_END;
    put(t, "app.log", "old1\nold2\nunfini");
    struct logtail *lt = tailer(t, &o);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT_NONE(t);
    put(t, "app.log", "shed\nnew\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "new"); /* the rest of the line cut at the start is not a line */
    assert_int_equal(t->n, 0);
    logtail_free(lt);
}

static void test_start_at_beginning(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    put(t, "app.log", "old1\nold2\n");
    struct logtail *lt = tailer(t, &o);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "old1", "old2");
    put(t, "app.log", "new\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "new");
    logtail_free(lt);
}

static void test_new_file_read_from_start(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.start_at = LOGTAIL_START_END;
    struct logtail *lt = tailer(t, &o);
    assert_int_equal(logtail_poll(lt), 0);
    put(t, "b.log", "x\ny\n");
    put(t, "b.txt", "not matched\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "x", "y");
    assert_int_equal(logtail_stats(lt)->files_open, 1);
    assert_int_equal(logtail_stats(lt)->rotations, 0);
    logtail_free(lt);
}

/* ---- rotation ----------------------------------------------------------------------------- */

static void test_rename_create(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    mv(t, "app.log", "app.log.1");
    put(t, "app.log.1", "2 written after the rename\n3\n");
    put(t, "app.log", "new 1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "2 written after the rename", "3", "new 1");
    assert_int_equal(logtail_stats(lt)->rotations, 1);
    assert_int_equal(logtail_stats(lt)->files_open, 1);
    put(t, "app.log", "new 2\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "new 2");
    logtail_free(lt);
}

static void test_rename_drain_wait(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.rotate_wait_ns = 30 * 1000000; /* 30 ms */
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    mv(t, "app.log", "app.log.1");
    put(t, "app.log", "new 1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "new 1");
    assert_int_equal(logtail_stats(lt)->files_open, 2); /* the old one is still drained */
    put(t, "app.log.1", "late\nunterminated");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "late");
    for (int i = 0; i < 2000 && logtail_stats(lt)->files_open == 2; i++) {
        sleep_ms(1);
        assert_int_equal(logtail_poll(lt), 0);
    }
    assert_int_equal(logtail_stats(lt)->files_open, 1);
    EXPECT(t, "unterminated"); /* closed for good: nothing can finish that line any more */
    put(t, "app.log.1", "too late\n");
    put(t, "app.log", "new 2\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "new 2");
    logtail_free(lt);
}

static void test_rename_within_glob(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "app.log*");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    mv(t, "app.log", "app.log.1");
    put(t, "app.log.1", "2\n");
    put(t, "app.log", "new\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "2", "new"); /* the renamed file is the same file: not read again */
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT_NONE(t);
    assert_int_equal(logtail_stats(lt)->files_open, 2);
    logtail_free(lt);
}

static void test_copytruncate_with_copy(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n2\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1", "2");
    put(t, "app.log", "3 not read before the rotation\n4\n");
    copy_file(t, "app.log", "app.log.1");
    trunc_to(t, "app.log", 0);
    put(t, "app.log", "5\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "3 not read before the rotation", "4", "5");
    assert_int_equal(logtail_stats(lt)->rotations, 1);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT_NONE(t);
    logtail_free(lt);
}

static void test_copytruncate_copy_matches_glob(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "app.log*");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    put(t, "app.log", "2\n");
    copy_file(t, "app.log", "app.log.1");
    trunc_to(t, "app.log", 0);
    put(t, "app.log", "3\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "2", "3"); /* the copy is used once, not read again as a new file */
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT_NONE(t);
    logtail_free(lt);
}

static void test_copytruncate_without_copy(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n2\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1", "2");
    put(t, "app.log", "lost\n");
    /* stands for a compressed copy: its bytes differ, it cannot be used */
    put(t, "app.log.1.gz", "\x1f\x8b\x08 compressed bytes");
    trunc_to(t, "app.log", 0);
    put(t, "app.log", "3\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "3");
    assert_int_equal(logtail_stats(lt)->rotations, 1);
    logtail_free(lt);
}

static void test_truncation(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n2\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1", "2");
    trunc_to(t, "app.log", 0);
    assert_int_equal(logtail_poll(lt), 0);
    put(t, "app.log", "a\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "a");
    /* truncated and rewritten past the old size between two polls: the fingerprint tells */
    trunc_to(t, "app.log", 0);
    put(t, "app.log", "a much longer first line\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "a much longer first line");
    assert_int_equal(logtail_stats(lt)->rotations, 2);
    logtail_free(lt);
}

static void test_delete_and_recreate(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    put(t, "app.log", "2\n");
    rm(t, "app.log");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1", "2");
    assert_int_equal(logtail_stats(lt)->files_open, 0);
    put(t, "app.log", "3\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "3");
    /* deleted and re-created between two polls */
    put(t, "app.log", "4\n");
    rm(t, "app.log");
    put(t, "app.log", "5\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "4", "5");
    assert_int_equal(logtail_stats(lt)->rotations, 1);
    logtail_free(lt);
}

/* ---- checkpoints -------------------------------------------------------------------------- */

static void test_checkpoint_restore(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n2\npar");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1", "2");
    json_t *cp = checkpoint_roundtrip(lt);
    assert_int_equal(json_array_size(cp), 1);
    assert_int_equal(cp_offset(cp, 0), 4);
    logtail_free(lt);

    put(t, "app.log", "tial\n3\n");
    o.start_at = LOGTAIL_START_END; /* a checkpoint wins over start_at */
    lt = tailer(t, &o);
    const char *why = "unset";
    assert_int_equal(logtail_restore(lt, cp, &why), 1);
    assert_null(why);
    json_decref(cp);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "partial", "3");
    assert_int_equal(logtail_stats(lt)->rotations, 0);
    put(t, "app.log", "4\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "4");
    json_t *empty = json_array();
    assert_int_equal(logtail_restore(lt, empty, &why), -1); /* after the first poll */
    json_decref(empty);
    logtail_free(lt);
}

static void test_restore_rotated_while_down(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    json_t *cp = checkpoint_roundtrip(lt);
    logtail_free(lt);

    put(t, "app.log", "2\n3\n");
    mv(t, "app.log", "app.log.1");
    put(t, "app.log", "new 1\n");
    o.start_at = LOGTAIL_START_END;
    lt = tailer(t, &o);
    assert_int_equal(logtail_restore(lt, cp, NULL), 1);
    json_decref(cp);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "2", "3", "new 1");
    assert_int_equal(logtail_stats(lt)->rotations, 1);
    assert_int_equal(logtail_stats(lt)->files_open, 1);
    logtail_free(lt);
}

static void test_restore_copytruncated_while_down(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    json_t *cp = checkpoint_roundtrip(lt);
    logtail_free(lt);

    put(t, "app.log", "2\n3\n");
    copy_file(t, "app.log", "app.log.1");
    trunc_to(t, "app.log", 0);
    put(t, "app.log", "new 1\n");
    lt = tailer(t, &o);
    assert_int_equal(logtail_restore(lt, cp, NULL), 1);
    json_decref(cp);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "2", "3", "new 1");
    assert_int_equal(logtail_stats(lt)->rotations, 1);
    logtail_free(lt);
}

static void test_restore_fingerprint_differs(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n2\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1", "2");
    json_t *cp = checkpoint_roundtrip(lt);
    logtail_free(lt);

    /* same (dev, ino) and long enough, but another content: inode reuse, read from 0 */
    assert_int_equal(
        json_object_set_new(json_array_get(cp, 0), "fp", json_string("0123456789abcdef")), 0);
    lt = tailer(t, &o);
    assert_int_equal(logtail_restore(lt, cp, NULL), 1);
    json_decref(cp);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1", "2");
    logtail_free(lt);
}

/* A checkpoint written while a rotated-away file was still drained lists it under its old
 * path; the restore finds it under its new name. */
static void test_restore_while_draining(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.rotate_wait_ns = 3600LL * 1000000000;
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    mv(t, "app.log", "app.log.1");
    put(t, "app.log", "new 1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1", "new 1");
    json_t *cp = checkpoint_roundtrip(lt);
    assert_int_equal(json_array_size(cp), 2);
    logtail_free(lt);

    put(t, "app.log.1", "2\n");
    put(t, "app.log", "new 2\n");
    lt = tailer(t, &o);
    assert_int_equal(logtail_restore(lt, cp, NULL), 2);
    json_decref(cp);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "2", "new 2");
    assert_int_equal(logtail_stats(lt)->files_open, 2);
    logtail_free(lt);
}

/* A valid checkpoint entry for dir/app.log at offset 2 (after "1\n"), no fingerprint. */
static json_t *valid_entry(const struct lt_test *t)
{
    char p[PATH_MAX];
    struct stat st;
    tpath(t, "app.log", p);
    assert_int_equal(stat(p, &st), 0);
    json_t *e =
        json_pack("{s:s, s:I, s:I, s:i, s:i, s:s}", "path", p, "dev", (json_int_t)st.st_dev, "ino",
                  (json_int_t)st.st_ino, "offset", 2, "fp_len", 0, "fp", "cbf29ce484222325");
    assert_non_null(e);
    return e;
}

static void test_restore_rejects_garbage(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    put(t, "app.log", "1\n2\n");
    static const struct {
        const char *key, *value, *why; /* value NULL: the key is removed */
    } cases[] = {
        {"path", "5", "checkpoint path is not a non-empty string"},
        {"path", "\"\"", "checkpoint path is not a non-empty string"},
        {"path", NULL, "checkpoint path is not a non-empty string"},
        {"path", "\"/elsewhere/app.log\"", "checkpoint path matches no configured path"},
        {"dev", "\"1\"", "checkpoint dev or ino is not an integer"},
        {"ino", "1.5", "checkpoint dev or ino is not an integer"},
        {"ino", NULL, "checkpoint dev or ino is not an integer"},
        {"offset", "-4", "checkpoint offset is not a non-negative integer"},
        {"offset", "2.0", "checkpoint offset is not a non-negative integer"},
        {"offset", "\"2\"", "checkpoint offset is not a non-negative integer"},
        {"offset", NULL, "checkpoint offset is not a non-negative integer"},
        {"fp_len", "2000", "checkpoint fp_len is not an integer from 0 to 1024"},
        {"fp_len", "-1", "checkpoint fp_len is not an integer from 0 to 1024"},
        {"fp", "\"xyz\"", "checkpoint fp is not 16 hex digits"},
        {"fp", "\"cbf29ce48422232g\"", "checkpoint fp is not 16 hex digits"},
        {"fp", "\"cbf29ce4842223250\"", "checkpoint fp is not 16 hex digits"},
        {"fp", "12345", "checkpoint fp is not 16 hex digits"},
        {"fp", NULL, "checkpoint fp is not 16 hex digits"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *e = valid_entry(t);
        if (cases[i].value) {
            json_t *v = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
            assert_non_null(v);
            assert_int_equal(json_object_set_new(e, cases[i].key, v), 0);
        } else {
            assert_int_equal(json_object_del(e, cases[i].key), 0);
        }
        json_t *in = json_pack("[o]", e);
        struct logtail *lt = tailer(t, &o);
        const char *why = NULL;
        assert_int_equal(logtail_restore(lt, in, &why), 0);
        assert_string_equal(why, cases[i].why);
        json_decref(in);
        logtail_free(lt);
    }

    struct logtail *lt = tailer(t, &o);
    const char *why = NULL;
    json_t *bad = json_pack("{s:i}", "offset", 1);
    assert_int_equal(logtail_restore(lt, bad, &why), -1);
    assert_string_equal(why, "checkpoint is not an array");
    json_decref(bad);
    assert_int_equal(logtail_restore(lt, NULL, &why), -1);
    /* not objects, then the one good entry, then the same (dev, ino) again */
    json_t *in = json_pack("[i, s, n, o, o]", 1, "x", valid_entry(t), valid_entry(t));
    assert_non_null(in);
    why = NULL;
    assert_int_equal(logtail_restore(lt, in, &why), 1);
    assert_string_equal(why, "checkpoint (dev, ino) listed twice");
    json_decref(in);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "2"); /* resumed from the good entry's offset */
    logtail_free(lt);
}

/* The checkpointed file left its directory (or was deleted) while the agent was down: its
 * entry is dropped, the new file at its path read from 0. */
static void test_restore_file_gone_while_down(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    json_t *cp = checkpoint_roundtrip(lt);
    logtail_free(lt);

    char d[PATH_MAX];
    tpath(t, "sub", d);
    assert_int_equal(mkdir(d, 0755), 0);
    mv(t, "app.log", "sub/app.log"); /* keeps the inode alive, out of the directory */
    put(t, "app.log", "new 1\n");
    o.start_at = LOGTAIL_START_END;
    lt = tailer(t, &o);
    assert_int_equal(logtail_restore(lt, cp, NULL), 1);
    json_decref(cp);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "new 1");
    assert_int_equal(logtail_stats(lt)->files_open, 1);
    json_t *now = logtail_checkpoint(lt);
    assert_int_equal(json_array_size(now), 1); /* the old entry was dropped */
    json_decref(now);
    logtail_free(lt);
}

/* ---- inotify, errors, read_all_once -------------------------------------------------------- */

static void test_inotify_wakes(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.use_inotify = 1;
    struct logtail *lt = tailer(t, &o);
    const int fd = logtail_fd(lt);
    assert_true(fd >= 0);
    put(t, "app.log", "created\n");
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    assert_int_equal(logtail_on_events(lt), 0);
    EXPECT(t, "created");
    put(t, "app.log", "appended\n");
    pfd.revents = 0;
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    assert_int_equal(logtail_on_events(lt), 0);
    EXPECT(t, "appended");
    /* the events were drained: nothing pending */
    assert_int_equal(poll(&pfd, 1, 0), 0);
    logtail_free(lt);

    o.use_inotify = 0;
    lt = tailer(t, &o);
    assert_int_equal(logtail_fd(lt), -1);
    logtail_free(lt);
}

static void test_directory_ignored(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    char d[PATH_MAX];
    tpath(t, "dir.log", d);
    assert_int_equal(mkdir(d, 0755), 0);
    put(t, "app.log", "1\n");
    struct logtail *lt = tailer(t, &o);
    assert_int_equal(logtail_poll(lt), 0);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    assert_int_equal(logtail_stats(lt)->read_errors, 1); /* counted once */
    assert_int_equal(logtail_stats(lt)->files_open, 1);
    json_t *cp = logtail_checkpoint(lt);
    assert_int_equal(json_array_size(cp), 1);
    json_decref(cp);
    logtail_free(lt);
}

static void test_unreadable_file(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    char p[PATH_MAX];
    tpath(t, "app.log", p);
    put(t, "app.log", "1\n");
    assert_int_equal(chmod(p, 0), 0);
    struct logtail *lt = tailer(t, &o);
    const int first = logtail_poll(lt);
    if (geteuid() != 0) { /* root reads it anyway */
        assert_int_equal(first, -EACCES);
        assert_int_equal(logtail_poll(lt), 0); /* reported once, retried silently */
        EXPECT_NONE(t);
        assert_int_equal(logtail_stats(lt)->read_errors, 1);
        assert_int_equal(logtail_stats(lt)->files_open, 0);
        assert_int_equal(chmod(p, 0644), 0);
        assert_int_equal(logtail_poll(lt), 0);
    } else {
        assert_int_equal(first, 0);
    }
    EXPECT(t, "1");
    logtail_free(lt);
}

static void test_read_all_once(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    tpath(t, "a.*", t->glob[1]); /* a second glob matching a.log again */
    t->globv[1] = t->glob[1];
    o.npaths = 2;
    o.start_at = LOGTAIL_START_END;
    put(t, "a.log", "a1\na2\nunterminated");
    put(t, "b.log", "b1\n");
    struct logtail *lt = tailer(t, &o);
    assert_int_equal(logtail_read_all_once(lt), 0);
    EXPECT(t, "a1", "a2", "b1");
    assert_int_equal(logtail_read_all_once(lt), 0);
    EXPECT(t, "a1", "a2", "b1"); /* no state kept */
    assert_int_equal(logtail_stats(lt)->lines, 6);
    assert_int_equal(logtail_stats(lt)->files_open, 0);
    logtail_free(lt);
}

static void test_bad_opts_and_defaults(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    assert_null(logtail_new(NULL, collect, t));
    assert_null(logtail_new(&o, NULL, t));
    o.paths = NULL;
    assert_null(logtail_new(&o, collect, t));
    const char *const nullpath[1] = {NULL};
    o.paths = nullpath;
    assert_null(logtail_new(&o, collect, t));

    o = opts_for(t, "*.log");
    o.max_line_size = 0; /* 64 KiB */
    o.read_block = 0;    /* 256 KiB */
    o.partial_flush_ns = -1;
    o.rotate_wait_ns = -1;
    struct logtail *lt = tailer(t, &o);
    const size_t big = 64 * 1024 + 1;
    char *line = malloc(big + 1);
    assert_non_null(line);
    memset(line, 'x', big);
    line[big] = '\n';
    put_n(t, "app.log", line, big - 1); /* exactly 64 KiB: delivered */
    put(t, "app.log", "\n");
    put_n(t, "app.log", line, big + 1);
    put(t, "app.log", "ok\n");
    free(line);
    assert_int_equal(logtail_poll(lt), 0);
    assert_int_equal(t->n, 2);
    assert_int_equal(t->lens[0], 64 * 1024);
    assert_string_equal(t->lines[1], "ok");
    clear_lines(t);
    assert_int_equal(logtail_stats(lt)->lines_too_long, 1);
    logtail_free(lt);
}

static void test_one_file_many_names(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    tpath(t, "app.*", t->glob[1]);
    t->globv[1] = t->glob[1];
    o.npaths = 2;
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    char a[PATH_MAX], b[PATH_MAX];
    tpath(t, "app.log", a);
    tpath(t, "link.log", b);
    assert_int_equal(link(a, b), 0);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1"); /* two globs and a hard link: one file, read once */
    assert_int_equal(logtail_stats(lt)->files_open, 1);
    logtail_free(lt);
}

/* A glob whose directory has wildcards cannot be watched: polling finds its files. */
static void test_wildcard_directory(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "d*/app.log");
    o.use_inotify = 1;
    struct logtail *lt = tailer(t, &o);
    assert_int_equal(logtail_poll(lt), 0);
    char d[PATH_MAX];
    tpath(t, "d1", d);
    assert_int_equal(mkdir(d, 0755), 0);
    put(t, "d1/app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    logtail_free(lt);
}

static void test_inotify_ignores_other_names(void **state)
{
    struct lt_test *t = *state;
    struct logtail_opts o = opts_for(t, "*.log");
    o.use_inotify = 1;
    struct logtail *lt = tailer(t, &o);
    assert_int_equal(logtail_poll(lt), 0);
    put(t, "other.txt", "x\n");
    struct pollfd pfd = {.fd = logtail_fd(lt), .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    assert_int_equal(logtail_on_events(lt), 0);
    assert_int_equal(poll(&pfd, 1, 0), 0);
    EXPECT_NONE(t);
    logtail_free(lt);
}

static void test_copytruncate_newest_copy(void **state)
{
    struct lt_test *t = *state;
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    put(t, "app.log", "1\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "1");
    put(t, "app.log.old", "1\nstale copy\n"); /* same start, older */
    put(t, "app.log", "2\n");
    copy_file(t, "app.log", "app.log.1");
    char p[PATH_MAX];
    tpath(t, "app.log.old", p);
    const struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, p, times, 0), 0);
    trunc_to(t, "app.log", 0);
    put(t, "app.log", "3\n");
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT(t, "2", "3");
    logtail_free(lt);
}

static void test_file_limit(void **state)
{
    struct lt_test *t = *state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 1100) {
        rl.rlim_cur = rl.rlim_max < 1100 ? rl.rlim_max : 1100;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    if (rl.rlim_cur < 1100) {
        skip();
    }
    const struct logtail_opts o = opts_for(t, "*.log");
    struct logtail *lt = tailer(t, &o);
    for (int i = 0; i < 1030; i++) {
        char name[32];
        snprintf(name, sizeof(name), "f%04d.log", i);
        put(t, name, "x\n");
    }
    assert_int_equal(logtail_poll(lt), 0);
    assert_int_equal(t->n, 1024);
    clear_lines(t);
    assert_int_equal(logtail_stats(lt)->files_open, 1024);
    assert_int_equal(logtail_stats(lt)->files_over_limit, 6);
    assert_int_equal(logtail_poll(lt), 0);
    EXPECT_NONE(t);
    logtail_free(lt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_split_across_blocks),
        T(test_line_numbers_and_path),
        T(test_crlf_empty_nul_binary),
        T(test_max_line_size),
        T(test_partial_line_held),
        T(test_partial_flush_after_idle),
        T(test_long_partial_line_not_flushed),
        T(test_random_chunks_match_reference),
        T(test_start_at_end),
        T(test_start_at_beginning),
        T(test_new_file_read_from_start),
        T(test_rename_create),
        T(test_rename_drain_wait),
        T(test_rename_within_glob),
        T(test_copytruncate_with_copy),
        T(test_copytruncate_copy_matches_glob),
        T(test_copytruncate_without_copy),
        T(test_truncation),
        T(test_delete_and_recreate),
        T(test_checkpoint_restore),
        T(test_restore_rotated_while_down),
        T(test_restore_copytruncated_while_down),
        T(test_restore_fingerprint_differs),
        T(test_restore_while_draining),
        T(test_restore_rejects_garbage),
        T(test_restore_file_gone_while_down),
        T(test_inotify_wakes),
        T(test_directory_ignored),
        T(test_unreadable_file),
        T(test_read_all_once),
        T(test_bad_opts_and_defaults),
        T(test_one_file_many_names),
        T(test_wildcard_directory),
        T(test_inotify_ignores_other_names),
        T(test_copytruncate_newest_copy),
        T(test_file_limit),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
