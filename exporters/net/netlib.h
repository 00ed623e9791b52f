/* libcurl and OpenSSL's libcrypto, loaded with dlopen() only when an AWS exporter is created,
 * and libsnappy (C++, so libstdc++ and libm with it) only when remote write is: linked directly
 * they would cost every agent ~4 MiB of resident memory and their start-up initialisation,
 * even one that only serves /metrics. */
#ifndef HW_NETLIB_H
#define HW_NETLIB_H

/* Calls go through pointers, so curl.h must not turn curl_easy_setopt into its checking macro. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <openssl/evp.h>
#include <snappy-c.h>
#include <stddef.h>

struct netlib {
    void *curl_so, *crypto_so, *snappy_so;
    CURL *(*curl_easy_init)(void);
    CURLcode (*curl_easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*curl_easy_perform)(CURL *);
    void (*curl_easy_cleanup)(CURL *);
    void (*curl_easy_reset)(CURL *);
    CURLcode (*curl_easy_getinfo)(CURL *, CURLINFO, ...);
    struct curl_slist *(*curl_slist_append)(struct curl_slist *, const char *);
    void (*curl_slist_free_all)(struct curl_slist *);
    const char *(*curl_easy_strerror)(CURLcode);
    unsigned char *(*hmac)(const EVP_MD *, const void *, int, const unsigned char *, size_t,
                           unsigned char *, unsigned int *);
    const EVP_MD *(*evp_sha256)(void);
    int (*evp_digest)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *,
                      ENGINE *);
    void (*cleanse)(void *, size_t);
    /* after netlib_open_snappy() */
    snappy_status (*snappy_compress)(const char *, size_t, char *, size_t *);
    size_t (*snappy_max_compressed_length)(size_t);
};

/* Loads both libraries (reference-counted by the dynamic loader, so every exporter may hold
 * its own handle). NULL with a message naming the missing library or symbol. */
struct netlib *netlib_open(char *err, size_t errlen);
void netlib_close(struct netlib *lib);
/* Adds libsnappy (remote write's body compression) to lib; 0, or -1 with a message naming the
 * library and the package to install. */
int netlib_open_snappy(struct netlib *lib, char *err, size_t errlen);

/* SHA-256 and HMAC-SHA256 through the loaded library (for SigV4). 0 or -1. */
int netlib_sha256(const struct netlib *lib, const void *data, size_t len, unsigned char out[32]);
int netlib_hmac_sha256(const struct netlib *lib, const void *key, size_t klen, const void *data,
                       size_t len, unsigned char out[32]);

#endif
