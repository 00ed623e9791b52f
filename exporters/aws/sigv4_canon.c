/* AWS Signature Version 4, the canonical request: input validation, URI, query and header
 * canonicalisation, following the rules of AWS's SigV4 test suite for non-S3 services. */
#include "sigv4_int.h"

#include "exporters/net/netlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIGV4_METHOD_MAX 32
#define SIGV4_HEADERS_MAX 256

/* A header to sign and its position in the caller's list (keeps sorting stable). */
struct sigv4_hdr_ref {
    const struct sigv4_header *h;
    size_t order;
};

/* A query parameter after re-encoding. */
struct sigv4_param {
    const char *name;
    const char *value;
};

static const char sigv4_hex_lower[] = "0123456789abcdef";
static const char sigv4_hex_upper[] = "0123456789ABCDEF";

/* ---- small helpers ------------------------------------------------------------------------ */

static int sigv4_is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 3986 unreserved set: the only bytes SigV4 leaves unencoded. */
static int sigv4_is_unreserved(unsigned char c)
{
    return sigv4_is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Whitespace that canonicalisation folds; CR and LF come from folded (multi-line) values. */
static int sigv4_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static unsigned char sigv4_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int sigv4_hexval(unsigned char c)
{
    const char *p = c != '\0' ? strchr(sigv4_hex_lower, sigv4_lower(c)) : NULL;
    return p != NULL ? (int)(p - sigv4_hex_lower) : -1;
}

void sigv4_hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = sigv4_hex_lower[in[i] >> 4];
        out[2 * i + 1] = sigv4_hex_lower[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ASCII case-insensitive order of header names (lower-case byte order, as SigV4 sorts). */
static int sigv4_name_cmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    while (*x != '\0' && sigv4_lower(*x) == sigv4_lower(*y)) {
        x++;
        y++;
    }
    return (int)sigv4_lower(*x) - (int)sigv4_lower(*y);
}

/* ---- growable buffer ---------------------------------------------------------------------- */

static void sigv4_buf_reserve(struct sigv4_buf *b, size_t extra)
{
    if (b->err != 0) {
        return;
    }
    if (extra >= SIZE_MAX - b->len) {
        b->err = SIGV4_ENOMEM;
        return;
    }
    const size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return;
    }
    size_t cap = b->cap != 0 ? b->cap : 256;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->err = SIGV4_ENOMEM;
        return;
    }
    b->data = p;
    b->cap = cap;
}

