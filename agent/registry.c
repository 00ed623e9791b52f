#include "registry.h"

#include "hash.h"
#include "loop.h"
#include "buf.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HW_MAX_LABELS 32

/* 48 bytes before its labels: one of these per series, so every word counts at 10,000. */
struct hw_series {
    struct hw_label *labels; /* sorted by key; strings live in the same allocation */
    uint64_t hash;
    double value;            /* counter/gauge value, histogram sum */
    uint64_t count;          /* histogram observations */
    uint64_t *bucket_counts; /* per bucket, not cumulative; nbuckets entries */
    uint32_t nlabels;        /* at most HW_MAX_LABELS */
    unsigned mark;
};

/* Open-addressing index of positions in an array, shared by families and series. */
struct hw_index {
    uint32_t *slots; /* position + 1; 0 = empty */
    size_t cap;      /* power of two */
};

struct hw_family {
    struct hw_family_desc d; /* owned copies */
    uint64_t hash;
    char *owner; /* instance name, NULL for the core */
    int shared;  /* asked for by more than one owner: never dropped */
    struct hw_series **series;
    size_t nseries, cap;
    struct hw_index index;
    unsigned mark;
    uint64_t collections; /* periodic collections that wrote it (hw_registry_stamp) */
    int64_t collected_ms;
};

struct hw_snapshot_priv {
    struct hw_snapshot pub; /* first: the public view is cast back to this */
    atomic_int refs;
};

struct hw_registry {
    struct hw_family **fams;
    size_t nfams, cap;
    struct hw_index index;
    uint64_t generation;
    uint64_t layout; /* changes whenever a family is added or dropped */
    pthread_mutex_t lock; /* guards `current` only */
    struct hw_snapshot_priv *current;
};

static int index_resize(struct hw_index *ix, size_t cap)
{
    uint32_t *slots = calloc(cap, sizeof(*slots));
    if (!slots) {
        return -ENOMEM;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    return 0;
}

/* Slot where hash/pos belongs: the first empty one or the one whose entry matches. */
static size_t index_probe(const struct hw_index *ix, uint64_t hash,
                          int (*match)(const void *arr, size_t pos, const void *key),
                          const void *arr, const void *key, int *found)
{
    size_t mask = ix->cap - 1;
    size_t i = (size_t)hash & mask;
    for (;;) {
        uint32_t s = ix->slots[i];
        if (s == 0) {
            *found = 0;
            return i;
        }
        if (match(arr, s - 1, key)) {
            *found = 1;
            return i;
        }
        i = (i + 1) & mask;
    }
}

/* ---- families --------------------------------------------------------------------------- */

static int family_match(const void *arr, size_t pos, const void *key)
{
    const struct hw_family *const *fams = arr;
    return strcmp(fams[pos]->d.name, (const char *)key) == 0;
}

static int registry_reindex(struct hw_registry *reg)
{
    size_t cap = 64;
    while (cap < reg->nfams * 2 + 2) {
        cap *= 2;
    }
    if (index_resize(&reg->index, cap) != 0) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < reg->nfams; i++) {
        int found;
        size_t slot = index_probe(&reg->index, reg->fams[i]->hash, family_match, reg->fams,
                                  reg->fams[i]->d.name, &found);
        reg->index.slots[slot] = (uint32_t)i + 1;
    }
    return 0;
}

