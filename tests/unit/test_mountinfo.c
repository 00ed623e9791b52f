/* Unit tests of the /proc/<pid>/mountinfo parser on fixtures from several kernels, a
 * container, escaped names and malformed lines. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "collectors/disk/mountinfo.h"

/* Parses tests/fixtures/proc/<rel> into mi. */
static void parse_fixture(const char *rel, struct mountinfo *mi)
{
    char path[512];
    struct hw_buf b;
    snprintf(path, sizeof(path), "%s/proc/%s", HW_FIXTURES, rel);
    hw_buf_init(&b);
    assert_int_equal(hw_buf_read_file(&b, path, 1 << 20), 0);
    assert_int_equal(mountinfo_parse(mi, b.data, b.len), 0);
    hw_buf_free(&b);
}

/* The entry mounted at mnt (the last one when mounted several times), or a test failure. */
static const struct mountinfo_entry *find_mount(const struct mountinfo *mi, const char *mnt)
{
    const struct mountinfo_entry *found = NULL;
    for (size_t i = 0; i < mi->n; i++) {
        if (strcmp(mi->v[i].mountpoint, mnt) == 0) {
            found = &mi->v[i];
        }
    }
    if (!found) {
        print_error("mount point \"%s\" not found\n", mnt);
        fail();
    }
    return found;
}

static void test_el7_3_10(void **ctx)
{
    (void)ctx;
    struct mountinfo mi;
    mountinfo_init(&mi);
    parse_fixture("el7-3.10/mountinfo", &mi);
    assert_int_equal(mi.n, 26);
    assert_int_equal(mi.malformed, 0);
    assert_int_equal(mi.truncated, 0);

    const struct mountinfo_entry *e = &mi.v[0];
    assert_int_equal(e->mount_id, 17);
    assert_int_equal(e->parent_id, 39);
    assert_int_equal(e->major, 0);
    assert_int_equal(e->minor, 17);
    assert_string_equal(e->mountpoint, "/sys");
    assert_string_equal(e->fstype, "sysfs");

    e = find_mount(&mi, "/");
    assert_int_equal(e->mount_id, 39);
    assert_int_equal(e->parent_id, 1);
    assert_int_equal(e->major, 253);
    assert_int_equal(e->minor, 0);
    assert_string_equal(e->root, "/");
    assert_string_equal(e->mount_opts, "rw,relatime");
    assert_string_equal(e->optional, "shared:1");
    assert_string_equal(e->fstype, "xfs");
    assert_string_equal(e->source, "/dev/mapper/centos-root");
    assert_string_equal(e->super_opts, "rw,seclabel,attr2,inode64,noquota");
    assert_false(mountinfo_readonly(e));

    e = find_mount(&mi, "/boot");
    assert_int_equal(e->major, 202);
    assert_int_equal(e->minor, 1);
    assert_string_equal(e->source, "/dev/xvda1");

    e = find_mount(&mi, "/srv/raid");
    assert_string_equal(e->source, "/dev/md0");
    assert_string_equal(e->fstype, "ext4");

    e = find_mount(&mi, "/mnt/nfs");
    assert_string_equal(e->fstype, "nfs4");
    assert_string_equal(e->source, "10.0.0.5:/export/home");

    /* Read-only by the mount options, by both, and a cgroup path with a comma in it. */
    assert_true(mountinfo_readonly(find_mount(&mi, "/sys/fs/cgroup")));
    assert_true(mountinfo_readonly(find_mount(&mi, "/media/cdrom")));
    e = find_mount(&mi, "/sys/fs/cgroup/cpu,cpuacct");
    assert_string_equal(e->super_opts, "rw,seclabel,cpuacct,cpu");
    mountinfo_free(&mi);
}

static void test_debian10_4_19_escapes_and_binds(void **ctx)
{
    (void)ctx;
    struct mountinfo mi;
    mountinfo_init(&mi);
    parse_fixture("debian10-4.19/mountinfo", &mi);
    assert_int_equal(mi.n, 22);
    assert_int_equal(mi.malformed, 0);

    /* \040 is a space in the mount point and in the source. */
    const struct mountinfo_entry *e = find_mount(&mi, "/mnt/My Backup Drive");
    assert_string_equal(e->fstype, "fuse.sshfs");
    assert_string_equal(e->source, "backup@nas:/vol one");
    assert_string_equal(e->optional, "shared:40");

    /* \011 is a tab, \134 a backslash. */
    e = find_mount(&mi, "/srv/tab\tdir");
    assert_string_equal(e->source, "tmp\\fs");
    assert_string_equal(e->super_opts, "rw,size=1024k");

    /* A bind mount: same device as /data, a subdirectory as its root. */
    const struct mountinfo_entry *data = find_mount(&mi, "/data");
    e = find_mount(&mi, "/var/www");
    assert_string_equal(data->root, "/");
    assert_string_equal(e->root, "/exports/www");
    assert_int_equal(e->major, data->major);
    assert_int_equal(e->minor, data->minor);
    assert_int_equal(e->major, 259);
    assert_int_equal(e->minor, 4);
    assert_string_equal(e->source, "/dev/nvme1n1");

    e = find_mount(&mi, "/");
    assert_string_equal(e->source, "/dev/nvme0n1p1");
    /* errors=remount-ro is not the token "ro". */
    assert_string_equal(e->super_opts, "rw,discard,errors=remount-ro");
    assert_false(mountinfo_readonly(e));
    e = find_mount(&mi, "/sys/fs/bpf");
    assert_string_equal(e->source, "none");
    mountinfo_free(&mi);
}

