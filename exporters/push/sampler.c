#include "sampler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

void sampler_init(struct sampler *s, enum sampler_mode mode, int64_t sample_interval_ns,
                  int64_t agent_interval_ns)
{
    const int64_t ms = (sample_interval_ns ? sample_interval_ns : agent_interval_ns) / 1000000;
    *s = (struct sampler){.mode = mode, .interval_ms = ms > 0 ? ms : 1};
}

void sampler_free(struct sampler *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->fams[i].name);
    }
    free(s->fams);
    free(s->stamps);
    s->fams = NULL;
    s->stamps = NULL;
    s->n = 0;
}

/* One comparison in the steady state: the registry tells when its set of families moved. */
static int same_families(const struct sampler *s, const struct hw_snapshot *snap)
{
    if (s->n != snap->nfamilies) {
        return 0;
    }
    if (snap->layout && s->layout == snap->layout) {
        return 1;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->fams[i].name, snap->families[i].name) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Rebuilds the per-family state in the snapshot's order (both sorted by name), keeping what is
 * known of the families still there; all or nothing, so a failure leaves the old state. */
static int sampler_sync(struct sampler *s, const struct hw_snapshot *snap)
{
    if (same_families(s, snap)) {
        s->layout = snap->layout;
        return 0;
    }
    const size_t n = snap->nfamilies;
    struct sampler_fam *v = calloc(n + 1, sizeof(*v));
    size_t *from = calloc(n + 1, sizeof(*from)); /* old position + 1; 0: new */
    int64_t *stamps = calloc(n + 1, sizeof(*stamps));
    int rc = v && from && stamps ? 0 : -ENOMEM;
    for (size_t i = 0, j = 0; i < n && rc == 0; i++) {
        const char *name = snap->families[i].name;
        while (j < s->n && strcmp(s->fams[j].name, name) < 0) {
            j++;
        }
        if (j < s->n && strcmp(s->fams[j].name, name) == 0) {
            from[i] = ++j;
        } else if (!(v[i].name = strdup(name))) {
            rc = -ENOMEM;
        }
    }
    if (rc != 0) {
        for (size_t i = 0; v && i < n; i++) {
            free(v[i].name);
        }
        free(v);
        free(from);
        free(stamps);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (from[i]) {
            v[i] = s->fams[from[i] - 1];
            s->fams[from[i] - 1].name = NULL;
        }
    }
    free(from);
    sampler_free(s);
    s->fams = v;
    s->stamps = stamps;
    s->n = n;
    s->layout = snap->layout;
    return 0;
}

/* Label values and values of every series: a role moving from one database to another changes
 * it even when the set of values stays {0, 1}. */
static uint64_t family_hash(const struct hw_snap_family *f)
{
    uint64_t h = HW_FNV_OFFSET;
    for (size_t i = 0; f && i < f->nseries; i++) {
        h = hw_fnv1a(h, &f->series[i].value, sizeof(double));
        h = hw_fnv1a(h, &f->series[i].count, sizeof(uint64_t));
        for (size_t k = 0; k < f->series[i].nlabels; k++) {
            const char *v = f->series[i].labels[k].value;
            h = hw_fnv1a(h, v, strlen(v) + 1);
        }
    }
    return h;
}

/* An event-driven family that flags take now, whatever the interval. */
static int forced(const struct sampler_fam *f, const struct hw_snap_family *sf, unsigned flags)
{
    return (flags & SAMPLE_EVENTS_NOW) || ((flags & SAMPLE_FINAL) && family_hash(sf) != f->hash);
}

/* Remote write: at most one sample per interval, and one per interval even when unchanged; a
 * periodic family waits half an interval more for its collection before it is repeated, so a
 * collection a hair late is not replaced by a copy of the previous one. */
static int64_t scrape_stamp(const struct sampler *s, const struct sampler_fam *f,
                            const struct hw_snap_family *sf, int64_t now, unsigned flags)
{
    const int64_t iv = s->interval_ms;
    const int periodic = sf->collections > 0;
    const int fresh = periodic && sf->collections != f->collections;
    if (f->last_ms == 0) {
        return periodic ? sf->collected_ms : now;
    }
    if (now < f->last_ms) {
        return now; /* the wall clock was stepped back */
    }
    if (fresh && sf->collected_ms - f->last_ms >= iv - iv / 20) {
        return sf->collected_ms;
    }
    if (now - f->last_ms >= (periodic ? iv + iv / 2 : iv)) {
        return now;
    }
    if (!periodic && forced(f, sf, flags) && now > f->last_ms) {
        return now;
    }
    return 0;
}

int sampler_take(struct sampler *s, const struct hw_snapshot *snap, int64_t now_ms,
                 unsigned flags)
{
    if (sampler_sync(s, snap) != 0) {
        return -ENOMEM;
    }
    const int events_due = s->events_ms == 0 || now_ms - s->events_ms >= s->interval_ms ||
                           now_ms < s->events_ms || (flags & SAMPLE_EVENTS_NOW);
    int taken = 0, events = 0;
    for (size_t i = 0; i < snap->nfamilies; i++) {
        const struct hw_snap_family *sf = &snap->families[i];
        struct sampler_fam *f = &s->fams[i];
        int64_t t;
        if (s->mode == SAMPLER_SCRAPE) {
            t = scrape_stamp(s, f, sf, now_ms, flags);
        } else if (sf->collections > 0) {
            t = sf->collections != f->collections ? sf->collected_ms : 0;
        } else {
            t = events_due || forced(f, sf, flags) ? now_ms : 0;
            events |= events_due;
        }
        s->stamps[i] = t;
        if (t) {
            f->last_ms = t;
            f->collections = sf->collections;
            f->hash = sf->collections ? 0 : family_hash(sf);
            taken++;
        }
    }
    if (events) {
        s->events_ms = now_ms;
    }
    return taken;
}

int sampler_watch_init(struct sampler_watch *w, const char *const *names, size_t n)
{
    *w = (struct sampler_watch){.names = names, .n = n, .hash = calloc(n + 1, sizeof(uint64_t))};
    return w->hash ? 0 : -ENOMEM;
}

void sampler_watch_free(struct sampler_watch *w)
{
    free(w->hash);
    w->hash = NULL;
}

int sampler_watch_changed(struct sampler_watch *w, const struct hw_snapshot *snap)
{
    int changed = 0;
    for (size_t i = 0; i < w->n; i++) {
        const uint64_t h = family_hash(hw_snapshot_find(snap, w->names[i]));
        changed |= w->seen && h != w->hash[i];
        w->hash[i] = h;
    }
    w->seen = 1;
    return changed;
}
