#include "netlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sym {
    int lib; /* 0 curl, 1 crypto */
    const char *name;
    size_t off;
};

#define SYM(lib, name, field) {lib, name, offsetof(struct netlib, field)}

static const struct sym syms[] = {
    SYM(0, "curl_easy_init", curl_easy_init),
    SYM(0, "curl_easy_setopt", curl_easy_setopt),
    SYM(0, "curl_easy_perform", curl_easy_perform),
    SYM(0, "curl_easy_cleanup", curl_easy_cleanup),
    SYM(0, "curl_easy_reset", curl_easy_reset),
    SYM(0, "curl_easy_getinfo", curl_easy_getinfo),
    SYM(0, "curl_slist_append", curl_slist_append),
    SYM(0, "curl_slist_free_all", curl_slist_free_all),
    SYM(0, "curl_easy_strerror", curl_easy_strerror),
    SYM(1, "HMAC", hmac),
    SYM(1, "EVP_sha256", evp_sha256),
    SYM(1, "EVP_Digest", evp_digest),
    SYM(1, "OPENSSL_cleanse", cleanse),
};

void netlib_close(struct netlib *lib)
{
    if (!lib) {
        return;
    }
    if (lib->curl_so) {
        dlclose(lib->curl_so);
    }
    if (lib->crypto_so) {
        dlclose(lib->crypto_so);
    }
    if (lib->snappy_so) {
        dlclose(lib->snappy_so);
    }
    free(lib);
}

int netlib_open_snappy(struct netlib *lib, char *err, size_t errlen)
{
    if (lib->snappy_so) {
        return 0;
    }
    lib->snappy_so = dlopen("libsnappy.so.1", RTLD_NOW | RTLD_LOCAL);
    void *c = lib->snappy_so ? dlsym(lib->snappy_so, "snappy_compress") : NULL;
    void *m = lib->snappy_so ? dlsym(lib->snappy_so, "snappy_max_compressed_length") : NULL;
    if (!c || !m) {
        snprintf(err, errlen, "cannot load libsnappy.so.1 (install libsnappy1v5, or snappy)");
        if (lib->snappy_so) {
            dlclose(lib->snappy_so);
        }
        lib->snappy_so = NULL;
        return -1;
    }
    /* POSIX guarantees a data pointer from dlsym converts to the function it names. */
    memcpy(&lib->snappy_compress, &c, sizeof(c));
    memcpy(&lib->snappy_max_compressed_length, &m, sizeof(m));
    return 0;
}

struct netlib *netlib_open(char *err, size_t errlen)
{
    struct netlib *lib = calloc(1, sizeof(*lib));
    if (!lib) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    lib->curl_so = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    lib->crypto_so = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib->curl_so || !lib->crypto_so) {
        snprintf(err, errlen, "cannot load %s (install %s)",
                 lib->curl_so ? "libcrypto.so.3" : "libcurl.so.4",
                 lib->curl_so ? "libssl3" : "libcurl4");
        netlib_close(lib);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
        void *p = dlsym(syms[i].lib ? lib->crypto_so : lib->curl_so, syms[i].name);
        if (!p) {
            snprintf(err, errlen, "symbol %s missing from %s", syms[i].name,
                     syms[i].lib ? "libcrypto" : "libcurl");
            netlib_close(lib);
            return NULL;
        }
        /* POSIX guarantees object and function pointers convert through dlsym's void *. */
        memcpy((char *)lib + syms[i].off, &p, sizeof(p));
    }
    return lib;
}

int netlib_sha256(const struct netlib *lib, const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 0;
    return lib->evp_digest(data, len, out, &n, lib->evp_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

int netlib_hmac_sha256(const struct netlib *lib, const void *key, size_t klen, const void *data,
                       size_t len, unsigned char out[32])
{
    unsigned int n = 0;
    if (klen > 0x7fffffff) {
        return -1;
    }
    return lib->hmac(lib->evp_sha256(), key, (int)klen, data, len, out, &n) && n == 32 ? 0 : -1;
}
