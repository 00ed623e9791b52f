/* Basic authentication for the HTTP endpoint: users with crypt(3) password hashes (bcrypt
 * "$2b$", SHA-256-crypt "$5$", SHA-512-crypt "$6$", yescrypt "$y$"), checked so that the time
 * taken does not tell a wrong user from a wrong password. */
#ifndef HW_PROM_AUTH_H
#define HW_PROM_AUTH_H

#include <stddef.h>

#include "opt.h"

struct hw_diag;
struct prom_auth;

/* Checks every hash and path of a basic_auth block; adds to d, returns the number of errors.
 * path is the JSON path of the block. */
int prom_auth_validate(const struct hw_strmap *users, const struct hw_strlist *open_paths,
                       const char *path, struct hw_diag *d);

/* NULL when out of memory (the block was validated). */
struct prom_auth *prom_auth_new(const struct hw_strmap *users,
                                const struct hw_strlist *open_paths);
void prom_auth_free(struct prom_auth *a);

/* 1 when url is served without credentials. */
int prom_auth_path_open(const struct prom_auth *a, const char *url);

/* 1 when user and password (either may be NULL: no or malformed header) are valid. Safe from
 * several threads. */
int prom_auth_verify(struct prom_auth *a, const char *user, const char *password);

/* A new hash of password for the config: method "bcrypt" (default), "sha256" or "sha512".
 * 0, or -1 with *why set. */
int prom_auth_hash(const char *password, const char *method, char *out, size_t outlen,
                   const char **why);

#endif
