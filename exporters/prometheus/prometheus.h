/* Prometheus pull endpoint on libmicrohttpd. */
#ifndef HW_PROMETHEUS_H
#define HW_PROMETHEUS_H

#include "plugin.h"

extern const struct hw_exporter hw_exporter_prometheus;

/* 1 when an Accept-Encoding header value allows gzip (q > 0). */
int prom_accepts_gzip(const char *accept_encoding);

#endif
