/* Unit tests of the FSFO observer-log parser: every fixture in tests/fixtures/fsfo replayed
 * against its expected timeline (rule set fsfo-timeline/1), then decoys, name spelling, the
 * pattern edges, hostile bytes and the checkpoint form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/fsfo/fsfo_parse.h"

#define FSFO_DIR HW_FIXTURES "/fsfo"

/* Reads a whole file into a malloc'd buffer (NUL added, not counted in *len). */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        print_error("cannot open %s\n", path);
        fail();
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    const long n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    assert_int_equal(fclose(f), 0);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Applies a NUL-terminated line. */
static enum fsfo_event apply(struct fsfo_state *st, const char *line)
{
    const char *name = NULL;
    const enum fsfo_event ev = fsfo_apply_line(st, line, strlen(line), &name);
    if (ev == FSFO_EV_REINSTATE) {
        assert_ptr_equal(name, st->last_reinstated);
    } else if (ev == FSFO_EV_FAILOVER || ev == FSFO_EV_SWITCHOVER ||
               ev == FSFO_EV_PRIMARY_DETECTED) {
        assert_ptr_equal(name, st->primary);
    } else {
        assert_null(name);
    }
    return ev;
}

/* Field-wise equality: padding bytes are not part of the state. */
static void assert_state_equal(const struct fsfo_state *a, const struct fsfo_state *b)
{
    assert_int_equal(a->has_primary, b->has_primary);
    assert_string_equal(a->primary, b->primary);
    assert_int_equal(a->has_last_reinstated, b->has_last_reinstated);
    assert_string_equal(a->last_reinstated, b->last_reinstated);
    assert_int_equal(a->failovers, b->failovers);
    assert_int_equal(a->switchovers, b->switchovers);
    assert_int_equal(a->reinstatements, b->reinstatements);
    assert_int_equal(a->role_changes, b->role_changes);
    assert_int_equal(a->observer_up, b->observer_up);
}

/* Replays a log split on LF (bytes after the last LF are no line) into a timeline array. */
static json_t *replay(const char *buf, size_t len, struct fsfo_state *st)
{
    json_t *tl = json_array();
    assert_non_null(tl);
    size_t lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *lf = memchr(buf + pos, '\n', len - pos);
        if (!lf) {
            break;
        }
        const size_t n = (size_t)(lf - (buf + pos));
        lineno++;
        const char *name = NULL;
        const enum fsfo_event ev = fsfo_apply_line(st, buf + pos, n, &name);
        pos += n + 1;
        if (ev == FSFO_EV_NONE) {
            continue;
        }
        json_t *prim = st->has_primary ? json_string(st->primary) : json_null();
        json_t *e = json_pack("{s:I, s:o, s:s}", "line", (json_int_t)lineno, "primary", prim,
                              "event", fsfo_event_name(ev));
        assert_non_null(e);
        assert_int_equal(json_array_append_new(tl, e), 0);
    }
    return tl;
}

/* Fails with both documents printed when got differs from want. */
static void assert_json_equal(const char *what, const json_t *want, const json_t *got)
{
    if (json_equal(want, got)) {
        return;
    }
    char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
    char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    print_error("%s differs\nwant %s\ngot  %s\n", what, w ? w : "?", g ? g : "?");
    free(w);
    free(g);
    fail();
}

