/* CloudWatch filter patterns: a conformance table (pattern, line, expected result, extracted
 * fields) built from the documented examples and hostwatch's documented choices, compile
 * errors with their columns, required-literal soundness, lookups and resource limits. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four headers above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/cwpattern.h"

/* One conformance row: fields is "name=value|name=value" checked through cwp_match_lookup. */
struct row {
    const char *pattern;
    const char *line;
    int expect;
    const char *fields;
};

#define APACHE                                                                                     \
    "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif HTTP/1.0\" 404 2326"
#define APACHE_200                                                                                 \
    "127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 1534"
#define APACHE_HTML                                                                                \
    "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /index.html HTTP/1.0\" 404 1534"
#define APACHE_FIELDS                                                                              \
    "$ip=127.0.0.1|$identity=-|$user_id=frank|$timestamp=10/Oct/2000:13:25:15 -0700|"              \
    "$request=GET /apache_pb.gif HTTP/1.0|$status_code=404|$size=2326"
#define APACHE_PATTERN "[ip, identity, user_id, timestamp, request, status_code = 4*, size]"

#define TRAIL                                                                                      \
    "{\"eventType\":\"UpdateTrail\",\"sourceIPAddress\":\"111.111.111.111\","                      \
    "\"arrayKey\":[\"value\",\"another value\"],\"objectList\":[{\"name\":\"a\",\"id\":1},"        \
    "{\"name\":\"b\",\"id\":2}],\"SomeObject\":null,\"ThisFlag\":true}"
#define USERS                                                                                      \
    "{\"user\":{\"id\":1,\"email\":\"John.Stiles@example.com\"},\"users\":[{\"id\":2,"             \
    "\"email\":\"John.Doe@example.com\"},{\"id\":3,\"email\":\"Jane.Doe@example.com\"}],"          \
    "\"actions\":[\"GET\",\"PUT\",\"DELETE\"],\"coordinates\":[[0,1,2],[4,5,6],[7,8,9]]}"
#define NUMS                                                                                       \
    "{\"latency\":1500,\"numbers\":[5,0.001],\"processes\":[{},{},{},{},"                          \
    "{\"averageRuntime\":55.5}],\"errorCode\":400,\"s\":\"150\",\"big\":123456789012,"             \
    "\"neg\":-2.5,\"level\":\"ERROR\"}"

