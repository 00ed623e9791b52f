/* hostwatch import: reads the source file, runs a converter, writes the config and checks it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "import.h"

#define IMPORT_MAX_PATHS 64

struct import_args {
    const char *kind, *file, *out;
    struct hw_import_path paths[IMPORT_MAX_PATHS];
    size_t npaths;
};

static int import_usage(FILE *errf, const char *what, const char *arg)
{
    fprintf(errf,
            "hostwatch: import: %s%s%s\n"
            "usage: hostwatch import cloudwatch-agent FILE [-o OUT]\n"
            "       hostwatch import metric-filters FILE --path LOGGROUP=GLOB... [-o OUT]\n",
            what, arg ? " " : "", arg ? arg : "");
    return 2;
}

static int import_parse(int argc, char **argv, struct import_args *a, FILE *errf)
{
    memset(a, 0, sizeof(*a));
    int i = 0;
    if (i >= argc) {
        return import_usage(errf, "needs cloudwatch-agent or metric-filters", NULL);
    }
    a->kind = argv[i++];
    if (strcmp(a->kind, "cloudwatch-agent") != 0 && strcmp(a->kind, "metric-filters") != 0) {
        return import_usage(errf, "unknown kind", a->kind);
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if ((strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) && i + 1 < argc) {
            a->out = argv[++i];
        } else if (strcmp(arg, "--path") == 0 && i + 1 < argc && a->kind[0] == 'm') {
            char *eq = strchr(argv[++i], '=');
            if (!eq || eq == argv[i] || !eq[1]) {
                return import_usage(errf, "--path needs LOGGROUP=GLOB, not", argv[i]);
            }
            if (a->npaths == IMPORT_MAX_PATHS) {
                return import_usage(errf, "too many --path options", NULL);
            }
            *eq = '\0';
            a->paths[a->npaths++] = (struct hw_import_path){argv[i], eq + 1};
        } else if (arg[0] == '-' && arg[1]) {
            return import_usage(errf, "unknown or incomplete option", arg);
        } else if (!a->file) {
            a->file = arg;
        } else {
            return import_usage(errf, "unexpected argument", arg);
        }
    }
    if (!a->file) {
        return import_usage(errf, "needs a FILE", NULL);
    }
    if (a->kind[0] == 'm' && a->npaths == 0) {
        return import_usage(errf, "metric-filters needs at least one --path LOGGROUP=GLOB", NULL);
    }
    return 0;
}

static int write_text(const char *file, const char *text, FILE *out, FILE *errf)
{
    if (!file) {
        return fputs(text, out) < 0 ? 1 : 0;
    }
    FILE *f = fopen(file, "w");
    if (!f) {
        fprintf(errf, "%s: cannot write: %s\n", file, strerror(errno));
        return 1;
    }
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad) {
        fprintf(errf, "%s: cannot write: %s\n", file, strerror(errno));
        return 1;
    }
    return 0;
}

/* The written config goes through the same check as `hostwatch check`. */
static int check_text(const char *name, const char *text, FILE *errf)
{
    struct hw_diag d;
    hw_diag_init(&d, name);
    struct hw_config *cfg = hw_config_parse(text, strlen(text), name, &d);
    int rc = 0;
    if (!cfg) {
        for (size_t i = 0; i < d.n; i++) {
            fprintf(errf, "%s\n", d.msgs[i]);
        }
        rc = 1;
    } else {
        fprintf(errf, "%s: check OK (%zu collectors, %zu exporters)\n", name, cfg->ncollectors,
                cfg->nexporters);
    }
    hw_config_free(cfg);
    hw_diag_free(&d);
    return rc;
}

static void print_msgs(const struct hw_diag *d, FILE *errf)
{
    for (size_t i = 0; i < d->n; i++) {
        fprintf(errf, "%s\n", d->msgs[i]);
    }
}

int hw_import_run(int argc, char **argv, FILE *out, FILE *errf)
{
    struct import_args a;
    int rc = import_parse(argc, argv, &a, errf);
    if (rc != 0) {
        return rc;
    }
    json_error_t je;
    json_t *src = json_load_file(a.file, 0, &je);
    if (!src) {
        if (je.line > 0) {
            fprintf(errf, "%s:%d:%d: %s\n", a.file, je.line, je.column, je.text);
        } else {
            fprintf(errf, "%s: %s\n", a.file, je.text);
        }
        return 1;
    }
    struct hw_import im;
    hw_import_init(&im, a.file);
    json_t *cfg = a.kind[0] == 'c' ? hw_import_cwagent(src, &im)
                                   : hw_import_filters(src, a.paths, a.npaths, &im);
    print_msgs(&im.err, errf);
    print_msgs(&im.warn, errf);
    char *text = cfg ? json_dumps(cfg, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    rc = 1;
    if (text) {
        size_t n = strlen(text);
        char *t = realloc(text, n + 2);
        if (t) {
            text = t;
            memcpy(text + n, "\n", 2);
            rc = write_text(a.out, text, out, errf);
            rc = rc ? rc : check_text(a.out ? a.out : "<stdout>", text, errf);
        }
    }
    free(text);
    json_decref(cfg);
    json_decref(src);
    hw_import_free(&im);
    return rc;
}