/* Replays tests/fixtures/fsfo/<base>.log and compares with <base>.expected.json. */
static void check_fixture(const char *base)
{
    char path[1024];
    json_error_t err;
    snprintf(path, sizeof(path), "%s/%s.expected.json", FSFO_DIR, base);
    json_t *want = json_load_file(path, 0, &err);
    if (!want) {
        print_error("%s: %s\n", path, err.text);
        fail();
    }
    assert_string_equal(json_string_value(json_object_get(want, "spec")), FSFO_SPEC);
    snprintf(path, sizeof(path), "%s.log", base);
    assert_string_equal(json_string_value(json_object_get(want, "file")), path);

    size_t len;
    snprintf(path, sizeof(path), "%s/%s.log", FSFO_DIR, base);
    char *buf = read_all(path, &len);
    struct fsfo_state st;
    fsfo_state_init(&st);
    json_t *tl = replay(buf, len, &st);
    json_t *fo = json_integer((json_int_t)st.failovers);
    json_t *so = json_integer((json_int_t)st.switchovers);
    json_t *fp = st.has_primary ? json_string(st.primary) : json_null();
    assert_json_equal(base, json_object_get(want, "timeline"), tl);
    assert_json_equal("failovers", json_object_get(want, "failovers"), fo);
    assert_json_equal("switchovers", json_object_get(want, "switchovers"), so);
    assert_json_equal("final_primary", json_object_get(want, "final_primary"), fp);
    print_message("fixture %s: %zu events, exact\n", base, json_array_size(tl));
    json_decref(fo);
    json_decref(so);
    json_decref(fp);
    json_decref(tl);
    json_decref(want);
    free(buf);
}

static void test_fixtures(void **ctx)
{
    (void)ctx;
    static const char sfx[] = ".expected.json";
    DIR *d = opendir(FSFO_DIR);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de = readdir(d); de; de = readdir(d)) {
        const size_t l = strlen(de->d_name);
        if (l <= strlen(sfx) || strcmp(de->d_name + l - strlen(sfx), sfx) != 0) {
            continue;
        }
        char base[256];
        assert_true(l - strlen(sfx) < sizeof(base));
        memcpy(base, de->d_name, l - strlen(sfx));
        base[l - strlen(sfx)] = '\0';
        check_fixture(base);
        n++;
    }
    assert_int_equal(closedir(d), 0);
    assert_true(n >= 6);
}

/* The CRLF fixture really has CRLF and an unterminated last line (no checkout conversion). */
static void test_fixture_bytes(void **ctx)
{
    (void)ctx;
    size_t len;
    char *buf = read_all(FSFO_DIR "/s19c_noise_crlf.log", &len);
    assert_true(len > 2);
    assert_non_null(strstr(buf, "\r\n"));
    assert_true(buf[len - 1] != '\n');
    free(buf);
}

static void test_decoys(void **ctx)
{
    (void)ctx;
    static const char *const decoys[] = {
        "Initiating Fast-Start Failover to database \"db_b\"...",
        "Performing failover NOW, please wait...",
        "Performing switchover NOW, please wait...",
        "[W000] Failover succeeded. Restart pinging.",
        "[W000 2024-05-21T03:12:56.910+02:00] Failover succeeded. Restart pinging.",
        "Standby database has changed to db_b.",
        "[W000 2024-03-11T14:02:51.661+00:00] Standby database has changed to db_b.",
        "[W000 2024-05-20T22:41:07.003+02:00] FSFO target standby is db_b",
        "[W000 2024-05-20T22:41:07.117+02:00] Try to connect to the primary db_b.",
        "[W000 2024-05-21T03:31:42.314+02:00] Successfully reinstated database db_b.",
        "Reinstatement of database \"db_b\" failed",
        "Unable to switchover, primary database is still \"db_a\"",
        "Configuration - dg_conf",
        "  Protection Mode: MaxAvailability",
        "  Members:",
        "  db_b - Primary database",
        "    db_a - (*) Physical standby database",
        "Fast-Start Failover: Enabled in Potential Data Loss Mode",
        "Configuration Status:",
        "SUCCESS   (status updated 12 seconds ago)",
        "[W000 2024-05-21T03:12:43.570+02:00] A fast-start failover would have been initiated...",
        "[W000 2024-05-21T03:12:43.570+02:00] Failover would have been initiated to db_b",
        "Observe-only mode: Fast-Start Failover to db_b would have been initiated",
        "Failover processing complete, broker ready.",
        "Reinstate processing complete, broker ready.",
        "\tStandby database, Name: db_b, Connect String: b_dg",
        "Observer started",
        "Observer 'obs1' started",
        "Observer started.",
        "[W000 03/18 07:55:40.12] Failed to start the Observer.",
        "[W000 03/18 07:55:40.12] Observer stopped",
        "Error: ORA-16647: could not start more than one observer",
        "DGMGRL> SWITCHOVER TO db_b;",
        "New primary database \"db_b\" is opening...",
        "",
    };
    struct fsfo_state st, before;
    fsfo_state_init(&st);
    assert_int_equal(apply(&st, "Switchover succeeded, new primary is \"db_a\""),
                     FSFO_EV_SWITCHOVER);
    before = st;
    for (size_t i = 0; i < sizeof(decoys) / sizeof(decoys[0]); i++) {
        if (apply(&st, decoys[i]) != FSFO_EV_NONE) {
            print_error("decoy produced an event: %s\n", decoys[i]);
            fail();
        }
    }
    assert_state_equal(&st, &before);
}

