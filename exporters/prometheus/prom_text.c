#include "prom_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void escape(struct hw_buf *out, const char *v, int quotes)
{
    const char *run = v;
    for (const char *p = v; *p; p++) {
        const char *rep = NULL;
        if (*p == '\\') {
            rep = "\\\\";
        } else if (*p == '\n') {
            rep = "\\n";
        } else if (quotes && *p == '"') {
            rep = "\\\"";
        }
        if (rep) {
            hw_buf_append(out, run, (size_t)(p - run));
            hw_buf_puts(out, rep);
            run = p + 1;
        }
    }
    hw_buf_puts(out, run);
}

void prom_text_label_value(struct hw_buf *out, const char *v)
{
    escape(out, v, 1);
}

void prom_text_help(struct hw_buf *out, const char *v)
{
    escape(out, v, 0);
}

/* Writes {k="v",...} with an optional extra label (le for buckets) last. */
static void put_labels(struct hw_buf *out, const struct hw_snap_series *s, const char *extra_key,
                       const char *extra_val)
{
    if (s->nlabels == 0 && !extra_key) {
        return;
    }
    hw_buf_putc(out, '{');
    for (size_t i = 0; i < s->nlabels; i++) {
        if (i) {
            hw_buf_putc(out, ',');
        }
        hw_buf_puts(out, s->labels[i].key);
        hw_buf_append(out, "=\"", 2);
        prom_text_label_value(out, s->labels[i].value);
        hw_buf_putc(out, '"');
    }
    if (extra_key) {
        if (s->nlabels) {
            hw_buf_putc(out, ',');
        }
        hw_buf_puts(out, extra_key);
        hw_buf_append(out, "=\"", 2);
        hw_buf_puts(out, extra_val);
        hw_buf_putc(out, '"');
    }
    hw_buf_putc(out, '}');
}

static void put_sample(struct hw_buf *out, const char *name, const char *suffix,
                       const struct hw_snap_series *s, const char *le, double v)
{
    hw_buf_puts(out, name);
    if (suffix) {
        hw_buf_puts(out, suffix);
    }
    put_labels(out, s, le ? "le" : NULL, le);
    hw_buf_putc(out, ' ');
    hw_buf_put_double(out, v);
    hw_buf_putc(out, '\n');
}

static void render_histogram(struct hw_buf *out, const struct hw_snap_family *f,
                             const struct hw_snap_series *s)
{
    char le[HW_DOUBLE_LEN];
    for (size_t b = 0; b < f->nbuckets; b++) {
        hw_fmt_double(le, f->buckets[b]);
        put_sample(out, f->name, "_bucket", s, le, (double)s->bucket[b]);
    }
    put_sample(out, f->name, "_bucket", s, "+Inf", (double)s->count);
    put_sample(out, f->name, "_sum", s, NULL, s->value);
    put_sample(out, f->name, "_count", s, NULL, (double)s->count);
}

void prom_text_render(struct hw_buf *out, const struct hw_snapshot *snap, unsigned view)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    for (size_t i = 0; i < snap->nfamilies; i++) {
        const struct hw_snap_family *f = &snap->families[i];
        if (!(f->views & view) || f->nseries == 0) {
            continue;
        }
        hw_buf_append(out, "# HELP ", 7);
        hw_buf_puts(out, f->name);
        hw_buf_putc(out, ' ');
        prom_text_help(out, f->help);
        hw_buf_append(out, "\n# TYPE ", 8);
        hw_buf_puts(out, f->name);
        hw_buf_putc(out, ' ');
        hw_buf_puts(out, types[f->type]);
        hw_buf_putc(out, '\n');
        for (size_t j = 0; j < f->nseries; j++) {
            if (f->type == HW_HISTOGRAM) {
                render_histogram(out, f, &f->series[j]);
            } else {
                put_sample(out, f->name, NULL, &f->series[j], NULL, f->series[j].value);
            }
        }
    }
}

/* A counter family's name in OpenMetrics: the "_total" suffix belongs to the sample. */
static void om_family_name(struct hw_buf *out, const struct hw_snap_family *f)
{
    size_t n = strlen(f->name);
    if (f->type == HW_COUNTER && n > 6 && strcmp(f->name + n - 6, "_total") == 0) {
        n -= 6;
    }
    hw_buf_append(out, f->name, n);
}

