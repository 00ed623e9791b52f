/* Shared between the AWS credential modules only. */
#ifndef HW_AWS_INTERNAL_H
#define HW_AWS_INTERNAL_H

#include "aws_credentials.h"

/* c->identity = "WHO, access key AKIAABCD..." (the key id's first 8 characters only). */
void aws_creds_set_identity(struct aws_creds *c, const char *who);
int aws_imds_get(struct aws_http *http, const char *path, char *out, size_t len);
int aws_creds_from_web_identity(struct aws_http *http, const char *region, struct aws_creds *c,
                                char *why, size_t len);
int aws_creds_from_ecs(struct aws_http *http, struct aws_creds *c, char *why, size_t len);
int aws_creds_from_imds(struct aws_http *http, struct aws_creds *c, char *why, size_t len);

#endif
