/* Checkpoint form of a metric family's values, so log-derived counters and histograms resume
 * exactly where the log positions saved with them resume. */
#ifndef HW_METRICSTATE_H
#define HW_METRICSTATE_H

#include <jansson.h>
#include <stddef.h>

#include "registry.h"

/* {"type": "...", "nbuckets": N, "packed": "one line per series"} (see metricstate.c; the
 * earlier "series" array of objects is still read), new reference, or NULL when out of memory. */
json_t *metricstate_save(const struct hw_family *fam, enum hw_mtype type);
/* Sets fam's series to the saved figures. Validates everything first: a document of another
 * type, bucket layout or shape is rejected whole (-1, *why says why) and nothing is changed. */
int metricstate_restore(struct hw_family *fam, enum hw_mtype type, const json_t *in,
                        size_t max_series, const char **why);

#endif
