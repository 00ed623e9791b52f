/* The spool's on-disk names and byte encoding, shared by spool.c (the index and the public
 * operations) and spool_format.c: file names, little-endian fields and the CRC. */
#ifndef HW_SPOOL_INT_H
#define HW_SPOOL_INT_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_SEQ_FILE "next-seq"
#define SPOOL_SEQ_TMP "next-seq.tmp"
#define SPOOL_SEQ_MAGIC "HWSPSEQ1"
#define SPOOL_SEQ_SIZE 20u
#define SPOOL_EXT ".entry"
#define SPOOL_TMP_EXT ".entry.tmp"
#define SPOOL_BAD_EXT ".entry.corrupt"
#define SPOOL_DIGITS 20u
#define SPOOL_NAME_MAX 64u
#define SPOOL_CHUNK 65536u
/* Sequence numbers stay below this (centuries at any push rate); larger names are not ours, so
 * neither next_seq nor next_seq + SPOOL_SEQ_BLOCK can wrap. */
#define SPOOL_SEQ_LIMIT (UINT64_MAX / 2)

/* Kinds of names in the directory. */
enum { SPOOL_NAME_OTHER, SPOOL_NAME_ENTRY, SPOOL_NAME_TMP, SPOOL_NAME_ASIDE };

/* Little-endian integers of n bytes, independent of the host's byte order. */
void spool_put(uint8_t *p, uint64_t v, size_t n);
uint64_t spool_get(const uint8_t *p, size_t n);
/* zlib's crc32 over any length (it takes 32-bit lengths). */
uint32_t spool_crc(uint32_t crc, const void *buf, size_t len);
/* "<20 digits><ext>" into buf (SPOOL_NAME_MAX bytes). */
void spool_name(char *buf, uint64_t seq, const char *ext);
/* Classifies a directory entry name; only exact 20-digit names of ours are recognised. */
int spool_parse_name(const char *name, uint64_t *seq);

#endif
