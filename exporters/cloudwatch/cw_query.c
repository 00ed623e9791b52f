/* The PutMetricData Query protocol's text: form-encoded members of one datum each (with '#'
 * where the member index goes, filled in when the bodies are written) and the body's header. */
#include "cw_query.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cw_enc_int.h"

#define CW_HEADER "Action=PutMetricData&Version=2010-08-01&Namespace="
#define CW_MEMBER "&MetricData.member.#." /* '#': the member index, filled in per body */

/* ---- form encoding ---------------------------------------------------------------------- */

static int cw_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* RFC 3986: everything but the unreserved characters is percent-encoded (3 bytes at most). */
static void cw_w_enc(char **w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = *w;
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (cw_unreserved(c)) {
            *o++ = (char)c;
        } else {
            o[0] = '%';
            o[1] = hex[c >> 4];
            o[2] = hex[c & 15];
            o += 3;
        }
    }
    *w = o;
}

/* Shortest round-trip text; the exponent's '+' (1e+300) must not read as a space. */
static void cw_w_double(char **w, double v)
{
    char tmp[HW_DOUBLE_LEN];
    const size_t n = cw_query_fmt_double(tmp, v);
    for (size_t i = 0; i < n; i++) {
        if (tmp[i] == '+') {
            cw_w(w, "%2B", 3);
        } else {
            *(*w)++ = tmp[i];
        }
    }
}

/* ISO 8601 UTC with milliseconds, colons encoded; a flush shares one timestamp, so the text
 * is cached. */
static int cw_w_ts(struct cw_enc *e, char **w, int64_t ms)
{
    if (e->tslen == 0 || ms != e->ts_ms) {
        const time_t sec = (time_t)(ms / 1000);
        struct tm tm;
        if (!gmtime_r(&sec, &tm)) {
            return -EINVAL;
        }
        const int n = snprintf(e->ts, sizeof(e->ts), "%04d-%02d-%02dT%02d%%3A%02d%%3A%02d.%03dZ",
                               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                               tm.tm_sec, (int)(ms % 1000));
        if (n <= 0 || (size_t)n >= sizeof(e->ts)) {
            return -EINVAL;
        }
        e->tslen = (size_t)n;
        e->ts_ms = ms;
    }
    cw_w(w, e->ts, e->tslen);
    return 0;
}

#define CW_PARAM_MAX 96 /* "&MetricData.member.#." + the longest field, index and "=" */

/* Starts the parameter MetricData.member.#.<field>[<k><sub>]= . */
static void cw_w_member(char **w, size_t *nidx, const char *field, size_t flen, size_t k,
                        const char *sub)
{
    cw_w(w, CW_LIT(CW_MEMBER));
    cw_w(w, field, flen);
    if (sub) {
        cw_w_u64(w, k);
        cw_w(w, sub, strlen(sub));
    }
    *(*w)++ = '=';
    (*nidx)++;
}

/* The value parameters of d: Value, StatisticValues, or values [off, off + nv) and counts. */
static void cw_w_values(char **w, size_t *ni, const struct cw_datum *d, size_t off, size_t nv)
{
    if (d->kind == CW_VALUE) {
        cw_w_member(w, ni, CW_LIT("Value"), 0, NULL);
        cw_w_double(w, d->value);
    } else if (d->kind == CW_STATS) {
        cw_w_member(w, ni, CW_LIT("StatisticValues.SampleCount"), 0, NULL);
        cw_w_double(w, d->stats.count);
        cw_w_member(w, ni, CW_LIT("StatisticValues.Sum"), 0, NULL);
        cw_w_double(w, d->stats.sum);
        cw_w_member(w, ni, CW_LIT("StatisticValues.Minimum"), 0, NULL);
        cw_w_double(w, d->stats.min);
        cw_w_member(w, ni, CW_LIT("StatisticValues.Maximum"), 0, NULL);
        cw_w_double(w, d->stats.max);
    } else {
        for (size_t k = 0; k < nv; k++) {
            cw_w_member(w, ni, CW_LIT("Values.member."), k + 1, "");
            cw_w_double(w, d->values[off + k]);
        }
        for (size_t k = 0; k < nv; k++) {
            cw_w_member(w, ni, CW_LIT("Counts.member."), k + 1, "");
            cw_w_double(w, d->counts[off + k]);
        }
    }
}

/* Upper bound of a member's text: every byte of a string may take 3, a double 3 * 32. */
static size_t cw_piece_bound(const struct cw_datum *d, size_t nv)
{
    size_t n = 3 * (strlen(d->name) + (d->unit ? strlen(d->unit) : 0)) + 4 * CW_PARAM_MAX + 64;
    for (size_t m = 0; m < d->ndims; m++) {
        n += 3 * (strlen(d->dims[m].name) + strlen(d->dims[m].value)) + 2 * CW_PARAM_MAX;
    }
    return n + (d->kind == CW_DIST ? 2 * nv : 4) * (CW_PARAM_MAX + 3 * HW_DOUBLE_LEN);
}

/* Encodes one member in the model's member order (as botocore serialises it). */
int cw_query_piece_add(struct cw_enc *e, const struct cw_datum *d, size_t off, size_t nv)
{
    struct hw_buf *b = &e->frag;
    size_t ni = 0;
    if (hw_buf_reserve(b, cw_piece_bound(d, nv)) != 0) {
        return -ENOMEM;
    }
    char *w = b->data + b->len;
    cw_w_member(&w, &ni, CW_LIT("MetricName"), 0, NULL);
    cw_w_enc(&w, d->name);
    for (size_t m = 0; m < d->ndims; m++) {
        cw_w_member(&w, &ni, CW_LIT("Dimensions.member."), m + 1, ".Name");
        cw_w_enc(&w, d->dims[m].name);
        cw_w_member(&w, &ni, CW_LIT("Dimensions.member."), m + 1, ".Value");
        cw_w_enc(&w, d->dims[m].value);
    }
    cw_w_member(&w, &ni, CW_LIT("Timestamp"), 0, NULL);
    const int rc = cw_w_ts(e, &w, d->timestamp_ms);
    cw_w_values(&w, &ni, d, off, nv);
    if (d->unit) {
        cw_w_member(&w, &ni, CW_LIT("Unit"), 0, NULL);
        cw_w_enc(&w, d->unit);
    }
    cw_w_member(&w, &ni, CW_LIT("StorageResolution"), 0, NULL);
    cw_w_u64(&w, (uint64_t)d->storage_resolution);
    return rc != 0 ? rc : cw_enc_piece_commit(e, w, ni, d->timestamp_ms);
}

void cw_query_header(char **w, const char *ns)
{
    cw_w(w, CW_LIT(CW_HEADER));
    cw_w_enc(w, ns);
}