static void test_names_case_quotes(void **ctx)
{
    (void)ctx;
    struct fsfo_state st;
    fsfo_state_init(&st);
    assert_true(fsfo_name_equal("ShipDB_b", "SHIPDB_B"));
    assert_false(fsfo_name_equal("db_a", "db_a2"));
    assert_int_equal(apply(&st, "Failover succeeded, new primary is 'db_a'"), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Failover succeeded, new primary is db_a"), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"\""), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"db a\""), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"db_a"), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "failover succeeded, new primary is \"db_a\""), FSFO_EV_NONE);
    assert_false(st.has_primary);
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"db$1#x\"."),
                     FSFO_EV_FAILOVER);
    assert_string_equal(st.primary, "db$1#x");
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"mktDB02\""),
                     FSFO_EV_FAILOVER);
    /* The same member in another case: no event, the first spelling stays. */
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"MKTDB02\""), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Switchover succeeded, new primary is \"mktdb02\""), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Primary database has changed to MKTDB02."), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "\tPrimary database, Name: mktdb02, Connect String: x"),
                     FSFO_EV_NONE);
    assert_string_equal(st.primary, "mktDB02");
    assert_int_equal(apply(&st, "\tPrimary database, Name: MKTDB03, Connect String: x"),
                     FSFO_EV_PRIMARY_DETECTED);
    assert_string_equal(st.primary, "MKTDB03");
    assert_int_equal(apply(&st, "\tPrimary database, Name: mktdb04"), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "\tPrimary database, Name: mktdb04 ,"), FSFO_EV_NONE);
    assert_int_equal(st.failovers, 2);
    assert_int_equal(st.switchovers, 0);
    assert_int_equal(st.role_changes, 3);
}

static void test_duplicate_failover(void **ctx)
{
    (void)ctx;
    struct fsfo_state st;
    fsfo_state_init(&st);
    const char *f = "Failover succeeded, new primary is \"db_b\"";
    assert_int_equal(apply(&st, f), FSFO_EV_FAILOVER);
    assert_int_equal(apply(&st, f), FSFO_EV_NONE);
    assert_int_equal(st.failovers, 1);
    assert_int_equal(st.role_changes, 1);
    /* The 21c+ trailing period and any further text. */
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"db_a\". (x)"),
                     FSFO_EV_FAILOVER);
    assert_int_equal(apply(&st, "Switchover succeeded, new primary is \"db_b\""),
                     FSFO_EV_SWITCHOVER);
    assert_int_equal(apply(&st, "Switchover succeeded, new primary is \"db_b\""), FSFO_EV_NONE);
    assert_int_equal(st.failovers, 2);
    assert_int_equal(st.switchovers, 1);
    assert_int_equal(st.role_changes, 3);
}

