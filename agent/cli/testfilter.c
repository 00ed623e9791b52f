/* `hostwatch test-filter`: the on-host "Test pattern" button. Runs filters from a config, or
 * one given on the command line, over log files and shows every match, what it extracted and
 * what it did to the metric, then a summary per filter. Nothing is sent anywhere. */
#include "testfilter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "collectors/logs/logs.h"
#include "collectors/tail/logtail.h"
#include "config.h"
#include "diag.h"
#include "exporters/prometheus/prom_text.h"
#include "filters/binding.h"
#include "registry.h"

#define TF_MAX_FILTERS 256
#define TF_SHOW_BYTES 300

struct tf_run {
    struct binding *b[TF_MAX_FILTERS];
    size_t nb;
    uint64_t lines;
    uint64_t matched_lines;
    FILE *out;
};

static void tf_print_field(void *arg, const char *name, const char *v, size_t len)
{
    FILE *out = arg;
    fprintf(out, " %s=\"%.*s\"", name, (int)(len > 120 ? 120 : len), v);
}

static void tf_on_line(void *arg, const struct logtail_file_info *f, const char *line, size_t len)
{
    struct tf_run *r = arg;
    int shown = 0;
    r->lines++;
    for (size_t i = 0; i < r->nb; i++) {
        struct binding_hit hit;
        int m = binding_apply(r->b[i], line, len, &hit);
        if (m == 0) {
            continue;
        }
        if (!shown) {
            fprintf(r->out, "%s:%llu: %.*s%s\n", f->path, (unsigned long long)f->line_no,
                    (int)(len > TF_SHOW_BYTES ? TF_SHOW_BYTES : len), line,
                    len > TF_SHOW_BYTES ? "..." : "");
            shown = 1;
            r->matched_lines++;
        }
        if (m < 0) {
            fprintf(r->out, "    %s: matched, but no usable value (or a limit was hit): not "
                            "counted\n", binding_name(r->b[i]));
            continue;
        }
        fprintf(r->out, "    %s: fields:", binding_name(r->b[i]));
        binding_foreach_field(r->b[i], line, tf_print_field, r->out);
        static const char *const ops[] = {"+=", "=", "observe"};
        fprintf(r->out, "\n      -> %s{", binding_metric(r->b[i]));
        for (size_t k = 0; k < hit.nlabels; k++) {
            fprintf(r->out, "%s%s=\"%s\"", k ? "," : "", hit.labels[k].key, hit.labels[k].value);
        }
        fprintf(r->out, "} %s %.17g\n", ops[binding_type(r->b[i])], hit.value);
    }
}

static int tf_add(struct tf_run *r, const struct binding_conf *c, struct hw_registry *reg)
{
    char err[256] = "";
    if (r->nb == TF_MAX_FILTERS) {
        fprintf(stderr, "hostwatch: test-filter: more than %d filters\n", TF_MAX_FILTERS);
        return -1;
    }
    struct binding *b = binding_new(c, reg, "test-filter", err, sizeof(err));
    if (!b) {
        fprintf(stderr, "hostwatch: test-filter: %s: %s\n", c->name ? c->name : c->metric, err);
        return -1;
    }
    r->b[r->nb++] = b;
    return 0;
}

/* Filters of every log source in the config, or only those named `only`. */
static int tf_from_config(struct tf_run *r, const struct hw_cli *cli, struct hw_registry *reg)
{
    struct hw_diag d;
    hw_diag_init(&d, cli->config);
    struct hw_config *cfg = hw_config_load(cli->config, &d);
    int rc = 0;
    if (!cfg) {
        for (size_t i = 0; i < d.n; i++) {
            fprintf(stderr, "%s\n", d.msgs[i]);
        }
        hw_diag_free(&d);
        return -1;
    }
    for (size_t i = 0; i < cfg->ncollectors && rc == 0; i++) {
        if (cfg->insts[i].col != &hw_collector_logs) {
            continue;
        }
        const struct logs_conf *lc = cfg->insts[i].conf;
        const struct binding_conf *f = lc->filters.items;
        for (size_t j = 0; j < lc->filters.n && rc == 0; j++) {
            const char *name = f[j].name ? f[j].name : f[j].metric;
            if (!cli->tf_filter || strcmp(cli->tf_filter, name) == 0 ||
                strcmp(cli->tf_filter, f[j].metric) == 0) {
                rc = tf_add(r, &f[j], reg);
            }
        }
    }
    if (rc == 0 && r->nb == 0) {
        fprintf(stderr, "hostwatch: test-filter: %s: no filter%s%s\n", cli->config,
                cli->tf_filter ? " named " : "", cli->tf_filter ? cli->tf_filter : "");
        rc = -1;
    }
    hw_config_free(cfg);
    hw_diag_free(&d);
    return rc;
}

