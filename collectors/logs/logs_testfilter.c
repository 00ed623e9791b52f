/* The logs collector's side of `hostwatch test-filter`, the on-host "Test pattern" button:
 * runs its filters (or one given on the command line) over log files and shows every match,
 * what it extracted and what it did to the metric, then a summary per filter. Nothing is sent
 * anywhere. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/tail/logtail.h"
#include "diag.h"
#include "filters/binding.h"
#include "logs.h"
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

/* The filters of every configured source, or only those named t->only. */
static int tf_from_config(struct tf_run *r, const void *const *confs, size_t n,
                          const struct hw_filter_test *t, struct hw_registry *reg)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct logs_conf *lc = confs[i];
        const struct binding_conf *f = lc->filters.items;
        for (size_t j = 0; j < lc->filters.n && rc == 0; j++) {
            const char *name = f[j].name ? f[j].name : f[j].metric;
            if (!t->only || strcmp(t->only, name) == 0 || strcmp(t->only, f[j].metric) == 0) {
                rc = tf_add(r, &f[j], reg);
            }
        }
    }
    if (rc == 0 && r->nb == 0) {
        fprintf(stderr, "hostwatch: test-filter: no filter%s%s\n", t->only ? " named " : "",
                t->only ? t->only : "");
        rc = -1;
    }
    return rc;
}

static void tf_summary(const struct tf_run *r, FILE *out)
{
    fprintf(out, "\n%-32s %12s %12s %12s\n", "filter", "lines", "matched", "errors");
    for (size_t i = 0; i < r->nb; i++) {
        const struct binding_stats *s = binding_stats(r->b[i]);
        fprintf(out, "%-32s %12llu %12llu %12llu\n", binding_name(r->b[i]),
                (unsigned long long)r->lines, (unsigned long long)s->matches,
                (unsigned long long)(s->bad_values + s->limit_errors + s->dropped));
    }
}

/* The filter given on the command line (--regex or --pattern, --value). */
static int tf_ad_hoc(struct tf_run *r, const struct hw_filter_test *t, struct hw_registry *reg)
{
    struct binding_conf c = {.metric = "test_filter_matches",
                             .type = HW_COUNTER,
                             .regex = (char *)t->regex,
                             .pattern = (char *)t->pattern,
                             .value = (char *)t->value,
                             .max_series = 1000};
    struct hw_diag d;
    int rc = 0;
    hw_diag_init(&d, "command line");
    if (binding_validate(&c, t->regex ? "--regex" : "--pattern", &d) != 0) {
        for (size_t i = 0; i < d.n; i++) {
            fprintf(stderr, "%s\n", d.msgs[i]);
        }
        rc = -1;
    }
    hw_diag_free(&d);
    return rc == 0 ? tf_add(r, &c, reg) : rc;
}

/* Every file whole, each line through every filter. */
static int tf_read_files(struct tf_run *r, const struct hw_filter_test *t)
{
    for (size_t i = 0; i < t->nfiles; i++) {
        const char *paths[1] = {t->files[i]};
        FILE *probe = fopen(t->files[i], "rb");
        if (!probe) {
            fprintf(stderr, "hostwatch: test-filter: cannot read %s: %s\n", t->files[i],
                    strerror(errno));
            return -1;
        }
        fclose(probe);
        const struct logtail_opts lo = {.paths = paths, .npaths = 1,
                                        .max_line_size = 1 << 20, .read_block = 1 << 18};
        struct logtail *lt = logtail_new(&lo, tf_on_line, r);
        int rc = lt ? logtail_read_all_once(lt) : -1;
        logtail_free(lt);
        if (rc != 0) {
            fprintf(stderr, "hostwatch: test-filter: cannot read %s\n", t->files[i]);
            return -1;
        }
    }
    return 0;
}

long logs_test_filters(const void *const *confs, size_t n, const struct hw_filter_test *t,
                       struct hw_registry *reg)
{
    struct tf_run r = {.out = t->out};
    int rc = t->regex || t->pattern ? tf_ad_hoc(&r, t, reg) : tf_from_config(&r, confs, n, t, reg);
    if (rc == 0) {
        rc = tf_read_files(&r, t);
    }
    if (rc == 0) {
        tf_summary(&r, t->out);
    }
    for (size_t i = 0; i < r.nb; i++) {
        binding_free(r.b[i]);
    }
    return rc == 0 ? (long)r.matched_lines : -1;
}
