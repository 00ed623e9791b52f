#include "prom_tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

#define PEM_MAX (1u << 20)

/* Reads one PEM file and checks it holds a block of the wanted kind; 0 or -1 with why. */
static int pem_read(struct hw_buf *b, const char *file, const char *what, const char *marker,
                    char *why, size_t whylen)
{
    int rc = hw_buf_read_file(b, file, PEM_MAX);
    if (rc != 0) {
        snprintf(why, whylen, "%s \"%s\": %s", what, file,
                 rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
        return -1;
    }
    if (!b->data || !strstr(b->data, "-----BEGIN ") || !strstr(b->data, marker)) {
        snprintf(why, whylen, "%s \"%s\": no PEM block with \"%s\"", what, file, marker);
        return -1;
    }
    return 0;
}

static int pem_load_pair(struct prom_tls *t, const char *cert_file, const char *key_file,
                         char *why, size_t whylen, int *which)
{
    *which = 0;
    if (pem_read(&t->cert, cert_file, "certificate", "CERTIFICATE-----", why, whylen) != 0) {
        return -1;
    }
    *which = 1;
    return pem_read(&t->key, key_file, "key", "PRIVATE KEY-----", why, whylen);
}

int prom_tls_validate(const char *cert_file, const char *key_file, const char *path,
                      struct hw_diag *d)
{
    char kp[256], why[512];
    if (!cert_file && !key_file) {
        return 0;
    }
    if (!cert_file || !key_file) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, cert_file ? "key_file" : "cert_file"),
                    "TLS needs both cert_file and key_file");
        return 1;
    }
    struct prom_tls t;
    hw_buf_init(&t.cert);
    hw_buf_init(&t.key);
    int which;
    int rc = pem_load_pair(&t, cert_file, key_file, why, sizeof(why), &which);
    prom_tls_free(&t);
    if (rc != 0) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, which ? "key_file" : "cert_file"), "%s",
                    why);
        return 1;
    }
    return 0;
}

int prom_tls_load(struct prom_tls *t, const char *cert_file, const char *key_file, char *why,
                  size_t whylen)
{
    hw_buf_init(&t->cert);
    hw_buf_init(&t->key);
    int which;
    if (pem_load_pair(t, cert_file, key_file, why, whylen, &which) != 0) {
        prom_tls_free(t);
        return -1;
    }
    return 0;
}

static int file_differs(const struct hw_buf *have, const char *file)
{
    struct hw_buf now;
    hw_buf_init(&now);
    int differs = hw_buf_read_file(&now, file, PEM_MAX) != 0 || now.len != have->len ||
                  (now.len && memcmp(now.data, have->data, now.len) != 0);
    if (now.data) {
        explicit_bzero(now.data, now.cap);
    }
    hw_buf_free(&now);
    return differs;
}

int prom_tls_changed(const struct prom_tls *t, const char *cert_file, const char *key_file)
{
    return file_differs(&t->cert, cert_file) || file_differs(&t->key, key_file);
}

void prom_tls_free(struct prom_tls *t)
{
    if (t->key.data) {
        explicit_bzero(t->key.data, t->key.cap);
    }
    hw_buf_free(&t->key);
    hw_buf_free(&t->cert);
}