static void tf_summary(const struct tf_run *r, struct hw_registry *reg, FILE *out)
{
    fprintf(out, "\n%-32s %12s %12s %12s\n", "filter", "lines", "matched", "errors");
    for (size_t i = 0; i < r->nb; i++) {
        const struct binding_stats *s = binding_stats(r->b[i]);
        fprintf(out, "%-32s %12llu %12llu %12llu\n", binding_name(r->b[i]),
                (unsigned long long)r->lines, (unsigned long long)s->matches,
                (unsigned long long)(s->bad_values + s->limit_errors + s->dropped));
    }
    fprintf(out, "\nresulting values:\n");
    hw_registry_publish(reg);
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    struct hw_buf b;
    hw_buf_init(&b);
    prom_text_render(&b, snap, HW_VIEW_ALL);
    hw_snapshot_release(snap);
    fputs(b.data ? b.data : "(none)\n", out);
    hw_buf_free(&b);
}

int hw_test_filter_run(const struct hw_cli *cli, FILE *out)
{
    struct hw_registry *reg = hw_registry_new();
    struct tf_run r = {.out = out};
    int rc = reg ? 0 : -1;
    if (rc == 0 && cli->tf_regex == NULL && cli->tf_pattern == NULL) {
        rc = tf_from_config(&r, cli, reg);
    } else if (rc == 0) {
        struct binding_conf c = {.metric = "test_filter_matches",
                                 .type = HW_COUNTER,
                                 .regex = (char *)cli->tf_regex,
                                 .pattern = (char *)cli->tf_pattern,
                                 .value = (char *)cli->tf_value,
                                 .max_series = 1000};
        struct hw_diag d;
        hw_diag_init(&d, "command line");
        if (binding_validate(&c, cli->tf_regex ? "--regex" : "--pattern", &d) != 0) {
            for (size_t i = 0; i < d.n; i++) {
                fprintf(stderr, "%s\n", d.msgs[i]);
            }
            rc = -1;
        }
        hw_diag_free(&d);
        rc = rc == 0 ? tf_add(&r, &c, reg) : rc;
    }
    for (size_t i = 0; rc == 0 && i < cli->tf_nfiles; i++) {
        const char *paths[1] = {cli->tf_files[i]};
        FILE *probe = fopen(cli->tf_files[i], "rb");
        if (!probe) {
            fprintf(stderr, "hostwatch: test-filter: cannot read %s: %s\n", cli->tf_files[i],
                    strerror(errno));
            rc = -1;
            break;
        }
        fclose(probe);
        const struct logtail_opts lo = {.paths = paths, .npaths = 1,
                                        .max_line_size = 1 << 20, .read_block = 1 << 18};
        struct logtail *lt = logtail_new(&lo, tf_on_line, &r);
        if (!lt || logtail_read_all_once(lt) != 0) {
            fprintf(stderr, "hostwatch: test-filter: cannot read %s\n", cli->tf_files[i]);
            rc = -1;
        }
        logtail_free(lt);
    }
    if (rc == 0) {
        tf_summary(&r, reg, out);
    }
    for (size_t i = 0; i < r.nb; i++) {
        binding_free(r.b[i]);
    }
    hw_registry_free(reg);
    return rc != 0 ? 2 : (r.matched_lines > 0 ? 0 : 1);
}
