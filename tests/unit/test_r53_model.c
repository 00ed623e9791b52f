/* The Route 53 exporter's pure parts: names and values in Route 53's canonical form, the
 * desired-value rule over real registry snapshots, the request body and the answers' parsing. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "exporters/route53/r53_model.h"
#include "exporters/route53/r53_xml.h"

static void test_names(void **state)
{
    (void)state;
    char out[R53_NAME_MAX];
    const char *why;
    assert_int_equal(r53_name_canon("DB.Corp.Internal.", out, sizeof(out), &why), 0);
    assert_string_equal(out, "db.corp.internal");
    assert_int_equal(r53_name_canon("\\052.corp.internal.", out, sizeof(out), &why), 0);
    assert_string_equal(out, "*.corp.internal");
    assert_int_equal(r53_name_canon("*.corp", out, sizeof(out), &why), 0);
    assert_int_equal(r53_name_canon("a_b-1.corp", out, sizeof(out), &why), 0);
    assert_int_equal(r53_name_canon("db..corp", out, sizeof(out), &why), -1);
    assert_string_equal(why, "an empty label (two dots, or a leading dot)");
    /* found by fuzzing: a second trailing dot was taken as the optional one */
    assert_int_equal(r53_name_canon("26-5..", out, sizeof(out), &why), -1);
    assert_int_equal(r53_name_canon(".corp", out, sizeof(out), &why), -1);
    assert_int_equal(r53_name_canon("db corp", out, sizeof(out), &why), -1);
    assert_int_equal(r53_name_canon("a*.corp", out, sizeof(out), &why), -1);
    assert_int_equal(r53_name_canon("", out, sizeof(out), &why), -1);
    assert_int_equal(r53_name_canon(NULL, out, sizeof(out), &why), -1);
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".corp");
    assert_int_equal(r53_name_canon(label, out, sizeof(out), &why), -1);
    assert_string_equal(why, "a label longer than 63 characters");
    char longname[300] = "";
    for (int i = 0; i < 40; i++) {
        strcat(longname, "abcdef.");
    }
    assert_int_equal(r53_name_canon(longname, out, sizeof(out), &why), -1);
    assert_string_equal(why, "longer than 253 characters");
}

static void test_zone_ids(void **state)
{
    (void)state;
    char z[40];
    assert_int_equal(r53_zone_id("Z0123456789ABCDEFGHIJ", z, sizeof(z)), 1);
    assert_string_equal(z, "Z0123456789ABCDEFGHIJ");
    assert_int_equal(r53_zone_id("/hostedzone/Z2ABC", z, sizeof(z)), 1);
    assert_string_equal(z, "Z2ABC");
    assert_int_equal(r53_zone_id("z123", z, sizeof(z)), 0);
    assert_int_equal(r53_zone_id("Z12a", z, sizeof(z)), 0);
    assert_int_equal(r53_zone_id("Z", z, sizeof(z)), 0);
    assert_int_equal(r53_zone_id(NULL, z, sizeof(z)), 0);
    assert_int_equal(r53_zone_id("Z0123456789ABCDEFGHIJ0123456789ABC", z, sizeof(z)), 0);
}

static void check_value(enum r53_type t, const char *json, const char *want)
{
    char out[R53_VALUE_MAX];
    const char *why = "";
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    int rc = r53_value_canon(t, v, out, sizeof(out), &why);
    json_decref(v);
    if (want) {
        assert_int_equal(rc, 0);
        assert_string_equal(out, want);
    } else {
        assert_int_equal(rc, -1);
        assert_true(strlen(why) > 0);
    }
}

static void test_values(void **state)
{
    (void)state;
    check_value(R53_A, "\"10.0.0.1\"", "10.0.0.1");
    check_value(R53_A, "[\"10.0.0.9\", \"10.0.0.10\", \"10.0.0.2\"]", "10.0.0.10,10.0.0.2,10.0.0.9");
    check_value(R53_A, "\"10.0.0.300\"", NULL);
    check_value(R53_A, "\"::1\"", NULL);
    check_value(R53_A, "[\"10.0.0.1\", \"10.0.0.1\"]", NULL);
    check_value(R53_A, "[]", NULL);
    check_value(R53_A, "[1]", NULL);
    check_value(R53_AAAA, "\"2001:DB8:0:0::1\"", "2001:db8::1");
    check_value(R53_AAAA, "\"10.0.0.1\"", NULL);
    check_value(R53_CNAME, "\"OrclStd.Corp.Internal.\"", "orclstd.corp.internal");
    check_value(R53_CNAME, "[\"a.b\"]", NULL);
    check_value(R53_CNAME, "5", NULL);
    check_value(R53_A, "[\"1.1.1.1\",\"1.1.1.2\",\"1.1.1.3\",\"1.1.1.4\",\"1.1.1.5\",\"1.1.1.6\","
                       "\"1.1.1.7\",\"1.1.1.8\",\"1.1.1.9\",\"1.1.1.10\",\"1.1.1.11\",\"1.1.1.12\","
                       "\"1.1.1.13\",\"1.1.1.14\",\"1.1.1.15\",\"1.1.1.16\",\"1.1.1.17\"]",
                NULL);
}

