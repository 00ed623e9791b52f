/* Shared includes for the cmocka unit tests. */
#ifndef HW_TEST_UTIL_H
#define HW_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#endif
