#include "prom_auth.h"

#include <crypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

#define AUTH_CACHE_SLOTS 16
#define AUTH_MAX_FIELD 256 /* longer user names or passwords are refused */

/* Paths that may be left open; anything else is a typo worth reporting. */
static const char *const openable_paths[] = {"/healthz", "/-/healthy", "/-/ready", "/",
                                             "/metrics", NULL};

struct prom_user {
    char *name;
    char *hash;
};

struct prom_auth {
    struct prom_user *users;
    size_t nusers;
    char **open;
    size_t nopen;
    /* Recently accepted "user:password" pairs: a scraper sends the same header every few
     * seconds, and a bcrypt check costs tens of milliseconds of CPU each time. */
    pthread_mutex_t lock;
    char *cache[AUTH_CACHE_SLOTS];
    size_t cache_next;
};

/* Compares without an early exit, so the time depends on the lengths only. */
static int ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned diff = (unsigned)(alen ^ blen);
    for (size_t i = 0; i < blen; i++) {
        unsigned char ca = i < alen ? (unsigned char)a[i] : 0;
        diff |= (unsigned)(ca ^ (unsigned char)b[i]);
    }
    return diff == 0;
}

/* A method crypt(3) knows is not enough: a truncated hash would lock everyone out, so one
 * trial hash must come out as long as the configured one. */
static int hash_usable(const char *hash)
{
    /* libxcrypt calls SHA-crypt with SHA-256 ("$5$") a legacy method, yet checks it: a hash
     * hash-password makes must be one check accepts */
    const int salt = hash[0] == '$' ? crypt_checksalt(hash) : CRYPT_SALT_INVALID;
    if (salt != CRYPT_SALT_OK && salt != CRYPT_SALT_METHOD_LEGACY) {
        return 0;
    }
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    if (!cd) {
        return 0;
    }
    const char *out = crypt_rn("", hash, cd, (int)sizeof(*cd));
    int ok = out && out[0] == '$' && strlen(out) == strlen(hash);
    free(cd);
    return ok;
}

int prom_auth_validate(const struct hw_strmap *users, const struct hw_strlist *open_paths,
                       const char *path, struct hw_diag *d)
{
    char kp[256], up[512];
    int errors = 0;
    if (users->n == 0 && open_paths->n > 0) {
        hw_diag_add(d, hw_path_key(kp, sizeof(kp), path, "users"),
                    "open_paths is set but no users are: add at least one user");
        errors++;
    }
    for (size_t i = 0; i < users->n; i++) {
        hw_path_key(up, sizeof(up), hw_path_key(kp, sizeof(kp), path, "users"), users->keys[i]);
        if (users->keys[i][0] == '\0' || strchr(users->keys[i], ':') ||
            strlen(users->keys[i]) > AUTH_MAX_FIELD) {
            hw_diag_add(d, up, "a user name is 1-%d characters without ':'", AUTH_MAX_FIELD);
            errors++;
        } else if (!hash_usable(users->values[i])) {
            hw_diag_add(d, up,
                        "not a password hash this system can check (bcrypt \"$2b$...\", "
                        "\"$5$...\", \"$6$...\" or \"$y$...\"); make one with "
                        "`hostwatch hash-password`");
            errors++;
        }
    }
    for (size_t i = 0; i < open_paths->n; i++) {
        size_t k = 0;
        while (openable_paths[k] && strcmp(openable_paths[k], open_paths->v[i]) != 0) {
            k++;
        }
        if (!openable_paths[k]) {
            snprintf(up, sizeof(up), "%s[%zu]", hw_path_key(kp, sizeof(kp), path, "open_paths"),
                     i);
            hw_diag_add(d, up,
                        "\"%s\" is not an endpoint; choose from /healthz, /-/healthy, /-/ready, "
                        "/, /metrics",
                        open_paths->v[i]);
            errors++;
        }
    }
    return errors;
}

struct prom_auth *prom_auth_new(const struct hw_strmap *users,
                                const struct hw_strlist *open_paths)
{
    struct prom_auth *a = calloc(1, sizeof(*a));
    if (!a) {
        return NULL;
    }
    if (pthread_mutex_init(&a->lock, NULL) != 0) {
        free(a);
        return NULL;
    }
    a->users = calloc(users->n ? users->n : 1, sizeof(*a->users));
    a->open = calloc(open_paths->n ? open_paths->n : 1, sizeof(*a->open));
    if (!a->users || !a->open) {
        goto fail;
    }
    for (size_t i = 0; i < users->n; i++, a->nusers++) {
        a->users[i].name = strdup(users->keys[i]);
        a->users[i].hash = strdup(users->values[i]);
        if (!a->users[i].name || !a->users[i].hash) {
            a->nusers++;
            goto fail;
        }
    }
    for (size_t i = 0; i < open_paths->n; i++, a->nopen++) {
        if (!(a->open[i] = strdup(open_paths->v[i]))) {
            goto fail;
        }
    }
    return a;
fail:
    prom_auth_free(a);
    return NULL;
}

