/* Unit tests of the /proc/diskstats parser: the 4-, 11-, 15- and 17-counter formats of
 * kernels from 2.6 to 6.x, malformed lines, and sectors that are 512 bytes on every device. */
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "collectors/disk/diskstats.h"

#define MAX_DEVS 32

struct parsed {
    struct diskstats_entry e[MAX_DEVS];
    size_t n;
    size_t malformed;
};

/* Parses tests/fixtures/proc/<rel> into p. */
static void parse_fixture(const char *rel, struct parsed *p)
{
    char path[512];
    struct hw_buf b;
    snprintf(path, sizeof(path), "%s/proc/%s", HW_FIXTURES, rel);
    hw_buf_init(&b);
    assert_int_equal(hw_buf_read_file(&b, path, 1 << 20), 0);
    struct diskstats_iter it;
    diskstats_iter_init(&it, b.data, b.len);
    p->n = 0;
    while (p->n < MAX_DEVS && diskstats_next(&it, &p->e[p->n])) {
        p->n++;
    }
    assert_int_equal(diskstats_next(&it, &p->e[0]), 0);
    p->malformed = it.malformed;
    hw_buf_free(&b);
}

/* The device named exactly name ("sda" is not "sda1"), or a test failure. */
static const struct diskstats_entry *find_dev(const struct parsed *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->e[i].name, name) == 0) {
            return &p->e[i];
        }
    }
    print_error("device \"%s\" not found\n", name);
    fail();
    return NULL;
}

static void assert_counters(const struct diskstats_entry *e, const uint64_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (e->v[i] != want[i]) {
            print_error("%s field %zu: got %llu want %llu\n", e->name, i,
                        (unsigned long long)e->v[i], (unsigned long long)want[i]);
            fail();
        }
    }
    for (size_t i = n; i < DISKSTATS_NFIELDS; i++) {
        assert_int_equal(e->v[i], 0);
        assert_false(diskstats_has(e, (enum diskstats_field)i));
    }
}

static void test_el7_3_10_eleven_fields(void **ctx)
{
    (void)ctx;
    struct parsed p;
    parse_fixture("el7-3.10/diskstats", &p);
    assert_int_equal(p.n, 9);
    assert_int_equal(p.malformed, 0);

    const struct diskstats_entry *e = find_dev(&p, "xvda");
    assert_int_equal(e->major, 202);
    assert_int_equal(e->minor, 0);
    assert_int_equal(e->nfields, 11);
    const uint64_t xvda[] = {18537, 12, 1084218, 21540, 9231, 3352, 436930, 77613, 0, 18234, 99094};
    assert_counters(e, xvda, 11);
    assert_int_equal(e->present, 0x7ff);
    assert_true(diskstats_has(e, DISKSTATS_IO_WEIGHTED_MS));
    assert_false(diskstats_has(e, DISKSTATS_DISCARDS));
    assert_false(diskstats_has(e, DISKSTATS_FLUSHES));

    e = find_dev(&p, "xvda1");
    assert_int_equal(e->minor, 1);
    assert_int_equal(e->v[DISKSTATS_READS], 18437);
    e = find_dev(&p, "dm-0");
    assert_int_equal(e->major, 253);
    assert_int_equal(e->v[DISKSTATS_WRITE_MS], 247015);
    e = find_dev(&p, "md0");
    assert_int_equal(e->major, 9);
    assert_int_equal(e->v[DISKSTATS_WRITE_SECTORS], 96);
    e = find_dev(&p, "loop0");
    assert_int_equal(e->major, 7);
    assert_int_equal(e->nfields, 11);
    e = find_dev(&p, "sr0");
    assert_int_equal(e->v[DISKSTATS_READ_SECTORS], 1024);
}

static void test_debian10_4_19_discards(void **ctx)
{
    (void)ctx;
    struct parsed p;
    parse_fixture("debian10-4.19/diskstats", &p);
    assert_int_equal(p.n, 7);
    assert_int_equal(p.malformed, 0);

    const struct diskstats_entry *e = find_dev(&p, "nvme1n1");
    assert_int_equal(e->nfields, 15);
    const uint64_t nvme1[] = {1893, 0,     96436,  1120, 40211, 2233,    8371032, 180234,
                              2,    62540, 181354, 812,  0,     1662976, 405};
    assert_counters(e, nvme1, 15);
    assert_true(diskstats_has(e, DISKSTATS_DISCARD_MS));
    assert_false(diskstats_has(e, DISKSTATS_FLUSHES));
    assert_false(diskstats_has(e, DISKSTATS_FLUSH_MS));

    e = find_dev(&p, "nvme0n1p15");
    assert_int_equal(e->minor, 3);
    assert_int_equal(e->v[DISKSTATS_READ_SECTORS], 4590);
    e = find_dev(&p, "md127");
    assert_int_equal(e->minor, 127);
    assert_int_equal(e->v[DISKSTATS_WRITE_SECTORS], 70160);
}

