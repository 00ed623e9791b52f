/* Basic auth (crypt(3) hashes, open paths, the success cache) and the TLS file checks of the
 * HTTP endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

#include "diag.h"
#include "exporters/prometheus/prom_auth.h"
#include "exporters/prometheus/prom_tls.h"

/* A users map and an open_paths list over static strings (the structs own nothing here). */
struct auth_fixture {
    char *keys[3], *values[3], *paths[3];
    struct hw_strmap users;
    struct hw_strlist open;
};

static void fixture_init(struct auth_fixture *f, const char *user, const char *hash,
                         const char *open_path)
{
    memset(f, 0, sizeof(*f));
    f->keys[0] = (char *)user;
    f->values[0] = (char *)hash;
    f->paths[0] = (char *)open_path;
    f->users = (struct hw_strmap){f->keys, f->values, user ? 1 : 0};
    f->open = (struct hw_strlist){f->paths, open_path ? 1 : 0};
}

static void hash_of(const char *pw, const char *method, char *out, size_t len)
{
    const char *why = NULL;
    assert_int_equal(prom_auth_hash(pw, method, out, len, &why), 0);
}

static void test_hash_methods(void **s)
{
    (void)s;
    char h[256];
    hash_of("s3cret", NULL, h, sizeof(h));
    assert_memory_equal(h, "$2b$10$", 7);
    hash_of("s3cret", "sha256", h, sizeof(h));
    assert_memory_equal(h, "$5$", 3);
    hash_of("s3cret", "sha512", h, sizeof(h));
    assert_memory_equal(h, "$6$", 3);
    const char *why = NULL;
    assert_int_equal(prom_auth_hash("x", "md5", h, sizeof(h), &why), -1);
    assert_non_null(strstr(why, "bcrypt"));
}

static void test_verify(void **s)
{
    (void)s;
    char h[256];
    hash_of("right horse", "sha256", h, sizeof(h));
    struct auth_fixture f;
    fixture_init(&f, "prom", h, "/healthz");
    struct prom_auth *a = prom_auth_new(&f.users, &f.open);
    assert_non_null(a);
    assert_int_equal(prom_auth_verify(a, "prom", "right horse"), 1);
    assert_int_equal(prom_auth_verify(a, "prom", "right horse"), 1); /* from the cache */
    assert_int_equal(prom_auth_verify(a, "prom", "right hors"), 0);
    assert_int_equal(prom_auth_verify(a, "prom", "right horse "), 0);
    assert_int_equal(prom_auth_verify(a, "Prom", "right horse"), 0);
    assert_int_equal(prom_auth_verify(a, "nobody", "right horse"), 0);
    assert_int_equal(prom_auth_verify(a, "prom", ""), 0);
    assert_int_equal(prom_auth_verify(a, NULL, NULL), 0);
    assert_int_equal(prom_auth_verify(a, "prom", NULL), 0);
    char big[600];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(prom_auth_verify(a, "prom", big), 0);
    assert_int_equal(prom_auth_verify(a, big, "right horse"), 0);
    assert_int_equal(prom_auth_path_open(a, "/healthz"), 1);
    assert_int_equal(prom_auth_path_open(a, "/metrics"), 0);
    assert_int_equal(prom_auth_path_open(a, "/healthz/"), 0);
    prom_auth_free(a);
}

/* A fresh bcrypt hash, and a published bcrypt test vector (cost 5), check with crypt(3). */
static void test_verify_bcrypt(void **s)
{
    (void)s;
    char h[256];
    hash_of("pw", "bcrypt", h, sizeof(h));
    struct auth_fixture f;
    fixture_init(&f, "u", h, NULL);
    struct prom_auth *a = prom_auth_new(&f.users, &f.open);
    assert_int_equal(prom_auth_verify(a, "u", "pw"), 1);
    assert_int_equal(prom_auth_verify(a, "u", "pW"), 0);
    prom_auth_free(a);
    static const char known[] = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
    fixture_init(&f, "u", known, NULL);
    a = prom_auth_new(&f.users, &f.open);
    assert_int_equal(prom_auth_verify(a, "u", "U*U"), 1);
    assert_int_equal(prom_auth_verify(a, "u", "U*V"), 0);
    prom_auth_free(a);
}