static const struct row rows[] = {
    /* match everything */
    {"", "anything", 1, NULL},
    {" ", "anything", 1, NULL},
    {"\"\"", "anything", 1, NULL},
    {"\" \"", "", 1, NULL},
    {"", "", 1, NULL},
    /* terms: case-sensitive substring search, AND of plain terms */
    {"ERROR", "[ERROR] A fatal exception has occurred", 1, NULL},
    {"ERROR", "Exiting with ERRORCODE: -1", 1, NULL},
    {"ERROR", "error: lower case", 0, NULL},
    {"ERROR", "ErRoR", 0, NULL},
    {"ERROR Exception", "[ERROR] Caught IllegalArgumentException", 1, NULL},
    {"ERROR Exception", "[ERROR] Unhandled", 0, NULL},
    {"\"Failed to process the request\"", "[WARN] Failed to process the request", 1, NULL},
    {"\"Failed to process the request\"", "Failed to the process request", 0, NULL},
    {"Failed to process the request", "the request to process Failed", 1, NULL},
    {"ERROR -Exiting", "Exiting with ERRORCODE: -1", 0, NULL},
    {"ERROR -Exiting", "[ERROR] A fatal exception has occurred", 1, NULL},
    {"-DEBUG", "INFO started", 1, NULL},
    {"-DEBUG", "DEBUG detail", 0, NULL},
    {"user@example.com", "login user@example.com ok", 1, NULL},
    {"a*b", "xa*by", 1, NULL},
    {"a*b", "aXb", 0, NULL},
    {"\"say \\\"hi\\\"\"", "they say \"hi\" loudly", 1, NULL},
    {"\"say \\\"hi\\\"\"", "they say hi", 0, NULL},
    {"\"C:\\temp\"", "open C:\\temp failed", 1, NULL},
    {"\"two  spaces\"", "two  spaces here", 1, NULL},
    {"\"two  spaces\"", "two spaces here", 0, NULL},
    /* ?alternatives: the documented three lines */
    {"?ERROR ?WARN", "ERROR WARN message", 1, NULL},
    {"?ERROR ?WARN", "ERROR message", 1, NULL},
    {"?ERROR ?WARN", "WARN message", 1, NULL},
    {"?ERROR ?WARN", "INFO message", 0, NULL},
    {"ERROR WARN", "ERROR message", 0, NULL},
    {"ERROR -WARN", "ERROR message", 1, NULL},
    {"ERROR -WARN", "ERROR WARN message", 0, NULL},
    /* mixed: plain terms after a ?term join its group (the CDK anyTermGroup rendering) */
    {"?\"ERROR\" \"MainThread\" ?\"WARN\" \"Deadlock\"", "ERROR in MainThread", 1, NULL},
    {"?\"ERROR\" \"MainThread\" ?\"WARN\" \"Deadlock\"", "WARN: Deadlock found", 1, NULL},
    {"?\"ERROR\" \"MainThread\" ?\"WARN\" \"Deadlock\"", "ERROR Deadlock", 0, NULL},
    {"?\"ERROR\" \"MainThread\" ?\"WARN\" \"Deadlock\"", "WARN in MainThread", 0, NULL},
    {"ERROR ?db ?cache", "ERROR in db", 1, NULL},
    {"ERROR ?db ?cache", "ERROR in cache", 1, NULL},
    {"ERROR ?db ?cache", "ERROR in net", 0, NULL},
    {"ERROR ?db ?cache", "db cache", 0, NULL},
    {"?ERROR ?WARN -healthcheck", "WARN healthcheck slow", 0, NULL},
    {"?ERROR ?WARN -healthcheck", "WARN disk slow", 1, NULL},
    /* standalone %regex%: substring search */
    {"%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST", 1, NULL},
    {"%AUTHORIZED%", "[SUCCESS 200] AUTHORIZED REQUEST", 1, NULL},
    {"%AUTHORIZED%", "[ERROR 403] DENIED", 0, NULL},
    {"%^ERROR%", "ERROR at start", 1, NULL},
    {"%^ERROR%", "not at start ERROR", 0, NULL},
    {"%colou?r%", "what color", 1, NULL},
    {"%\\d{3}%", "code 404", 1, NULL},
    {"%\\d{3}%", "code 40", 0, NULL},
    {"%gray|grey%", "a grey cat", 1, NULL},
    {"%[a-z]+=[0-9]+$%", "took latency=42", 1, NULL},
    {"%[a-z]+=[0-9]+$%", "took latency=42ms", 0, NULL},
    /* JSON: the documented CloudTrail-like event */
    {"{ $.eventType = \"UpdateTrail\" }", TRAIL, 1, "$.eventType=UpdateTrail"},
    {"{ $.eventType = UpdateTrail }", TRAIL, 1, NULL},
    {"{ $.eventType = \"Update*\" }", TRAIL, 1, NULL},
    {"{ $.eventType = *Trail }", TRAIL, 1, NULL},
    {"{ $.eventType = *dateTr* }", TRAIL, 1, NULL},
    {"{ $.eventType = Up*ail }", TRAIL, 0, NULL},
    {"{ $.eventType = \"updatetrail\" }", TRAIL, 0, NULL},
    {"{ $.sourceIPAddress != 123.123.* }", TRAIL, 1, "$.sourceIPAddress=111.111.111.111"},
    {"{ $.sourceIPAddress = 111.111.* }", TRAIL, 1, NULL},
    {"{ $.arrayKey[0] = \"value\" }", TRAIL, 1, "$.arrayKey[0]=value"},
    {"{ $.arrayKey[1] = \"value\" }", TRAIL, 0, NULL},
    {"{ $.objectList[1].id = 2 }", TRAIL, 1, "$.objectList[1].id=2"},
    {"{ $.objectList[1].id = 1 }", TRAIL, 0, NULL},
    {"{ $.SomeObject IS NULL }", TRAIL, 1, "$.SomeObject=null"},
    {"{ $.ThisFlag IS NULL }", TRAIL, 0, NULL},
    {"{ $.Missing IS NULL }", TRAIL, 0, NULL},
    {"{ $.SomeOtherObject NOT EXISTS }", TRAIL, 1, NULL},
    {"{ $.SomeObject NOT EXISTS }", TRAIL, 0, NULL},
    {"{ $.eventType.deeper NOT EXISTS }", TRAIL, 1, NULL},
    {"{ $.ThisFlag IS TRUE }", TRAIL, 1, "$.ThisFlag=true"},
    {"{ $.ThisFlag IS FALSE }", TRAIL, 0, NULL},
    {"{ $.ThisFlag = true }", TRAIL, 1, NULL},
    {"{ $.arrayKey = 1 }", TRAIL, 0, NULL},
    {"{ $.arrayKey != 1 }", TRAIL, 0, NULL},
    {"{ $.objectList[0] = * }", TRAIL, 0, NULL},
    {"{ $.eventType = * }", TRAIL, 1, NULL},
    {"{ $.nope != \"x\" }", TRAIL, 0, NULL},
    {"{ $.nope NOT EXISTS || $.nope != \"x\" }", TRAIL, 1, NULL},
    {"{ $.eventType = %Update% }", TRAIL, 1, NULL},
    {"{ $.eventType != %^Up% }", TRAIL, 0, NULL},
    {"{ $.eventType = \"UpdateTrail\" }", "eventType=UpdateTrail", 0, NULL},
    {"{ $.eventType = \"UpdateTrail\" }", "{\"eventType\": \"UpdateTrail\"", 0, NULL},
    {"{ $.a = 1 }", "[{\"a\": 1}]", 0, NULL},
    /* JSON compound conditions: the documented examples */
    {"{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", USERS, 1,
     "$.user.id=1|$.users[0].email=John.Doe@example.com"},
    {"{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }", USERS, 0,
     NULL},
    {"{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch && "
     "$.actions[2] = nomatch }",
     USERS, 1, NULL},
    {"{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch) && "
     "$.actions[2] = nomatch }",
     USERS, 0, NULL},
    {"{ $.coordinates[2][0] = 7 }", USERS, 1, "$.coordinates[2][0]=7"},
    {"{ ((($.actions[1] = PUT))) }", USERS, 1, NULL},
    /* JSON numbers */
    {"{ $.latency >= 500 }", NUMS, 1, "$.latency=1500"},
    {"{ $.latency > +1000 }", NUMS, 1, NULL},
    {"{ $.latency < 1000 }", NUMS, 0, NULL},
    {"{ $.latency = 1500.0 }", NUMS, 1, NULL},
    {"{ $.latency = 1.5e3 }", NUMS, 1, NULL},
    {"{ $.numbers[0] < 10e3 }", NUMS, 1, NULL},
    {"{ $.numbers[1] < 10e-3 }", NUMS, 1, "$.numbers[1]=0.001"},
    {"{ $.processes[4].averageRuntime <= 55.5 }", NUMS, 1, "$.processes[4].averageRuntime=55.5"},
    {"{ $.errorCode = 400 }", NUMS, 1, NULL},
    {"{ $.errorCode != 500 }", NUMS, 1, NULL},
    {"{ $.errorCode = 4* }", NUMS, 1, NULL},
    {"{ $.neg < -2 }", NUMS, 1, "$.neg=-2.5"},
    {"{ $.big = 123456789012 }", NUMS, 1, NULL},
    {"{ $.s = 150 }", NUMS, 1, "$.s=150"},
    {"{ $.s > 100 }", NUMS, 0, NULL},
    {"{ $.level = ERROR && $.latency > 1000 }", NUMS, 1, NULL},
    {"{ $.level = ERROR && $.latency > 2000 }", NUMS, 0, NULL},
    {"{ $.level = WARN || $.latency > 1000 }", NUMS, 1, "$.latency=1500"},
    {"{ $.a = \"x\\\"y\" }", "{\"a\":\"x\\\"y\"}", 1, "$.a=x\"y"},
    {"{ $.msg = \"hello\" }", "{\"msg\":\"h\\u0065llo\"}", 1, NULL},
    {"{ $.msg = \"a b\" }", "  {\"msg\" : \"a b\"}  ", 1, NULL},
    {"{ $.x-y_z = 1 }", "{\"x-y_z\":1}", 1, NULL},
    /* delimited: the AWS Apache examples */
    {APACHE_PATTERN, APACHE, 1, APACHE_FIELDS},
    {APACHE_PATTERN, APACHE_200, 0, NULL},
    {"[ip, user, username, timestamp, request, status_code, bytes > 1000]", APACHE, 1, NULL},
    {"[ip, user, username, timestamp, request, status_code, bytes > 3000]", APACHE, 0, NULL},
    {"[ip, user, username, timestamp, request, status_code = 404, bytes]", APACHE, 1, NULL},
    {"[..., status_code, bytes]", APACHE, 1, "$status_code=404|$bytes=2326|$1=127.0.0.1"},
    {"[ip, user, ..., status_code, bytes]", APACHE, 1, "$ip=127.0.0.1|$user=-|$bytes=2326"},
    {"[ip, user, ...]", APACHE, 1, "$ip=127.0.0.1|$3=frank|$7=2326"},
    {"[..., request=*.html*, status_code=4*,]", APACHE_HTML, 1,
     "$status_code=404|$request=GET /index.html HTTP/1.0|$7=1534|"
     "$4=10/Oct/2000:13:25:15 -0700|$3=frank|$2=-|$1=127.0.0.1"},
    {"[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", APACHE, 0, NULL},
    {"[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]",
     APACHE, 1, NULL},
    {"[ip, user, username, timestamp, request, status_code = 4* && status_code != 404, bytes]",
     APACHE, 0, NULL},
    {"[ip, user, username, timestamp, request, status_code, bytes]", APACHE " extra", 0, NULL},
    /* delimited: the documented w1/w2 lines */
    {"[w1=ERROR, w2]", "ERROR message", 1, "$w1=ERROR|$w2=message"},
    {"[w1=ERROR, w2]", "ERROR WARN message", 0, NULL},
    {"[w1=ERROR, w2]", "WARN message", 0, NULL},
    {"[w1=ERROR || w1=WARN, w2]", "WARN message", 1, NULL},
    {"[w1=ERROR || w1=WARN, w2]", "INFO message", 0, NULL},
    {"[w1!=ERROR&&w1!=WARN, w2]", "INFO message", 1, NULL},
    {"[w1!=ERROR&&w1!=WARN, w2]", "ERROR message", 0, NULL},
    /* delimited: counts, numbers, groups, regex */
    {"[a, b, c]", "x y", 0, NULL},
    {"[a, ..., b, c]", "x y", 0, NULL},
    {"[...]", "", 1, NULL},
    {"[a]", "", 0, NULL},
    {"[a, b > 5]", "x -", 0, NULL},
    {"[a, b != 0]", "x -", 1, NULL},
    {"[a, b = 0]", "x 0.0", 1, NULL},
    {"[a, b >= 1.5]", "p 1.50", 1, "$b=1.50"},
    {"[a, b = \"x y\"]", "p \"x y\"", 1, "$b=x y"},
    {"[a, b = *]", "p q", 1, NULL},
    {"[t, msg]", "[12:00 UTC] hello", 1, "$t=12:00 UTC|$msg=hello"},
    {"[a, b]", "x \"say \\\"hi\\\" now\"", 1, "$b=say \\\"hi\\\" now"},
    {"[a, b = \"say \\\\\\\"hi\\\\\\\"\"]", "x \"say \\\"hi\\\"\"", 1, NULL},
    {"[a, b = \"say \\\"hi\\\"\"]", "x \"say \\\"hi\\\"\"", 0, NULL},
    {"[a, b]", "[x y", 1, "$a=[x|$b=y"},
    {"[a, b]", "  x \t  y  ", 1, "$a=x|$b=y"},
    {"[w1 = %^ERR%, w2]", "ERROR x", 1, NULL},
    {"[w1 = %^ERR%, w2]", "XERR x", 0, NULL},
    {"[a = 1 && b = 2, b]", "1 2", 1, NULL},
    {"[a = 1 && b = 2, b]", "1 3", 0, NULL},
    {"[a, , c]", "x y z", 1, "$a=x|$2=y|$c=z"},
};

