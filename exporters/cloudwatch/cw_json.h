/* PutMetricData in AWS JSON 1.0 (POST /, X-Amz-Target, query-compatible service): the bodies
 * (same datums, limits and packing as cw_query.h, see cw_query_encode) and the error answers.
 * Pure: no I/O, no clock, no logging.
 *
 * The 1 MB request limit is documented without saying whether it counts the body before or
 * after gzip, and for which protocol; the same max_body (1,000,000 bytes of uncompressed text)
 * is applied to JSON bodies as to Query ones, which is safe under either reading. A full batch
 * of 1000 datums is about 410 KB of JSON, so the limit rarely splits a batch. */
#ifndef HW_CW_JSON_H
#define HW_CW_JSON_H

#include <stddef.h>

#include "cw_query.h"

#define CW_JSON_CONTENT_TYPE "application/x-amz-json-1.0"
#define CW_JSON_TARGET "GraniteServiceVersion20100801.PutMetricData"

/* cw_query_encode with o->proto taken as CW_PROTO_JSON: {"Namespace":..,"MetricData":[..]},
 * Timestamp in epoch seconds (a JSON number). */
int cw_json_encode(const struct cw_query_opts *o, const struct cw_datum *d, size_t n,
                   struct cw_bodies *out);

/* The error code and message of a JSON 1.0 answer: the x-amzn-query-error header's code
 * ("Throttling;Sender") when given (the service's Query code), else the body's __type without
 * its "namespace#" prefix and ":suffix"; message from "message" or "Message". Either is ""
 * when absent; the body may be NULL or not JSON. */
void cw_json_error_code(const char *body, size_t len, const char *query_error, char *code,
                        size_t clen, char *msg, size_t mlen);

#endif
