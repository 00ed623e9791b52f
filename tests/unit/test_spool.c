/* Unit tests for the on-disk spool: order across restarts, bounds, corruption handling,
 * expiry, sequence numbers, unusable directories. Each test works in its own mkdtemp dir. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporters/push/spool.h"

#define MIB (1024u * 1024u)
#define ENTRY(len) ((uint64_t)SPOOL_HEADER_SIZE + (len))

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/hw-spool-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    char *copy = strdup(d);
    assert_non_null(copy);
    return copy;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP) {
        (void)chmod(path, 0700); /* undo the unwritable-directory test before rmdir */
    }
    return remove(path);
}

static void rm_tree(char *dir)
{
    (void)chmod(dir, 0700);
    assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(dir);
}

static void entry_path(char *buf, size_t len, const char *dir, uint64_t seq, const char *ext)
{
    snprintf(buf, len, "%s/%020" PRIu64 "%s", dir, seq, ext);
}

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static struct spool *open_ok(const char *dir, uint64_t max_bytes)
{
    char err[512] = "";
    struct spool *sp = spool_open(dir, max_bytes, err, sizeof(err));
    if (!sp) {
        fail_msg("spool_open: %s", err);
    }
    return sp;
}

static void push_text(struct spool *sp, const char *text, int64_t ts)
{
    assert_int_equal(spool_push(sp, text, strlen(text), ts, SPOOL_KIND_CLOUDWATCH_QUERY_GZIP), 0);
}

/* Peeks the oldest entry, checks its text, pops it and returns its seq. */
static uint64_t expect_pop(struct spool *sp, const char *text)
{
    struct spool_entry e;
    assert_int_equal(spool_peek(sp, &e), 1);
    assert_int_equal(e.len, strlen(text));
    assert_memory_equal(e.data, text, e.len);
    assert_int_equal(((const char *)e.data)[e.len], '\0');
    const uint64_t seq = e.seq;
    spool_entry_free(&e);
    assert_null(e.data);
    assert_int_equal(spool_pop(sp, seq), 0);
    return seq;
}

static void expect_empty(struct spool *sp)
{
    struct spool_entry e;
    assert_int_equal(spool_peek(sp, &e), 0);
    assert_null(e.data);
    assert_int_equal(spool_stats(sp)->entries, 0);
    assert_int_equal(spool_stats(sp)->bytes, 0);
}

static void test_order_across_reopen(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, MIB);
    push_text(sp, "first", 100);
    assert_int_equal(spool_push(sp, "\0\1\2binary", 9, -5, 7), 0);
    push_text(sp, "third", 300);
    assert_int_equal(spool_push(sp, NULL, 0, 400, 2), 0);
    assert_int_equal(spool_stats(sp)->entries, 4);
    assert_int_equal(spool_stats(sp)->bytes, ENTRY(5) + ENTRY(9) + ENTRY(5) + ENTRY(0));
    spool_close(sp);

    sp = open_ok(dir, MIB);
    assert_int_equal(spool_stats(sp)->entries, 4);
    assert_int_equal(spool_stats(sp)->corrupt_entries, 0);
    const uint64_t s1 = expect_pop(sp, "first");
    struct spool_entry e;
    assert_int_equal(spool_peek(sp, &e), 1);
    assert_int_equal(e.len, 9);
    assert_memory_equal(e.data, "\0\1\2binary", 9);
    assert_int_equal(e.oldest_ts_ms, -5);
    assert_int_equal(e.kind, 7);
    assert_true(e.seq > s1);
    spool_entry_free(&e);
    spool_entry_free(&e); /* repeat is harmless */
    spool_close(sp);      /* not popped: delivered again after a restart */

    sp = open_ok(dir, MIB);
    assert_int_equal(spool_stats(sp)->entries, 3);
    assert_int_equal(spool_peek(sp, &e), 1);
    assert_int_equal(e.kind, 7);
    assert_int_equal(spool_pop(sp, e.seq), 0);
    assert_int_equal(spool_pop(sp, e.seq), -ENOENT);
    spool_entry_free(&e);
    assert_int_equal(spool_peek(sp, &e), 1);
    assert_int_equal(e.oldest_ts_ms, 300);
    assert_int_equal(e.kind, SPOOL_KIND_CLOUDWATCH_QUERY_GZIP);
    spool_entry_free(&e);
    expect_pop(sp, "third");
    assert_int_equal(spool_peek(sp, &e), 1);
    assert_int_equal(e.len, 0);
    assert_non_null(e.data);
    assert_int_equal(spool_pop(sp, e.seq), 0);
    spool_entry_free(&e);
    expect_empty(sp);
    spool_close(sp);

    sp = open_ok(dir, MIB);
    expect_empty(sp);
    spool_close(sp);
    rm_tree(dir);
}

