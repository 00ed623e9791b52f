/* Which families of a snapshot a push exporter takes as a sample, and with which timestamp.
 * Publishing a snapshot is not a sample: the agent publishes after every collection and after
 * every burst of log lines (up to one every 5 ms), so an exporter that took every snapshot would
 * send a busy log's rate of samples for every series.
 *
 * - A periodic collector's family (snapshot `collections` > 0) is a sample once per collection,
 *   stamped with that collection's time.
 * - An event-driven family (log filters, FSFO, the agent's own and the exporters' figures) is a
 *   sample at most once per interval, stamped with the time it is taken; all of them together.
 * - SAMPLER_SCRAPE (remote write) keeps Prometheus semantics instead: every family at most once
 *   per interval, and once per interval even when unchanged, as a scrape would; a collection
 *   faster than the interval is thinned, one slower is repeated.
 * - SAMPLE_EVENTS_NOW takes the event-driven families at once (a watched metric changed), so
 *   the newest value of an FSFO role is never lost inside an interval; SAMPLE_FINAL those
 *   that changed since their last sample, when the exporter stops.
 * Pure: the caller passes the time; not thread-safe (one sampler per exporter, under its lock). */
#ifndef HW_SAMPLER_H
#define HW_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

enum sampler_mode {
    SAMPLER_AGGREGATE, /* CloudWatch, EMF: statistics over every collection */
    SAMPLER_SCRAPE,    /* remote write: one sample per series per interval */
};

enum {
    SAMPLE_EVENTS_NOW = 1u << 0, /* every event-driven family now (a watched change) */
    /* the event-driven families that changed since their last sample, now (the exporter
     * stops): what a log wrote since goes out with this run, and nothing unchanged is repeated */
    SAMPLE_FINAL = 1u << 1,
};

/* The option every push exporter has, into an int64_t field of its conf (0: agent.interval). */
#define SAMPLER_OPT(conf_type, field)                                                             \
    {.key = "sample_interval", .type = HW_OPT_DURATION, .def = "0s",                              \
     .offset = offsetof(conf_type, field), .min = 0, .max = 3600e9,                               \
     .help = "logs, FSFO and the agent's own metrics sampled at most this often; 0: agent.interval"}

struct sampler_fam {
    char *name;
    uint64_t collections; /* of the last sample taken */
    int64_t last_ms;      /* stamp of the last sample; 0: none yet */
    uint64_t hash;        /* event-driven: of its labels and values at the last sample */
};

struct sampler {
    enum sampler_mode mode;
    int64_t interval_ms;
    int64_t events_ms; /* aggregate mode: stamp of the last event-driven sample; 0: none */
    struct sampler_fam *fams; /* sorted by name, as the snapshot's families */
    size_t n;
    uint64_t layout; /* the snapshot layout fams follows (0: compare the names) */
    /* After sampler_take(): stamps[i] for the snapshot's family i, the sample's timestamp (ms),
     * or 0 when family i is not a sample now. */
    int64_t *stamps;
};

/* The exporter's sample_interval, else the agent's interval (ctx->interval_ns). */
void sampler_init(struct sampler *s, enum sampler_mode mode, int64_t sample_interval_ns,
                  int64_t agent_interval_ns);
void sampler_free(struct sampler *s);

/* Decides which families of snap are a sample now (s->stamps). Returns how many, or -ENOMEM
 * (nothing taken, the state as before). */
int sampler_take(struct sampler *s, const struct hw_snapshot *snap, int64_t now_ms,
                 unsigned flags);

/* flush_on_change: the families whose change is sent at once, not at the next flush. */
struct sampler_watch {
    const char *const *names;
    size_t n;
    uint64_t *hash; /* of each watched family's labels and values in the previous snapshot */
    int seen;
};

/* 0 or -ENOMEM; names must outlive the watch. */
int sampler_watch_init(struct sampler_watch *w, const char *const *names, size_t n);
void sampler_watch_free(struct sampler_watch *w);
/* 1 when a watched family's series differ from the previous call's snapshot (not on the first). */
int sampler_watch_changed(struct sampler_watch *w, const struct hw_snapshot *snap);

#endif
