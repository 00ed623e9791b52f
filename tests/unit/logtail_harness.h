/* The log tailer tests' harness: a temporary directory per test, file helpers, and a
 * callback collecting delivered lines. Shared by test_logtail.c and test_logtail_state.c. */
#ifndef HW_LOGTAIL_HARNESS_H
#define HW_LOGTAIL_HARNESS_H

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

#include "collectors/tail/logtail.h"

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

static inline void collect(void *arg, const struct logtail_file_info *f, const char *line, size_t len)
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

static inline void clear_lines(struct lt_test *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->lines[i]);
        free(t->paths[i]);
    }
    t->n = 0;
}

/* Asserts exactly these lines were delivered since the last check, then forgets them. */
static inline void expect_lines(struct lt_test *t, const char *const *want, size_t n)
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

static inline int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static inline int setup(void **state)
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

static inline int teardown(void **state)
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

static inline void tpath(const struct lt_test *t, const char *name, char *out)
{
    const int n = snprintf(out, PATH_MAX, "%s/%s", t->dir, name);
    assert_true(n > 0 && n < PATH_MAX);
}

/* Appends len bytes to dir/name (created when missing). */
static inline void put_n(const struct lt_test *t, const char *name, const char *data, size_t len)
{
    char p[PATH_MAX];
    tpath(t, name, p);
    const int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static inline void put(const struct lt_test *t, const char *name, const char *s)
{
    put_n(t, name, s, strlen(s));
}

static inline void mv(const struct lt_test *t, const char *from, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    tpath(t, from, a);
    tpath(t, to, b);
    assert_int_equal(rename(a, b), 0);
}

static inline void rm(const struct lt_test *t, const char *name)
{
    char p[PATH_MAX];
    tpath(t, name, p);
    assert_int_equal(unlink(p), 0);
}

static inline void trunc_to(const struct lt_test *t, const char *name, off_t size)
{
    char p[PATH_MAX];
    tpath(t, name, p);
    assert_int_equal(truncate(p, size), 0);
}

/* cp from to: what logrotate's copytruncate does before truncating. */
static inline void copy_file(const struct lt_test *t, const char *from, const char *to)
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

static inline void sleep_ms(long ms)
{
    const struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    assert_int_equal(nanosleep(&ts, NULL), 0);
}

/* Options for one glob under the test directory: from the beginning, 7-byte reads, lines of at
 * most 64 bytes, no partial flush, no rotate wait, no inotify. */
static inline struct logtail_opts opts_for(struct lt_test *t, const char *glob)
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

static inline struct logtail *tailer(struct lt_test *t, const struct logtail_opts *o)
{
    struct logtail *lt = logtail_new(o, collect, t);
    assert_non_null(lt);
    return lt;
}

/* The checkpoint through text and back, as the state file does. */
static inline json_t *checkpoint_roundtrip(const struct logtail *lt)
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

static inline json_int_t cp_offset(const json_t *cp, size_t i)
{
    const json_t *v = json_object_get(json_array_get(cp, i), "offset");
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

#endif
