/* The SigV4 tests' shared pieces: the AWS suite's example credentials and the dlopen()ed
 * libcrypto every test gets as its state. Shared by test_sigv4.c and test_sigv4_forms.c. */
#ifndef HW_SIGV4_HARNESS_H
#define HW_SIGV4_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/net/netlib.h"
#include "exporters/aws/sigv4.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char suite_access[] = "AKIDEXAMPLE";
static const char suite_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/* Every test gets the dlopen()ed libcrypto as its state, as the exporters hand it to sigv4. */
static inline int open_lib(void **state)
{
    char err[256];
    *state = netlib_open(err, sizeof(err));
    if (*state == NULL) {
        print_error("netlib_open: %s\n", err);
        return -1;
    }
    return 0;
}

static inline int close_lib(void **state)
{
    netlib_close(*state);
    return 0;
}

#endif