/* Checks each "name=value" of spec through cwp_match_lookup. */
static void check_fields(const struct row *r, struct cwp_match *m)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", r->fields);
    for (char *save = NULL, *item = strtok_r(buf, "|", &save); item;
         item = strtok_r(NULL, "|", &save)) {
        char *eq = strchr(item, '=');
        assert_non_null(eq);
        *eq = '\0';
        const char *v = NULL;
        size_t len = 0;
        if (cwp_match_lookup(m, item, &v, &len) != 1) {
            fail_msg("pattern %s: no field %s", r->pattern, item);
        }
        if (len != strlen(eq + 1) || memcmp(v, eq + 1, len) != 0) {
            fail_msg("pattern %s: %s = \"%.*s\", want \"%s\"", r->pattern, item, (int)len, v,
                     eq + 1);
        }
    }
}

static void test_conformance(void **state)
{
    (void)state;
    struct cwp_match m;
    cwp_match_init(&m);
    assert_true(sizeof(rows) / sizeof(rows[0]) >= 80);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        char err[256];
        size_t col = 0;
        struct cwp *p = cwp_compile(r->pattern, err, sizeof(err), &col);
        if (!p) {
            fail_msg("row %zu: %s: %s at %zu", i, r->pattern, err, col);
        }
        int got = cwp_match(p, r->line, strlen(r->line), &m);
        if (got != r->expect) {
            fail_msg("row %zu: %s on %s: got %d, want %d", i, r->pattern, r->line, got, r->expect);
        }
        if (r->fields) {
            check_fields(r, &m);
        }
        for (size_t f = 0; f < m.nfields; f++) {
            const char *v;
            size_t len;
            assert_int_equal(cwp_match_lookup(&m, m.fields[f].name, &v, &len), 1);
        }
        cwp_free(p);
    }
    cwp_match_free(&m);
}

