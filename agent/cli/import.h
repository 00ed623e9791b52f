/* hostwatch import: other tools' configs turned into hostwatch configs. The converters are pure
 * (JSON in, JSON out, messages collected) so unit tests feed them documents; import.c reads and
 * writes the files and runs check on the result. */
#ifndef HW_CLI_IMPORT_H
#define HW_CLI_IMPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"

/* "FILE: json.path: message" lines, in the order they were found (as `check` prints them). */
struct hw_import {
    struct hw_diag warn; /* converted, with a difference the user must know ("warning: ...") */
    struct hw_diag err;  /* the input is invalid: nothing is written */
};

/* file names the source in every message. */
void hw_import_init(struct hw_import *im, const char *file);
void hw_import_free(struct hw_import *im);
/* Adds "FILE: PATH: warning: message" or "FILE: PATH: message"; PATH may be NULL. */
void hw_import_warn(struct hw_import *im, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void hw_import_error(struct hw_import *im, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A CloudWatch agent config (amazon-cloudwatch-agent.json) as a hostwatch config; NULL when
 * im->err has errors. */
json_t *hw_import_cwagent(const json_t *src, struct hw_import *im);

/* One --path LOGGROUP=GLOB: the files that hold a log group's events. */
struct hw_import_path {
    const char *group;
    const char *glob;
};

/* aws logs describe-metric-filters output as log sources with pattern filters and a
 * CloudWatch exporter; NULL when im->err has errors. */
json_t *hw_import_filters(const json_t *src, const struct hw_import_path *paths, size_t npaths,
                          struct hw_import *im);

/* hostwatch import KIND FILE ...: argv starts after "import"; returns the exit code. */
int hw_import_run(int argc, char **argv, FILE *out, FILE *errf);

#endif