static void om_counter(struct hw_buf *out, const struct hw_snap_family *f,
                       const struct hw_snap_series *s)
{
    struct hw_buf name;
    hw_buf_init(&name);
    om_family_name(&name, f);
    hw_buf_puts(&name, "_total");
    put_sample(out, name.oom ? f->name : name.data, NULL, s, NULL, s->value);
    hw_buf_free(&name);
}

void prom_openmetrics_render(struct hw_buf *out, const struct hw_snapshot *snap, unsigned view)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    for (size_t i = 0; i < snap->nfamilies; i++) {
        const struct hw_snap_family *f = &snap->families[i];
        if (!(f->views & view) || f->nseries == 0) {
            continue;
        }
        hw_buf_append(out, "# TYPE ", 7);
        om_family_name(out, f);
        hw_buf_putc(out, ' ');
        hw_buf_puts(out, types[f->type]);
        hw_buf_append(out, "\n# HELP ", 8);
        om_family_name(out, f);
        hw_buf_putc(out, ' ');
        escape(out, f->help, 1);
        hw_buf_putc(out, '\n');
        for (size_t j = 0; j < f->nseries; j++) {
            if (f->type == HW_HISTOGRAM) {
                render_histogram(out, f, &f->series[j]);
            } else if (f->type == HW_COUNTER) {
                om_counter(out, f, &f->series[j]);
            } else {
                put_sample(out, f->name, NULL, &f->series[j], NULL, f->series[j].value);
            }
        }
    }
    hw_buf_puts(out, "# EOF\n");
}

/* The q of one media range ("type/sub;a=b;q=0.5"), 1 without one. */
static double media_q(const char *p, size_t len)
{
    for (const char *q = p; q + 2 < p + len; q++) {
        if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=' && (q == p || q[-1] == ';' ||
                                                         q[-1] == ' ')) {
            return strtod(q + 2, NULL);
        }
    }
    return 1.0;
}

/* 1 for the delimited MetricFamily protobuf media range (other encodings are not ours). */
static int is_protobuf(const char *p, size_t len)
{
    static const char type[] = "application/vnd.google.protobuf";
    char range[512];
    snprintf(range, sizeof(range), "%.*s", (int)(len < sizeof(range) ? len : sizeof(range) - 1),
             p);
    return strncasecmp(range, type, sizeof(type) - 1) == 0 &&
           strstr(range, "io.prometheus.client.MetricFamily") &&
           strstr(range, "encoding=delimited");
}

/* OpenMetrics is served as 1.0.0, which also satisfies a 0.0.1 reader; a range naming another
 * version is not ours (as in Prometheus' own client libraries). */
static int om_version_ok(const char *p, size_t len)
{
    for (const char *v = p; v + 8 <= p + len; v++) {
        if (strncasecmp(v, "version=", 8) == 0 && v > p && (v[-1] == ';' || v[-1] == ' ')) {
            size_t vl = strcspn(v + 8, "; ,");
            vl = v + 8 + vl > p + len ? (size_t)(p + len - (v + 8)) : vl;
            return (vl == 5 && (strncmp(v + 8, "1.0.0", 5) == 0 ||
                                strncmp(v + 8, "0.0.1", 5) == 0));
        }
    }
    return 1;
}

enum prom_format prom_negotiate(const char *accept)
{
    double best[PROM_NFORMATS] = {-1, -1, -1}, other = -1;
    for (const char *p = accept; p && *p;) {
        while (*p == ' ' || *p == ',') {
            p++;
        }
        size_t len = strcspn(p, ",");
        double q = media_q(p, len);
        int f = -1;
        if (len >= 28 && strncasecmp(p, "application/openmetrics-text", 28) == 0 &&
            om_version_ok(p, len)) {
            f = PROM_FMT_OPENMETRICS;
        } else if (is_protobuf(p, len)) {
            f = PROM_FMT_PROTOBUF;
        }
        if (f >= 0) {
            best[f] = q > best[f] ? q : best[f];
        } else if (len > 0) {
            other = q > other ? q : other;
        }
        p += len;
    }
    if (best[PROM_FMT_PROTOBUF] > 0 && best[PROM_FMT_PROTOBUF] >= other &&
        best[PROM_FMT_PROTOBUF] >= best[PROM_FMT_OPENMETRICS]) {
        return PROM_FMT_PROTOBUF;
    }
    return best[PROM_FMT_OPENMETRICS] > 0 && best[PROM_FMT_OPENMETRICS] >= other
               ? PROM_FMT_OPENMETRICS
               : PROM_FMT_TEXT;
}