void sigv4_buf_add(struct sigv4_buf *b, const char *s, size_t n)
{
    sigv4_buf_reserve(b, n);
    if (b->err != 0) {
        return;
    }
    if (n > 0) {
        memcpy(b->data + b->len, s, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
}

void sigv4_buf_str(struct sigv4_buf *b, const char *s)
{
    sigv4_buf_add(b, s, strlen(s));
}

static void sigv4_buf_lower(struct sigv4_buf *b, const char *s)
{
    const size_t start = b->len;
    sigv4_buf_str(b, s);
    for (size_t i = start; b->err == 0 && i < b->len; i++) {
        b->data[i] = (char)sigv4_lower((unsigned char)b->data[i]);
    }
}

/* Writes c, percent-encoded (upper-case hex) unless unreserved or, with keep_slash, '/'; returns
 * where the next byte goes. */
static char *sigv4_put_encoded(char *w, unsigned char c, int keep_slash)
{
    if (sigv4_is_unreserved(c) || (keep_slash && c == '/')) {
        *w++ = (char)c;
        return w;
    }
    *w++ = '%';
    *w++ = sigv4_hex_upper[c >> 4];
    *w++ = sigv4_hex_upper[c & 15];
    return w;
}

static void sigv4_buf_encode(struct sigv4_buf *b, const char *s, size_t n, int keep_slash)
{
    sigv4_buf_reserve(b, n > SIZE_MAX / 3 ? SIZE_MAX : 3 * n);
    if (b->err != 0) {
        return;
    }
    char *w = b->data + b->len;
    for (size_t i = 0; i < n; i++) {
        w = sigv4_put_encoded(w, (unsigned char)s[i], keep_slash);
    }
    b->len = (size_t)(w - b->data);
    b->data[b->len] = '\0';
}

/* ---- input validation --------------------------------------------------------------------- */

static int sigv4_class_has(enum sigv4_class k, unsigned char c)
{
    switch (k) {
    case SIGV4_TOKEN:
        return sigv4_is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
    case SIGV4_NAME:
        return sigv4_is_alnum(c) || c == '-' || c == '_' || c == '.';
    case SIGV4_VALUE:
        return (c >= 0x20 || sigv4_is_space(c)) && c != 0x7f;
    default:
        return c > ' ' && c < 0x7f;
    }
}

/* Non-NULL, non-empty (header values excepted), at most max bytes, all of class k. */
int sigv4_check(const char *s, enum sigv4_class k, size_t max)
{
    if (s == NULL || (*s == '\0' && k != SIGV4_VALUE)) {
        return SIGV4_EINVAL;
    }
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if (!sigv4_class_has(k, (unsigned char)s[n])) {
            return SIGV4_EINVAL;
        }
    }
    return n > max ? SIGV4_ETOOLONG : SIGV4_OK;
}

/* Only "YYYYMMDDTHHMMSSZ" is accepted: the scope takes its first 8 characters blindly. */
static int sigv4_check_date(const char *d)
{
    static const char digits[] = "0123456789";
    if (d == NULL || strlen(d) != SIGV4_DATE_LEN || strspn(d, digits) != 8 || d[8] != 'T' ||
        strspn(d + 9, digits) != 6 || d[15] != 'Z') {
        return SIGV4_EINVAL;
    }
    return SIGV4_OK;
}

/* Everything the canonical request and the string to sign depend on. */
int sigv4_check_request(const struct sigv4_input *in)
{
    if (in == NULL || in->crypto == NULL) {
        return SIGV4_EINVAL;
    }
    int rc = sigv4_check(in->method, SIGV4_TOKEN, SIGV4_METHOD_MAX);
    if (rc == SIGV4_OK) {
        rc = sigv4_check_date(in->amz_date);
    }
    if (rc == SIGV4_OK) {
        rc = sigv4_check(in->region, SIGV4_NAME, SIGV4_NAME_MAX);
    }
    if (rc == SIGV4_OK) {
        rc = sigv4_check(in->service, SIGV4_NAME, SIGV4_NAME_MAX);
    }
    if (rc == SIGV4_OK && in->session_token != NULL) {
        rc = sigv4_check(in->session_token, SIGV4_OPAQUE, SIZE_MAX);
    }
    const char *hex = in->payload_sha256_hex;
    if (rc == SIGV4_OK && hex != NULL &&
        (strspn(hex, sigv4_hex_lower) != SIGV4_HEX_LEN || hex[SIGV4_HEX_LEN] != '\0')) {
        rc = SIGV4_EINVAL;
    }
    if (rc == SIGV4_OK && in->payload == NULL && in->payload_len > 0) {
        rc = SIGV4_EINVAL;
    }
    return rc;
}

/* ---- canonical URI and query -------------------------------------------------------------- */

/* Non-S3 services compare against the path with "." / ".." and empty segments removed (suite
 * cases under normalize-path); a trailing '/' survives when something is left before it. */
static int sigv4_normalize(struct sigv4_buf *norm, const char *path)
{
    const char *p = path;
    while (*p != '\0') {
        while (*p == '/') {
            p++;
        }
        const char *seg = p;
        while (*p != '\0' && *p != '/') {
            p++;
        }
        const size_t len = (size_t)(p - seg);
        if (len == 0 || (len == 1 && seg[0] == '.')) {
            continue;
        }
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (norm->len > 0 && norm->data[norm->len - 1] != '/') {
                norm->len--;
            }
            if (norm->len > 0) {
                norm->len--;
            }
            continue;
        }
        sigv4_buf_add(norm, "/", 1);
        sigv4_buf_add(norm, seg, len);
    }
    if (norm->len == 0 || path[strlen(path) - 1] == '/') {
        sigv4_buf_add(norm, "/", 1);
    }
    return norm->err;
}

static int sigv4_canonical_uri(struct sigv4_buf *b, const char *path, int normalize)
{
    if (path == NULL || *path == '\0') {
        sigv4_buf_add(b, "/", 1);
        return b->err;
    }
    if (path[0] != '/') {
        return SIGV4_EINVAL;
    }
    if (!normalize) {
        sigv4_buf_encode(b, path, strlen(path), 1);
        return b->err;
    }
    struct sigv4_buf norm = {0};
    int rc = sigv4_normalize(&norm, path);
    if (rc == SIGV4_OK) {
        sigv4_buf_encode(b, norm.data, norm.len, 1);
        rc = b->err;
    }
    free(norm.data);
    return rc;
}

/* Writes s[0..n) with valid %XX escapes decoded and then encoded again, so input that is
 * already encoded is not encoded twice (suite case get-vanilla-query-order-encoded). Returns
 * the byte after the terminating NUL; needs room for 3 * n + 1 bytes. */