/* Numbers keep increasing across restarts, also when the spool was drained in between. */
static void test_seq_increases_after_reopen(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, MIB);
    push_text(sp, "a", 1);
    push_text(sp, "b", 2);
    spool_close(sp);

    sp = open_ok(dir, MIB);
    push_text(sp, "c", 3);
    const uint64_t a = expect_pop(sp, "a");
    const uint64_t b = expect_pop(sp, "b");
    const uint64_t c = expect_pop(sp, "c");
    assert_true(a < b && b < c);
    spool_close(sp);

    sp = open_ok(dir, MIB);
    push_text(sp, "d", 4);
    const uint64_t d = expect_pop(sp, "d");
    assert_true(d > c);
    spool_close(sp);

    /* A damaged next-seq file: the entry names still give the floor. */
    sp = open_ok(dir, MIB);
    push_text(sp, "e", 5);
    spool_close(sp);
    char path[600];
    snprintf(path, sizeof(path), "%s/next-seq", dir);
    write_file(path, "garbage", 7);
    sp = open_ok(dir, MIB);
    push_text(sp, "f", 6);
    const uint64_t e = expect_pop(sp, "e");
    const uint64_t f = expect_pop(sp, "f");
    assert_true(d < e && e < f);
    spool_close(sp);
    rm_tree(dir);
}

static void test_bound_exact_and_one_over(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, 3 * ENTRY(10));
    push_text(sp, "0123456789", 1);
    push_text(sp, "abcdefghij", 2);
    push_text(sp, "ABCDEFGHIJ", 3);
    assert_int_equal(spool_stats(sp)->bytes, 3 * ENTRY(10)); /* exactly reached: all kept */
    assert_int_equal(spool_stats(sp)->dropped_entries, 0);
    spool_close(sp);

    sp = open_ok(dir, 3 * ENTRY(10) - 1); /* a smaller bound at restart trims the oldest */
    assert_int_equal(spool_stats(sp)->entries, 2);
    assert_int_equal(spool_stats(sp)->dropped_entries, 1);
    assert_int_equal(spool_stats(sp)->dropped_bytes, ENTRY(10));
    push_text(sp, "klmnopqrst", 4); /* one byte over: the oldest goes */
    assert_int_equal(spool_stats(sp)->entries, 2);
    assert_int_equal(spool_stats(sp)->dropped_entries, 2);
    assert_int_equal(spool_stats(sp)->dropped_bytes, 2 * ENTRY(10));
    assert_int_equal(spool_stats(sp)->bytes, 2 * ENTRY(10));
    expect_pop(sp, "ABCDEFGHIJ");
    expect_pop(sp, "klmnopqrst");
    expect_empty(sp);
    spool_close(sp);

    sp = open_ok(dir, ENTRY(4) + ENTRY(5)); /* a larger entry evicts several small ones */
    push_text(sp, "abcd", 1);
    push_text(sp, "efghi", 2);
    push_text(sp, "0123456", 3);
    assert_int_equal(spool_stats(sp)->entries, 1);
    assert_int_equal(spool_stats(sp)->dropped_entries, 2);
    expect_pop(sp, "0123456");
    spool_close(sp);
    rm_tree(dir);
}

static void test_too_large_refused(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, ENTRY(8));
    push_text(sp, "small", 1);
    assert_int_equal(spool_push(sp, "123456789", 9, 2, 1), -EFBIG);
    assert_int_equal(spool_stats(sp)->refused_entries, 1);
    assert_int_equal(spool_stats(sp)->entries, 1); /* nothing dropped for a refused entry */
    assert_int_equal(spool_stats(sp)->dropped_entries, 0);
    assert_int_equal(spool_push(sp, NULL, 3, 2, 1), -EINVAL);
    push_text(sp, "12345678", 3); /* exactly the bound alone: accepted, the rest goes */
    assert_int_equal(spool_stats(sp)->dropped_entries, 1);
    expect_pop(sp, "12345678");
    spool_close(sp);

    char err[512];
    assert_null(spool_open(dir, SPOOL_HEADER_SIZE - 1, err, sizeof(err)));
    assert_non_null(strstr(err, dir));
    rm_tree(dir);
}