/* A record over two databases, as in the recipe. */
struct rec_fixture {
    struct r53_record_conf c;
    struct r53_record r;
};

static void rec_init(struct rec_fixture *f, enum r53_type t, const char *values)
{
    const char *where, *why;
    memset(f, 0, sizeof(*f));
    f->c.name = "db.corp.internal.";
    f->c.type = (int)t;
    f->c.ttl = 10;
    f->c.metric = "oracle_fsfo_is_primary";
    f->c.label = "database";
    f->c.values = json_loads(values, 0, NULL);
    assert_non_null(f->c.values);
    assert_int_equal(r53_record_init(&f->r, &f->c, &where, &why), 0);
}

static void rec_free(struct rec_fixture *f)
{
    r53_record_free(&f->r);
    json_decref(f->c.values);
}

static void test_record_init_errors(void **state)
{
    (void)state;
    struct r53_record_conf c = {.name = "db.corp", .type = R53_A, .ttl = 10, .metric = "m",
                                .label = "l"};
    struct r53_record r;
    const char *where, *why;
    c.values = json_loads("{\"a\": \"10.0.0.1\", \"b\": \"nope\"}", 0, NULL);
    assert_int_equal(r53_record_init(&r, &c, &where, &why), -1);
    assert_string_equal(where, "b");
    assert_string_equal(why, "not an IPv4 address");
    r53_record_free(&r);
    json_decref(c.values);
    c.values = json_loads("{}", 0, NULL);
    assert_int_equal(r53_record_init(&r, &c, &where, &why), -1);
    assert_string_equal(where, "values");
    r53_record_free(&r);
    json_decref(c.values);
    c.values = NULL;
    c.name = "bad name";
    assert_int_equal(r53_record_init(&r, &c, &where, &why), -1);
    assert_string_equal(where, "name");
    r53_record_free(&r);
}

/* A real registry: is_primary for each database given (value per database, or absent). */
static const struct hw_snapshot *snapshot_of(struct hw_registry *reg, const char *const *dbs,
                                             const double *vals, size_t n)
{
    static const struct hw_family_desc d = {.name = "oracle_fsfo_is_primary", .help = "h",
                                            .unit = "None", .type = HW_GAUGE,
                                            .views = HW_VIEW_ALL, .flags = HW_FAM_REPLACE};
    struct hw_family *f = hw_registry_family(reg, &d, "fsfo");
    assert_non_null(f);
    hw_registry_begin(reg, "fsfo");
    for (size_t i = 0; i < n; i++) {
        const struct hw_label l[] = {{"database", dbs[i]}, {"observer", "obs1"}};
        assert_int_equal(hw_family_set(f, l, 2, vals[i]), 0);
    }
    hw_registry_sweep(reg, "fsfo");
    assert_int_equal(hw_registry_publish(reg), 0);
    return hw_registry_acquire(reg);
}

static int desired_of(const struct r53_record *r, struct hw_registry *reg, const char *const *dbs,
                      const double *vals, size_t n, enum r53_pick *pick)
{
    const struct hw_snapshot *s = snapshot_of(reg, dbs, vals, n);
    int d = r53_desired(r, s, pick, NULL);
    hw_snapshot_release(s);
    return d;
}