static void test_reinstate(void **ctx)
{
    (void)ctx;
    struct fsfo_state st;
    fsfo_state_init(&st);
    const char *r = "Reinstatement of database \"db_a\" succeeded";
    assert_int_equal(apply(&st, r), FSFO_EV_REINSTATE);
    assert_false(st.has_primary);
    assert_int_equal(apply(&st, r), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Reinstatement of database \"DB_A\" succeeded."), FSFO_EV_NONE);
    assert_string_equal(st.last_reinstated, "DB_A");
    assert_int_equal(st.reinstatements, 1);
    assert_int_equal(apply(&st, "Reinstatement of database \"db_c\" succeeded"), FSFO_EV_REINSTATE);
    assert_int_equal(apply(&st, r), FSFO_EV_REINSTATE);
    assert_int_equal(st.reinstatements, 3);
    /* Each kind of role change clears last_reinstated. */
    static const char *const changes[] = {
        "Failover succeeded, new primary is \"db_b\"",
        "Switchover succeeded, new primary is \"db_c\"",
        "Primary database has changed to db_b.",
        "\tPrimary database, Name: db_c, Connect String: c",
    };
    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        assert_int_not_equal(apply(&st, changes[i]), FSFO_EV_NONE);
        assert_false(st.has_last_reinstated);
        assert_string_equal(st.last_reinstated, "");
        assert_int_equal(apply(&st, r), FSFO_EV_REINSTATE);
    }
    /* A role-change line that is an echo changes nothing, so R stays an echo. */
    assert_int_equal(apply(&st, "Primary database has changed to db_c"), FSFO_EV_NONE);
    assert_int_equal(apply(&st, r), FSFO_EV_NONE);
    assert_int_equal(st.reinstatements, 7);
    assert_string_equal(st.primary, "db_c");
    assert_int_equal(apply(&st, "Reinstatement of database \"db_a\" failed"), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Reinstatement of database db_a succeeded"), FSFO_EV_NONE);
}

static void test_primary_changed_forms(void **ctx)
{
    (void)ctx;
    static const struct {
        const char *line;
        int event;
    } cases[] = {
        {"Primary database has changed to p1", 1},
        {"Primary database has changed to p2.", 1},
        {"Primary database has changed to p3.  \t ", 1},
        {"Primary database has changed to p4 \t", 1},
        {"Primary database has changed to p5\r", 1},
        {"Primary database has changed to x1 .", 0},
        {"Primary database has changed to x2..", 0},
        {"Primary database has changed to x3.foo", 0},
        {"Primary database has changed to x4;", 0},
        {"Primary database has changed to x5-dr.", 0},
        {"Primary database has changed to \"x6\".", 0},
        {"Primary database has changed to  x7.", 0},
        {"Primary database has changed to .", 0},
        {"Primary database has changed to x8.\r\r", 0},
        {"Primary database has changed to x9. \r", 1},
    };
    struct fsfo_state st;
    fsfo_state_init(&st);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const enum fsfo_event ev = apply(&st, cases[i].line);
        if (ev != (cases[i].event ? FSFO_EV_PRIMARY_DETECTED : FSFO_EV_NONE)) {
            print_error("wrong result for: %s\n", cases[i].line);
            fail();
        }
    }
    assert_string_equal(st.primary, "x9");
    assert_int_equal(st.role_changes, 6);
    assert_int_equal(st.failovers + st.switchovers, 0);
}

static void test_not_at_start(void **ctx)
{
    (void)ctx;
    static const char *const lines[] = {
        "+ echo 'Failover succeeded, new primary is \"db_b\"'",
        "++ grep -q Switchover succeeded, new primary is \"db_b\" observer.log",
        "wrapper: Primary database has changed to db_b.",
        "2024-05-21T03:12:56.932+02:00 Primary database has changed to db_b.",
        "[W000] Primary database has changed to db_b.",
        "[w000 x] Primary database has changed to db_b.",
        "[W00 x] Primary database has changed to db_b.",
        "[W0000 x] Primary database has changed to db_b.",
        "[WW00 x] Primary database has changed to db_b.",
        "[W000 x Primary database has changed to db_b.",
        "[W000 a] [W000 b] Primary database has changed to db_b.",
        " - Reinstatement of database \"db_a\" succeeded",
        "note: Observer trace level is set to USER",
        "x Observer stopped",
    };
    struct fsfo_state st, init;
    fsfo_state_init(&st);
    fsfo_state_init(&init);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (apply(&st, lines[i]) != FSFO_EV_NONE) {
            print_error("event from: %s\n", lines[i]);
            fail();
        }
    }
    assert_state_equal(&st, &init);
}

