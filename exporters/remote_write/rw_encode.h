/* Prometheus remote write 1.0 request bodies from registry snapshots: one time series per
 * exposed sample (counters under their _total names, histograms as _bucket{le}, _sum and
 * _count), labels sorted by name with __name__ among them, every sample stamped with the time
 * the sampler gave its family (else its snapshot's); WriteRequest protobuf, Snappy block format. Pure computation, no I/O. */
#ifndef HW_RW_ENCODE_H
#define HW_RW_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "exporters/net/netlib.h"
#include "registry.h"

#define RW_MAX_SAMPLES_PER_SEND 100000

struct rw_encode_opts {
    unsigned view;              /* HW_VIEW_NODE or HW_VIEW_CW: which names are sent */
    const char *const *metrics; /* family name globs; none: every family of the view */
    size_t nmetrics;
    size_t max_samples; /* per body, 1..RW_MAX_SAMPLES_PER_SEND */
    const struct netlib *lib; /* with libsnappy loaded (netlib_open_snappy) */
};

/* One request body, ready to POST. */
struct rw_body {
    unsigned char *data; /* Snappy-compressed WriteRequest */
    size_t len;
    size_t nsamples;
    int64_t oldest_ms; /* timestamp of the oldest sample inside */
};

struct rw_bodies {
    struct rw_body *v;
    size_t n, cap;
};

void rw_bodies_init(struct rw_bodies *b);
void rw_bodies_free(struct rw_bodies *b);

/* What the sampler took of one snapshot (exporters/push/sampler.h): family i's samples stamped
 * stamps[i], none where it is 0; stamps NULL: every family at the snapshot's time. */
struct rw_sample {
    const struct hw_snapshot *snap;
    const int64_t *stamps;
};

/* Appends to out the bodies carrying the selected samples of x (oldest first, so each series'
 * samples stay in timestamp order), at most o->max_samples per body. 0, or -1 when memory ran
 * out (out then holds what was complete). */
int rw_encode_sampled(const struct rw_encode_opts *o, const struct rw_sample *x, size_t nx,
                      struct rw_bodies *out);
size_t rw_count_sampled(const struct rw_encode_opts *o, const struct rw_sample *x);

/* Appends to out the bodies carrying every selected sample of snaps (oldest snapshot first, so
 * each series' samples stay in timestamp order), at most o->max_samples per body. 0, or -1 when
 * memory ran out (out then holds what was complete). */
int rw_encode(const struct rw_encode_opts *o, const struct hw_snapshot *const *snaps,
              size_t nsnaps, struct rw_bodies *out);

/* How many samples rw_encode would produce for snap (counted when a snapshot is dropped). */
size_t rw_count_samples(const struct rw_encode_opts *o, const struct hw_snapshot *snap);

/* Snappy block compression of len bytes into a malloc'd *out, through lib's libsnappy. 0, or -1
 * (also when lib has not loaded it). */
int rw_snappy(const struct netlib *lib, const void *in, size_t len, unsigned char **out,
              size_t *outlen);

#endif
