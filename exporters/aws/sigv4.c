/* AWS Signature Version 4, the signing half: payload hash, string to sign, signing key and
 * Authorization header; the canonical request comes from sigv4_canon.c. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#endif

#include "sigv4_int.h"

#include "exporters/net/netlib.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- string to sign, key ------------------------------------------------------------------ */
static int sigv4_payload_hash(const struct sigv4_input *in, char out[SIGV4_HEX_LEN + 1])
{
    if (in->payload_sha256_hex != NULL) {
        memcpy(out, in->payload_sha256_hex, SIGV4_HEX_LEN + 1);
        return SIGV4_OK;
    }
    return sigv4_sha256_hex(in->crypto, in->payload, in->payload_len, out);
}

int sigv4_canonical_request(const struct sigv4_input *in, char **out)
{
    if (out == NULL) {
        return SIGV4_EINVAL;
    }
    *out = NULL;
    char payload_hex[SIGV4_HEX_LEN + 1];
    int rc = sigv4_check_request(in);
    if (rc == SIGV4_OK) {
        rc = sigv4_payload_hash(in, payload_hex);
    }
    if (rc != SIGV4_OK) {
        return rc;
    }
    struct sigv4_buf creq = {0};
    struct sigv4_buf names = {0};
    rc = sigv4_build(in, payload_hex, &creq, &names);
    free(names.data);
    if (rc != SIGV4_OK) {
        free(creq.data);
        return rc;
    }
    *out = creq.data;
    return SIGV4_OK;
}

int sigv4_string_to_sign(const struct sigv4_input *in, const char *creq, char **out)
{
    if (out == NULL) {
        return SIGV4_EINVAL;
    }
    *out = NULL;
    if (creq == NULL) {
        return SIGV4_EINVAL;
    }
    char hash[SIGV4_HEX_LEN + 1];
    int rc = sigv4_check_request(in);
    if (rc == SIGV4_OK) {
        rc = sigv4_sha256_hex(in->crypto, creq, strlen(creq), hash);
    }
    if (rc != SIGV4_OK) {
        return rc;
    }
    struct sigv4_buf b = {0};
    sigv4_buf_str(&b, SIGV4_ALGORITHM "\n");
    sigv4_buf_str(&b, in->amz_date);
    sigv4_buf_add(&b, "\n", 1);
    sigv4_buf_add(&b, in->amz_date, 8);
    sigv4_buf_add(&b, "/", 1);
    sigv4_buf_str(&b, in->region);
    sigv4_buf_add(&b, "/", 1);
    sigv4_buf_str(&b, in->service);
    sigv4_buf_str(&b, "/" SIGV4_TERMINATOR "\n");
    sigv4_buf_str(&b, hash);
    if (b.err != 0) {
        free(b.data);
        return b.err;
    }
    *out = b.data;
    return SIGV4_OK;
}

static int sigv4_hmac(const struct netlib *crypto, const unsigned char *key, size_t keylen,
                      const void *msg, size_t n, unsigned char out[SIGV4_KEY_LEN])
{
    return netlib_hmac_sha256(crypto, key, keylen, msg, n, out) == 0 ? SIGV4_OK : SIGV4_ECRYPTO;
}

/* The derivation chain date -> region -> service -> "aws4_request"; every intermediate key and
 * the "AWS4" + secret buffer live on the stack and are wiped before returning. */
int sigv4_signing_key(const struct netlib *crypto, const char *secret_key, const char *date8,
                      const char *region, const char *service, unsigned char key[SIGV4_KEY_LEN])
{
    if (crypto == NULL || secret_key == NULL || *secret_key == '\0' || date8 == NULL ||
        strlen(date8) != 8 || strspn(date8, "0123456789") != 8 || key == NULL) {
        return SIGV4_EINVAL;
    }
    int rc = sigv4_check(region, SIGV4_NAME, SIGV4_NAME_MAX);
    if (rc == SIGV4_OK) {
        rc = sigv4_check(service, SIGV4_NAME, SIGV4_NAME_MAX);
    }
    const size_t slen = strlen(secret_key);
    if (rc == SIGV4_OK && slen > SIGV4_SECRET_MAX) {
        rc = SIGV4_ETOOLONG;
    }
    if (rc != SIGV4_OK) {
        return rc;
    }
    unsigned char kbuf[4 + SIGV4_SECRET_MAX];
    unsigned char k1[SIGV4_KEY_LEN];
    unsigned char k2[SIGV4_KEY_LEN];
    memcpy(kbuf, "AWS4", 4);
    memcpy(kbuf + 4, secret_key, slen);
    rc = sigv4_hmac(crypto, kbuf, 4 + slen, date8, 8, k1);
    if (rc == SIGV4_OK) {
        rc = sigv4_hmac(crypto, k1, sizeof(k1), region, strlen(region), k2);
    }
    if (rc == SIGV4_OK) {
        rc = sigv4_hmac(crypto, k2, sizeof(k2), service, strlen(service), k1);
    }
    if (rc == SIGV4_OK) {
        rc = sigv4_hmac(crypto, k1, sizeof(k1), SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), key);
    }
    crypto->cleanse(kbuf, sizeof(kbuf));
    crypto->cleanse(k1, sizeof(k1));
    crypto->cleanse(k2, sizeof(k2));
    if (rc != SIGV4_OK) {
        crypto->cleanse(key, SIGV4_KEY_LEN);
    }
    return rc;
}

