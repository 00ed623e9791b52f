/* On-disk spool for push exporters: ready-to-send request bodies ("batches", opaque bytes) are
 * kept in a directory while the endpoint is unreachable and handed back oldest first, also
 * after a restart.
 *
 * Directory layout: one file per entry, named <seq>.entry where seq is 20 decimal digits, so
 * name order is sequence order. An entry is written as <seq>.entry.tmp, fsync'ed, renamed into
 * place and the directory fsync'ed, so it is either complete or absent. The file "next-seq"
 * reserves sequence numbers in blocks of SPOOL_SEQ_BLOCK, so they keep increasing across
 * restarts even when the spool was drained (they may jump by up to a block at a restart); it
 * holds "HWSPSEQ1", the first unreserved number (8 bytes) and a CRC-32 of those 16 bytes.
 * At open every entry is validated; a bad one is renamed to <seq>.entry.corrupt (at most
 * SPOOL_MAX_ASIDE such files are kept, later ones are deleted) and never trusted. Leftover
 * .tmp files (a crash while writing) are removed at open; any other file is ignored.
 *
 * Entry file format, integers little-endian: a SPOOL_HEADER_SIZE-byte header, then the data.
 *   offset size  field
 *        0    8  magic "HWSPOOL1"
 *        8    4  version, SPOOL_VERSION
 *       12    4  kind: opaque tag chosen by the exporter (SPOOL_KIND_*)
 *       16    8  oldest_ts_ms: signed, ms since the epoch of the oldest datapoint inside
 *       24    8  len: data bytes; the file is exactly SPOOL_HEADER_SIZE + len bytes
 *       32    4  crc32: zlib CRC-32 of header bytes 0..31 followed by the data
 *       36  len  data
 *
 * Bounds: the size of all entry files (headers included) stays <= max_bytes and their count
 * <= SPOOL_MAX_ENTRIES; room is made by deleting the oldest entries (counted as dropped). On
 * top of that the directory holds next-seq (20 bytes) and at most SPOOL_MAX_ASIDE set-aside
 * files, each no larger than the entry it was. Memory holds an index (seq, size,
 * oldest_ts_ms, kind) per entry, never the data, except the one entry spool_peek hands out.
 *
 * Delivery is at least once: deleting a delivered entry is not fsync'ed, so after a crash an
 * entry may be sent again.
 *
 * Threads: a spool has exactly one user, the exporter's sender thread; there is no locking. The
 * directory is flock'ed, so a second spool (or agent) on the same directory is refused.
 */
#ifndef HW_SPOOL_H
#define HW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_MAGIC "HWSPOOL1"
#define SPOOL_VERSION 1u
#define SPOOL_HEADER_SIZE 36u
#define SPOOL_MAX_ENTRIES 100000u
#define SPOOL_MAX_ASIDE 16u
#define SPOOL_SEQ_BLOCK 1024u

/* Entry kinds, kept in one place so exporters never collide. */
#define SPOOL_KIND_CLOUDWATCH_QUERY_GZIP 1u /* low byte; the datapoint count above it */
#define SPOOL_KIND_REMOTE_WRITE_SNAPPY 2u /* low byte; the sample count above it */
#define SPOOL_KIND_CLOUDWATCH_JSON_GZIP 3u /* low byte; the datapoint count above it */

struct spool;

/* Counters since spool_open; entries and bytes (file sizes, headers included) are current. */
struct spool_stats {
    uint64_t entries, bytes;
    uint64_t dropped_entries, dropped_bytes; /* oldest deleted to stay within the bounds */
    uint64_t corrupt_entries;                /* failed validation at open or at peek */
    uint64_t expired_entries;                /* deleted by spool_drop_older_than */
    uint64_t refused_entries;                /* pushes larger than max_bytes alone */
    uint64_t lost_entries, recreated;        /* the directory removed under it, made again */
};

/* One entry from spool_peek. data is a heap buffer the entry owns, len bytes followed by a NUL
 * byte (never NULL after a successful peek); release it with spool_entry_free. */
struct spool_entry {
    uint64_t seq;
    int64_t oldest_ts_ms;
    uint32_t kind;
    size_t len;
    void *data;
};

/* Opens (creating it, mode 0700, parents too) the spool directory, removes leftover temp files,
 * validates and indexes the entries, setting bad ones aside, and trims to the bounds.
 * max_bytes must be at least SPOOL_HEADER_SIZE. NULL on failure with a message naming the
 * directory and the cause in err (when err and errlen are given). */
struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen);
/* Closes the spool (entries stay on disk). NULL is allowed. */
void spool_close(struct spool *sp);

/* Stores one entry durably. oldest_ts_ms is the timestamp of the oldest datapoint inside (so
 * spool_drop_older_than needs no decoding); kind is an opaque tag. Deletes the oldest entries
 * while the bounds would be exceeded. 0; -EFBIG (counted as refused) when SPOOL_HEADER_SIZE +
 * len exceeds max_bytes; -EINVAL; -EOVERFLOW when sequence numbers ran out; other -errno on
 * I/O errors (nothing stored). */
int spool_push(struct spool *sp, const void *data, size_t len, int64_t oldest_ts_ms, uint32_t kind);
/* Reads the oldest entry into *e: 1 when returned, 0 when the spool is empty, -errno when it
 * could not be read for a reason that is not the entry's fault (out of memory or file
 * descriptors; the entry stays and a later call retries). An unreadable or corrupt entry is
 * set aside, counted, and the next one is tried. *e needs no initialisation; on 0 or -errno
 * e->data is NULL. */
int spool_peek(struct spool *sp, struct spool_entry *e);
/* Frees the data of an entry from spool_peek (and clears it); NULL and repeats are fine. */
void spool_entry_free(struct spool_entry *e);
/* Deletes entry seq once delivered (or rejected for good). 0; -ENOENT when not in the spool;
 * -errno when the file could not be deleted (the entry is forgotten anyway, but may come back
 * after a restart). */
int spool_pop(struct spool *sp, uint64_t seq);
/* Deletes every entry whose oldest datapoint is older than cutoff_ms (the service's accepted
 * window) and returns how many; they are counted as expired. */
size_t spool_drop_older_than(struct spool *sp, int64_t cutoff_ms);
/* The counters; valid until spool_close. */
const struct spool_stats *spool_stats(const struct spool *sp);

#endif