static int seq_cmp(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The sequence numbers of the <seq>.entry files in dir, ascending. */
static size_t list_seqs(const char *dir, uint64_t *out, size_t max)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *end = NULL;
        const unsigned long long v = strtoull(de->d_name, &end, 10);
        if (end == de->d_name + 20 && strcmp(end, ".entry") == 0) {
            assert_true(n < max);
            out[n++] = v;
        }
    }
    assert_int_equal(closedir(d), 0);
    if (n > 0) {
        qsort(out, n, sizeof(out[0]), seq_cmp);
    }
    return n;
}

static void flip_byte(const char *path, long off)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    const int c = fgetc(f);
    assert_int_not_equal(c, EOF);
    assert_int_equal(fseek(f, off, SEEK_SET), 0);
    assert_int_not_equal(fputc(c ^ 0x20, f), EOF);
    assert_int_equal(fclose(f), 0);
}

/* Every kind of damage found at open is set aside and counted, never trusted; the good entries
 * still come out in order and files that are not ours stay untouched. */
static void test_corruption_at_open(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, MIB);
    static const char *const texts[] = {"good-1", "flipped", "truncated", "garbage",
                                        "empty",  "good-2",  "header",    "good-3"};
    for (size_t i = 0; i < 8; i++) {
        push_text(sp, texts[i], (int64_t)i);
    }
    spool_close(sp);
    uint64_t seq[8];
    assert_int_equal(list_seqs(dir, seq, 8), 8);
    char path[600];
    entry_path(path, sizeof(path), dir, seq[1], ".entry");
    flip_byte(path, SPOOL_HEADER_SIZE + 2);
    entry_path(path, sizeof(path), dir, seq[2], ".entry");
    assert_int_equal(truncate(path, SPOOL_HEADER_SIZE + 2), 0);
    entry_path(path, sizeof(path), dir, seq[3], ".entry");
    write_file(path, "this is not a spool entry at all, just some text", 48);
    entry_path(path, sizeof(path), dir, seq[4], ".entry");
    write_file(path, "", 0);
    entry_path(path, sizeof(path), dir, seq[6], ".entry");
    flip_byte(path, 17); /* oldest_ts_ms: the CRC covers the header too */
    entry_path(path, sizeof(path), dir, seq[7] + 1, ".entry.tmp"); /* a crash mid-write */
    write_file(path, "HWSPOOL1 partial", 16);
    char tmp_path[600];
    snprintf(tmp_path, sizeof(tmp_path), "%s", path);
    static const char *const foreign[] = {"notes.txt", "123.entry", "00000000000000000001.bak",
                                          "000000000000000000001.entry"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, foreign[i]);
        write_file(path, "x", 1);
    }

    sp = open_ok(dir, MIB);
    assert_int_equal(spool_stats(sp)->corrupt_entries, 5);
    assert_int_equal(spool_stats(sp)->entries, 3);
    assert_false(exists(tmp_path));
    for (size_t i = 0; i < 8; i++) {
        const int bad = i != 0 && i != 5 && i != 7;
        entry_path(path, sizeof(path), dir, seq[i], ".entry.corrupt");
        assert_int_equal(exists(path), bad);
        entry_path(path, sizeof(path), dir, seq[i], ".entry");
        assert_int_equal(exists(path), !bad);
    }
    expect_pop(sp, "good-1");
    expect_pop(sp, "good-2");
    expect_pop(sp, "good-3");
    expect_empty(sp);
    spool_close(sp);
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, foreign[i]);
        assert_true(exists(path));
    }
    sp = open_ok(dir, MIB); /* set-aside files are not looked at again */
    assert_int_equal(spool_stats(sp)->corrupt_entries, 0);
    expect_empty(sp);
    spool_close(sp);
    rm_tree(dir);
}

