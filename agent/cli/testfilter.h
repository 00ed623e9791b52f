/* `hostwatch test-filter` (SPEC §3). */
#ifndef HW_TESTFILTER_H
#define HW_TESTFILTER_H

#include <stdio.h>

#include "cli.h"

/* Returns the exit code: 0 some line matched, 1 none did, 2 error. */
int hw_test_filter_run(const struct hw_cli *cli, FILE *out);

#endif