static void test_al2023_6_1_flushes(void **ctx)
{
    (void)ctx;
    struct parsed p;
    parse_fixture("al2023-6.1/diskstats", &p);
    assert_int_equal(p.n, 10);
    assert_int_equal(p.malformed, 0);

    const struct diskstats_entry *e = find_dev(&p, "nvme0n1");
    assert_int_equal(e->nfields, 17);
    assert_int_equal(e->present, 0x1ffff);
    const uint64_t nvme0[] = {21245, 58,    1153442, 11234, 45234,   23421, 2124322, 54322, 0,
                              45321, 70234, 1023,    0,     2094080, 562,   11234,   4532};
    assert_counters(e, nvme0, 17);

    e = find_dev(&p, "nvme1n1");
    assert_int_equal(e->v[DISKSTATS_DISCARD_SECTORS], 268435456);
    assert_int_equal(e->v[DISKSTATS_IO_NOW], 3);
    assert_int_equal(e->v[DISKSTATS_FLUSH_MS], 31936);
    e = find_dev(&p, "nvme0n1p128");
    assert_int_equal(e->v[DISKSTATS_READ_SECTORS], 8746);
    e = find_dev(&p, "zram0");
    assert_int_equal(e->major, 252);
    e = find_dev(&p, "loop0");
    assert_int_equal(e->v[DISKSTATS_READ_SECTORS], 37236);
}

/* nvme1n1 is a 4Kn namespace: logical and physical blocks of 4096 bytes. The kernel still
 * counts 512-byte sectors in /proc/diskstats (Documentation/admin-guide/iostats.rst), so its
 * single 4 KiB read shows as 8 sectors: bytes are sectors x 512, never x the block size. */
static void test_4kn_sectors_are_512_bytes(void **ctx)
{
    (void)ctx;
    struct parsed p;
    parse_fixture("linux-6.8-4kn/diskstats", &p);
    assert_int_equal(p.n, 3);

    const struct diskstats_entry *e = find_dev(&p, "nvme1n1");
    assert_int_equal(e->v[DISKSTATS_READS], 1);
    assert_int_equal(e->v[DISKSTATS_READ_SECTORS], 8);
    assert_true(diskstats_bytes(e->v[DISKSTATS_READ_SECTORS]) == 4096.0);
    assert_false(diskstats_bytes(e->v[DISKSTATS_READ_SECTORS]) == 8 * 4096.0);
    assert_int_equal(e->v[DISKSTATS_WRITES], 3);
    assert_int_equal(e->v[DISKSTATS_WRITE_SECTORS], 24);
    assert_true(diskstats_bytes(e->v[DISKSTATS_WRITE_SECTORS]) == 3 * 4096.0);
    assert_int_equal(e->v[DISKSTATS_DISCARD_SECTORS], 2048);
    assert_true(diskstats_bytes(e->v[DISKSTATS_DISCARD_SECTORS]) == 1048576.0);
    assert_int_equal(e->v[DISKSTATS_FLUSHES], 2);
    assert_int_equal(DISKSTATS_SECTOR_BYTES, 512);

    e = find_dev(&p, "nvme0n1");
    assert_true(diskstats_bytes(e->v[DISKSTATS_READ_SECTORS]) == 301248.0 * 512);
    /* No wrap-around in the conversion, even for the largest counter. */
    assert_true(diskstats_bytes(UINT64_MAX) == 18446744073709551615.0 * 512);
}

/* Kernels before 2.6.25 printed partitions with four counters. */
static void test_rhel5_2_6_18_legacy_partitions(void **ctx)
{
    (void)ctx;
    struct parsed p;
    parse_fixture("rhel5-2.6.18/diskstats", &p);
    assert_int_equal(p.n, 4);
    assert_int_equal(p.malformed, 0);

    const struct diskstats_entry *e = find_dev(&p, "sda");
    assert_int_equal(e->nfields, 11);
    assert_int_equal(e->v[DISKSTATS_WRITE_MS], 9811235);

    e = find_dev(&p, "sda2");
    assert_int_equal(e->nfields, 4);
    assert_int_equal(e->v[DISKSTATS_READS], 97573);
    assert_int_equal(e->v[DISKSTATS_READ_SECTORS], 2573134);
    assert_int_equal(e->v[DISKSTATS_WRITES], 1388071);
    assert_int_equal(e->v[DISKSTATS_WRITE_SECTORS], 11104432);
    assert_int_equal(e->v[DISKSTATS_READS_MERGED], 0);
    assert_int_equal(e->v[DISKSTATS_READ_MS], 0);
    assert_true(diskstats_has(e, DISKSTATS_READS));
    assert_true(diskstats_has(e, DISKSTATS_WRITE_SECTORS));
    assert_false(diskstats_has(e, DISKSTATS_READS_MERGED));
    assert_false(diskstats_has(e, DISKSTATS_READ_MS));
    assert_false(diskstats_has(e, DISKSTATS_IO_MS));

    e = find_dev(&p, "sda1");
    assert_int_equal(e->v[DISKSTATS_READS], 81);
    assert_int_equal(e->v[DISKSTATS_READ_SECTORS], 162);
    assert_int_equal(e->v[DISKSTATS_WRITES], 0);
}

