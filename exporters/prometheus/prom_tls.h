/* TLS material for the HTTP endpoint: PEM certificate chain and key read from files, checked
 * early so `hostwatch check` names the file, and compared with the disk on SIGHUP so renewed
 * certificates are picked up. */
#ifndef HW_PROM_TLS_H
#define HW_PROM_TLS_H

#include "buf.h"

struct hw_diag;

struct prom_tls {
    struct hw_buf cert; /* PEM, NUL-terminated as libmicrohttpd wants it */
    struct hw_buf key;
};

/* Both files or neither; each readable and holding the PEM block it should. Adds to d,
 * returns the number of errors; path is the JSON path of the tls block. */
int prom_tls_validate(const char *cert_file, const char *key_file, const char *path,
                      struct hw_diag *d);
/* 0, or -1 with a message in why (naming the file). */
int prom_tls_load(struct prom_tls *t, const char *cert_file, const char *key_file, char *why,
                  size_t whylen);
/* 1 when either file now differs from what was loaded (or cannot be read). */
int prom_tls_changed(const struct prom_tls *t, const char *cert_file, const char *key_file);
/* Wipes the key. */
void prom_tls_free(struct prom_tls *t);

#endif