static void test_al2023_6_1(void **ctx)
{
    (void)ctx;
    struct mountinfo mi;
    mountinfo_init(&mi);
    parse_fixture("al2023-6.1/mountinfo", &mi);
    assert_int_equal(mi.n, 30);
    assert_int_equal(mi.malformed, 0);

    const struct mountinfo_entry *e = find_mount(&mi, "/");
    assert_int_equal(e->mount_id, 22);
    assert_string_equal(e->source, "/dev/nvme0n1p1");
    assert_string_equal(e->mount_opts, "rw,noatime");
    e = find_mount(&mi, "/boot/efi");
    assert_string_equal(e->source, "/dev/nvme0n1p128");
    assert_int_equal(e->minor, 3);
    e = find_mount(&mi, "/var/lib/mysql");
    assert_string_equal(e->source, "/dev/mapper/vg_db-lv_mysql");
    e = find_mount(&mi, "/opt/snap");
    assert_string_equal(e->source, "/dev/loop0");
    assert_true(mountinfo_readonly(e));
    e = find_mount(&mi, "/srv/data");
    assert_string_equal(e->root, "/srv");
    e = find_mount(&mi, "/run/credentials/systemd-sysctl.service");
    assert_true(mountinfo_readonly(e));
    e = find_mount(&mi, "/mnt/efs");
    assert_string_equal(e->source, "fs-0123456789abcdef0.efs.eu-west-1.amazonaws.com:/");
    /* rw mount of a superblock the kernel turned read-only. */
    e = find_mount(&mi, "/scratch");
    assert_string_equal(e->mount_opts, "rw,noatime");
    assert_true(mountinfo_readonly(e));
    mountinfo_free(&mi);
}

static void test_docker_overlay(void **ctx)
{
    (void)ctx;
    struct mountinfo mi;
    mountinfo_init(&mi);
    parse_fixture("docker-al2023-6.1/mountinfo", &mi);
    assert_int_equal(mi.n, 22);
    assert_int_equal(mi.malformed, 0);

    const struct mountinfo_entry *e = find_mount(&mi, "/");
    assert_string_equal(e->fstype, "overlay");
    assert_string_equal(e->source, "overlay");
    assert_string_equal(e->optional, "master:221");
    e = find_mount(&mi, "/proc");
    assert_string_equal(e->optional, "");
    e = find_mount(&mi, "/etc/hosts");
    assert_string_equal(e->root, "/var/lib/docker/containers/8f3c1a/hosts");
    assert_string_equal(e->source, "/dev/nvme0n1p1");
    assert_string_equal(e->optional, "");
    e = find_mount(&mi, "/rootfs");
    assert_true(mountinfo_readonly(e)); /* ro bind of a rw superblock */
    assert_string_equal(e->super_opts,
                        "rw,seclabel,attr2,inode64,logbufs=8,logbsize=32k,sunit=1024,"
                        "swidth=1024,noquota");
    e = find_mount(&mi, "/proc/kcore");
    assert_string_equal(e->root, "/null");
    mountinfo_free(&mi);
}

static void test_malformed_lines(void **ctx)
{
    (void)ctx;
    struct mountinfo mi;
    mountinfo_init(&mi);
    parse_fixture("malformed/mountinfo", &mi);
    assert_int_equal(mi.n, 6);
    assert_int_equal(mi.malformed, 12);
    assert_string_equal(mi.v[0].mountpoint, "/");

    const struct mountinfo_entry *e = find_mount(&mi, "/empty-source");
    assert_string_equal(e->source, "");
    assert_string_equal(e->fstype, "tmpfs");
    assert_string_equal(e->super_opts, "rw");
    assert_string_equal(e->optional, "shared:7 master:3 propagate_from:2 unbindable");

    e = find_mount(&mi, "/no-super-opts");
    assert_string_equal(e->source, "none");
    assert_string_equal(e->super_opts, "");
    assert_false(mountinfo_readonly(e));

    e = find_mount(&mi, "/future field");
    assert_string_equal(e->super_opts, "rw,size=4k");

    /* Backslashes that are not three octal digits of a byte stay as they are. */
    e = find_mount(&mi, "/odd\\\\escape\\09x\\400");
    assert_int_equal(e->mount_id, 43);

    e = find_mount(&mi, "/no-newline");
    assert_true(mountinfo_readonly(e));
    mountinfo_free(&mi);
}

