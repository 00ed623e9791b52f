/* The Route 53 exporter: keeps DNS records pointed at whichever database (or host) a metric
 * says is the one, e.g. the FSFO primary, with ChangeResourceRecordSets UPSERTs signed SigV4. */
#ifndef HW_ROUTE53_H
#define HW_ROUTE53_H

#include <jansson.h>
#include <stdint.h>

#include "opt.h"
#include "plugin.h"

/* In the order of the "type" option's choices. */
enum r53_type { R53_A, R53_AAAA, R53_CNAME };

struct r53_record_conf {
    char *name;
    int type; /* enum r53_type */
    int64_t ttl;
    char *metric;
    char *label;
    json_t *values; /* {"label value": "name" | "address" | ["address", ...]} */
};

struct r53_conf {
    char *hosted_zone_id;
    struct hw_objlist records; /* struct r53_record_conf */
    int64_t min_interval_ns;
    char *endpoint;
    int dry_run;
    int64_t timeout_ns;
    int tls_verify;
    char *ca_file;
};

extern const struct hw_exporter hw_exporter_route53;

#endif
