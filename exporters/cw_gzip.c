/* gzip of PutMetricData bodies (zlib). The service's 1 MB limit is on the text, so the level
 * only trades CPU against bytes on the wire: level 1 compresses a full batch about 11x. */
#include "cw_query.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

int cw_query_gzip(const void *data, size_t len, int level, struct hw_buf *out)
{
    if (len > UINT_MAX) {
        return -EINVAL;
    }
    hw_buf_reset(out);
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, level >= 1 && level <= 9 ? level : Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return -ENOMEM;
    }
    const uLong bound = deflateBound(&z, (uLong)len);
    int rc = -ENOMEM;
    if (hw_buf_reserve(out, bound) != 0) {
        goto fail;
    }
    z.next_in = data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)bound;
    rc = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : -EIO;
    if (rc == 0) {
        out->len = z.total_out;
        out->data[out->len] = '\0';
    }
fail:
    deflateEnd(&z);
    return rc;
}