/* For every row that matches, the prefilter literal (if any) must be in the line. */
static void test_literal_soundness(void **state)
{
    (void)state;
    size_t with_literal = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct cwp *p = cwp_compile(rows[i].pattern, NULL, 0, NULL);
        assert_non_null(p);
        size_t len = 0;
        const char *lit = cwp_required_literal(p, &len);
        if (lit && rows[i].expect == 1) {
            with_literal++;
            if (!memmem(rows[i].line, strlen(rows[i].line), lit, len)) {
                fail_msg("row %zu: literal \"%.*s\" not in %s", i, (int)len, lit, rows[i].line);
            }
        }
        cwp_free(p);
    }
    assert_true(with_literal >= 20);
}

struct literal_case {
    const char *pattern;
    const char *literal; /* NULL: none */
};

static void test_required_literal(void **state)
{
    (void)state;
    static const struct literal_case cases[] = {
        {"ERROR -healthcheck", "ERROR"},
        {"ERROR \"Failed to process\"", "Failed to process"},
        {"?ERROR ?WARN", NULL},
        {"?\"ERROR\" \"MainThread\"", "MainThread"},
        {"?a x ?b y", NULL},
        {"ab ?x ?y", "ab"},
        {"-DEBUG", NULL},
        {"", NULL},
        {"\"\"", NULL},
        {"%AUTHORIZED%", "AUTHORIZED"},
        {"%colou?r%", NULL},
        {"{ $.eventType = \"UpdateTrail\" }", NULL},
        {"{ $.latency > 5 }", NULL},
        {"[a, b = foo*, c]", "foo"},
        {"[a, b = *html*, c = 4*]", "html"},
        {"[a = x || a = yy, b]", NULL},
        {"[a, b = 404]", NULL},
        {"[a, b != something]", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cwp *p = cwp_compile(cases[i].pattern, NULL, 0, NULL);
        assert_non_null(p);
        size_t len = 99;
        const char *lit = cwp_required_literal(p, &len);
        if (!cases[i].literal) {
            if (lit) {
                fail_msg("%s: unexpected literal \"%.*s\"", cases[i].pattern, (int)len, lit);
            }
        } else {
            assert_non_null(lit);
            assert_int_equal(len, strlen(cases[i].literal));
            assert_memory_equal(lit, cases[i].literal, len);
        }
        cwp_free(p);
    }
}

struct error_case {
    const char *pattern;
    size_t col;
    const char *msg; /* a substring of the message */
};

static void test_compile_errors(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"\"abc", 1, "unterminated quoted phrase"},
        {"ERROR \"abc", 7, "unterminated quoted phrase"},
        {"{ }", 3, "expected a selector after \"{\""},
        {"{ $.a => 1 }", 7, "unknown operator \"=>\""},
        {"{ $.a == 1 }", 7, "unknown operator \"==\""},
        {"[a, ..., b, ...]", 13, "\"...\" may appear once"},
        {"{ ($.a = 1 }", 3, "unbalanced parentheses"},
        {"{ $.a = 1) }", 10, "unbalanced parentheses"},
        {"%[a%", 4, "invalid regular expression: missing terminating ]"},
        {"%a{2,1}%", 7, "invalid regular expression: numbers out of order"},
        {"%(a)%", 2, "\"(\" is not supported in a regex"},
        {"%abc", 1, "unterminated %regex%"},
        {"%%", 1, "empty %regex%"},
        {"%a b%", 3, "a space is not allowed in a regex"},
        {"%a!%", 3, "character \"!\" is not allowed"},
        {"%abc% def", 7, "unexpected text after the %regex%"},
        {"ERROR -", 7, "expected a term after \"-\""},
        {"? x", 1, "expected a term after \"?\""},
        {"ab\"cd", 3, "unexpected '\"' inside a term"},
        {"\"ab\"cd", 5, "expected a space after the quoted phrase"},
        {"{ $.a = }", 9, "expected a value after \"=\""},
        {"{ $.a IS NOT NULL }", 10, "\"IS NOT\" is not supported"},
        {"{ $.a IS MAYBE }", 10, "expected NULL, TRUE or FALSE"},
        {"{ $.a is null }", 7, "unknown operator \"is\""},
        {"{ $.a EXISTS }", 7, "\"EXISTS\" is not supported"},
        {"{ $.a NOT THERE }", 11, "expected EXISTS after \"NOT\""},
        {"{ $.a }", 7, "expected an operator after the selector"},
        {"{ $.a < abc }", 9, "operator \"<\" needs a number"},
        {"{ $.a > 4* }", 9, "operator \">\" needs a number"},
        {"{ $.a = %x% || $.b = %y% || $.c = %z% }", 35, "at most 2 regular expressions"},
        {"{ $. = 1 }", 5, "expected a property name after \".\""},
        {"{ $ = 1 }", 4, "expected \".\" and a property name after \"$\""},
        {"{ $[0] = 1 }", 4, "an array index must follow a property"},
        {"{ $.a[x] = 1 }", 7, "expected a number and \"]\""},
        {"{ $.a[12345678901] = 1 }", 7, "array index too large"},
        {"{ $.a = 1 $.b = 2 }", 11, "expected \"&&\", \"||\" or \"}\""},
        {"{ $.a = a@b }", 10, "expected \"&&\", \"||\" or \"}\""},
        {"{ $.a = 1 } x", 13, "unexpected text after \"}\""},
        {"{ $.a = 1", 10, "expected \"}\""},
        {"{ $.a = 1 && }", 14, "expected a selector after \"&&\""},
        {"{ ($.a = 1 $.b = 2) }", 12, "expected \"&&\", \"||\" or \")\""},
        {"[a, b = 1 && bytes > 3]", 14, "unknown field \"bytes\""},
        {"[a, a]", 5, "duplicate field name \"a\""},
        {"[... = 1]", 6, "a condition cannot apply to \"...\""},
        {"[a, b", 6, "expected \"]\""},
        {"[]", 2, "expected a field name after \"[\""},
        {"[a b]", 4, "expected \",\" or \"]\""},
        {"[a, b = ]", 9, "expected a value after \"=\""},
        {"[a, b = 1 &&]", 13, "expected a field name after \"&&\""},
        {"[a, b 5]", 7, "expected \",\" or \"]\""},
        {"[a, +b]", 5, "expected a field name"},
        {"[a] x", 5, "unexpected text after \"]\""},
        {"[a = %x% && a = %y% && a = %z%]", 28, "at most 2 regular expressions"},
        {"[a, b =< 1]", 7, "unknown operator \"=<\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        size_t col = 0;
        struct cwp *p = cwp_compile(cases[i].pattern, err, sizeof(err), &col);
        if (p) {
            cwp_free(p);
            fail_msg("%s: compiled", cases[i].pattern);
        }
        if (!strstr(err, cases[i].msg) || col != cases[i].col) {
            fail_msg("%s: got \"%s\" at %zu, want \"%s\" at %zu", cases[i].pattern, err, col,
                     cases[i].msg, cases[i].col);
        }
    }
}

