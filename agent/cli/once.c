#include "once.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "plugin.h"
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

static int prints(const struct hw_exporter *e, const char *format)
{
    for (size_t i = 0; e->print && e->print_formats && e->print_formats[i]; i++) {
        if (strcmp(e->print_formats[i], format) == 0) {
            return 1;
        }
    }
    return 0;
}

/* What each configured exporter that prints `format` would send; with none configured, the
 * exporter kind that prints it, on its defaults, if it can do without a config. */
static int once_print(const struct hw_agent *a, const struct hw_snapshot *snap,
                      const char *format, FILE *out)
{
    int found = 0, rc = 0;
    for (size_t i = a->cfg->ncollectors; i < a->cfg->ncollectors + a->cfg->nexporters; i++) {
        const struct hw_inst_conf *ic = &a->cfg->insts[i];
        if (prints(ic->exp, format)) {
            found = 1;
            rc |= ic->exp->print(ic->conf, snap, format, out) != 0;
        }
    }
    for (size_t k = 0; !found && hw_exporters[k]; k++) {
        if (prints(hw_exporters[k], format)) {
            found = 1;
            int r = hw_exporters[k]->print(NULL, snap, format, out);
            if (r == 1) {
                fprintf(stderr, "hostwatch: once --format %s: no exporters.%s in the config\n",
                        format, hw_exporters[k]->name);
            }
            rc |= r != 0;
        }
    }
    return rc ? -1 : 0;
}

int hw_once_format_known(const char *name)
{
    for (size_t k = 0; hw_exporters[k]; k++) {
        if (prints(hw_exporters[k], name)) {
            return 1;
        }
    }
    return strcmp(name, "json") == 0;
}

void hw_once_formats(char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t k = 0; hw_exporters[k]; k++) {
        for (size_t i = 0; hw_exporters[k]->print && hw_exporters[k]->print_formats &&
                           hw_exporters[k]->print_formats[i];
             i++) {
            int w = snprintf(out + o, len - o, "%s, ", hw_exporters[k]->print_formats[i]);
            o = w > 0 && (size_t)w < len - o ? o + (size_t)w : o;
        }
    }
    snprintf(out + o, len - o, "json");
}

int hw_once_run(const char *config_path, const char *format, FILE *out)
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
    if (strcmp(format, "json") == 0) {
        rc = hw_snapshot_to_json(snap, &b);
    } else {
        rc = once_print(a, snap, format, out);
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
