/* `hostwatch hash-password`: a password hash for exporters.prometheus.basic_auth.users. */
#ifndef HW_HASHPW_H
#define HW_HASHPW_H

#include <stdio.h>

/* Reads the password from in (prompting without echo when in is a terminal), prints the hash
 * to out. method: "bcrypt" (NULL), "sha256" or "sha512". Exit status: 0, or 2 on error. */
int hw_hash_password_run(const char *method, FILE *in, FILE *out);

#endif