static void test_compile_limits(void **state)
{
    (void)state;
    char pat[2048];
    char err[128];
    size_t col = 0;
    memset(pat, 'a', 1025);
    pat[1025] = '\0';
    assert_null(cwp_compile(pat, err, sizeof(err), &col));
    assert_non_null(strstr(err, "pattern longer than 1024 bytes"));
    pat[1024] = '\0';
    struct cwp *p = cwp_compile(pat, NULL, 0, NULL);
    assert_non_null(p);
    cwp_free(p);
    size_t n = 0;
    n += (size_t)snprintf(pat + n, sizeof(pat) - n, "{ ");
    for (int i = 0; i < 70; i++) {
        n += (size_t)snprintf(pat + n, sizeof(pat) - n, "(");
    }
    snprintf(pat + n, sizeof(pat) - n, "$.a = 1 }");
    assert_null(cwp_compile(pat, err, sizeof(err), &col));
    assert_non_null(strstr(err, "parentheses nested too deeply"));
    assert_int_equal(col, 3 + 64);
    n = (size_t)snprintf(pat, sizeof(pat), "[f0");
    for (int i = 1; i < 33; i++) {
        n += (size_t)snprintf(pat + n, sizeof(pat) - n, ", f%d", i);
    }
    snprintf(pat + n, sizeof(pat) - n, "]");
    assert_null(cwp_compile(pat, err, sizeof(err), &col));
    assert_non_null(strstr(err, "more than 32 fields"));
    /* without err/col the failure is still reported by NULL */
    assert_null(cwp_compile("{", NULL, 0, NULL));
}