static char *sigv4_reencode(char *dst, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && n - i > 2) {
            const int hi = sigv4_hexval((unsigned char)s[i + 1]);
            const int lo = sigv4_hexval((unsigned char)s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (unsigned char)(hi << 4 | lo);
                i += 2;
            }
        }
        dst = sigv4_put_encoded(dst, c, 0);
    }
    *dst++ = '\0';
    return dst;
}

static int sigv4_param_cmp(const void *a, const void *b)
{
    const struct sigv4_param *x = a;
    const struct sigv4_param *y = b;
    const int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->value, y->value);
}

/* Splits the raw query on '&' and the first '=', re-encodes, sorts by name then value. */
static int sigv4_canonical_query(struct sigv4_buf *b, const char *query)
{
    if (query == NULL || *query == '\0') {
        return SIGV4_OK;
    }
    const size_t n = strlen(query);
    size_t count = 1;
    for (size_t i = 0; i < n; i++) {
        count += query[i] == '&';
    }
    if (n > (SIZE_MAX - 2 * count) / 3) {
        return SIGV4_ETOOLONG;
    }
    int rc = SIGV4_ENOMEM;
    struct sigv4_param *params = calloc(count, sizeof(*params));
    char *store = malloc(3 * n + 2 * count);
    if (params == NULL || store == NULL) {
        goto fail;
    }
    size_t np = 0;
    char *w = store;
    const char *p = query;
    const char *const end = query + n;
    for (;;) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        if (stop > p) {
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            const char *vstart = eq != NULL ? eq + 1 : stop;
            params[np].name = w;
            w = sigv4_reencode(w, p, (size_t)((eq != NULL ? eq : stop) - p));
            params[np].value = w;
            w = sigv4_reencode(w, vstart, (size_t)(stop - vstart));
            np++;
        }
        if (amp == NULL) {
            break;
        }
        p = amp + 1;
    }
    qsort(params, np, sizeof(*params), sigv4_param_cmp);
    for (size_t i = 0; i < np; i++) {
        if (i > 0) {
            sigv4_buf_add(b, "&", 1);
        }
        sigv4_buf_str(b, params[i].name);
        sigv4_buf_add(b, "=", 1);
        sigv4_buf_str(b, params[i].value);
    }
    rc = b->err;
fail:
    free(params);
    free(store);
    return rc;
}

/* ---- canonical headers -------------------------------------------------------------------- */

/* True when v, leading and trailing whitespace aside, is exactly want. */
static int sigv4_value_is(const char *v, const char *want)
{
    while (sigv4_is_space((unsigned char)*v)) {
        v++;
    }
    const size_t n = strlen(want);
    return strncmp(v, want, n) == 0 && v[n + strspn(v + n, " \t\r\n")] == '\0';
}

/* Appends v trimmed, each inner whitespace run (folded lines included) turned into one space. */
static void sigv4_add_value(struct sigv4_buf *b, const char *v)
{
    int first = 1;
    for (;;) {
        while (sigv4_is_space((unsigned char)*v)) {
            v++;
        }
        if (*v == '\0') {
            return;
        }
        const char *word = v;
        while (*v != '\0' && !sigv4_is_space((unsigned char)*v)) {
            v++;
        }
        if (!first) {
            sigv4_buf_add(b, " ", 1);
        }
        sigv4_buf_add(b, word, (size_t)(v - word));
        first = 0;
    }
}