static void test_unescape(void **ctx)
{
    (void)ctx;
    char s1[] = "/a\\040b\\011c\\012d\\134e";
    assert_int_equal(mountinfo_unescape(s1), 10);
    assert_string_equal(s1, "/a b\tc\nd\\e");
    char s2[] = "\\000x\\400\\04\\";
    assert_int_equal(mountinfo_unescape(s2), strlen("\\000x\\400\\04\\"));
    assert_string_equal(s2, "\\000x\\400\\04\\");
    char s3[] = "\\101\\377";
    assert_int_equal(mountinfo_unescape(s3), 2);
    assert_string_equal(s3, "A\xff");
    char s4[] = "";
    assert_int_equal(mountinfo_unescape(s4), 0);
}

static void test_has_opt(void **ctx)
{
    (void)ctx;
    assert_true(mountinfo_has_opt("ro", "ro"));
    assert_true(mountinfo_has_opt("rw,ro", "ro"));
    assert_true(mountinfo_has_opt("ro,noatime", "ro"));
    assert_true(mountinfo_has_opt("a,,ro,", "ro"));
    assert_false(mountinfo_has_opt("rw,errors=remount-ro", "ro"));
    assert_false(mountinfo_has_opt("rootcontext=x,rw", "ro"));
    assert_false(mountinfo_has_opt("", "ro"));
    assert_false(mountinfo_has_opt("r", "ro"));

    struct mountinfo_entry e = {.mount_opts = "rw", .super_opts = "rw,emergency_ro"};
    assert_true(mountinfo_readonly(&e));
    e.super_opts = "rw,errors=remount-ro";
    assert_false(mountinfo_readonly(&e));
}

/* More than MOUNTINFO_MAX_MOUNTS lines: the rest is counted, and a later small parse reuses
 * the table. */
static void test_bounded_and_reused(void **ctx)
{
    (void)ctx;
    const size_t lines = MOUNTINFO_MAX_MOUNTS + 904;
    struct hw_buf b;
    hw_buf_init(&b);
    for (size_t i = 0; i < lines; i++) {
        hw_buf_printf(&b, "%zu 1 0:%zu / /mnt/m%zu rw - tmpfs tmpfs rw\n", i + 2, i, i);
    }
    assert_false(b.oom);
    struct mountinfo mi;
    mountinfo_init(&mi);
    assert_int_equal(mountinfo_parse(&mi, b.data, b.len), 0);
    assert_int_equal(mi.n, MOUNTINFO_MAX_MOUNTS);
    assert_int_equal(mi.truncated, 904);
    assert_string_equal(mi.v[MOUNTINFO_MAX_MOUNTS - 1].mountpoint, "/mnt/m4095");

    const char small[] = "7 1 8:1 / /x rw - ext4 /dev/sda1 rw\n";
    assert_int_equal(mountinfo_parse(&mi, small, strlen(small)), 0);
    assert_int_equal(mi.n, 1);
    assert_int_equal(mi.truncated, 0);
    assert_string_equal(mi.v[0].source, "/dev/sda1");

    assert_int_equal(mountinfo_parse(&mi, NULL, 0), 0);
    assert_int_equal(mi.n, 0);
    mountinfo_free(&mi);
    hw_buf_free(&b);
}

/* Random bytes drawn from the characters that matter to the parser never crash it, and every
 * entry it returns has its mandatory fields. */
static void test_random_input(void **ctx)
{
    (void)ctx;
    static const char alphabet[] = " -:0123456789/\\\nabro,";
    char text[512];
    uint32_t seed = 12345;
    struct mountinfo mi;
    mountinfo_init(&mi);
    for (int round = 0; round < 3000; round++) {
        const size_t len = (size_t)(round % (int)sizeof(text));
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] =
                (seed >> 16) % 50 == 0 ? '\0' : alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        assert_int_equal(mountinfo_parse(&mi, text, len), 0);
        for (size_t i = 0; i < mi.n; i++) {
            assert_true(mi.v[i].mountpoint[0] != '\0');
            assert_true(mi.v[i].fstype[0] != '\0');
            assert_non_null(mi.v[i].super_opts);
        }
    }
    mountinfo_free(&mi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_el7_3_10),
        cmocka_unit_test(test_debian10_4_19_escapes_and_binds),
        cmocka_unit_test(test_al2023_6_1),
        cmocka_unit_test(test_docker_overlay),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_has_opt),
        cmocka_unit_test(test_bounded_and_reused),
        cmocka_unit_test(test_random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
