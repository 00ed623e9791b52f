/* PutMetricData members in AWS JSON 1.0 and the protocol's error answers. */
#include "cw_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cw_enc_int.h"

#define CW_JSON_FIELD_MAX 48   /* the longest ,"Field": text, with room to spare */

/* A JSON string: quote and backslash escaped, control characters as \uXXXX or their short
 * forms, every other byte (UTF-8 included) as it is. At most 6 bytes per input byte + 2. */
static void cw_w_jstr(char **w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char *o = *w;
    *o++ = '"';
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c >= 0x20) {
            *o++ = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        }
    }
    *o++ = '"';
    *w = o;
}

/* Exact shortest text; the %g form (1e+300, -0) is a valid JSON number. */
static void cw_w_jnum(char **w, double v)
{
    *w += cw_query_fmt_double(*w, v);
}

/* Epoch seconds with the milliseconds as a fraction when there are any; a flush shares one
 * timestamp, so the text is cached. */
static void cw_w_jts(struct cw_enc *e, char **w, int64_t ms)
{
    if (e->tslen == 0 || ms != e->ts_ms) {
        char *t = e->ts;
        cw_w_u64(&t, (uint64_t)(ms / 1000));
        const unsigned frac = (unsigned)(ms % 1000);
        if (frac) {
            *t++ = '.';
            *t++ = (char)('0' + frac / 100);
            *t++ = (char)('0' + frac / 10 % 10);
            *t++ = (char)('0' + frac % 10);
        }
        e->tslen = (size_t)(t - e->ts);
        e->ts_ms = ms;
    }
    cw_w(w, e->ts, e->tslen);
}

static void cw_w_jlist(char **w, const char *field, size_t flen, const double *v, size_t n)
{
    cw_w(w, field, flen);
    for (size_t k = 0; k < n; k++) {
        if (k) {
            *(*w)++ = ',';
        }
        cw_w_jnum(w, v[k]);
    }
    *(*w)++ = ']';
}

static void cw_w_jvalues(char **w, const struct cw_datum *d, size_t off, size_t nv)
{
    if (d->kind == CW_VALUE) {
        cw_w(w, CW_LIT(",\"Value\":"));
        cw_w_jnum(w, d->value);
    } else if (d->kind == CW_STATS) {
        cw_w(w, CW_LIT(",\"StatisticValues\":{\"SampleCount\":"));
        cw_w_jnum(w, d->stats.count);
        cw_w(w, CW_LIT(",\"Sum\":"));
        cw_w_jnum(w, d->stats.sum);
        cw_w(w, CW_LIT(",\"Minimum\":"));
        cw_w_jnum(w, d->stats.min);
        cw_w(w, CW_LIT(",\"Maximum\":"));
        cw_w_jnum(w, d->stats.max);
        *(*w)++ = '}';
    } else {
        cw_w_jlist(w, CW_LIT(",\"Values\":["), d->values + off, nv);
        cw_w_jlist(w, CW_LIT(",\"Counts\":["), d->counts + off, nv);
    }
}

/* Upper bound of a member's text: 6 bytes per string byte, HW_DOUBLE_LEN per number. */
static size_t cw_jpiece_bound(const struct cw_datum *d, size_t nv)
{
    size_t n = 6 * (strlen(d->name) + (d->unit ? strlen(d->unit) : 0)) + 8 * CW_JSON_FIELD_MAX;
    for (size_t m = 0; m < d->ndims; m++) {
        n += 6 * (strlen(d->dims[m].name) + strlen(d->dims[m].value)) + 2 * CW_JSON_FIELD_MAX;
    }
    return n + (d->kind == CW_DIST ? 2 * nv + 2 : 4) * (HW_DOUBLE_LEN + CW_JSON_FIELD_MAX);
}

int cw_json_piece_add(struct cw_enc *e, const struct cw_datum *d, size_t off, size_t nv)
{
    if (hw_buf_reserve(&e->frag, cw_jpiece_bound(d, nv)) != 0) {
        return -ENOMEM;
    }
    char *w = e->frag.data + e->frag.len;
    cw_w(&w, CW_LIT("{\"MetricName\":"));
    cw_w_jstr(&w, d->name);
    for (size_t m = 0; m < d->ndims; m++) {
        cw_w(&w, m ? ",{\"Name\":" : ",\"Dimensions\":[{\"Name\":", m ? 9 : 23);
        cw_w_jstr(&w, d->dims[m].name);
        cw_w(&w, CW_LIT(",\"Value\":"));
        cw_w_jstr(&w, d->dims[m].value);
        cw_w(&w, m + 1 == d->ndims ? "}]" : "}", m + 1 == d->ndims ? 2 : 1);
    }
    cw_w(&w, CW_LIT(",\"Timestamp\":"));
    cw_w_jts(e, &w, d->timestamp_ms);
    cw_w_jvalues(&w, d, off, nv);
    if (d->unit) {
        cw_w(&w, CW_LIT(",\"Unit\":"));
        cw_w_jstr(&w, d->unit);
    }
    cw_w(&w, CW_LIT(",\"StorageResolution\":"));
    cw_w_u64(&w, (uint64_t)d->storage_resolution);
    cw_w(&w, CW_LIT("},"));
    return cw_enc_piece_commit(e, w, 0, d->timestamp_ms);
}

void cw_json_header(char **w, const char *ns)
{
    cw_w(w, CW_LIT("{\"Namespace\":"));
    cw_w_jstr(w, ns);
    cw_w(w, CW_LIT(",\"MetricData\":["));
}

int cw_json_encode(const struct cw_query_opts *o, const struct cw_datum *d, size_t n,
                   struct cw_bodies *out)
{
    struct cw_query_opts jo = *o;
    jo.proto = CW_PROTO_JSON;
    return cw_query_encode(&jo, d, n, out);
}

/* "com.amazonaws.cloudwatch#ThrottlingException:http://..." → "ThrottlingException". */
static void cw_json_type(const char *type, char *code, size_t clen)
{
    const char *hash = strrchr(type, '#');
    const char *t = hash ? hash + 1 : type;
    snprintf(code, clen, "%.*s", (int)strcspn(t, ":"), t);
}

void cw_json_error_code(const char *body, size_t len, const char *query_error, char *code,
                        size_t clen, char *msg, size_t mlen)
{
    code[0] = msg[0] = '\0';
    json_t *doc = body && len ? json_loadb(body, len, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    if (json_is_object(doc)) {
        const char *t = json_string_value(json_object_get(doc, "__type"));
        const char *m = json_string_value(json_object_get(doc, "message"));
        m = m ? m : json_string_value(json_object_get(doc, "Message"));
        if (t) {
            cw_json_type(t, code, clen);
        }
        snprintf(msg, mlen, "%s", m ? m : "");
    }
    json_decref(doc);
    if (query_error && *query_error) {
        const char *q = query_error + strspn(query_error, " \t");
        const size_t n = strcspn(q, "; \t\r\n");
        if (n) {
            snprintf(code, clen, "%.*s", (int)n, q);
        }
    }
}
