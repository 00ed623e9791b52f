/* Parser of /proc/diskstats (kernel Documentation/admin-guide/iostats.rst); pure, no I/O.
 * An iterator hands out one device at a time, so a caller needs no per-device storage. */
#ifndef HW_DISKSTATS_H
#define HW_DISKSTATS_H

#include <stddef.h>
#include <stdint.h>

/* The kernel counts sectors in 512-byte units for every device, whatever its logical or
 * physical block size (a 4 KiB read on a 4Kn disk adds 8, not 1). */
#define DISKSTATS_SECTOR_BYTES 512u

/* Longest device name kept (the kernel's DISK_NAME_LEN is 32); longer lines are malformed. */
#define DISKSTATS_NAME_MAX 64

/* Counter positions after "major minor name", in the kernel's order. */
enum diskstats_field {
    DISKSTATS_READS,           /* reads completed */
    DISKSTATS_READS_MERGED,    /* adjacent reads merged */
    DISKSTATS_READ_SECTORS,    /* 512-byte sectors read */
    DISKSTATS_READ_MS,         /* ms spent reading */
    DISKSTATS_WRITES,          /* writes completed */
    DISKSTATS_WRITES_MERGED,   /* adjacent writes merged */
    DISKSTATS_WRITE_SECTORS,   /* 512-byte sectors written */
    DISKSTATS_WRITE_MS,        /* ms spent writing */
    DISKSTATS_IO_NOW,          /* I/Os in flight (a gauge) */
    DISKSTATS_IO_MS,           /* ms spent doing I/O */
    DISKSTATS_IO_WEIGHTED_MS,  /* weighted ms spent doing I/O */
    DISKSTATS_DISCARDS,        /* 4.18+ */
    DISKSTATS_DISCARDS_MERGED, /* 4.18+ */
    DISKSTATS_DISCARD_SECTORS, /* 4.18+ */
    DISKSTATS_DISCARD_MS,      /* 4.18+ */
    DISKSTATS_FLUSHES,         /* 5.5+ */
    DISKSTATS_FLUSH_MS,        /* 5.5+ */
    DISKSTATS_NFIELDS
};

struct diskstats_entry {
    unsigned major, minor;
    char name[DISKSTATS_NAME_MAX];
    uint64_t v[DISKSTATS_NFIELDS]; /* indexed by enum diskstats_field; absent fields are 0 */
    size_t nfields;                /* counters on the kernel's line: 4, 11, 15, 17 or more */
    uint32_t present;              /* bit (1u << field) set for each field the line had */
};

/* Parses one line (without its newline). 0, or -EINVAL when it is malformed. Lines with more
 * than 17 counters (a future kernel) keep the first 17; the 2.6 kernels' 4-counter partition
 * lines (reads, read sectors, writes, write sectors) fill those four fields only. */
int diskstats_parse_line(const char *line, size_t len, struct diskstats_entry *out);

struct diskstats_iter {
    const char *p, *end;
    size_t malformed; /* lines skipped so far */
};

void diskstats_iter_init(struct diskstats_iter *it, const char *text, size_t len);
/* 1 with *out filled with the next well-formed line, 0 at the end of the text. */
int diskstats_next(struct diskstats_iter *it, struct diskstats_entry *out);

static inline int diskstats_has(const struct diskstats_entry *e, enum diskstats_field f)
{
    return (e->present >> f) & 1u;
}

/* Sectors as bytes, in double so that even a wrapped-around 64-bit product cannot occur. */
static inline double diskstats_bytes(uint64_t sectors)
{
    return (double)sectors * DISKSTATS_SECTOR_BYTES;
}

#endif