static void test_kinds_and_names(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        enum cwp_kind kind;
    } kinds[] = {
        {"", CWP_ALL},        {"  ", CWP_ALL},           {"\"\"", CWP_ALL},
        {"ERROR", CWP_TERMS}, {"{ $.a = 1 }", CWP_JSON}, {"[a, b]", CWP_DELIMITED},
        {"%a+%", CWP_REGEX},  {NULL, CWP_ALL},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        struct cwp *p = cwp_compile(kinds[i].pattern, NULL, 0, NULL);
        assert_non_null(p);
        assert_int_equal(cwp_kind(p), kinds[i].kind);
        cwp_free(p);
    }
    const char *names[8];
    struct cwp *p = cwp_compile("[ip, , ..., status = 5* && size > 0, size]", NULL, 0, NULL);
    assert_non_null(p);
    assert_int_equal(cwp_field_names(p, names, 8), 3);
    assert_string_equal(names[0], "$ip");
    assert_string_equal(names[1], "$status");
    assert_string_equal(names[2], "$size");
    assert_int_equal(cwp_field_names(p, names, 1), 1);
    cwp_free(p);
    p = cwp_compile("{ $.a.b = 1 || ($.c[0] = x && $.a.b != 2) }", NULL, 0, NULL);
    assert_non_null(p);
    assert_int_equal(cwp_field_names(p, names, 8), 2);
    assert_string_equal(names[0], "$.a.b");
    assert_string_equal(names[1], "$.c[0]");
    cwp_free(p);
    p = cwp_compile("ERROR", NULL, 0, NULL);
    assert_int_equal(cwp_field_names(p, names, 8), 0);
    cwp_free(p);
}