/* ---- public entry points ------------------------------------------------------------------ */

static int sigv4_authorization(const struct sigv4_input *in, const char *signed_names,
                               struct sigv4_output *out)
{
    const int n = snprintf(out->authorization, sizeof(out->authorization),
                           SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/" SIGV4_TERMINATOR
                                           ", SignedHeaders=%s, Signature=%s",
                           in->access_key, in->amz_date, in->region, in->service, signed_names,
                           out->signature);
    if (n < 0 || (size_t)n >= sizeof(out->authorization)) {
        return SIGV4_ETOOLONG;
    }
    return SIGV4_OK;
}

int sigv4_sign(const struct sigv4_input *in, struct sigv4_output *out)
{
    if (out == NULL) {
        return SIGV4_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    struct sigv4_buf creq = {0};
    struct sigv4_buf names = {0};
    char *sts = NULL;
    char date8[9];
    unsigned char key[SIGV4_KEY_LEN];
    unsigned char sig[SIGV4_KEY_LEN];
    int rc = sigv4_check_request(in);
    if (rc == SIGV4_OK) {
        rc = sigv4_check(in->access_key, SIGV4_NAME, SIGV4_ID_MAX);
    }
    if (rc == SIGV4_OK) {
        rc = sigv4_payload_hash(in, out->payload_hash);
    }
    if (rc == SIGV4_OK) {
        rc = sigv4_build(in, out->payload_hash, &creq, &names);
    }
    if (rc == SIGV4_OK) {
        rc = sigv4_string_to_sign(in, creq.data, &sts);
    }
    if (rc != SIGV4_OK) {
        goto fail;
    }
    memcpy(date8, in->amz_date, 8);
    date8[8] = '\0';
    rc = sigv4_signing_key(in->crypto, in->secret_key, date8, in->region, in->service, key);
    if (rc != SIGV4_OK) {
        goto fail;
    }
    rc = sigv4_hmac(in->crypto, key, sizeof(key), sts, strlen(sts), sig);
    in->crypto->cleanse(key, sizeof(key));
    if (rc != SIGV4_OK) {
        goto fail;
    }
    sigv4_hex(sig, sizeof(sig), out->signature);
    rc = sigv4_authorization(in, names.data, out);
fail:
    free(creq.data);
    free(names.data);
    free(sts);
    if (rc != SIGV4_OK) {
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

int sigv4_amz_date(time_t t, char out[SIGV4_DATE_LEN + 1])
{
    struct tm tm;
    if (out == NULL || gmtime_r(&t, &tm) == NULL || tm.tm_year < 1000 - 1900 ||
        strftime(out, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != SIGV4_DATE_LEN) {
        return SIGV4_EINVAL;
    }
    return SIGV4_OK;
}

int sigv4_sha256_hex(const struct netlib *crypto, const void *data, size_t len,
                     char out[SIGV4_HEX_LEN + 1])
{
    static const unsigned char empty = 0;
    unsigned char md[SIGV4_KEY_LEN];
    if (crypto == NULL || out == NULL || (data == NULL && len > 0)) {
        return SIGV4_EINVAL;
    }
    if (netlib_sha256(crypto, data != NULL ? data : &empty, len, md) != 0) {
        return SIGV4_ECRYPTO;
    }
    sigv4_hex(md, sizeof(md), out);
    return SIGV4_OK;
}

const char *sigv4_strerror(int rc)
{
    static const char *const msgs[] = {"success", "invalid signing input", "out of memory",
                                       "signing input too long", "OpenSSL failure"};
    const size_t i = rc <= 0 ? (size_t) - (long)rc : SIZE_MAX;
    return i < sizeof(msgs) / sizeof(msgs[0]) ? msgs[i] : "unknown error";
}
