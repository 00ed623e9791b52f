#include "once.h"

#include <jansson.h>
#include <stdlib.h>

#include "agent.h"
#include "exporters/cloudwatch/cloudwatch.h"
#include "exporters/prometheus/prom_text.h"
#include "log.h"

static json_t *series_to_json(const struct hw_snap_family *f, const struct hw_snap_series *s)
{
    json_t *js = json_object();
    json_t *labels = json_object();
    for (size_t k = 0; k < s->nlabels; k++) {
        json_object_set_new(labels, s->labels[k].key, json_string(s->labels[k].value));
    }
    json_object_set_new(js, "labels", labels);
    if (f->type != HW_HISTOGRAM) {
        json_object_set_new(js, "value", json_real(s->value));
        return js;
    }
    json_t *buckets = json_array();
    for (size_t b = 0; b < f->nbuckets; b++) {
        json_t *bk = json_object();
        json_object_set_new(bk, "le", json_real(f->buckets[b]));
        json_object_set_new(bk, "count", json_integer((json_int_t)s->bucket[b]));
        json_array_append_new(buckets, bk);
    }
    json_object_set_new(js, "buckets", buckets);
    json_object_set_new(js, "sum", json_real(s->value));
    json_object_set_new(js, "count", json_integer((json_int_t)s->count));
    return js;
}

int hw_snapshot_to_json(const struct hw_snapshot *snap, struct hw_buf *out)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    json_t *root = json_object();
    json_t *fams = json_array();
    for (size_t i = 0; i < snap->nfamilies; i++) {
        const struct hw_snap_family *f = &snap->families[i];
        json_t *jf = json_object();
        json_object_set_new(jf, "name", json_string(f->name));
        json_object_set_new(jf, "type", json_string(types[f->type]));
        json_object_set_new(jf, "unit", json_string(f->unit));
        json_object_set_new(jf, "help", json_string(f->help));
        json_t *series = json_array();
        for (size_t j = 0; j < f->nseries; j++) {
            json_array_append_new(series, series_to_json(f, &f->series[j]));
        }
        json_object_set_new(jf, "series", series);
        json_array_append_new(fams, jf);
    }
    json_object_set_new(root, "timestamp_ms", json_integer(snap->timestamp_ms));
    json_object_set_new(root, "families", fams);
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text) {
        return -1;
    }
    hw_buf_puts(out, text);
    hw_buf_putc(out, '\n');
    free(text);
    return out->oom ? -1 : 0;
}

/* The bodies each configured CloudWatch exporter (or a default one) would send. */
static int once_cloudwatch(const struct hw_agent *a, const struct hw_snapshot *snap, FILE *out)
{
    int found = 0, rc = 0;
    for (size_t i = a->cfg->ncollectors; i < a->cfg->ncollectors + a->cfg->nexporters; i++) {
        if (a->cfg->insts[i].exp == &hw_exporter_cloudwatch) {
            found = 1;
            rc |= cw_print_bodies(a->cfg->insts[i].conf, snap, out);
        }
    }
    if (!found) {
        fprintf(stderr, "hostwatch: once --format cloudwatch: no exporters.cloudwatch in the "
                        "config\n");
        return -1;
    }
    return rc;
}

int hw_once_run(const char *config_path, enum hw_once_format fmt, FILE *out)
{
    struct hw_agent *a = hw_agent_new(config_path, HW_MODE_ONCE);
    if (!a) {
        return 1;
    }
    int failed = 0;
    for (size_t i = 0; i < a->cfg->ncollectors; i++) {
        if (a->insts[i].state) {
            hw_agent_collect(a, i);
            failed |= a->insts[i].failing;
        }
    }
    const struct hw_snapshot *snap = hw_registry_acquire(a->reg);
    struct hw_buf b;
    hw_buf_init(&b);
    int rc = 0;
    if (fmt == HW_FMT_JSON) {
        rc = hw_snapshot_to_json(snap, &b);
    } else if (fmt == HW_FMT_CLOUDWATCH) {
        rc = once_cloudwatch(a, snap, out);
    } else if (fmt == HW_FMT_OPENMETRICS) {
        prom_openmetrics_render(&b, snap, HW_VIEW_NODE);
        rc = b.oom ? -1 : 0;
    } else {
        prom_text_render(&b, snap, HW_VIEW_NODE);
        rc = b.oom ? -1 : 0;
    }
    hw_snapshot_release(snap);
    if (rc == 0 && b.len && fwrite(b.data, 1, b.len, out) != b.len) {
        rc = -1;
    }
    hw_buf_free(&b);
    hw_agent_free(a);
    if (rc != 0) {
        fprintf(stderr, "hostwatch: once: cannot write the output\n");
        return 1;
    }
    return failed ? 1 : 0;
}