static void test_prefix_forms(void **ctx)
{
    (void)ctx;
    struct fsfo_state st;
    fsfo_state_init(&st);
    assert_int_equal(apply(&st, "[W000 2024-03-11T09:00:01.529+00:00] Primary database has "
                                "changed to p_a."),
                     FSFO_EV_PRIMARY_DETECTED);
    assert_int_equal(apply(&st, "[S002 07/12 13:06:10.09] Switchover succeeded, new primary is "
                                "\"p_b\""),
                     FSFO_EV_SWITCHOVER);
    assert_int_equal(apply(&st, "[P006 anything at all] Failover succeeded, new primary is "
                                "\"p_c\""),
                     FSFO_EV_FAILOVER);
    assert_int_equal(apply(&st, "[W000 ]Primary database has changed to p_d."),
                     FSFO_EV_PRIMARY_DETECTED);
    assert_int_equal(apply(&st, "[Z999 x]  \t Reinstatement of database \"p_a\" succeeded"),
                     FSFO_EV_REINSTATE);
    assert_int_equal(apply(&st, " \t Failover succeeded, new primary is \"p_e\""),
                     FSFO_EV_FAILOVER);
    assert_int_equal(apply(&st, "[W000 x]\tSwitchover succeeded, new primary is \"p_f\""),
                     FSFO_EV_SWITCHOVER);
    assert_string_equal(st.primary, "p_f");
    assert_int_equal(st.failovers, 2);
    assert_int_equal(st.switchovers, 2);
    assert_int_equal(st.role_changes, 6);
}

static void test_start_stop(void **ctx)
{
    (void)ctx;
    struct fsfo_state st;
    fsfo_state_init(&st);
    assert_int_equal(st.observer_up, -1);
    assert_int_equal(apply(&st, "Observer started."), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "[W000 03/14 09:12:05.44] Observer started"), FSFO_EV_NONE);
    assert_int_equal(apply(&st, "Observer trace level is set to"), FSFO_EV_NONE);
    assert_int_equal(st.observer_up, -1);
    assert_int_equal(apply(&st, "[W000 03/14 09:12:05.44] Observer started."),
                     FSFO_EV_OBSERVER_START);
    assert_int_equal(st.observer_up, 1);
    static const char *const stops[] = {"Observer stopped", "Observer stopped.",
                                        "  Observer stopped", "Observer stopped\r"};
    for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
        st.observer_up = 1;
        assert_int_equal(apply(&st, stops[i]), FSFO_EV_OBSERVER_STOP);
        assert_int_equal(st.observer_up, 0);
    }
    static const char *const not_stops[] = {
        "[W000 x] Observer stopped", "Observer stopped by user", "Observer stopped. ",
        "Observer stopped..",        "observer stopped",         "Observer stopped\r\r",
    };
    for (size_t i = 0; i < sizeof(not_stops) / sizeof(not_stops[0]); i++) {
        assert_int_equal(apply(&st, not_stops[i]), FSFO_EV_NONE);
    }
    assert_int_equal(apply(&st, "Observer trace level is set to USER"), FSFO_EV_OBSERVER_START);
    assert_int_equal(st.observer_up, 1);
    assert_int_equal(apply(&st, "Observer stopped"), FSFO_EV_OBSERVER_STOP);
    assert_int_equal(apply(&st, "[W000 2024-05-20T22:41:07.117+02:00] Observer trace level is "
                                "set to SUPPORT"),
                     FSFO_EV_OBSERVER_START);
    assert_int_equal(apply(&st, "[W000 x] Observer started. (again)"), FSFO_EV_OBSERVER_START);
    assert_int_equal(st.observer_up, 1);
    assert_false(st.has_primary);
}

