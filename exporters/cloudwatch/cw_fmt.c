/* Shortest round-trip decimal formatting of doubles for PutMetricData bodies: exact like
 * hw_fmt_double, several times faster, without libm. */
#include "cw_query.h"

#include "cw_enc_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double cw_p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
static const long double cw_p10l[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                      1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                      1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
                                      1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

/* Writes m's nd digits (trailing zeros dropped) with decimal exponent x as printf's %.<p>g
 * does, so the text is the one hw_fmt_double gives. */
static size_t cw_put_g(char *out, int neg, uint64_t m, int nd, int x, int p)
{
    char dig[24];
    size_t n = 0;
    for (; nd > 1 && m % 10 == 0; nd--) {
        m /= 10;
    }
    for (int i = nd - 1; i >= 0; i--, m /= 10) {
        dig[i] = (char)('0' + m % 10);
    }
    if (neg) {
        out[n++] = '-';
    }
    if (x < -4 || x >= p) {
        const int ax = abs(x);
        out[n++] = dig[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, dig + 1, (size_t)nd - 1);
            n += (size_t)nd - 1;
        }
        char *w = out + n;
        cw_w(&w, x < 0 ? "e-" : "e+", 2);
        cw_w(&w, "0", ax < 10);
        cw_w_u64(&w, (uint64_t)ax);
        *w = '\0';
        return (size_t)(w - out);
    }
    if (x < 0) {
        memcpy(out + n, "0.0000", (size_t)(1 - x));
        n += (size_t)(1 - x);
    }
    for (int i = 0; i < nd || i <= x; i++) {
        out[n++] = i < nd ? dig[i] : '0';
        if (i == x && i + 1 < nd) {
            out[n++] = '.';
        }
    }
    out[n] = '\0';
    return n;
}

/* a scaled into [1e16, 1e17) in extended precision (error far below one unit of the 17th
 * digit); *x is the decimal exponent of a's first digit. -1 when outside the exact range.
 * No libm: the exponent is estimated from the binary one (log10(2) ~ 78913 / 2^18). */
static long double cw_scale17(double a, int *x)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof(bits));
    *x = (((int)(bits >> 52) & 0x7ff) - 1023) * 78913 / (1 << 18);
    for (int tries = 0; tries < 3; tries++) {
        const int s = 16 - *x;
        if (s < -27 || s > 27) {
            return -1;
        }
        const long double t = s >= 0 ? (long double)a * cw_p10l[s] : (long double)a / cw_p10l[-s];
        if (t >= 1e16L && t < 1e17L) {
            return t;
        }
        *x += t < 1e16L ? -1 : 1;
    }
    return -1;
}

/* Rounds to the nearest integer, ties to even as printf does. */
static uint64_t cw_round_even(long double q)
{
    uint64_t m = (uint64_t)q;
    const long double f = q - (long double)m;
    return m + (f > 0.5L || (f == 0.5L && (m & 1)));
}

/* Text of the p-digit candidate m * 10^(x - p + 1) when it reads back as v, else 0. The check
 * is one correctly rounded operation where Clinger's fast path applies (m < 2^53, |k| <= 22:
 * m * 10^k is then exactly what strtod returns), else strtod itself. */
static size_t cw_try(char *out, double v, uint64_t m, int p, int x)
{
    const double a = fabs(v);
    const int k = x - (p - 1);
    if (m < (uint64_t)cw_p10[p - 1] || m >= (uint64_t)cw_p10[p]) {
        return 0;
    }
    if (m < (1ull << 53) && k >= -22 && k <= 22) {
        const double r = k >= 0 ? (double)m * cw_p10[k] : (double)m / cw_p10[-k];
        return r == a ? cw_put_g(out, v < 0, m, p, x, p) : 0;
    }
    const size_t n = cw_put_g(out, v < 0, m, p, x, p);
    return strtod(out, NULL) == v ? n : 0;
}

/* hw_fmt_double's text (the first of 15, 16, 17 significant digits that reads back exactly)
 * about seven times faster: candidates are rounded from the extended-precision scaling and
 * checked exactly; their neighbours too, in case the scaling was off by a unit (long double
 * may be no wider than double). Anything else falls back to hw_fmt_double. */
size_t cw_query_fmt_double(char out[HW_DOUBLE_LEN], double v)
{
    const double a = fabs(v);
    int x = 0;
    if (a < 9007199254740992.0 && a == (double)(int64_t)a) {
        const uint64_t m = (uint64_t)a;
        int nd = 1;
        for (uint64_t t = m; t >= 10; t /= 10) {
            nd++;
        }
        return cw_put_g(out, v < 0, m, nd, nd - 1, nd + 1);
    }
    const long double t = isfinite(a) ? cw_scale17(a, &x) : -1;
    for (int p = 15; t > 0 && p <= 17; p++) {
        const uint64_t m = cw_round_even(t / cw_p10l[17 - p]);
        const int carry = m >= (uint64_t)cw_p10[p];
        size_t n = cw_try(out, v, carry ? m / 10 : m, p, x + carry);
        for (int d = -1; n == 0 && p < 17 && d <= 1; d += 2) {
            n = cw_try(out, v, (carry ? m / 10 : m) + (uint64_t)d, p, x + carry);
        }
        if (n) {
            return n;
        }
    }
    return hw_fmt_double(out, v);
}
