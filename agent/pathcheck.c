/* Under systemd the agent runs as a dynamic user with no groups, and an application's or
 * Oracle's log is usually readable by its group only. `check` runs as that same user
 * (ExecStartPre=), so access(2) here answers for the service: each unreadable file gets a
 * warning pointing at SupplementaryGroups=, before the agent silently tails nothing. */
#include "pathcheck.h"

#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"

/* The option keys that name files a collector tails (logs: paths, fsfo: observer_logs). */
static const char *const path_keys[] = {"paths", "observer_logs"};

static void warn(FILE *out, const struct hw_config *cfg, const char *jpath, const char *what,
                 const char *file, int err)
{
    fprintf(out,
            "%s: %s: warning: %s %s is not readable by uid %u (%s); add its group to the "
            "service (SupplementaryGroups=, see examples/systemd/log-groups.conf)\n",
            cfg->file, jpath, what, file, (unsigned)geteuid(), strerror(err));
}

/* The directory of an absolute path (wildcards are only allowed in the file name). */
static void dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash && slash != path ? (size_t)(slash - path) : 1;
    if (n >= len) {
        n = len - 1;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
}

/* One configured path or glob; a directory or file that does not exist yet is not warned
 * about (the application may create it later), one that exists unreadable is. */
static size_t check_one(const struct hw_config *cfg, const char *jpath, const char *pattern,
                        FILE *out)
{
    char dir[4096];
    dir_of(pattern, dir, sizeof(dir));
    if (access(dir, F_OK) != 0) {
        return 0;
    }
    if (access(dir, R_OK | X_OK) != 0) {
        warn(out, cfg, jpath, "directory", dir, errno);
        return 1;
    }
    glob_t g;
    int rc = glob(pattern, GLOB_NOSORT, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        return 0;
    }
    if (rc != 0) {
        fprintf(out, "%s: %s: warning: cannot list %s\n", cfg->file, jpath, pattern);
        return 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        if (access(g.gl_pathv[i], R_OK) != 0) {
            warn(out, cfg, jpath, "file", g.gl_pathv[i], errno);
            n++;
        }
    }
    globfree(&g);
    return n;
}

size_t hw_pathcheck_warn(const struct hw_config *cfg, FILE *out)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->ncollectors; i++) {
        const struct hw_inst_conf *ic = &cfg->insts[i];
        if (!ic->common.enabled) {
            continue;
        }
        for (size_t k = 0; k < sizeof(path_keys) / sizeof(path_keys[0]); k++) {
            const json_t *arr = json_object_get(ic->json, path_keys[k]);
            char kp[512];
            hw_path_key(kp, sizeof(kp), ic->path, path_keys[k]);
            for (size_t j = 0; j < json_array_size(arr); j++) {
                const char *p = json_string_value(json_array_get(arr, j));
                char ip[560];
                if (p && p[0] == '/') {
                    n += check_one(cfg, hw_path_idx(ip, sizeof(ip), kp, j), p, out);
                }
            }
        }
    }
    return n;
}

int hw_pathcheck_secrets(const struct hw_config *cfg, FILE *out)
{
    struct stat sb;
    if (stat(cfg->file, &sb) != 0 || !(sb.st_mode & S_IROTH)) {
        return 0;
    }
    for (size_t i = 0; i < cfg->ncollectors + cfg->nexporters; i++) {
        const struct hw_inst_conf *ic = &cfg->insts[i];
        const struct hw_opt *table = ic->col ? ic->col->opts : ic->exp->opts;
        char key[300];
        if (ic->conf && hw_opt_find_secret(table, ic->conf, key, sizeof(key))) {
            fprintf(out, "%s: %s.%s: warning: a secret in a file every user can read (mode %03o); "
                         "chmod o-r %s (the packages install it root:hostwatch 0640)\n",
                    cfg->file, ic->path, key, (unsigned)(sb.st_mode & 0777), cfg->file);
            return 1;
        }
    }
    return 0;
}