/* line = head + name of n bytes + tail, in a malloc'd buffer. */
static char *make_line(const char *head, int c, size_t n, const char *tail, size_t *len)
{
    const size_t hl = strlen(head), tl = strlen(tail);
    char *s = malloc(hl + n + tl + 1);
    assert_non_null(s);
    memcpy(s, head, hl);
    memset(s + hl, c, n);
    memcpy(s + hl + n, tail, tl + 1);
    *len = hl + n + tl;
    return s;
}

static void test_long_names_and_lines(void **ctx)
{
    (void)ctx;
    struct fsfo_state st;
    fsfo_state_init(&st);
    const char *head = "Failover succeeded, new primary is \"";
    const size_t sizes[] = {FSFO_NAME_MAX + 1, FSFO_NAME_MAX + 50, 5000, 70000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len;
        char *s = make_line(head, 'n', sizes[i], "\"", &len);
        assert_int_equal(fsfo_apply_line(&st, s, len, NULL), FSFO_EV_NONE);
        free(s);
    }
    assert_false(st.has_primary);
    size_t len;
    char *s = make_line(head, 'n', FSFO_NAME_MAX, "\"", &len);
    const char *name = NULL;
    assert_int_equal(fsfo_apply_line(&st, s, len, &name), FSFO_EV_FAILOVER);
    assert_int_equal(strlen(name), FSFO_NAME_MAX);
    free(s);
    s = make_line("Reinstatement of database \"", 'r', FSFO_NAME_MAX + 1, "\" succeeded", &len);
    assert_int_equal(fsfo_apply_line(&st, s, len, NULL), FSFO_EV_NONE);
    free(s);
    s = make_line("Primary database has changed to ", 'p', 100, ".", &len);
    assert_int_equal(fsfo_apply_line(&st, s, len, NULL), FSFO_EV_NONE);
    free(s);
    /* A line far beyond 4 KB is still one line: the pattern at its start counts. */
    s = make_line("Switchover succeeded, new primary is \"sw_long\" ", 'z', 100000, "", &len);
    assert_int_equal(fsfo_apply_line(&st, s, len, NULL), FSFO_EV_SWITCHOVER);
    free(s);
    s = make_line("[W000 ", 'x', 9000, "] Primary database has changed to pd_long.", &len);
    assert_int_equal(fsfo_apply_line(&st, s, len, NULL), FSFO_EV_PRIMARY_DETECTED);
    free(s);
    assert_string_equal(st.primary, "pd_long");
    assert_int_equal(st.role_changes, 3);
}

static void test_binary_garbage(void **ctx)
{
    (void)ctx;
    struct fsfo_state st, before;
    fsfo_state_init(&st);
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"g_a\""), FSFO_EV_FAILOVER);
    before = st;
    uint32_t x = 12345;
    char buf[9000];
    for (int round = 0; round < 2000; round++) {
        x = x * 1103515245u + 12345u;
        const size_t n = (x >> 8) % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (char)(x >> 24);
        }
        assert_int_equal(fsfo_apply_line(&st, buf, n, NULL), FSFO_EV_NONE);
    }
    static const char f_nul[] = "Failover succeeded, new primary is \"ab\0c\"";
    assert_int_equal(fsfo_apply_line(&st, f_nul, sizeof(f_nul) - 1, NULL), FSFO_EV_NONE);
    static const char f_hi[] = "Failover succeeded, new primary is \"d\xff\xfe\"";
    assert_int_equal(fsfo_apply_line(&st, f_hi, sizeof(f_hi) - 1, NULL), FSFO_EV_NONE);
    static const char p_nul[] = "Primary database has changed to zz.\0";
    assert_int_equal(fsfo_apply_line(&st, p_nul, sizeof(p_nul) - 1, NULL), FSFO_EV_NONE);
    static const char pre[] = "[W000 \xc3\x28\0\xff] \xe2\x82 Observer stopped";
    assert_int_equal(fsfo_apply_line(&st, pre, sizeof(pre) - 1, NULL), FSFO_EV_NONE);
    assert_int_equal(fsfo_apply_line(&st, "\r", 1, NULL), FSFO_EV_NONE);
    assert_int_equal(fsfo_apply_line(&st, "[W000 ", 6, NULL), FSFO_EV_NONE);
    assert_int_equal(fsfo_apply_line(&st, "", 0, NULL), FSFO_EV_NONE);
    assert_int_equal(fsfo_apply_line(&st, NULL, 0, NULL), FSFO_EV_NONE);
    assert_state_equal(&st, &before);
    /* Non-UTF-8 bytes after a complete pattern do not matter. */
    static const char f_tail[] = "Failover succeeded, new primary is \"g_b\"\xff\x00\xfe";
    assert_int_equal(fsfo_apply_line(&st, f_tail, sizeof(f_tail) - 1, NULL), FSFO_EV_FAILOVER);
}

