/* Parser of /proc/<pid>/mountinfo text (proc(5)); pure, no I/O, so tests and fuzzers feed it
 * bytes. Strings are unescaped copies owned by the table and valid until the next parse. */
#ifndef HW_MOUNTINFO_H
#define HW_MOUNTINFO_H

#include <stddef.h>

/* Mounts kept per parse; further lines are counted in `truncated`. */
#define MOUNTINFO_MAX_MOUNTS 4096

struct mountinfo_entry {
    unsigned long mount_id, parent_id;
    unsigned major, minor;
    const char *root;       /* path of the mount's root inside its filesystem */
    const char *mountpoint; /* relative to the reading process's root */
    const char *mount_opts; /* per-mount options, e.g. "rw,relatime" */
    const char *optional;   /* optional fields joined by ' ' ("shared:1 master:2"), or "" */
    const char *fstype;     /* e.g. "ext4", "fuse.sshfs" */
    const char *source;     /* e.g. "/dev/nvme0n1p1", "tmpfs"; may be "" */
    const char *super_opts; /* per-superblock options */
};

/* A reusable table: parse into it repeatedly, its buffers keep their capacity. */
struct mountinfo {
    struct mountinfo_entry *v;
    size_t n;
    size_t malformed; /* lines skipped because they did not parse */
    size_t truncated; /* well-formed lines beyond MOUNTINFO_MAX_MOUNTS */
    /* private */
    size_t cap;
    char *text; /* unescaped copy of the input that the entries point into */
    size_t text_cap;
};

void mountinfo_init(struct mountinfo *mi);
void mountinfo_free(struct mountinfo *mi);

/* Replaces the table's contents with the mounts in text[0..len). Malformed lines are skipped
 * and counted. Returns 0, or -ENOMEM (the table is then empty). */
int mountinfo_parse(struct mountinfo *mi, const char *text, size_t len);

/* Unescapes the kernel's \ooo octal escapes (\040 space, \011 tab, \012 newline, \134
 * backslash) in place; other backslashes are kept. Returns the new length. */
size_t mountinfo_unescape(char *s);

/* 1 when the comma-separated list opts contains the whole token name. */
int mountinfo_has_opt(const char *opts, const char *name);

/* 1 when the mount is read-only: "ro" in the mount or the superblock options (or ext4's
 * "emergency_ro" after a shutdown, as node_exporter counts it). */
int mountinfo_readonly(const struct mountinfo_entry *e);

#endif
