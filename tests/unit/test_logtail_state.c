/* Unit tests of the log tailer, part 2: checkpoints and restore (also after a rotation while
 * down), inotify wake-ups, errors, read_all_once, limits. */
#include "logtail_harness.h"

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
