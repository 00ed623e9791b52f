#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "filters/finder.h"

static const char *find(const char *needle, const char *hay)
{
    struct hw_finder f;
    hw_finder_init(&f, needle, strlen(needle));
    return hw_finder_find(&f, hay, strlen(hay));
}

static void test_basic(void **state)
{
    (void)state;
    const char *line = "2026-11-22T00:00:00Z INFO GET /x status=503 latency_ms=42";
    assert_ptr_equal(find("status=", line), strstr(line, "status="));
    assert_ptr_equal(find("latency_ms=", line), strstr(line, "latency_ms="));
    assert_ptr_equal(find("2026", line), line);
    assert_ptr_equal(find("=42", line), line + strlen(line) - 3);
    assert_null(find("ERROR", line));
    assert_null(find("latency_ms=42!", line));
    assert_ptr_equal(find("", line), line);
    assert_null(find("x", ""));
    const char *one = "S";
    struct hw_finder f;
    hw_finder_init(&f, "S", 1);
    assert_ptr_equal(hw_finder_find(&f, one, 1), one);
}

/* Binary bytes, NULs and a needle longer than the haystack. */
static void test_binary(void **state)
{
    (void)state;
    const char hay[] = {'a', 0, 'b', (char)0xff, 'c', 0, 'b', (char)0xff};
    const char nd[] = {0, 'b', (char)0xff};
    struct hw_finder f;
    hw_finder_init(&f, nd, sizeof(nd));
    assert_ptr_equal(hw_finder_find(&f, hay, sizeof(hay)), hay + 1);
    assert_ptr_equal(hw_finder_find(&f, hay + 2, sizeof(hay) - 2), hay + 5);
    assert_null(hw_finder_find(&f, hay, 2));
}

/* Same answers as memmem on random haystacks over small alphabets (many near misses). */
static void test_against_memmem(void **state)
{
    (void)state;
    char hay[2048], nd[48];
    srand(7);
    for (int t = 0; t < 200000; t++) {
        const int alpha = 1 + rand() % 4;
        const size_t n = (size_t)(rand() % (t % 64 == 0 ? 2048 : 256));
        const size_t m = (size_t)(rand() % 8 + (t % 16 == 0 ? rand() % 40 : 0));
        for (size_t i = 0; i < n; i++) {
            hay[i] = (char)('a' + rand() % alpha);
        }
        for (size_t i = 0; i < m; i++) {
            nd[i] = (char)('a' + rand() % alpha);
        }
        if (m > 0 && n >= m && rand() % 2) {
            memcpy(hay + rand() % (int)(n - m + 1), nd, m);
        }
        struct hw_finder f;
        hw_finder_init(&f, nd, m);
        assert_ptr_equal(hw_finder_find(&f, hay, n), memmem(hay, n, nd, m));
    }
}

/* The chosen byte everywhere in the haystack: still found (or not) through the memmem hand-over. */
static void test_common_rare_byte(void **state)
{
    (void)state;
    static char hay[1 << 16];
    char nd[200];
    memset(hay, 'a', sizeof(hay));
    memset(nd, 'a', sizeof(nd));
    nd[sizeof(nd) - 1] = 'b';
    struct hw_finder f;
    hw_finder_init(&f, nd, sizeof(nd));
    assert_null(hw_finder_find(&f, hay, sizeof(hay)));
    hay[sizeof(hay) - 1] = 'b';
    assert_ptr_equal(hw_finder_find(&f, hay, sizeof(hay)), hay + sizeof(hay) - sizeof(nd));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_against_memmem),
        cmocka_unit_test(test_common_rare_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
