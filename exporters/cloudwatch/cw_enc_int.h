/* The encoder state shared by the PutMetricData protocols (cw_query.c: Query, cw_json.c: AWS
 * JSON 1.0): each datum becomes one piece of text; cw_pack.c packs the pieces into bodies at the
 * service limits and writes them, the same for both. Internal to the encoders. */
#ifndef HW_CW_ENC_INT_H
#define HW_CW_ENC_INT_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "cw_query.h"

#define CW_LIT(s) s, sizeof(s) - 1

/* One MetricData member (or a part of a large distribution). Query members carry '#' in place
 * of their index (nidx of them), so packing can size them at any position; JSON members have
 * none and end with ','. */
struct cw_piece {
    size_t off, len; /* in the fragment buffer */
    size_t nidx;     /* '#' occurrences */
    int64_t ts;
    size_t next; /* next piece of the same body, CW_NONE at the end */
};

struct cw_bin {
    size_t bytes, count, first, last;
};

struct cw_enc {
    size_t max_body, max_datums, max_values, header_len;
    size_t tail; /* bytes a body has beyond header and pieces: JSON's closing "}" */
    enum cw_proto proto;
    int gzip, level;
    struct hw_buf frag;
    struct cw_piece *p;
    size_t np, capp;
    struct cw_bin *bins;
    size_t nbins, capbins;
    int64_t ts_ms; /* the timestamp text cached in ts */
    char ts[48];
    size_t tslen;
};

/* Member text is written through a cursor into memory reserved for the whole member
 * beforehand, so the hot path makes no size checks. */
static inline void cw_w(char **w, const char *s, size_t n)
{
    memcpy(*w, s, n);
    *w += n;
}

static inline void cw_w_u64(char **w, uint64_t v)
{
    *w += hw_fmt_u64(*w, v);
}

/* Records the text from e->frag.len to w as a piece with nidx '#'; 0 or -ENOMEM. Here, not in
 * the packer, so the protocols' member encoders depend on nothing that calls them. */
static inline int cw_enc_piece_commit(struct cw_enc *e, char *w, size_t nidx, int64_t ts)
{
    struct hw_buf *b = &e->frag;
    const size_t start = b->len;
    b->len = (size_t)(w - b->data);
    b->data[b->len] = '\0';
    struct cw_piece *p = hw_grow(e->p, &e->capp, e->np, sizeof(*p), 256);
    if (!p) {
        return -ENOMEM;
    }
    e->p = p;
    e->p[e->np++] = (struct cw_piece){
        .off = start, .len = b->len - start, .nidx = nidx, .ts = ts, .next = CW_NONE};
    return 0;
}
/* The Query member of d's values [off, off + nv) appended to e->frag as a piece (cw_query.c). */
int cw_query_piece_add(struct cw_enc *e, const struct cw_datum *d, size_t off, size_t nv);
/* Writes the Query body's header (action, version, namespace) at *w. */
void cw_query_header(char **w, const char *ns);
/* The JSON member of d's values [off, off + nv) appended to e->frag as a piece. */
int cw_json_piece_add(struct cw_enc *e, const struct cw_datum *d, size_t off, size_t nv);
/* Writes {"Namespace":"<ns>","MetricData":[ at *w. */
void cw_json_header(char **w, const char *ns);

#endif