static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void prom_auth_free(struct prom_auth *a)
{
    if (!a) {
        return;
    }
    for (size_t i = 0; i < a->nusers; i++) {
        free(a->users[i].name);
        free(a->users[i].hash);
    }
    for (size_t i = 0; i < a->nopen; i++) {
        free(a->open[i]);
    }
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++) {
        free_secret(a->cache[i]);
    }
    free(a->users);
    free(a->open);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

int prom_auth_path_open(const struct prom_auth *a, const char *url)
{
    for (size_t i = 0; i < a->nopen; i++) {
        if (strcmp(a->open[i], url) == 0) {
            return 1;
        }
    }
    return 0;
}

/* 1 when pair ("user:password") was accepted recently; every slot is compared. */
static int cache_hit(struct prom_auth *a, const char *pair, size_t len)
{
    int hit = 0;
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++) {
        if (a->cache[i]) {
            hit |= ct_equal(a->cache[i], strlen(a->cache[i]), pair, len);
        }
    }
    pthread_mutex_unlock(&a->lock);
    return hit;
}

static void cache_put(struct prom_auth *a, const char *pair)
{
    char *copy = strdup(pair);
    if (!copy) {
        return;
    }
    pthread_mutex_lock(&a->lock);
    free_secret(a->cache[a->cache_next]);
    a->cache[a->cache_next] = copy;
    a->cache_next = (a->cache_next + 1) % AUTH_CACHE_SLOTS;
    pthread_mutex_unlock(&a->lock);
}

/* The password is checked against a hash even for an unknown user (the first user's, whose
 * cost is the same for a well-kept config), so both failures take as long as a success. */
static int verify_slow(const struct prom_auth *a, const char *user, const char *password)
{
    size_t ulen = strlen(user), found = 0, idx = 0;
    for (size_t i = 0; i < a->nusers; i++) {
        size_t eq = (size_t)ct_equal(a->users[i].name, strlen(a->users[i].name), user, ulen);
        idx |= (0 - eq) & i;
        found |= eq;
    }
    const char *hash = a->users[idx].hash;
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    if (!cd) {
        return 0;
    }
    const char *out = crypt_rn(password, hash, cd, (int)sizeof(*cd));
    int match = out && ct_equal(out, strlen(out), hash, strlen(hash));
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return match && found;
}

int prom_auth_verify(struct prom_auth *a, const char *user, const char *password)
{
    if (!user || !password || a->nusers == 0) {
        return 0;
    }
    size_t ulen = strlen(user), plen = strlen(password);
    if (ulen > AUTH_MAX_FIELD || plen > AUTH_MAX_FIELD) {
        return 0;
    }
    char pair[2 * AUTH_MAX_FIELD + 2];
    memcpy(pair, user, ulen);
    pair[ulen] = ':';
    memcpy(pair + ulen + 1, password, plen + 1);
    int ok = cache_hit(a, pair, ulen + 1 + plen);
    if (!ok && verify_slow(a, user, password)) {
        cache_put(a, pair);
        ok = 1;
    }
    explicit_bzero(pair, sizeof(pair));
    return ok;
}

int prom_auth_hash(const char *password, const char *method, char *out, size_t outlen,
                   const char **why)
{
    const char *prefix = "$2b$";
    unsigned long rounds = 10; /* bcrypt's usual cost: ~50 ms, once per scraper thanks to the cache */
    if (method && strcmp(method, "sha256") == 0) {
        prefix = "$5$";
        rounds = 0;
    } else if (method && strcmp(method, "sha512") == 0) {
        prefix = "$6$";
        rounds = 0;
    } else if (method && strcmp(method, "bcrypt") != 0) {
        *why = "method must be bcrypt, sha256 or sha512";
        return -1;
    }
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn(prefix, rounds, NULL, 0, setting, (int)sizeof(setting))) {
        *why = "no random salt available";
        return -1;
    }
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    if (!cd) {
        *why = "out of memory";
        return -1;
    }
    const char *h = crypt_rn(password, setting, cd, (int)sizeof(*cd));
    int rc = -1;
    if (!h || h[0] == '*') {
        *why = "hashing failed";
    } else if (strlen(h) >= outlen) {
        *why = "hash too long";
    } else {
        memcpy(out, h, strlen(h) + 1);
        rc = 0;
    }
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
    return rc;
}