/* Damage that happens after open is found by spool_peek, which skips to the next entry. */
static void test_corruption_at_peek(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, MIB);
    push_text(sp, "one", 1);
    push_text(sp, "two", 2);
    push_text(sp, "three", 3);
    push_text(sp, "four", 4);
    push_text(sp, "five", 5);
    uint64_t seq[5];
    assert_int_equal(list_seqs(dir, seq, 5), 5);
    char path[600], target[600];
    entry_path(path, sizeof(path), dir, seq[1], ".entry");
    flip_byte(path, SPOOL_HEADER_SIZE);
    entry_path(path, sizeof(path), dir, seq[2], ".entry");
    assert_int_equal(unlink(path), 0);
    entry_path(path, sizeof(path), dir, seq[3], ".entry");
    entry_path(target, sizeof(target), dir, seq[4], ".entry");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(target, path), 0); /* not ours: left alone, not followed */
    expect_pop(sp, "one");
    expect_pop(sp, "five");
    assert_int_equal(spool_stats(sp)->corrupt_entries, 3);
    expect_empty(sp);
    entry_path(path, sizeof(path), dir, seq[1], ".entry.corrupt");
    assert_true(exists(path));
    entry_path(path, sizeof(path), dir, seq[3], ".entry");
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    spool_close(sp);

    sp = open_ok(dir, MIB); /* the dangling symlink is ignored at open too */
    assert_int_equal(spool_stats(sp)->corrupt_entries, 0);
    expect_empty(sp);
    spool_close(sp);
    rm_tree(dir);
}

/* Only a few damaged files are kept for inspection; the rest are deleted (still counted). */
static void test_aside_is_bounded(void **state)
{
    (void)state;
    char *dir = tmpdir();
    char path[600];
    for (uint64_t i = 1; i <= SPOOL_MAX_ASIDE + 10; i++) {
        entry_path(path, sizeof(path), dir, i, ".entry");
        write_file(path, "", 0);
    }
    struct spool *sp = open_ok(dir, MIB);
    assert_int_equal(spool_stats(sp)->corrupt_entries, SPOOL_MAX_ASIDE + 10);
    expect_empty(sp);
    push_text(sp, "after", 1);
    assert_true(expect_pop(sp, "after") > SPOOL_MAX_ASIDE + 10);
    spool_close(sp);
    size_t aside = 0;
    for (uint64_t i = 1; i <= SPOOL_MAX_ASIDE + 10; i++) {
        entry_path(path, sizeof(path), dir, i, ".entry.corrupt");
        aside += exists(path) ? 1 : 0;
    }
    assert_int_equal(aside, SPOOL_MAX_ASIDE);

    /* The files already set aside count at the next open too. */
    for (uint64_t i = 1001; i <= 1005; i++) {
        entry_path(path, sizeof(path), dir, i, ".entry");
        write_file(path, "", 0);
    }
    sp = open_ok(dir, MIB);
    assert_int_equal(spool_stats(sp)->corrupt_entries, 5);
    spool_close(sp);
    for (uint64_t i = 1001; i <= 1005; i++) {
        entry_path(path, sizeof(path), dir, i, ".entry.corrupt");
        assert_false(exists(path));
        entry_path(path, sizeof(path), dir, i, ".entry");
        assert_false(exists(path));
    }
    rm_tree(dir);
}

static void test_drop_older_than(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, MIB);
    push_text(sp, "t100", 100);
    push_text(sp, "t300", 300);
    push_text(sp, "t50", 50);
    push_text(sp, "t150", 150);
    push_text(sp, "t200", 200);
    assert_int_equal(spool_drop_older_than(sp, 150), 2); /* strictly older only */
    assert_int_equal(spool_stats(sp)->expired_entries, 2);
    assert_int_equal(spool_stats(sp)->entries, 3);
    assert_int_equal(spool_stats(sp)->bytes, ENTRY(4) * 3);
    assert_int_equal(spool_drop_older_than(sp, 150), 0);
    expect_pop(sp, "t300");
    spool_close(sp);

    sp = open_ok(dir, MIB);
    assert_int_equal(spool_stats(sp)->entries, 2);
    assert_int_equal(spool_drop_older_than(sp, 201), 2);
    expect_empty(sp);
    push_text(sp, "new", 500); /* the index still works after a full expiry */
    expect_pop(sp, "new");
    spool_close(sp);
    rm_tree(dir);
}

