/* libFuzzer: Route 53's answers are untrusted bytes. The input is read as a
 * ListResourceRecordSets answer (for a CNAME and an A record), a ChangeInfo, an error and a
 * record name; whatever it holds, outputs stay terminated, a value found is canonical (reading it
 * back gives itself) and a change id is safe to put in a URL path. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/route53/r53_model.h"
#include "exporters/route53/r53_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_found(const char *text, enum r53_type t, const char *values)
{
    struct r53_record_conf c = {.name = "db.corp.internal", .type = (int)t, .ttl = 10,
                                .metric = "m", .label = "l"};
    struct r53_record r;
    const char *where, *why;
    char canon[R53_VALUE_MAX], again[R53_VALUE_MAX];
    int present = 0;
    int64_t ttl = 0;
    c.values = json_loads(values, 0, NULL);
    if (!c.values || r53_record_init(&r, &c, &where, &why) != 0) {
        __builtin_trap();
    }
    if (r53_xml_list_find(text, &r, &present, canon, sizeof(canon), &ttl, &why) == 0 && present) {
        const char *parts[R53_MAX_ADDRS];
        char copy[R53_VALUE_MAX];
        size_t n = 0;
        memcpy(copy, canon, sizeof(copy));
        for (char *p = strtok(copy, ","); p && n < R53_MAX_ADDRS; p = strtok(NULL, ",")) {
            parts[n++] = p;
        }
        if (!memchr(canon, '\0', sizeof(canon)) ||
            r53_values_canon(t, parts, n, again, sizeof(again), &why) != 0 ||
            strcmp(again, canon) != 0) {
            __builtin_trap();
        }
    }
    r53_record_free(&r);
    json_decref(c.values);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char id[R53_CHANGE_ID_MAX], code[64], msg[256], name[R53_NAME_MAX];
    const char *why;
    int insync;
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    check_found(text, R53_CNAME, "{\"a\": \"a.corp.internal\"}");
    check_found(text, R53_A, "{\"a\": \"10.0.0.1\"}");
    if (r53_xml_change_info(text, id, sizeof(id), &insync) == 0 &&
        (!id[0] || strcspn(id, "/?#&% ") != strlen(id) || (insync != 0 && insync != 1))) {
        __builtin_trap();
    }
    r53_xml_error(text, code, sizeof(code), msg, sizeof(msg));
    if (!memchr(code, '\0', sizeof(code)) || !memchr(msg, '\0', sizeof(msg))) {
        __builtin_trap();
    }
    if (r53_name_canon(text, name, sizeof(name), &why) == 0) {
        char again[R53_NAME_MAX];
        if (r53_name_canon(name, again, sizeof(again), &why) != 0 || strcmp(again, name) != 0) {
            __builtin_trap();
        }
    }
    free(text);
    return 0;
}
