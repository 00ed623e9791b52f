#include "test_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "filters/regex.h"

static struct hw_regex *compile_ok(const char *re)
{
    char err[256];
    size_t col;
    struct hw_regex *rx = regex_compile(re, err, sizeof(err), &col);
    if (!rx) {
        print_message("%s: %s at %zu\n", re, err, col);
    }
    assert_non_null(rx);
    return rx;
}

static void test_match_and_groups(void **state)
{
    (void)state;
    struct hw_regex *rx = compile_ok("status=(?<status>\\d{3}) latency_ms=(?<value>\\d+)");
    const char *line = "GET /x status=503 latency_ms=42 ok";
    assert_int_equal(regex_match(rx, line, strlen(line)), 1);
    const char *v;
    size_t len;
    assert_int_equal(regex_group(rx, line, "status", &v, &len), 1);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "503", 3);
    assert_int_equal(regex_group(rx, line, "value", &v, &len), 1);
    assert_memory_equal(v, "42", 2);
    assert_int_equal(regex_group(rx, line, "nosuch", &v, &len), 0);
    const int n = regex_group_number(rx, "value");
    assert_int_equal(n, 2);
    assert_int_equal(regex_group_at(rx, line, n, &v, &len), 1);
    assert_memory_equal(v, "42", 2);
    assert_int_equal(regex_group_number(rx, "nosuch"), -1);
    assert_int_equal(regex_group_at(rx, line, -1, &v, &len), 0);
    assert_true(regex_has_group(rx, "status"));
    assert_false(regex_has_group(rx, "latency"));
    assert_int_equal(regex_match(rx, "status=50 latency_ms=1", 22), 0);
    regex_free(rx);
}

static void test_unset_group_and_binary(void **state)
{
    (void)state;
    struct hw_regex *rx = compile_ok("a(?<x>b)?c");
    const char *v;
    size_t len;
    assert_int_equal(regex_match(rx, "ac", 2), 1);
    assert_int_equal(regex_group(rx, "ac", "x", &v, &len), 0); /* did not take part */
    regex_free(rx);
    /* Lines are bytes: NULs and invalid UTF-8 do not upset matching. */
    rx = compile_ok("ERROR");
    const char bin[] = {'\xff', '\0', 'E', 'R', 'R', 'O', 'R', '\xc3'};
    assert_int_equal(regex_match(rx, bin, sizeof(bin)), 1);
    regex_free(rx);
}

static void test_compile_error(void **state)
{
    (void)state;
    char err[256];
    size_t col = 0;
    assert_null(regex_compile("status=(\\d+", err, sizeof(err), &col));
    assert_int_equal(col, 12);
    assert_non_null(strstr(err, "missing closing parenthesis"));
    assert_null(regex_compile("a{2,1}", err, sizeof(err), &col));
}

/* A catastrophic-backtracking pattern on a hostile line ends quickly with -1, not a stall. */
static void test_match_limit(void **state)
{
    (void)state;
    struct hw_regex *rx = compile_ok("^(\\w+\\s?)*$");
    char line[4096];
    memset(line, 'a', sizeof(line) - 2);
    line[sizeof(line) - 2] = '!';
    line[sizeof(line) - 1] = '\0';
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(regex_match(rx, line, strlen(line)), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(secs < 1.0);
    regex_free(rx);
}

static void test_required_literal(void **state)
{
    (void)state;
    static const struct {
        const char *re, *lit;
    } cases[] = {
        {"ERROR", "ERROR"},
        {"latency_ms=(?<value>\\d+)", "latency_ms="},
        {"status=(?<status>\\d{3})", "status="},
        {"abcd*e", "abc"},
        {"x{1000}yz", NULL},
        {"timeout|refused", NULL},
        {"(?i)error", NULL},
        {"a.b.c", NULL},
        {"\\d+ requests served", " requests served"},
        {"[ERROR] disk", " disk"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hw_regex *rx = compile_ok(cases[i].re);
        size_t len;
        const char *lit = regex_required_literal(rx, &len);
        if (!cases[i].lit) {
            assert_null(lit);
        } else {
            assert_non_null(lit);
            assert_int_equal(len, strlen(cases[i].lit));
            assert_memory_equal(lit, cases[i].lit, len);
        }
        regex_free(rx);
    }
}

static void collect(void *arg, const char *name, const char *v, size_t len)
{
    char *out = arg;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%s=%.*s;", name, (int)len, v);
}

static void test_foreach_group(void **state)
{
    (void)state;
    struct hw_regex *rx = compile_ok("(?<a>\\d+)-(?<b>\\w+)(?<c>!)?");
    const char *line = "12-xy";
    char out[256] = "";
    assert_int_equal(regex_match(rx, line, strlen(line)), 1);
    regex_foreach_group(rx, line, collect, out);
    assert_string_equal(out, "a=12;b=xy;");
    regex_free(rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_and_groups), cmocka_unit_test(test_unset_group_and_binary),
        cmocka_unit_test(test_compile_error),    cmocka_unit_test(test_match_limit),
        cmocka_unit_test(test_required_literal), cmocka_unit_test(test_foreach_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