static void test_desired_rule(void **state)
{
    (void)state;
    struct rec_fixture f;
    rec_init(&f, R53_CNAME, "{\"orclviq\": \"orclviq.corp.internal\", "
                            "\"orclstd\": \"orclstd.corp.internal\"}");
    struct hw_registry *reg = hw_registry_new();
    const char *dbs[] = {"orclviq", "orclstd", "ORCLX"};
    enum r53_pick pick;
    /* none known: nothing desired */
    assert_int_equal(desired_of(&f.r, reg, dbs, NULL, 0, &pick), -1);
    assert_int_equal(pick, R53_PICK_NONE);
    /* one primary */
    assert_int_equal(desired_of(&f.r, reg, dbs, (const double[]){0, 1}, 2, &pick), 1);
    assert_int_equal(pick, R53_PICK_ONE);
    assert_string_equal(f.r.values[1].canon, "orclstd.corp.internal");
    assert_int_equal(desired_of(&f.r, reg, dbs, (const double[]){1, 0}, 2, &pick), 0);
    /* two at 1 (two logs disagree): nothing */
    assert_int_equal(desired_of(&f.r, reg, dbs, (const double[]){1, 1}, 2, &pick), -1);
    assert_int_equal(pick, R53_PICK_SEVERAL);
    /* both 0: nothing */
    assert_int_equal(desired_of(&f.r, reg, dbs, (const double[]){0, 0}, 2, &pick), -1);
    assert_int_equal(pick, R53_PICK_NONE);
    /* a primary the record has no value for */
    const char *seen = NULL;
    const struct hw_snapshot *s = snapshot_of(reg, dbs, (const double[]){0, 0, 1}, 3);
    assert_int_equal(r53_desired(&f.r, s, &pick, &seen), -1);
    assert_int_equal(pick, R53_PICK_UNKNOWN);
    assert_string_equal(seen, "ORCLX");
    hw_snapshot_release(s);
    /* label values match case-insensitively (Oracle names) */
    const char *upper[] = {"ORCLVIQ", "OrclStd"};
    assert_int_equal(desired_of(&f.r, reg, upper, (const double[]){0, 1}, 2, &pick), 1);
    /* another metric's series do not count */
    f.c.metric = "oracle_fsfo_other";
    assert_int_equal(desired_of(&f.r, reg, dbs, (const double[]){0, 1}, 2, &pick), -1);
    hw_registry_free(reg);
    rec_free(&f);
}

static void test_upsert_body(void **state)
{
    (void)state;
    struct rec_fixture f;
    struct hw_buf b;
    rec_init(&f, R53_A, "{\"a\": [\"10.0.0.2\", \"10.0.0.1\"]}");
    hw_buf_init(&b);
    assert_int_equal(r53_xml_upsert(&f.r, f.r.values[0].canon, "hostwatch: <db> & \"x\"", &b), 0);
    assert_string_equal(
        b.data,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ChangeResourceRecordSetsRequest xmlns=\""
        "https://route53.amazonaws.com/doc/2013-04-01/\"><ChangeBatch><Comment>hostwatch: "
        "&lt;db&gt; &amp; &quot;x&quot;</Comment><Changes><Change><Action>UPSERT</Action>"
        "<ResourceRecordSet><Name>db.corp.internal</Name><Type>A</Type><TTL>10</TTL>"
        "<ResourceRecords><ResourceRecord><Value>10.0.0.1</Value></ResourceRecord>"
        "<ResourceRecord><Value>10.0.0.2</Value></ResourceRecord></ResourceRecords>"
        "</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>\n");
    hw_buf_free(&b);
    rec_free(&f);
}

static void test_change_info(void **state)
{
    (void)state;
    char id[R53_CHANGE_ID_MAX];
    int insync = -1;
    const char *pending = "<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse xmlns=\""
                          R53_XMLNS "\"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING"
                          "</Status><SubmittedAt>2026-12-04T22:00:00.000Z</SubmittedAt>"
                          "</ChangeInfo></ChangeResourceRecordSetsResponse>";
    assert_int_equal(r53_xml_change_info(pending, id, sizeof(id), &insync), 0);
    assert_string_equal(id, "C2682N5HXP0BZ4");
    assert_int_equal(insync, 0);
    const char *done = "<GetChangeResponse><ChangeInfo><Status>INSYNC</Status><Id>C1</Id>"
                       "</ChangeInfo></GetChangeResponse>";
    assert_int_equal(r53_xml_change_info(done, id, sizeof(id), &insync), 0);
    assert_string_equal(id, "C1");
    assert_int_equal(insync, 1);
    assert_int_equal(r53_xml_change_info("<x/>", id, sizeof(id), &insync), -1);
    assert_int_equal(r53_xml_change_info(NULL, id, sizeof(id), &insync), -1);
    assert_int_equal(r53_xml_change_info("<ChangeInfo><Id>/change/../x</Id><Status>INSYNC"
                                         "</Status></ChangeInfo>", id, sizeof(id), &insync), -1);
}