static void test_event_names(void **ctx)
{
    (void)ctx;
    assert_string_equal(fsfo_event_name(FSFO_EV_NONE), "none");
    assert_string_equal(fsfo_event_name(FSFO_EV_OBSERVER_START), "observer_start");
    assert_string_equal(fsfo_event_name(FSFO_EV_OBSERVER_STOP), "observer_stop");
    assert_string_equal(fsfo_event_name(FSFO_EV_FAILOVER), "failover");
    assert_string_equal(fsfo_event_name(FSFO_EV_SWITCHOVER), "switchover");
    assert_string_equal(fsfo_event_name(FSFO_EV_PRIMARY_DETECTED), "primary_detected");
    assert_string_equal(fsfo_event_name(FSFO_EV_REINSTATE), "reinstate");
    assert_string_equal(fsfo_event_name((enum fsfo_event)99), "none");
}

/* Saves st, serialises and parses it again, restores into a fresh state, compares. */
static void roundtrip(const struct fsfo_state *st)
{
    json_t *j = fsfo_state_save(st);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    json_error_t err;
    json_t *back = json_loads(text, 0, &err);
    assert_non_null(back);
    struct fsfo_state r;
    fsfo_state_init(&r);
    r.observer_up = 1;
    const char *why = NULL;
    assert_int_equal(fsfo_state_restore(&r, back, &why), 0);
    assert_null(why);
    assert_state_equal(&r, st);
    free(text);
    json_decref(back);
    json_decref(j);
}

static void test_save_restore(void **ctx)
{
    (void)ctx;
    struct fsfo_state st;
    fsfo_state_init(&st);
    roundtrip(&st);
    assert_int_equal(apply(&st, "Observer trace level is set to USER"), FSFO_EV_OBSERVER_START);
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"Db$#_9\""), FSFO_EV_FAILOVER);
    roundtrip(&st);
    assert_int_equal(apply(&st, "Reinstatement of database \"old_P\" succeeded"),
                     FSFO_EV_REINSTATE);
    assert_int_equal(apply(&st, "Observer stopped."), FSFO_EV_OBSERVER_STOP);
    roundtrip(&st);
    /* After restore the state goes on: the reinstatement echo is still recognised. */
    json_t *j = fsfo_state_save(&st);
    assert_non_null(j);
    struct fsfo_state r;
    fsfo_state_init(&r);
    assert_int_equal(fsfo_state_restore(&r, j, NULL), 0);
    json_decref(j);
    assert_int_equal(apply(&r, "Reinstatement of database \"OLD_p\" succeeded"), FSFO_EV_NONE);
    st.failovers = INT64_MAX;
    st.role_changes = INT64_MAX;
    roundtrip(&st);
    st.failovers = (uint64_t)INT64_MAX + 1;
    assert_null(fsfo_state_save(&st));
}

