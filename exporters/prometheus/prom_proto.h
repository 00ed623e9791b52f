/* Prometheus protobuf exposition: a stream of varint-length-delimited MetricFamily messages,
 * as scrapers ask for it with native histograms enabled. */
#ifndef HW_PROM_PROTO_H
#define HW_PROM_PROTO_H

#include "buf.h"
#include "registry.h"

#define PROM_PROTO_CONTENT_TYPE                                                                    \
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

/* Appends every family of snap whose views include `view`. 0, or -1 when out of memory. */
int prom_proto_render(struct hw_buf *out, const struct hw_snapshot *snap, unsigned view);

#endif