static size_t validate_msgs(const char *user, const char *hash, const char *open_path,
                            const char *want)
{
    struct auth_fixture f;
    fixture_init(&f, user, hash, open_path);
    struct hw_diag d;
    hw_diag_init(&d, "c.json");
    int n = prom_auth_validate(&f.users, &f.open, "exporters.prometheus.basic_auth", &d);
    assert_int_equal((size_t)n, d.n);
    if (want) {
        assert_true(d.n >= 1);
        if (!strstr(d.msgs[0], want)) {
            fail_msg("message \"%s\" lacks \"%s\"", d.msgs[0], want);
        }
    }
    size_t count = d.n;
    hw_diag_free(&d);
    return count;
}

static void test_validate(void **s)
{
    (void)s;
    char h[256];
    /* every method hash-password offers is one check accepts ("$5$" is legacy to libxcrypt) */
    static const char *const methods[] = {"bcrypt", "sha256", "sha512"};
    for (size_t i = 0; i < 3; i++) {
        hash_of("pw", methods[i], h, sizeof(h));
        assert_int_equal(validate_msgs("prom", h, "/healthz", NULL), 0);
    }
    assert_int_equal(validate_msgs(NULL, NULL, NULL, NULL), 0);
    validate_msgs("prom", "plaintext-password",  NULL,
                  "c.json: exporters.prometheus.basic_auth.users.prom: not a password hash");
    validate_msgs("prom", "$2b$10$short", NULL, "users.prom: not a password hash");
    validate_msgs("a:b", h, NULL, "users.a:b: a user name is 1-256 characters without ':'");
    validate_msgs("prom", h, "/metric", "basic_auth.open_paths[0]: \"/metric\" is not an endpoint");
    validate_msgs(NULL, NULL, "/healthz", "basic_auth.users: open_paths is set but no users");
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/hw-tls-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

static size_t tls_msgs(const char *cert, const char *key, const char *want)
{
    struct hw_diag d;
    hw_diag_init(&d, "c.json");
    int n = prom_tls_validate(cert, key, "exporters.prometheus.tls", &d);
    assert_int_equal((size_t)n, d.n);
    if (want && (d.n == 0 || !strstr(d.msgs[0], want))) {
        fail_msg("messages lack \"%s\" (%zu of them)", want, d.n);
    }
    size_t count = d.n;
    hw_diag_free(&d);
    return count;
}

static void test_tls_files(void **s)
{
    (void)s;
    char *cert = write_tmp(cert_pem), *key = write_tmp(key_pem), *junk = write_tmp("hello\n");
    assert_int_equal(tls_msgs(NULL, NULL, NULL), 0);
    assert_int_equal(tls_msgs(cert, key, NULL), 0);
    tls_msgs(cert, NULL, "tls.key_file: TLS needs both cert_file and key_file");
    tls_msgs(NULL, key, "tls.cert_file: TLS needs both");
    tls_msgs("/nonexistent/c.pem", key, "tls.cert_file: certificate \"/nonexistent/c.pem\": No such");
    tls_msgs(cert, junk, "tls.key_file: key \"");
    tls_msgs(key, key, "no PEM block with \"CERTIFICATE-----\"");

    struct prom_tls t;
    char why[256];
    assert_int_equal(prom_tls_load(&t, cert, key, why, sizeof(why)), 0);
    assert_string_equal(t.cert.data, cert_pem);
    assert_int_equal(prom_tls_changed(&t, cert, key), 0);
    FILE *f = fopen(cert, "a");
    assert_non_null(f);
    fputs("\n", f);
    fclose(f);
    assert_int_equal(prom_tls_changed(&t, cert, key), 1);
    assert_int_equal(prom_tls_changed(&t, "/nonexistent/c.pem", key), 1);
    prom_tls_free(&t);
    assert_int_equal(prom_tls_load(&t, cert, junk, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "no PEM block with \"PRIVATE KEY-----\""));
    unlink(cert);
    unlink(key);
    unlink(junk);
    free(cert);
    free(key);
    free(junk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_methods),  cmocka_unit_test(test_verify),
        cmocka_unit_test(test_verify_bcrypt), cmocka_unit_test(test_validate),
        cmocka_unit_test(test_tls_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
