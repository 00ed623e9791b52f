/* libFuzzer: any bytes as a spool entry file (between two good entries, and as the next-seq
 * file) must be delivered or set aside and counted, with the good entries still delivered in
 * order; any bytes as the data of a well-formed entry must come back unchanged. Nothing may
 * crash or leak. Each input works in a fresh directory under $TMPDIR (else /tmp), removed
 * afterwards. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, openat */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "exporters/push/spool.h"

#define FUZZ_MIB (1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

static void fuzz_put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void fuzz_write(const char *dir, const char *name, const void *a, size_t alen, const void *b,
                       size_t blen)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fuzz_check(f != NULL);
    fuzz_check(fwrite(a, 1, alen, f) == alen);
    fuzz_check(blen == 0 || fwrite(b, 1, blen, f) == blen);
    fuzz_check(fclose(f) == 0);
}

/* Writes a well-formed entry file by hand, following the format documented in spool.h. */
static void fuzz_entry(const char *dir, uint64_t seq, const void *data, size_t len, int64_t ts,
                       uint32_t kind)
{
    uint8_t hdr[SPOOL_HEADER_SIZE];
    memcpy(hdr, SPOOL_MAGIC, 8);
    fuzz_put(hdr + 8, SPOOL_VERSION, 4);
    fuzz_put(hdr + 12, kind, 4);
    fuzz_put(hdr + 16, (uint64_t)ts, 8);
    fuzz_put(hdr + 24, len, 8);
    uLong crc = crc32(0, hdr, 32);
    crc = crc32(crc, data, (uInt)len);
    fuzz_put(hdr + 32, crc, 4);
    char name[64];
    snprintf(name, sizeof(name), "%020" PRIu64 ".entry", seq);
    fuzz_write(dir, name, hdr, sizeof(hdr), data, len);
}

static char *fuzz_mkdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof(tmpl), "%s/hw-fuzz-spool-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    fuzz_check(d != NULL);
    char *copy = strdup(d);
    fuzz_check(copy != NULL);
    return copy;
}

/* The spool directory holds only plain files, so one level of unlinking empties it. */
static void fuzz_rmdir(char *dir)
{
    DIR *d = opendir(dir);
    fuzz_check(d != NULL);
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            fuzz_check(unlinkat(dirfd(d), de->d_name, 0) == 0);
        }
    }
    fuzz_check(closedir(d) == 0);
    fuzz_check(rmdir(dir) == 0);
    free(dir);
}

/* Drains the spool, checking ascending order and the payload of the good entries; returns
 * how many entries came out. */
static uint64_t fuzz_drain(struct spool *sp)
{
    struct spool_entry e;
    uint64_t n = 0, last = 0;
    int rc;
    while ((rc = spool_peek(sp, &e)) == 1) {
        fuzz_check(e.seq > last && e.data != NULL && ((const char *)e.data)[e.len] == '\0');
        if (e.seq == 1 || e.seq == 3) {
            fuzz_check(e.len == 4 && memcmp(e.data, e.seq == 1 ? "good" : "last", 4) == 0);
        }
        last = e.seq;
        fuzz_check(spool_pop(sp, e.seq) == 0);
        spool_entry_free(&e);
        n++;
    }
    fuzz_check(rc == 0 && e.data == NULL);
    return n;
}

/* The input as a whole entry file between two good ones, and as the next-seq file. */
static void fuzz_raw(const uint8_t *data, size_t size)
{
    char *dir = fuzz_mkdir();
    fuzz_entry(dir, 1, "good", 4, 10, 1);
    fuzz_write(dir, "00000000000000000002.entry", data, size, NULL, 0);
    fuzz_entry(dir, 3, "last", 4, 30, 1);
    fuzz_write(dir, "next-seq", data, size, NULL, 0);
    char err[600];
    struct spool *sp = spool_open(dir, FUZZ_MIB, err, sizeof(err));
    fuzz_check(sp != NULL);
    const struct spool_stats *st = spool_stats(sp);
    fuzz_check(st->entries + st->corrupt_entries + st->dropped_entries == 3);
    fuzz_check(st->entries >= 2 || st->dropped_entries > 0);
    (void)spool_drop_older_than(sp, size > 0 ? (int64_t)data[0] - 64 : 0);
    const uint64_t left = st->entries;
    fuzz_check(fuzz_drain(sp) == left && st->entries == 0 && st->bytes == 0);
    const int rc = spool_push(sp, data, size, 0, 1);
    fuzz_check(rc == 0 || rc == -EOVERFLOW || (rc == -EFBIG && size > FUZZ_MIB / 2));
    if (rc == 0) {
        struct spool_entry e;
        fuzz_check(spool_peek(sp, &e) == 1 && e.seq > 3 && e.len == size);
        fuzz_check(size == 0 || memcmp(e.data, data, size) == 0);
        spool_entry_free(&e);
    }
    spool_close(sp);
    fuzz_rmdir(dir);
}

/* The input as the data of a well-formed entry, with a bound that may or may not fit it. */
static void fuzz_framed(const uint8_t *data, size_t size)
{
    char *dir = fuzz_mkdir();
    const int64_t ts = size >= 8 ? (int64_t)((uint64_t)data[0] << 56 | data[7]) : -1;
    const uint32_t kind = size >= 2 ? data[1] : 0;
    fuzz_entry(dir, 7, data, size, ts, kind);
    const int fits = size == 0 || (data[size - 1] & 1) == 0;
    const uint64_t max = SPOOL_HEADER_SIZE + (uint64_t)size - (fits ? 0 : 1);
    char err[600];
    struct spool *sp =
        spool_open(dir, max < SPOOL_HEADER_SIZE ? SPOOL_HEADER_SIZE : max, err, sizeof(err));
    fuzz_check(sp != NULL);
    struct spool_entry e;
    const int rc = spool_peek(sp, &e);
    if (fits) {
        fuzz_check(rc == 1 && e.seq == 7 && e.len == size && e.kind == kind &&
                   e.oldest_ts_ms == ts);
        fuzz_check(size == 0 || memcmp(e.data, data, size) == 0);
        spool_entry_free(&e);
        fuzz_check(spool_pop(sp, 7) == 0);
    } else {
        fuzz_check(rc == 0 && spool_stats(sp)->dropped_entries == 1);
    }
    spool_close(sp);
    fuzz_rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MIB) {
        return 0;
    }
    fuzz_raw(data, size);
    fuzz_framed(data, size);
    return 0;
}