/* Popping out of order (e.g. a permanently rejected entry) keeps the rest in order. */
static void test_pop_middle(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, MIB);
    push_text(sp, "a", 1);
    push_text(sp, "b", 2);
    push_text(sp, "c", 3);
    uint64_t seq[3];
    assert_int_equal(list_seqs(dir, seq, 3), 3);
    assert_int_equal(spool_pop(sp, seq[1]), 0);
    assert_int_equal(spool_pop(sp, seq[1]), -ENOENT);
    assert_int_equal(spool_pop(sp, seq[2] + 1000), -ENOENT);
    assert_int_equal(expect_pop(sp, "a"), seq[0]);
    assert_int_equal(expect_pop(sp, "c"), seq[2]);
    expect_empty(sp);
    spool_close(sp);
    rm_tree(dir);
}

static void test_creates_parents_and_locks(void **state)
{
    (void)state;
    char *dir = tmpdir();
    char sub[600];
    snprintf(sub, sizeof(sub), "%s/a/b/spool", dir);
    struct spool *sp = open_ok(sub, MIB);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(sub, sizeof(sub), "%s/a", dir);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(sub, sizeof(sub), "%s/a/b/spool", dir);
    char err[800] = "";
    assert_null(spool_open(sub, MIB, err, sizeof(err)));
    assert_non_null(strstr(err, sub));
    assert_non_null(strstr(err, "in use"));
    spool_close(sp);
    sp = open_ok(sub, MIB); /* the lock goes with close */
    spool_close(sp);
    spool_close(NULL);
    rm_tree(dir);
}

static void test_unusable_directory(void **state)
{
    (void)state;
    char *dir = tmpdir();
    char file[600], path[700], err[900] = "";
    snprintf(file, sizeof(file), "%s/plain", dir);
    write_file(file, "x", 1);
    snprintf(path, sizeof(path), "%s/spool", file); /* under a regular file */
    assert_null(spool_open(path, MIB, err, sizeof(err)));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, strerror(ENOTDIR)));
    assert_null(spool_open(file, MIB, err, sizeof(err))); /* a regular file itself */
    assert_non_null(strstr(err, file));
    assert_non_null(strstr(err, strerror(ENOTDIR)));
    assert_null(spool_open(file, MIB, NULL, 0)); /* no message buffer is fine */
    assert_null(spool_open("", MIB, err, sizeof(err)));
    if (geteuid() != 0) { /* root bypasses permission bits */
        snprintf(path, sizeof(path), "%s/ro", dir);
        assert_int_equal(mkdir(path, 0500), 0);
        assert_null(spool_open(path, MIB, err, sizeof(err)));
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, strerror(EACCES)));
        snprintf(path, sizeof(path), "%s/ro/sub", dir);
        assert_null(spool_open(path, MIB, err, sizeof(err)));
        assert_non_null(strstr(err, strerror(EACCES)));
    }
    rm_tree(dir);
}

/* Thousands of entries keep their order across pushes, pops and a restart in the middle. */
static void test_many_entries(void **state)
{
    (void)state;
    char *dir = tmpdir();
    struct spool *sp = open_ok(dir, MIB);
    char text[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(text, sizeof(text), "m-%05d", i);
        push_text(sp, text, i);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(text, sizeof(text), "m-%05d", i);
        expect_pop(sp, text);
    }
    spool_close(sp);
    sp = open_ok(dir, MIB);
    assert_int_equal(spool_stats(sp)->entries, 1000);
    for (int i = 2000; i < 2500; i++) {
        snprintf(text, sizeof(text), "m-%05d", i);
        push_text(sp, text, i);
    }
    for (int i = 1000; i < 2500; i++) {
        snprintf(text, sizeof(text), "m-%05d", i);
        expect_pop(sp, text);
    }
    expect_empty(sp);
    spool_close(sp);
    rm_tree(dir);
}

static const struct CMUnitTest spool_tests[] = {
    cmocka_unit_test(test_order_across_reopen),
    cmocka_unit_test(test_seq_increases_after_reopen),
    cmocka_unit_test(test_bound_exact_and_one_over),
    cmocka_unit_test(test_too_large_refused),
    cmocka_unit_test(test_corruption_at_open),
    cmocka_unit_test(test_corruption_at_peek),
    cmocka_unit_test(test_aside_is_bounded),
    cmocka_unit_test(test_drop_older_than),
    cmocka_unit_test(test_pop_middle),
    cmocka_unit_test(test_creates_parents_and_locks),
    cmocka_unit_test(test_unusable_directory),
    cmocka_unit_test(test_many_entries),
};

int main(void)
{
    return cmocka_run_group_tests(spool_tests, NULL, NULL);
}
