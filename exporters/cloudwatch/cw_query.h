/* The encoding of CloudWatch datums (cw_datum.h) into PutMetricData request bodies: the Query
 * protocol (Action=PutMetricData, form-encoded) or AWS JSON 1.0. Pure: no I/O, no clock, no
 * logging.
 *
 * cw_query_encode() splits datums into the fewest request bodies the service limits allow:
 * at most max_datums (1000) MetricData members and max_body bytes (uncompressed) per body, at
 * most max_values (150) Values per member (a larger distribution becomes several members),
 * at most 30 dimensions. Datums the service would reject (bad names, NaN ...) are dropped and
 * counted rather than failing a whole request. Bodies can also be gzipped (Content-Encoding:
 * gzip; SigV4 then hashes the compressed bytes). */
#ifndef HW_CW_QUERY_H
#define HW_CW_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cw_datum.h"

#define CW_QUERY_MAX_DATUMS 1000
#define CW_QUERY_MAX_VALUES 150
#define CW_QUERY_DEFAULT_MAX_BODY 1000000
#define CW_QUERY_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"

/* ---- encoding --------------------------------------------------------------------------- */

/* The wire protocol of the bodies: the Query form (the default) or AWS JSON 1.0. */
enum cw_proto {
    CW_PROTO_QUERY,
    CW_PROTO_JSON,
};

/* zlib's fastest level: the 1 MB limit is on the text, so the level only trades CPU for bytes
 * on the wire, and level 1 already compresses a full batch about 11x. */
#define CW_GZIP_LEVEL 1

struct cw_query_opts {
    enum cw_proto proto;
    const char *ns;    /* Namespace, 1..255 bytes, not starting with ':' */
    size_t max_body;   /* bytes per body before gzip; 0: CW_QUERY_DEFAULT_MAX_BODY */
    size_t max_datums; /* 0: CW_QUERY_MAX_DATUMS */
    size_t max_values; /* 0: CW_QUERY_MAX_VALUES */
    int gzip;          /* also fill each body's gz */
    int gzip_level;    /* 1..9: zlib at that level; 0: the default, CW_GZIP_LEVEL */
};

struct cw_body {
    struct hw_buf text; /* the form-encoded (or JSON) body */
    struct hw_buf gz;   /* its gzip form when opts.gzip, else empty */
    size_t ndatums;     /* MetricData members */
    int64_t oldest_ms;  /* smallest Timestamp in the body (spool expiry) */
};

struct cw_bodies {
    struct cw_body *v;
    size_t n;
    size_t dropped; /* datums not encoded because the service would reject them */
};

void cw_bodies_init(struct cw_bodies *b);
void cw_bodies_free(struct cw_bodies *b);
/* Appends the bodies of n datums to out (none when n or every datum is dropped). 0, -EINVAL
 * (namespace, options, a timestamp gmtime cannot take), -EMSGSIZE (one datum alone exceeds
 * max_body), -ENOMEM, or -EIO (gzip failed, or a size mismatch: a bug); on error out is as
 * before. */
int cw_query_encode(const struct cw_query_opts *o, const struct cw_datum *d, size_t n,
                    struct cw_bodies *out);
/* Shortest of 15..17 significant digits that reads back exactly, in printf %g form: the text
 * hw_fmt_double gives (bar, rarely, the last of 16-17 digits, both exact), about seven times
 * faster. Writes a NUL; returns the length. Exposed for tests. */
size_t cw_query_fmt_double(char out[HW_DOUBLE_LEN], double v);

#endif