static const char *list_answer(const char *sets)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf), "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse xmlns=\""
             R53_XMLNS "\"><ResourceRecordSets>%s</ResourceRecordSets><IsTruncated>true"
             "</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>", sets);
    return buf;
}

static void test_list_find(void **state)
{
    (void)state;
    struct rec_fixture f;
    char canon[R53_VALUE_MAX];
    int present = -1;
    int64_t ttl = 0;
    const char *why;
    rec_init(&f, R53_CNAME, "{\"orclviq\": \"orclviq.corp.internal\"}");
    const char *mine = "<ResourceRecordSet><Name>DB.corp.internal.</Name><Type>CNAME</Type>"
                       "<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>OrclViq.corp."
                       "internal</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>";
    assert_int_equal(r53_xml_list_find(list_answer(mine), &f.r, &present, canon, sizeof(canon),
                                       &ttl, &why), 0);
    assert_int_equal(present, 1);
    assert_string_equal(canon, "orclviq.corp.internal");
    assert_int_equal(ttl, 300);
    /* the list starts at the next name: the record does not exist */
    const char *next = "<ResourceRecordSet><Name>dc.corp.internal.</Name><Type>CNAME</Type>"
                       "<TTL>300</TTL><ResourceRecords><ResourceRecord><Value>x.y</Value>"
                       "</ResourceRecord></ResourceRecords></ResourceRecordSet>";
    assert_int_equal(r53_xml_list_find(list_answer(next), &f.r, &present, canon, sizeof(canon),
                                       &ttl, &why), 0);
    assert_int_equal(present, 0);
    assert_int_equal(r53_xml_list_find(list_answer(""), &f.r, &present, canon, sizeof(canon),
                                       &ttl, &why), 0);
    assert_int_equal(present, 0);
    /* same name, another type: not this record */
    const char *txt = "<ResourceRecordSet><Name>db.corp.internal.</Name><Type>TXT</Type>"
                      "<TTL>300</TTL></ResourceRecordSet>";
    assert_int_equal(r53_xml_list_find(list_answer(txt), &f.r, &present, canon, sizeof(canon),
                                       &ttl, &why), 0);
    assert_int_equal(present, 0);
    /* weighted or alias: not managed */
    const char *weighted = "<ResourceRecordSet><Name>db.corp.internal.</Name><Type>CNAME</Type>"
                           "<SetIdentifier>a</SetIdentifier><Weight>1</Weight><TTL>60</TTL>"
                           "</ResourceRecordSet>";
    assert_int_equal(r53_xml_list_find(list_answer(weighted), &f.r, &present, canon,
                                       sizeof(canon), &ttl, &why), -1);
    assert_non_null(strstr(why, "SetIdentifier"));
    assert_int_equal(r53_xml_list_find("<Error/>", &f.r, &present, canon, sizeof(canon), &ttl,
                                       &why), -1);
    rec_free(&f);
}

static void test_errors(void **state)
{
    (void)state;
    char code[64], msg[128];
    r53_xml_error("<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"" R53_XMLNS "\"><Error><Type>"
                  "Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
                  "<RequestId>r1</RequestId></ErrorResponse>",
                  code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "Throttling");
    assert_string_equal(msg, "Rate exceeded");
    r53_xml_error("<?xml version=\"1.0\"?>\n<InvalidChangeBatch xmlns=\"" R53_XMLNS "\"><Messages>"
                  "<Message>Tried to delete resource record set [name='x.', type='A'] but it was "
                  "not found</Message></Messages><RequestId>r2</RequestId></InvalidChangeBatch>",
                  code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "InvalidChangeBatch");
    assert_string_equal(msg, "Tried to delete resource record set [name='x.', type='A'] but it "
                             "was not found");
    r53_xml_error("not xml", code, sizeof(code), msg, sizeof(msg));
    assert_string_equal(code, "");
    char small[8];
    r53_xml_error("<Error><Code>A</Code><Message>a long message &amp; more</Message></Error>",
                  code, sizeof(code), small, sizeof(small));
    assert_string_equal(small, "a long "); /* cut, not lost */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),          cmocka_unit_test(test_zone_ids),
        cmocka_unit_test(test_values),         cmocka_unit_test(test_record_init_errors),
        cmocka_unit_test(test_desired_rule),   cmocka_unit_test(test_upsert_body),
        cmocka_unit_test(test_change_info),    cmocka_unit_test(test_list_find),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