static void expect_lookup(struct cwp_match *m, const char *name, const char *want)
{
    const char *v = NULL;
    size_t len = 0;
    int found = cwp_match_lookup(m, name, &v, &len);
    if (!want) {
        if (found) {
            fail_msg("%s: unexpected value \"%.*s\"", name, (int)len, v);
        }
        return;
    }
    if (!found) {
        fail_msg("%s: not found", name);
    }
    if (len != strlen(want) || memcmp(v, want, len) != 0) {
        fail_msg("%s = \"%.*s\", want \"%s\"", name, (int)len, v, want);
    }
}

/* Selectors the pattern does not mention are looked up in the parsed event. */
static void test_json_lookup(void **state)
{
    (void)state;
    const char *line = "{\"level\":\"ERROR\",\"latency\":12.5,\"n\":42,\"ok\":false,\"z\":null,"
                       "\"req\":{\"path\":\"/a\",\"tags\":[\"x\",\"y\"]},\"big\":1e300}";
    struct cwp *p = cwp_compile("{ $.level = ERROR }", NULL, 0, NULL);
    struct cwp_match m;
    cwp_match_init(&m);
    assert_non_null(p);
    assert_int_equal(cwp_match(p, line, strlen(line), &m), 1);
    assert_int_equal(m.nfields, 1);
    assert_string_equal(m.fields[0].name, "$.level");
    expect_lookup(&m, "$.level", "ERROR");
    expect_lookup(&m, "$.latency", "12.5");
    expect_lookup(&m, "$.n", "42");
    expect_lookup(&m, "$.ok", "false");
    expect_lookup(&m, "$.z", "null");
    expect_lookup(&m, "$.req.path", "/a");
    expect_lookup(&m, "$.req.tags[1]", "y");
    expect_lookup(&m, "$.big", "1e+300");
    expect_lookup(&m, "$.req", NULL);
    expect_lookup(&m, "$.req.tags", NULL);
    expect_lookup(&m, "$.req.tags[2]", NULL);
    expect_lookup(&m, "$.missing", NULL);
    expect_lookup(&m, "$.level.x", NULL);
    expect_lookup(&m, "$.", NULL);
    expect_lookup(&m, "$.n extra", NULL);
    expect_lookup(&m, "level", NULL);
    expect_lookup(&m, "$1", NULL);
    /* a non-matching line drops the previous event */
    assert_int_equal(cwp_match(p, "{\"level\":\"INFO\"}", 16, &m), 0);
    expect_lookup(&m, "$.level", NULL);
    assert_int_equal(cwp_match(p, "not json", 8, &m), 0);
    assert_null(m.json);
    cwp_free(p);
    cwp_match_free(&m);
}

/* Rendered numbers live in scratch: many lookups force new buffers, and every value handed
 * out earlier in the same match must stay readable. */
static void test_scratch_stability(void **state)
{
    (void)state;
    char line[8192];
    size_t n = (size_t)snprintf(line, sizeof(line), "{\"k\":1");
    for (int i = 0; i < 400; i++) {
        n += (size_t)snprintf(line + n, sizeof(line) - n, ",\"v%d\":%d.25", i, i);
    }
    snprintf(line + n, sizeof(line) - n, "}");
    struct cwp *p = cwp_compile("{ $.k = 1 }", NULL, 0, NULL);
    struct cwp_match m;
    cwp_match_init(&m);
    assert_non_null(p);
    for (int round = 0; round < 3; round++) {
        const char *vals[400];
        size_t lens[400];
        assert_int_equal(cwp_match(p, line, strlen(line), &m), 1);
        for (int i = 0; i < 400; i++) {
            char name[16];
            snprintf(name, sizeof(name), "$.v%d", i);
            assert_int_equal(cwp_match_lookup(&m, name, &vals[i], &lens[i]), 1);
        }
        for (int i = 0; i < 400; i++) {
            char want[32];
            snprintf(want, sizeof(want), "%d.25", i);
            assert_int_equal(lens[i], strlen(want));
            assert_memory_equal(vals[i], want, lens[i]);
        }
    }
    cwp_free(p);
    cwp_match_free(&m);
}

