/* Route 53's REST-XML wire format for the three calls the exporter makes: the
 * ChangeResourceRecordSets body, and the answers of it, GetChange, ListResourceRecordSets and
 * errors. Pure text in and out. */
#ifndef HW_R53_XML_H
#define HW_R53_XML_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "r53_model.h"

#define R53_XMLNS "https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_API "/2013-04-01"
#define R53_CHANGE_ID_MAX 64

/* One UPSERT of r to the canonical value canon with the record's TTL; comment (may be NULL)
 * says why. Appends to out; 0 or -1 (out of memory). */
int r53_xml_upsert(const struct r53_record *r, const char *canon, const char *comment,
                   struct hw_buf *out);

/* A ChangeInfo (ChangeResourceRecordSets' and GetChange's answer): the change id without
 * "/change/" and whether it is INSYNC. 0, or -1 when the answer holds none. */
int r53_xml_change_info(const char *body, char *id, size_t idlen, int *insync);

/* What ListResourceRecordSets(name, type, maxitems=1) says of r: *present 1 with the canonical
 * value and TTL when its first record set is r's name and type, 0 when the record does not
 * exist. -1 when the answer is not a list, or the set is one the exporter does not manage (an
 * alias, weighted or failover set: *why says which). */
int r53_xml_list_find(const char *body, const struct r53_record *r, int *present, char *canon,
                      size_t len, int64_t *ttl, const char **why);

/* The error code and message of an error answer: the <Code> of an ErrorResponse, or
 * "InvalidChangeBatch" with its first <Message>. */
void r53_xml_error(const char *body, char *code, size_t clen, char *msg, size_t mlen);

#endif