static void test_malformed_lines(void **ctx)
{
    (void)ctx;
    struct parsed p;
    parse_fixture("malformed/diskstats", &p);
    assert_int_equal(p.n, 5);
    assert_int_equal(p.malformed, 8);

    /* A future kernel's longer line keeps the 17 known counters. */
    const struct diskstats_entry *e = find_dev(&p, "sdb");
    assert_int_equal(e->nfields, 19);
    assert_int_equal(e->present, 0x1ffff);
    assert_true(e->v[DISKSTATS_READS] == UINT64_MAX);
    assert_int_equal(e->v[DISKSTATS_FLUSH_MS], 17);

    e = find_dev(&p, "sdb1");
    assert_int_equal(e->nfields, 4);
    assert_int_equal(e->v[DISKSTATS_WRITE_SECTORS], 8);

    e = find_dev(&p, "sdb2");
    assert_int_equal(e->nfields, 12);
    assert_true(diskstats_has(e, DISKSTATS_DISCARDS));
    assert_false(diskstats_has(e, DISKSTATS_DISCARDS_MERGED));

    e = find_dev(&p, "sdc"); /* tab separated */
    assert_int_equal(e->major, 8);
    assert_int_equal(e->minor, 32);

    e = find_dev(&p, "dm-1"); /* no final newline */
    assert_int_equal(e->v[DISKSTATS_IO_WEIGHTED_MS], 42);
}

static void test_parse_line(void **ctx)
{
    (void)ctx;
    struct diskstats_entry e;
    /* The length bounds the line: what follows it is not read. */
    const char buf[] = "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 garbage";
    assert_int_equal(diskstats_parse_line(buf, strlen(buf) - strlen(" garbage"), &e), 0);
    assert_string_equal(e.name, "sda");
    assert_int_equal(e.v[DISKSTATS_IO_WEIGHTED_MS], 11);
    assert_int_equal(diskstats_parse_line(buf, strlen(buf), &e), -EINVAL);
    assert_int_equal(diskstats_parse_line("", 0, &e), -EINVAL);
    assert_int_equal(diskstats_parse_line("8 0 sda", 7, &e), -EINVAL);
    assert_int_equal(diskstats_parse_line("8 0 sda 1 2 3 4 5", 17, &e), -EINVAL);
    const char nul[] = "8 0 s\0a 1 2 3 4";
    assert_int_equal(diskstats_parse_line(nul, sizeof(nul) - 1, &e), -EINVAL);

    struct diskstats_iter it;
    diskstats_iter_init(&it, NULL, 0);
    assert_int_equal(diskstats_next(&it, &e), 0);
    diskstats_iter_init(&it, "\n\n  \n", 5);
    assert_int_equal(diskstats_next(&it, &e), 0);
    assert_int_equal(it.malformed, 0);
}

/* Random bytes never crash the parser and never produce an unterminated name. */
static void test_random_input(void **ctx)
{
    (void)ctx;
    static const char alphabet[] = " \t0123456789\nsdab-";
    char text[400];
    uint32_t seed = 777;
    struct diskstats_entry e;
    for (int round = 0; round < 3000; round++) {
        const size_t len = (size_t)(round % (int)sizeof(text));
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        struct diskstats_iter it;
        diskstats_iter_init(&it, text, len);
        while (diskstats_next(&it, &e)) {
            assert_true(strlen(e.name) < sizeof(e.name));
            assert_true(e.nfields == 4 || e.nfields >= 11);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_el7_3_10_eleven_fields),
        cmocka_unit_test(test_debian10_4_19_discards),
        cmocka_unit_test(test_al2023_6_1_flushes),
        cmocka_unit_test(test_4kn_sectors_are_512_bytes),
        cmocka_unit_test(test_rhel5_2_6_18_legacy_partitions),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_parse_line),
        cmocka_unit_test(test_random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
