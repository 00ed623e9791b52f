/* libFuzzer: the SigV4 signer on arbitrary request pieces. The input is split on NUL or newline
 * into: flags, method, path, query, session token, then header name/value pairs; a "host"
 * header is appended when the flags ask for it. Signing must either fail cleanly or produce a
 * well-formed, reproducible Authorization value. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/net/netlib.h"
#include "exporters/aws/sigv4.h"

#define FUZZ_FIELDS 24

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libcrypto, loaded once for the whole run like an exporter does at start. */
static struct netlib *fuzz_lib;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    fuzz_lib = netlib_open(err, sizeof(err));
    if (fuzz_lib == NULL) {
        abort();
    }
    return 0;
}

/* Signs twice and checks the result is identical and shaped like an Authorization value. */
static void fuzz_check(const struct sigv4_input *in)
{
    struct sigv4_output a;
    struct sigv4_output b;
    const int rc = sigv4_sign(in, &a);
    if (sigv4_sign(in, &b) != rc || memcmp(&a, &b, sizeof(a)) != 0) {
        abort();
    }
    char *creq = NULL;
    const int crc = sigv4_canonical_request(in, &creq);
    if (rc != SIGV4_OK) {
        if (a.authorization[0] != '\0') {
            abort();
        }
        free(creq);
        return;
    }
    if (crc != SIGV4_OK || strncmp(a.authorization, "AWS4-HMAC-SHA256 Credential=AKID/", 33) != 0 ||
        strlen(a.signature) != SIGV4_HEX_LEN || strchr(a.authorization, '\n') != NULL) {
        abort();
    }
    /* Method, path, query, headers (host and x-amz-date at least), blank line, signed names. */
    size_t lines = 0;
    for (const char *p = creq; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    if (lines < 7) {
        abort();
    }
    free(creq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (buf == NULL) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *field[FUZZ_FIELDS];
    size_t nfield = 0;
    size_t start = 0;
    for (size_t i = 0; i <= size && nfield < FUZZ_FIELDS; i++) {
        if (i == size || buf[i] == '\0' || buf[i] == '\n') {
            buf[i] = '\0';
            field[nfield++] = buf + start;
            start = i + 1;
        }
    }
    for (size_t i = nfield; i < FUZZ_FIELDS; i++) {
        field[i] = "";
    }
    const unsigned flags = (unsigned char)field[0][0];
    struct sigv4_header hdrs[(FUZZ_FIELDS - 5) / 2 + 1];
    size_t nh = 0;
    for (size_t i = 5; i + 1 < FUZZ_FIELDS && i + 1 < nfield; i += 2) {
        hdrs[nh].name = field[i];
        hdrs[nh].value = field[i + 1];
        nh++;
    }
    if (flags & 1u) {
        hdrs[nh].name = "Host";
        hdrs[nh].value = "monitoring.eu-west-1.amazonaws.com";
        nh++;
    }
    const struct sigv4_input in = {
        .method = field[1],
        .path = (flags & 2u) ? NULL : field[2],
        .query = field[3],
        .headers = hdrs,
        .nheaders = nh,
        .payload = data,
        .payload_len = size,
        .region = "eu-west-1",
        .service = (flags & 4u) ? "aps" : "monitoring",
        .amz_date = "20260315T081500Z",
        .access_key = "AKID",
        .secret_key = "secret",
        .session_token = (flags & 8u) ? field[4] : NULL,
        .normalize_path = (flags & 16u) == 0,
        .crypto = fuzz_lib,
    };
    fuzz_check(&in);
    free(buf);
    return 0;
}
