/* Shared between the AWS credential modules only. */
#ifndef HW_AWS_INTERNAL_H
#define HW_AWS_INTERNAL_H

#include "aws_credentials.h"
#include "buf.h"

/* Copies src when it fits in len with its NUL: 0, else -1 (NULL too). */
int aws_copy_field(char *dst, size_t len, const char *src);
/* c->identity = "WHO, access key AKIAABCD..." (the key id's first 8 characters only). */
void aws_creds_set_identity(struct aws_creds *c, const char *who);
/* The profile in use: AWS_PROFILE, else "default". */
const char *aws_profile_name(void);
/* The shared credentials file (config_file 0) or config file (1): the environment's override
 * or the one under HOME. 0, or -1 without HOME. */
int aws_profile_file(int config_file, char *path, size_t len);
/* A key of the current profile, looked up in the credentials file, then the config file;
 * where = the file it came from (or the config file's path when not found). 1 found, else 0. */
int aws_profile_lookup(const char *key, char *out, size_t len, char *where, size_t wlen);

/* credential_process (see aws_credprocess.c). */
#define AWS_CREDPROC_TIMEOUT_MS 30000
#define AWS_CREDPROC_MAX_OUTPUT (64 * 1024)
#define AWS_CREDPROC_MAX_ARGS 64
/* Splits a command line like a POSIX shell (blanks; '...'; "..." with \" and \\; \x) into
 * argv (NULL-terminated, words stored in buf). argc, or -1 with why. */
int aws_split_command(const char *cmd, char *buf, size_t buflen, char **argv, size_t maxargs,
                      char *why, size_t wlen);
/* The process's JSON: Version 1, AccessKeyId, SecretAccessKey, optional SessionToken and
 * Expiration (refused when already past at now_ms). 0, or -1 with why (never a value). */
int aws_creds_parse_process(const char *text, size_t len, int64_t now_ms, struct aws_creds *out,
                            char *why, size_t wlen);
/* Runs argv without a shell; its stdout into out, at most AWS_CREDPROC_MAX_OUTPUT bytes within
 * timeout_ms. 0 when it exited 0, else -1 with why (with the first line of its stderr). */
int aws_run_captured(char *const argv[], int timeout_ms, struct hw_buf *out, char *why,
                     size_t wlen);
int aws_creds_from_process(struct aws_creds *c, char *why, size_t len);

int aws_imds_get(struct hw_http *http, const char *path, char *out, size_t len);
int aws_creds_from_web_identity(struct hw_http *http, const char *region, struct aws_creds *c,
                                char *why, size_t len);
int aws_creds_from_ecs(struct hw_http *http, struct aws_creds *c, char *why, size_t len);
int aws_creds_from_imds(struct hw_http *http, struct aws_creds *c, char *why, size_t len);

#endif