static void family_free(struct hw_family *fam)
{
    if (!fam) {
        return;
    }
    for (size_t i = 0; i < fam->nseries; i++) {
        free(fam->series[i]->bucket_counts);
        free(fam->series[i]);
    }
    free(fam->series);
    free(fam->index.slots);
    free(fam->owner);
    free((char *)fam->d.name);
    free((char *)fam->d.help);
    free((char *)fam->d.unit);
    free((double *)fam->d.buckets);
    free(fam);
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static struct hw_family *family_new(const struct hw_family_desc *d, const char *owner)
{
    struct hw_family *fam = calloc(1, sizeof(*fam));
    if (!fam) {
        return NULL;
    }
    fam->d = *d;
    fam->d.name = strdup(d->name);
    fam->d.help = dup_or_empty(d->help);
    fam->d.unit = dup_or_empty(d->unit);
    fam->d.buckets = NULL;
    fam->owner = owner ? strdup(owner) : NULL;
    fam->hash = hw_fnv1a_str(HW_FNV_OFFSET, d->name);
    if (d->type == HW_HISTOGRAM && d->nbuckets > 0) {
        double *b = malloc(d->nbuckets * sizeof(*b));
        if (b) {
            memcpy(b, d->buckets, d->nbuckets * sizeof(*b));
        }
        fam->d.buckets = b;
    } else {
        fam->d.nbuckets = 0;
    }
    if (!fam->d.name || !fam->d.help || !fam->d.unit || (fam->d.nbuckets && !fam->d.buckets) ||
        (owner && !fam->owner) ||
        index_resize(&fam->index, 8) != 0) {
        family_free(fam);
        return NULL;
    }
    return fam;
}

struct hw_registry *hw_registry_new(void)
{
    struct hw_registry *reg = calloc(1, sizeof(*reg));
    if (!reg) {
        return NULL;
    }
    if (pthread_mutex_init(&reg->lock, NULL) != 0) {
        free(reg);
        return NULL;
    }
    if (index_resize(&reg->index, 64) != 0) {
        hw_registry_free(reg);
        return NULL;
    }
    return reg;
}

void hw_registry_free(struct hw_registry *reg)
{
    if (!reg) {
        return;
    }
    for (size_t i = 0; i < reg->nfams; i++) {
        family_free(reg->fams[i]);
    }
    free(reg->fams);
    free(reg->index.slots);
    if (reg->current) {
        hw_snapshot_release(&reg->current->pub);
    }
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

static int same_owner(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

struct hw_family *hw_registry_family(struct hw_registry *reg, const struct hw_family_desc *d,
                                     const char *owner)
{
    uint64_t hash = hw_fnv1a_str(HW_FNV_OFFSET, d->name);
    int found;
    size_t slot = index_probe(&reg->index, hash, family_match, reg->fams, d->name, &found);
    if (found) {
        struct hw_family *fam = reg->fams[reg->index.slots[slot] - 1];
        if (fam->d.type != d->type) {
            return NULL;
        }
        if (!same_owner(fam->owner, owner)) {
            fam->shared = 1;
        }
        return fam;
    }
    struct hw_family ** p = hw_grow(reg->fams, &reg->cap, reg->nfams, sizeof(*p), 64);
    if (!p) {
        return NULL;
    }
    reg->fams = p;
    struct hw_family *fam = family_new(d, owner);
    if (!fam) {
        return NULL;
    }
    reg->fams[reg->nfams++] = fam;
    if ((reg->nfams + 1) * 2 > reg->index.cap) {
        if (registry_reindex(reg) != 0) {
            reg->nfams--;
            family_free(fam);
            return NULL;
        }
    } else {
        reg->index.slots[slot] = (uint32_t)reg->nfams;
    }
    reg->layout++;
    return fam;
}

/* ---- series ----------------------------------------------------------------------------- */

struct series_key {
    const struct hw_label *labels; /* sorted */
    size_t n;
};

static int series_match(const void *arr, size_t pos, const void *key)
{
    const struct hw_series *s = ((struct hw_series *const *)arr)[pos];
    const struct series_key *k = key;
    if (s->nlabels != k->n) {
        return 0;
    }
    for (size_t i = 0; i < k->n; i++) {
        if (strcmp(s->labels[i].key, k->labels[i].key) != 0 ||
            strcmp(s->labels[i].value, k->labels[i].value) != 0) {
            return 0;
        }
    }
    return 1;
}

static int family_reindex(struct hw_family *fam)
{
    size_t cap = 8;
    while (cap < fam->nseries * 2 + 2) {
        cap *= 2;
    }
    if (index_resize(&fam->index, cap) != 0) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < fam->nseries; i++) {
        struct series_key k = {fam->series[i]->labels, fam->series[i]->nlabels};
        int found;
        size_t slot =
            index_probe(&fam->index, fam->series[i]->hash, series_match, fam->series, &k, &found);
        fam->index.slots[slot] = (uint32_t)i + 1;
    }
    return 0;
}

static struct hw_series *series_new(const struct series_key *k, uint64_t hash, size_t nbuckets)
{
    size_t strsz = 0;
    for (size_t i = 0; i < k->n; i++) {
        strsz += strlen(k->labels[i].key) + strlen(k->labels[i].value) + 2;
    }
    size_t lblsz = k->n * sizeof(struct hw_label);
    struct hw_series *s = calloc(1, sizeof(*s) + lblsz + strsz);
    if (!s) {
        return NULL;
    }
    if (nbuckets && !(s->bucket_counts = calloc(nbuckets, sizeof(uint64_t)))) {
        free(s);
        return NULL;
    }
    struct hw_label *lbl = (struct hw_label *)(s + 1);
    char *p = (char *)(lbl + k->n);
    for (size_t i = 0; i < k->n; i++) {
        size_t kl = strlen(k->labels[i].key) + 1, vl = strlen(k->labels[i].value) + 1;
        memcpy(p, k->labels[i].key, kl);
        lbl[i].key = p;
        p += kl;
        memcpy(p, k->labels[i].value, vl);
        lbl[i].value = p;
        p += vl;
    }
    s->labels = lbl;
    s->nlabels = (uint32_t)k->n;
    s->hash = hash;
    return s;
}

struct hw_series *hw_family_series(struct hw_family *fam, const struct hw_label *labels,
                                   size_t nlabels, size_t max_series)
{
    struct hw_label sorted[HW_MAX_LABELS];
    if (nlabels > HW_MAX_LABELS) {
        return NULL;
    }
    /* Insertion sort: label sets are tiny and this avoids an allocation per lookup. */
    if (nlabels) {
        memcpy(sorted, labels, nlabels * sizeof(*labels));
    }
    for (size_t i = 1; i < nlabels; i++) {
        struct hw_label cur = sorted[i];
        size_t j = i;
        for (; j > 0 && strcmp(sorted[j - 1].key, cur.key) > 0; j--) {
            sorted[j] = sorted[j - 1];
        }
        sorted[j] = cur;
    }
    uint64_t hash = 1469598103934665603ull;
    for (size_t i = 0; i < nlabels; i++) {
        hash = hw_fnv1a_str(hw_fnv1a_str(hash, sorted[i].key), sorted[i].value);
    }
    struct series_key k = {sorted, nlabels};
    int found;
    size_t slot = index_probe(&fam->index, hash, series_match, fam->series, &k, &found);
    if (found) {
        struct hw_series *s = fam->series[fam->index.slots[slot] - 1];
        s->mark = fam->mark;
        return s;
    }
    if (max_series && fam->nseries >= max_series) {
        return NULL;
    }
    struct hw_series ** p = hw_grow(fam->series, &fam->cap, fam->nseries, sizeof(*p), 4);
    if (!p) {
        return NULL;
    }
    fam->series = p;
    struct hw_series *s = series_new(&k, hash, fam->d.nbuckets);
    if (!s) {
        return NULL;
    }
    s->mark = fam->mark;
    fam->series[fam->nseries++] = s;
    if ((fam->nseries + 1) * 2 > fam->index.cap) {
        if (family_reindex(fam) != 0) {
            fam->nseries--;
            free(s->bucket_counts);
            free(s);
            return NULL;
        }
    } else {
        fam->index.slots[slot] = (uint32_t)fam->nseries;
    }
    return s;
}

size_t hw_family_nseries(const struct hw_family *fam)
{
    return fam->nseries;
}

void hw_series_set(struct hw_series *s, double v)
{
    s->value = v;
}

void hw_series_add(struct hw_series *s, double v)
{
    s->value += v;
}

double hw_series_value(const struct hw_series *s)
{
    return s->value;
}

int hw_family_set(struct hw_family *fam, const struct hw_label *labels, size_t n, double v)
{
    struct hw_series *s = hw_family_series(fam, labels, n, 0);
    if (!s) {
        return -1;
    }
    s->value = v;
    return 0;
}

void hw_family_observe(struct hw_family *fam, struct hw_series *s, double v)
{
    size_t lo = 0, hi = fam->d.nbuckets;
    while (lo < hi) { /* first bound >= v */
        size_t mid = (lo + hi) / 2;
        if (fam->d.buckets[mid] < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < fam->d.nbuckets && s->bucket_counts) {
        s->bucket_counts[lo]++;
    }
    s->value += v;
    s->count++;
}

void hw_family_foreach(const struct hw_family *fam, hw_series_visit_cb cb, void *arg)
{
    for (size_t i = 0; i < fam->nseries; i++) {
        const struct hw_series *s = fam->series[i];
        cb(arg, s->labels, s->nlabels, s->value, s->count, s->bucket_counts, fam->d.nbuckets);
    }
}

void hw_series_restore(struct hw_family *fam, struct hw_series *s, double value, uint64_t count,
                       const uint64_t *buckets)
{
    s->value = value;
    s->count = count;
    if (buckets && s->bucket_counts) {
        memcpy(s->bucket_counts, buckets, fam->d.nbuckets * sizeof(uint64_t));
    }
}

size_t hw_family_nbuckets(const struct hw_family *fam)
{
    return fam->d.nbuckets;
}

/* ---- sweeping and ownership ------------------------------------------------------------- */

void hw_registry_begin(struct hw_registry *reg, const char *owner)
{
    for (size_t i = 0; i < reg->nfams; i++) {
        if (same_owner(reg->fams[i]->owner, owner)) {
            reg->fams[i]->mark++;
        }
    }
}

void hw_registry_sweep(struct hw_registry *reg, const char *owner)
{
    for (size_t i = 0; i < reg->nfams; i++) {
        struct hw_family *fam = reg->fams[i];
        if (fam->shared || !same_owner(fam->owner, owner) || !(fam->d.flags & HW_FAM_REPLACE)) {
            continue;
        }
        size_t kept = 0;
        for (size_t j = 0; j < fam->nseries; j++) {
            struct hw_series *s = fam->series[j];
            if (s->mark == fam->mark) {
                fam->series[kept++] = s;
            } else {
                free(s->bucket_counts);
                free(s);
            }
        }
        if (kept != fam->nseries) {
            fam->nseries = kept;
            /* The index only shrinks in use, so a rebuild at the same size cannot fail. */
            (void)family_reindex(fam);
        }
    }
}

void hw_registry_stamp(struct hw_registry *reg, const char *owner, int64_t wall_ms)
{
    for (size_t i = 0; i < reg->nfams; i++) {
        if (same_owner(reg->fams[i]->owner, owner)) {
            reg->fams[i]->collections++;
            reg->fams[i]->collected_ms = wall_ms;
        }
    }
}

void hw_registry_drop_owner(struct hw_registry *reg, const char *owner)
{
    size_t kept = 0;
    for (size_t i = 0; i < reg->nfams; i++) {
        if (!reg->fams[i]->shared && same_owner(reg->fams[i]->owner, owner)) {
            family_free(reg->fams[i]);
        } else {
            reg->fams[kept++] = reg->fams[i];
        }
    }
    if (kept != reg->nfams) {
        reg->nfams = kept;
        reg->layout++;
        (void)registry_reindex(reg);
    }
}

/* ---- snapshots -------------------------------------------------------------------------- */

/* A snapshot is one allocation: fixed-size records first (all multiples of 8 bytes), then
 * the strings, so publishing costs one malloc and releasing one free. */
struct snap_arena {
    char *rec, *str;
};

static size_t family_size(const struct hw_family *fam, size_t *strsz)
{
    size_t nb = fam->d.nbuckets;
    size_t rec = nb * sizeof(double) + fam->nseries * sizeof(struct hw_snap_series);
    *strsz += strlen(fam->d.name) + strlen(fam->d.help) + strlen(fam->d.unit) + 3;
    for (size_t j = 0; j < fam->nseries; j++) {
        const struct hw_series *s = fam->series[j];
        rec += s->nlabels * sizeof(struct hw_label) + nb * sizeof(uint64_t);
        for (size_t k = 0; k < s->nlabels; k++) {
            *strsz += strlen(s->labels[k].key) + strlen(s->labels[k].value) + 2;
        }
    }
    return rec;
}

static const char *arena_str(struct snap_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = a->str;
    memcpy(p, s, n);
    a->str += n;
    return p;
}

static void *arena_rec(struct snap_arena *a, size_t n)
{
    void *p = a->rec;
    a->rec += n;
    return p;
}

static int cmp_fam(const void *a, const void *b)
{
    return strcmp((*(struct hw_family *const *)a)->d.name, (*(struct hw_family *const *)b)->d.name);
}

int hw_labels_cmp(const struct hw_label *a, size_t na, const struct hw_label *b, size_t nb)
{
    for (size_t i = 0; i < na && i < nb; i++) {
        int c = strcmp(a[i].key, b[i].key);
        if (c == 0) {
            c = strcmp(a[i].value, b[i].value);
        }
        if (c != 0) {
            return c;
        }
    }
    return (na > nb) - (na < nb);
}

static int cmp_series(const void *a, const void *b)
{
    const struct hw_series *x = *(struct hw_series *const *)a, *y = *(struct hw_series *const *)b;
    return hw_labels_cmp(x->labels, x->nlabels, y->labels, y->nlabels);
}

/* Sorting and re-indexing are skipped in the steady state, where nothing moved. */
static int is_sorted(void **v, size_t n, int (*cmp)(const void *, const void *))
{
    for (size_t i = 1; i < n; i++) {
        if (cmp(&v[i - 1], &v[i]) > 0) {
            return 0;
        }
    }
    return 1;
}

static void snap_fill_family(struct snap_arena *a, struct hw_snap_family *out,
                             struct hw_family *fam)
{
    size_t nb = fam->d.nbuckets;
    out->name = arena_str(a, fam->d.name);
    out->help = arena_str(a, fam->d.help);
    out->unit = arena_str(a, fam->d.unit);
    out->type = fam->d.type;
    out->views = fam->d.views;
    out->nbuckets = nb;
    double *bounds = arena_rec(a, nb * sizeof(double));
    if (nb) {
        memcpy(bounds, fam->d.buckets, nb * sizeof(double));
    }
    out->buckets = bounds;
    if (!is_sorted((void **)fam->series, fam->nseries, cmp_series)) {
        qsort(fam->series, fam->nseries, sizeof(*fam->series), cmp_series);
        (void)family_reindex(fam); /* positions moved; same capacity, cannot fail */
    }
    struct hw_snap_series *ss = arena_rec(a, fam->nseries * sizeof(*ss));
    for (size_t j = 0; j < fam->nseries; j++) {
        const struct hw_series *s = fam->series[j];
        struct hw_label *lbl = arena_rec(a, s->nlabels * sizeof(*lbl));
        for (size_t k = 0; k < s->nlabels; k++) {
            lbl[k].key = arena_str(a, s->labels[k].key);
            lbl[k].value = arena_str(a, s->labels[k].value);
        }
        uint64_t *cum = arena_rec(a, nb * sizeof(uint64_t));
        uint64_t run = 0;
        for (size_t k = 0; k < nb; k++) {
            run += s->bucket_counts[k];
            cum[k] = run;
        }
        ss[j] = (struct hw_snap_series){.labels = lbl, .nlabels = s->nlabels, .value = s->value,
                                        .count = s->count, .bucket = cum};
    }
    out->series = ss;
    out->nseries = fam->nseries;
    out->collections = fam->collections;
    out->collected_ms = fam->collected_ms;
}

int hw_registry_publish(struct hw_registry *reg)
{
    if (!is_sorted((void **)reg->fams, reg->nfams, cmp_fam)) {
        qsort(reg->fams, reg->nfams, sizeof(*reg->fams), cmp_fam);
        (void)registry_reindex(reg);
    }
    size_t rec = sizeof(struct hw_snapshot_priv) + reg->nfams * sizeof(struct hw_snap_family);
    rec = (rec + 7) & ~(size_t)7;
    size_t strsz = 0;
    for (size_t i = 0; i < reg->nfams; i++) {
        rec += family_size(reg->fams[i], &strsz);
    }
    char *mem = malloc(rec + strsz);
    if (!mem) {
        return -ENOMEM;
    }
    struct snap_arena a = {.rec = mem, .str = mem + rec};
    struct hw_snapshot_priv *snap = arena_rec(&a, sizeof(*snap));
    struct hw_snap_family *fams = arena_rec(&a, reg->nfams * sizeof(*fams));
    a.rec = mem + ((size_t)(a.rec - mem + 7) & ~(size_t)7);
    for (size_t i = 0; i < reg->nfams; i++) {
        snap_fill_family(&a, &fams[i], reg->fams[i]);
    }
    snap->pub = (struct hw_snapshot){.generation = ++reg->generation,
                                     .timestamp_ms = hw_now_wall_ms(),
                                     .families = fams,
                                     .nfamilies = reg->nfams,
                                     .layout = reg->layout,
                                     .bytes = rec + strsz};
    atomic_init(&snap->refs, 1);
    pthread_mutex_lock(&reg->lock);
    struct hw_snapshot_priv *old = reg->current;
    reg->current = snap;
    pthread_mutex_unlock(&reg->lock);
    if (old) {
        hw_snapshot_release(&old->pub);
    }
    return 0;
}

const struct hw_snapshot *hw_registry_acquire(struct hw_registry *reg)
{
    pthread_mutex_lock(&reg->lock);
    struct hw_snapshot_priv *snap = reg->current;
    if (snap) {
        atomic_fetch_add(&snap->refs, 1);
    }
    pthread_mutex_unlock(&reg->lock);
    return snap ? &snap->pub : NULL;
}

void hw_snapshot_release(const struct hw_snapshot *snap)
{
    if (!snap) {
        return;
    }
    struct hw_snapshot_priv *p = (struct hw_snapshot_priv *)snap;
    if (atomic_fetch_sub(&p->refs, 1) == 1) {
        free(p);
    }
}

const struct hw_snap_family *hw_snapshot_find(const struct hw_snapshot *snap, const char *name)
{
    size_t lo = 0, hi = snap->nfamilies;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(snap->families[mid].name, name);
        if (c == 0) {
            return &snap->families[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}
