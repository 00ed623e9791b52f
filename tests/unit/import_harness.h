/* Helpers of the importer tests: fixtures, messages, and the check an imported config passes. */
#ifndef HW_IMPORT_HARNESS_H
#define HW_IMPORT_HARNESS_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli/import.h"
#include "config.h"
#include "diag.h"

#define SRC "src" /* the source name the messages start with */

static json_t *load_fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/import/%s", HW_FIXTURES, name);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        print_message("%s: %s\n", path, je.text);
    }
    assert_non_null(j);
    return j;
}

/* A message "src: PREFIX..." that contains needle (NULL: any). */
static int has_msg(const struct hw_diag *d, const char *prefix, const char *needle)
{
    const size_t skip = strlen(SRC ": ");
    for (size_t i = 0; i < d->n; i++) {
        const char *m = d->msgs[i];
        if (strncmp(m, SRC ": ", skip) == 0 && strncmp(m + skip, prefix, strlen(prefix)) == 0 &&
            (!needle || strstr(m, needle))) {
            return 1;
        }
    }
    return 0;
}

/* The converted config passes the same check as a hand-written one. */
static void assert_checks(const json_t *cfg)
{
    char *text = json_dumps(cfg, 0);
    assert_non_null(text);
    struct hw_diag d;
    hw_diag_init(&d, "imported");
    struct hw_config *c = hw_config_parse(text, strlen(text), "imported", &d);
    for (size_t i = 0; i < d.n; i++) {
        print_message("%s\n", d.msgs[i]);
    }
    assert_non_null(c);
    hw_config_free(c);
    hw_diag_free(&d);
    free(text);
}

/* ../shared/import-samples/SUB beside the checkout; -1, said in the log, when it is not there
 * (a dist tree, a package build). */
static int shared_samples(const char *sub, char *dir, size_t len)
{
    snprintf(dir, len, "%s/../../../shared/import-samples/%s", HW_FIXTURES, sub);
    if (access(dir, R_OK) != 0) {
        print_message("# SKIP ../shared/import-samples is missing\n");
        return -1;
    }
    return 0;
}

/* Converts each sample with conv, checks the result and runs more(src, out) on it. */
static void convert_samples(const char *sub, const char *const *files, size_t n,
                            json_t *(*conv)(const json_t *src, struct hw_import *im),
                            void (*more)(const json_t *src, const json_t *out))
{
    char dir[512];
    if (shared_samples(sub, dir, sizeof(dir)) != 0) {
        /* Not cmocka's skip(): its TAP line reads "not ok ... # SKIP", which the automake
         * driver counts as a failure, and a dist tree (the package builds) has no ../shared. */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char path[700];
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        json_t *src = json_load_file(path, 0, NULL);
        assert_non_null(src);
        struct hw_import im;
        hw_import_init(&im, SRC);
        json_t *out = conv(src, &im);
        if (!out) {
            print_message("%s: %s\n", files[i], im.err.n ? im.err.msgs[0] : "?");
        }
        assert_non_null(out);
        assert_checks(out);
        if (more) {
            more(src, out);
        }
        json_decref(out);
        json_decref(src);
        hw_import_free(&im);
    }
}

/* The end of a conversion test: the output passes check, and everything is freed. */
static void import_done(json_t *out, json_t *src, struct hw_import *im)
{
    assert_checks(out);
    json_decref(out);
    json_decref(src);
    hw_import_free(im);
}

#endif
