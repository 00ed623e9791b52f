#include "r53_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {"A", "AAAA", "CNAME"};

/* Names and addresses are validated, but a comment carries a database name from a log line. */
static void put_escaped(struct hw_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': hw_buf_puts(b, "&lt;"); break;
        case '>': hw_buf_puts(b, "&gt;"); break;
        case '&': hw_buf_puts(b, "&amp;"); break;
        case '"': hw_buf_puts(b, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20) {
                hw_buf_putc(b, *s);
            }
        }
    }
}

int r53_xml_upsert(const struct r53_record *r, const char *canon, const char *comment,
                   struct hw_buf *out)
{
    hw_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                     "<ChangeResourceRecordSetsRequest xmlns=\"" R53_XMLNS "\"><ChangeBatch>");
    if (comment && *comment) {
        char c[257]; /* the model allows 256 characters */
        snprintf(c, sizeof(c), "%s", comment);
        hw_buf_puts(out, "<Comment>");
        put_escaped(out, c);
        hw_buf_puts(out, "</Comment>");
    }
    hw_buf_printf(out, "<Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>%s"
                       "</Name><Type>%s</Type><TTL>%lld</TTL><ResourceRecords>",
                  r->name, type_names[r->type], (long long)r->conf->ttl);
    for (const char *p = canon; *p;) {
        size_t n = strcspn(p, ",");
        hw_buf_printf(out, "<ResourceRecord><Value>%.*s</Value></ResourceRecord>", (int)n, p);
        p += n + (p[n] == ',');
    }
    hw_buf_puts(out, "</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch>"
                     "</ChangeResourceRecordSetsRequest>\n");
    return out->oom ? -1 : 0;
}

/* The text of the first <tag> (or <tag attr...>) between p and end; NULL when there is none.
 * *n gets its length; the element must not nest its own name (no Route 53 shape does). */
static const char *xml_text(const char *p, const char *end, const char *tag, size_t *n)
{
    char open[64], close[64];
    snprintf(open, sizeof(open), "<%s", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    size_t ol = strlen(open);
    for (const char *a = p; a && a < end; a++) {
        a = strstr(a, open);
        if (!a || a >= end) {
            return NULL;
        }
        if (a[ol] != '>' && a[ol] != ' ') {
            continue; /* <ResourceRecordSets> is not <ResourceRecordSet> */
        }
        const char *body = strchr(a + ol, '>');
        const char *b = body ? strstr(body, close) : NULL;
        if (!b || b > end) {
            return NULL;
        }
        *n = (size_t)(b - body - 1);
        return body + 1;
    }
    return NULL;
}

/* Copies an element's text, decoding the five predefined entities: 0, 1 when it was cut to fit,
 * -1 when absent. */
static int xml_copy(const char *p, const char *end, const char *tag, char *out, size_t len)
{
    size_t n, o = 0;
    const char *t = xml_text(p, end, tag, &n);
    static const char *const ent[] = {"&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", "\"",
                                      "&apos;", "'"};
    if (!t) {
        return -1;
    }
    size_t i = 0;
    for (; i < n && o + 1 < len; i++) {
        char c = t[i];
        for (size_t e = 0; c == '&' && e < sizeof(ent) / sizeof(ent[0]); e += 2) {
            size_t el = strlen(ent[e]);
            if (i + el <= n && strncmp(t + i, ent[e], el) == 0) {
                c = ent[e + 1][0];
                i += el - 1;
                break;
            }
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return i < n ? 1 : 0;
}

int r53_xml_change_info(const char *body, char *id, size_t idlen, int *insync)
{
    char raw[R53_CHANGE_ID_MAX + 16], status[32];
    const char *end = body ? body + strlen(body) : NULL;
    size_t n;
    const char *ci = body ? xml_text(body, end, "ChangeInfo", &n) : NULL;
    if (!ci || xml_copy(ci, ci + n, "Id", raw, sizeof(raw)) != 0 ||
        xml_copy(ci, ci + n, "Status", status, sizeof(status)) != 0) {
        return -1;
    }
    const char *bare = strncmp(raw, "/change/", 8) == 0 ? raw + 8 : raw;
    if (!*bare || strlen(bare) >= idlen || strcspn(bare, "/?#&% ") != strlen(bare)) {
        return -1;
    }
    snprintf(id, idlen, "%s", bare);
    *insync = strcmp(status, "INSYNC") == 0;
    return 0;
}

/* The <Value>s of one ResourceRecordSet in canonical form. */
static int set_values(const char *set, const char *end, enum r53_type t, char *canon, size_t len,
                      const char **why)
{
    char vals[R53_MAX_ADDRS][R53_NAME_MAX];
    const char *v[R53_MAX_ADDRS];
    size_t nv = 0, n;
    const char *p = set;
    while (nv < R53_MAX_ADDRS) {
        const char *rr = xml_text(p, end, "ResourceRecord", &n);
        if (!rr || xml_copy(rr, rr + n, "Value", vals[nv], sizeof(vals[nv])) != 0) {
            break;
        }
        v[nv] = vals[nv];
        nv++;
        p = rr + n;
    }
    return r53_values_canon(t, v, nv, canon, len, why);
}

int r53_xml_list_find(const char *body, const struct r53_record *r, int *present, char *canon,
                      size_t len, int64_t *ttl, const char **why)
{
    char name[R53_NAME_MAX], cname[R53_NAME_MAX], type[16], ttl_text[24];
    const char *end = body ? body + strlen(body) : NULL;
    size_t n;
    *present = 0;
    *why = "not a ListResourceRecordSets answer";
    const char *sets = body ? xml_text(body, end, "ResourceRecordSets", &n) : NULL;
    if (!sets) {
        return body && strstr(body, "<ResourceRecordSets/>") ? 0 : -1;
    }
    const char *set = xml_text(sets, sets + n, "ResourceRecordSet", &n);
    if (!set || xml_copy(set, set + n, "Name", name, sizeof(name)) != 0 ||
        xml_copy(set, set + n, "Type", type, sizeof(type)) != 0) {
        return set ? -1 : 0; /* an empty list: no record at or after the name */
    }
    if (r53_name_canon(name, cname, sizeof(cname), why) != 0 || strcmp(cname, r->name) != 0 ||
        strcmp(type, type_names[r->type]) != 0) {
        return 0; /* the list starts after where the record would be */
    }
    size_t k;
    if (xml_text(set, set + n, "SetIdentifier", &k) || xml_text(set, set + n, "AliasTarget", &k)) {
        *why = "the record is an alias or has a routing policy (SetIdentifier); the exporter "
               "manages simple records only";
        return -1;
    }
    *why = "a record set without a TTL";
    if (xml_copy(set, set + n, "TTL", ttl_text, sizeof(ttl_text)) != 0) {
        return -1;
    }
    char *e;
    *ttl = strtoll(ttl_text, &e, 10);
    if (*e || set_values(set, set + n, r->type, canon, len, why) != 0) {
        return -1;
    }
    *present = 1;
    return 0;
}

void r53_xml_error(const char *body, char *code, size_t clen, char *msg, size_t mlen)
{
    const char *end = body ? body + strlen(body) : NULL;
    code[0] = msg[0] = '\0';
    if (!body) {
        return;
    }
    if (xml_copy(body, end, "Code", code, clen) != 0) {
        code[0] = '\0';
        if (strstr(body, "<InvalidChangeBatch")) {
            snprintf(code, clen, "InvalidChangeBatch");
        }
    }
    if (xml_copy(body, end, "Message", msg, mlen) < 0) {
        msg[0] = '\0'; /* a long message is cut, not lost */
    }
}