/* Checkpoints restore must refuse: wrong types, names, ranges, missing or unknown members. */
static const char *const bad_checkpoints[] = {
    "[]",
    "\"x\"",
    "null",
    "{}",
    "{\"spec\":\"fsfo-timeline/2\",\"primary\":null,\"last_reinstated\":null,\"failovers\":0,"
    "\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,\"observer_up\":-1}",
    "{\"spec\":1,\"primary\":null,\"last_reinstated\":null,\"failovers\":0,"
    "\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":5,\"last_reinstated\":null,\"failovers\":0,"
    "\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":\"\",\"last_reinstated\":null,\"failovers\":0,"
    "\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":\"a b\",\"last_reinstated\":null,"
    "\"failovers\":0,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":\"a\\u0000b\",\"last_reinstated\":null,"
    "\"failovers\":0,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":\"caf\\u00e9\",\"last_reinstated\":null,"
    "\"failovers\":0,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":true,"
    "\"failovers\":0,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":null,"
    "\"failovers\":-1,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":null,"
    "\"failovers\":1.0,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":1,"
    "\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":null,"
    "\"failovers\":0,\"switchovers\":\"0\",\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":null,"
    "\"failovers\":0,\"switchovers\":0,\"role_changes\":0,\"observer_up\":-1}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":null,"
    "\"failovers\":0,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":2}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":null,"
    "\"failovers\":0,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":true}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":null,"
    "\"failovers\":2,\"switchovers\":1,\"reinstatements\":0,\"role_changes\":2,"
    "\"observer_up\":0}",
    "{\"spec\":\"fsfo-timeline/1\",\"primary\":null,\"last_reinstated\":null,"
    "\"failovers\":0,\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,"
    "\"observer_up\":1,\"extra\":1}",
    "{\"spec\":\"fsfo-timeline/1\",\"last_reinstated\":null,\"failovers\":0,"
    "\"switchovers\":0,\"reinstatements\":0,\"role_changes\":0,\"observer_up\":1,\"x\":1}",
};

static void test_restore_malformed(void **ctx)
{
    (void)ctx;
    struct fsfo_state st, before;
    fsfo_state_init(&st);
    assert_int_equal(apply(&st, "Failover succeeded, new primary is \"keep_me\""),
                     FSFO_EV_FAILOVER);
    before = st;
    for (size_t i = 0; i < sizeof(bad_checkpoints) / sizeof(bad_checkpoints[0]); i++) {
        json_error_t err;
        json_t *j = json_loads(bad_checkpoints[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        assert_non_null(j);
        const char *why = NULL;
        if (fsfo_state_restore(&st, j, &why) != -1 || !why) {
            print_error("accepted: %s\n", bad_checkpoints[i]);
            fail();
        }
        assert_int_equal(fsfo_state_restore(&st, j, NULL), -1);
        assert_state_equal(&st, &before);
        json_decref(j);
    }
    assert_int_equal(fsfo_state_restore(&st, NULL, NULL), -1);
}

/* Names in a checkpoint: FSFO_NAME_MAX bytes are fine, one more is refused. */
static void test_restore_name_length(void **ctx)
{
    (void)ctx;
    struct fsfo_state st;
    fsfo_state_init(&st);
    json_t *j = fsfo_state_save(&st);
    assert_non_null(j);
    char long_name[FSFO_NAME_MAX + 2];
    memset(long_name, 'q', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(json_object_set_new(j, "last_reinstated", json_string(long_name)), 0);
    assert_int_equal(fsfo_state_restore(&st, j, NULL), -1);
    long_name[FSFO_NAME_MAX] = '\0';
    assert_int_equal(json_object_set_new(j, "last_reinstated", json_string(long_name)), 0);
    assert_int_equal(fsfo_state_restore(&st, j, NULL), 0);
    assert_string_equal(st.last_reinstated, long_name);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_fixture_bytes),
        cmocka_unit_test(test_decoys),
        cmocka_unit_test(test_names_case_quotes),
        cmocka_unit_test(test_duplicate_failover),
        cmocka_unit_test(test_reinstate),
        cmocka_unit_test(test_primary_changed_forms),
        cmocka_unit_test(test_not_at_start),
        cmocka_unit_test(test_prefix_forms),
        cmocka_unit_test(test_start_stop),
        cmocka_unit_test(test_long_names_and_lines),
        cmocka_unit_test(test_binary_garbage),
        cmocka_unit_test(test_event_names),
        cmocka_unit_test(test_save_restore),
        cmocka_unit_test(test_restore_malformed),
        cmocka_unit_test(test_restore_name_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