static void test_delimited_lookup(void **state)
{
    (void)state;
    struct cwp *p = cwp_compile("[ip, ..., status, bytes]", NULL, 0, NULL);
    struct cwp_match m;
    cwp_match_init(&m);
    assert_non_null(p);
    assert_int_equal(cwp_match(p, APACHE, strlen(APACHE), &m), 1);
    expect_lookup(&m, "$ip", "127.0.0.1");
    expect_lookup(&m, "$status", "404");
    expect_lookup(&m, "$5", "GET /apache_pb.gif HTTP/1.0");
    expect_lookup(&m, "$1", "127.0.0.1");
    expect_lookup(&m, "$8", NULL);
    expect_lookup(&m, "$0", NULL);
    expect_lookup(&m, "$x", NULL);
    expect_lookup(&m, "$.ip", NULL);
    expect_lookup(&m, "$99999999999999999999", NULL);
    /* more fields than CWP_MAX_FIELDS: named ones are always extracted */
    char line[400];
    size_t n = 0;
    for (int i = 0; i < 60; i++) {
        n += (size_t)snprintf(line + n, sizeof(line) - n, "w%d ", i);
    }
    assert_int_equal(cwp_match(p, line, n, &m), 1);
    assert_int_equal(m.nfields, CWP_MAX_FIELDS);
    expect_lookup(&m, "$bytes", "w59");
    expect_lookup(&m, "$status", "w58");
    expect_lookup(&m, "$40", "w39");
    assert_int_equal(cwp_match(p, "one", 3, &m), 0);
    expect_lookup(&m, "$ip", NULL);
    cwp_free(p);
    cwp_match_free(&m);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Catastrophic backtracking hits the match limit: -1, quickly, not a stall. */
static void test_regex_limit(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        "%a*a*a*a*a*a*a*a*a*a*a*a*[xy]%",
        "[w1 = %a*a*a*a*a*a*a*a*a*a*a*a*[xy]%]",
        "{ $.m = %a*a*a*a*a*a*a*a*a*a*a*a*[xy]% }",
    };
    size_t len = 20000;
    char *line = malloc(len + 16);
    assert_non_null(line);
    struct cwp_match m;
    cwp_match_init(&m);
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        struct cwp *p = cwp_compile(patterns[i], NULL, 0, NULL);
        assert_non_null(p);
        size_t n = 0;
        if (cwp_kind(p) == CWP_JSON) {
            memcpy(line, "{\"m\":\"", 6);
            n = 6;
        }
        memset(line + n, 'a', len);
        n += len;
        if (cwp_kind(p) == CWP_JSON) {
            memcpy(line + n, "\"}", 2);
            n += 2;
        }
        double t0 = now_s();
        assert_int_equal(cwp_match(p, line, n, &m), -1);
        assert_true(now_s() - t0 < 5.0);
        cwp_free(p);
    }
    free(line);
    cwp_match_free(&m);
}

static void test_json_size_cap(void **state)
{
    (void)state;
    size_t len = ((size_t)1 << 20) + 10;
    char *line = malloc(len);
    assert_non_null(line);
    memset(line, ' ', len);
    memcpy(line, "{\"a\":1}", 7);
    struct cwp *p = cwp_compile("{ $.a = 1 }", NULL, 0, NULL);
    struct cwp_match m;
    cwp_match_init(&m);
    assert_non_null(p);
    assert_int_equal(cwp_match(p, line, len, &m), -1);
    assert_int_equal(cwp_match(p, line, 7, &m), 1);
    cwp_free(p);
    cwp_match_free(&m);
    free(line);
}

/* One compiled pattern, two match states: results do not leak between them. */
static void test_shared_pattern(void **state)
{
    (void)state;
    struct cwp *p = cwp_compile("{ $.a = * }", NULL, 0, NULL);
    struct cwp_match m1, m2;
    cwp_match_init(&m1);
    cwp_match_init(&m2);
    assert_non_null(p);
    assert_int_equal(cwp_match(p, "{\"a\":\"one\"}", 11, &m1), 1);
    assert_int_equal(cwp_match(p, "{\"a\":2}", 7, &m2), 1);
    expect_lookup(&m1, "$.a", "one");
    expect_lookup(&m2, "$.a", "2");
    cwp_free(p);
    cwp_match_free(&m1);
    cwp_match_free(&m2);
    cwp_match_free(&m2); /* idempotent */
}

/* Lines are byte ranges, not C strings. */
static void test_binary_lines(void **state)
{
    (void)state;
    struct cwp_match m;
    cwp_match_init(&m);
    struct cwp *p = cwp_compile("ERROR -x", NULL, 0, NULL);
    assert_non_null(p);
    assert_int_equal(cwp_match(p, "a\0ERROR", 7, &m), 1);
    assert_int_equal(cwp_match(p, "ERROR\0x", 7, &m), 0);
    assert_int_equal(cwp_match(p, "ERRORx", 5, &m), 1);
    assert_int_equal(cwp_match(p, NULL, 0, &m), 0);
    cwp_free(p);
    p = cwp_compile("[a, b]", NULL, 0, NULL);
    assert_int_equal(cwp_match(p, "x y z", 3, &m), 1);
    expect_lookup(&m, "$b", "y");
    cwp_free(p);
    cwp_match_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance),      cmocka_unit_test(test_literal_soundness),
        cmocka_unit_test(test_required_literal), cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_compile_limits),   cmocka_unit_test(test_kinds_and_names),
        cmocka_unit_test(test_json_lookup),      cmocka_unit_test(test_scratch_stability),
        cmocka_unit_test(test_delimited_lookup), cmocka_unit_test(test_regex_limit),
        cmocka_unit_test(test_json_size_cap),    cmocka_unit_test(test_shared_pattern),
        cmocka_unit_test(test_binary_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
