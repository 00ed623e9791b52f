/* `hostwatch check`'s warnings about log files the running user cannot read. */
#ifndef HW_PATHCHECK_H
#define HW_PATHCHECK_H

#include <stdio.h>

struct hw_config;

/* Prints "FILE: json.path: warning: ..." to out for every configured log path (or glob
 * match, or its directory) that exists but that this process cannot read; returns how many. */
size_t hw_pathcheck_warn(const struct hw_config *cfg, FILE *out);
/* A warning when the config file holds a secret (an option marked secret: a password hash, a
 * token) and every user may read it; returns 1 when it warned. */
int hw_pathcheck_secrets(const struct hw_config *cfg, FILE *out);

#endif