static int sigv4_hdr_cmp(const void *a, const void *b)
{
    const struct sigv4_hdr_ref *x = a;
    const struct sigv4_hdr_ref *y = b;
    const int c = sigv4_name_cmp(x->h->name, y->h->name);
    if (c != 0) {
        return c;
    }
    return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

/* Checks the caller's headers: one host, and x-amz-date / x-amz-security-token, when present,
 * equal to amz_date / session_token, so what is signed is what is sent. Counts them in seen. */
static int sigv4_scan_headers(const struct sigv4_input *in, size_t seen[3])
{
    if (in->nheaders > SIGV4_HEADERS_MAX) {
        return SIGV4_ETOOLONG;
    }
    if (in->nheaders > 0 && in->headers == NULL) {
        return SIGV4_EINVAL;
    }
    for (size_t i = 0; i < in->nheaders; i++) {
        const struct sigv4_header *h = &in->headers[i];
        int rc = sigv4_check(h->name, SIGV4_TOKEN, SIZE_MAX);
        if (rc == SIGV4_OK) {
            rc = sigv4_check(h->value, SIGV4_VALUE, SIZE_MAX);
        }
        if (rc != SIGV4_OK) {
            return rc;
        }
        if (sigv4_name_cmp(h->name, "host") == 0) {
            seen[0]++;
        } else if (sigv4_name_cmp(h->name, "x-amz-date") == 0) {
            seen[1]++;
            rc = sigv4_value_is(h->value, in->amz_date) ? SIGV4_OK : SIGV4_EINVAL;
        } else if (sigv4_name_cmp(h->name, "x-amz-security-token") == 0) {
            seen[2]++;
            if (in->session_token != NULL && !sigv4_value_is(h->value, in->session_token)) {
                rc = SIGV4_EINVAL;
            }
        }
        if (rc != SIGV4_OK) {
            return rc;
        }
    }
    return (seen[0] == 1 && seen[1] <= 1 && seen[2] <= 1) ? SIGV4_OK : SIGV4_EINVAL;
}

/* The headers to sign, sorted by lower-case name and then by arrival order: the caller's plus
 * x-amz-date and x-amz-security-token (from extra) when the caller did not list them. */
static int sigv4_collect(const struct sigv4_input *in, struct sigv4_header extra[2],
                         struct sigv4_hdr_ref **out, size_t *nout)
{
    size_t seen[3] = {0, 0, 0};
    const int rc = sigv4_scan_headers(in, seen);
    if (rc != SIGV4_OK) {
        return rc;
    }
    struct sigv4_hdr_ref *refs = malloc((in->nheaders + 2) * sizeof(*refs));
    if (refs == NULL) {
        return SIGV4_ENOMEM;
    }
    size_t n = 0;
    for (; n < in->nheaders; n++) {
        refs[n].h = &in->headers[n];
        refs[n].order = n;
    }
    if (seen[1] == 0) {
        extra[0].name = "x-amz-date";
        extra[0].value = in->amz_date;
        refs[n].h = &extra[0];
        refs[n].order = n;
        n++;
    }
    if (seen[2] == 0 && in->session_token != NULL) {
        extra[1].name = "x-amz-security-token";
        extra[1].value = in->session_token;
        refs[n].h = &extra[1];
        refs[n].order = n;
        n++;
    }
    qsort(refs, n, sizeof(*refs), sigv4_hdr_cmp);
    *out = refs;
    *nout = n;
    return SIGV4_OK;
}

/* One "name:value\n" line per distinct name, repeated names joined with ',' in order; the
 * names also go, ';'-separated, to signed. */
static void sigv4_add_headers(struct sigv4_buf *creq, struct sigv4_buf *signed_names,
                              const struct sigv4_hdr_ref *refs, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *name = refs[i].h->name;
        if (i > 0) {
            sigv4_buf_add(signed_names, ";", 1);
        }
        sigv4_buf_lower(signed_names, name);
        sigv4_buf_lower(creq, name);
        sigv4_buf_add(creq, ":", 1);
        size_t j = i;
        do {
            if (j > i) {
                sigv4_buf_add(creq, ",", 1);
            }
            sigv4_add_value(creq, refs[j].h->value);
            j++;
        } while (j < n && sigv4_name_cmp(refs[j].h->name, name) == 0);
        sigv4_buf_add(creq, "\n", 1);
        i = j;
    }
}

/* ---- canonical request ------------------------------------------------------------------- */

/* Builds the canonical request of validated input for a given payload hash; the signed header
 * list goes to signed_names for the Authorization header. */
int sigv4_build(const struct sigv4_input *in, const char *payload_hex,
                       struct sigv4_buf *creq, struct sigv4_buf *signed_names)
{
    struct sigv4_header extra[2];
    struct sigv4_hdr_ref *refs = NULL;
    size_t n = 0;
    int rc = sigv4_collect(in, extra, &refs, &n);
    if (rc != SIGV4_OK) {
        return rc;
    }
    sigv4_buf_str(creq, in->method);
    sigv4_buf_add(creq, "\n", 1);
    rc = sigv4_canonical_uri(creq, in->path, in->normalize_path);
    if (rc != SIGV4_OK) {
        goto fail;
    }
    sigv4_buf_add(creq, "\n", 1);
    rc = sigv4_canonical_query(creq, in->query);
    if (rc != SIGV4_OK) {
        goto fail;
    }
    sigv4_buf_add(creq, "\n", 1);
    sigv4_add_headers(creq, signed_names, refs, n);
    rc = signed_names->err;
    if (rc != SIGV4_OK) {
        goto fail;
    }
    sigv4_buf_add(creq, "\n", 1);
    sigv4_buf_str(creq, signed_names->data);
    sigv4_buf_add(creq, "\n", 1);
    sigv4_buf_str(creq, payload_hex);
    rc = creq->err;
fail:
    free(refs);
    return rc;
}
