/* Unit tests of the log tailer, part 1: line splitting, long and partial lines, start_at, new
 * files, rename/create, copytruncate, truncation, deletion. Each test works in its own temporary
 * directory and drives logtail_poll() itself. */
#include "logtail_harness.h"

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
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
