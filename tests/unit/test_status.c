/* The status document's holder (one writer, readers on other threads, copies out) and its
 * time format. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "status.h"

static void test_time_format(void **state)
{
    (void)state;
    char t[40];
    hw_status_time(1795309323004LL, t, sizeof(t));
    assert_string_equal(t, "2026-11-22T01:02:03.004Z");
    hw_status_time(0, t, sizeof(t));
    assert_string_equal(t, ""); /* never: the document says null */
}

static void test_put_and_get(void **state)
{
    (void)state;
    struct hw_status *s = hw_status_new();
    size_t len = 99;
    assert_non_null(s);
    assert_null(hw_status_get(s, &len)); /* before the first document */
    assert_int_equal(len, 0);
    hw_status_put(s, strdup("{\"a\":1}"), 7);
    char *c = hw_status_get(s, &len);
    assert_string_equal(c, "{\"a\":1}");
    assert_int_equal(len, 7);
    hw_status_put(s, strdup("{}"), 2); /* the copy handed out stays valid */
    assert_string_equal(c, "{\"a\":1}");
    free(c);
    hw_status_put(s, NULL, 0); /* out of memory while building: the old one stays */
    c = hw_status_get(s, &len);
    assert_string_equal(c, "{}");
    free(c);
    hw_status_free(s);
    assert_null(hw_status_get(NULL, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_put_and_get),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
