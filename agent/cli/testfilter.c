/* `hostwatch test-filter`: the collectors that have filters (the test_filters slot) run them
 * over log files; the resulting values are printed as the Prometheus exporter would show them. */
#include "testfilter.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "plugin.h"
#include "registry.h"

/* The first collector kind with filters to test, for a filter given on the command line. */
static const struct hw_collector *filter_collector(void)
{
    for (size_t i = 0; hw_collectors[i]; i++) {
        if (hw_collectors[i]->test_filters) {
            return hw_collectors[i];
        }
    }
    return NULL;
}

/* Every configured instance of each collector kind with filters, kind by kind. */
static long tf_configured(const struct hw_cli *cli, const struct hw_filter_test *t,
                          struct hw_registry *reg)
{
    struct hw_diag d;
    hw_diag_init(&d, cli->config);
    struct hw_config *cfg = hw_config_load(cli->config, &d);
    long matched = 0;
    if (!cfg) {
        for (size_t i = 0; i < d.n; i++) {
            fprintf(stderr, "%s\n", d.msgs[i]);
        }
        hw_diag_free(&d);
        return -1;
    }
    const void *confs[256];
    size_t total = 0;
    for (size_t k = 0; hw_collectors[k] && matched >= 0; k++) {
        size_t n = 0;
        for (size_t i = 0; i < cfg->ncollectors && n < 256; i++) {
            if (cfg->insts[i].col == hw_collectors[k] && hw_collectors[k]->test_filters) {
                confs[n++] = cfg->insts[i].conf;
            }
        }
        long m = n ? hw_collectors[k]->test_filters(confs, n, t, reg) : 0;
        matched = m < 0 ? -1 : matched + m;
        total += n;
    }
    if (total == 0) {
        fprintf(stderr, "hostwatch: test-filter: %s: no filter (no log source)\n", cli->config);
        matched = -1;
    }
    hw_config_free(cfg);
    hw_diag_free(&d);
    return matched;
}

/* The registry the filters wrote, in the Prometheus text a scrape would get. */
static void tf_values(struct hw_registry *reg, FILE *out)
{
    fprintf(out, "\nresulting values:\n");
    if (hw_registry_publish(reg) != 0) {
        return;
    }
    const struct hw_snapshot *snap = hw_registry_acquire(reg);
    int printed = 0;
    for (size_t k = 0; hw_exporters[k] && !printed; k++) {
        const struct hw_exporter *e = hw_exporters[k];
        for (size_t i = 0; e->print && e->print_formats && e->print_formats[i]; i++) {
            if (strcmp(e->print_formats[i], "prometheus") == 0) {
                printed = e->print(NULL, snap, "prometheus", out) == 0;
                break;
            }
        }
    }
    hw_snapshot_release(snap);
}

int hw_test_filter_run(const struct hw_cli *cli, FILE *out)
{
    const struct hw_filter_test t = {.only = cli->tf_filter, .regex = cli->tf_regex,
                                     .pattern = cli->tf_pattern, .value = cli->tf_value,
                                     .files = cli->tf_files, .nfiles = cli->tf_nfiles,
                                     .out = out};
    struct hw_registry *reg = hw_registry_new();
    const struct hw_collector *adhoc = filter_collector();
    long matched = -1;
    if (reg && (cli->tf_regex || cli->tf_pattern)) {
        matched = adhoc ? adhoc->test_filters(NULL, 0, &t, reg) : -1;
    } else if (reg) {
        matched = tf_configured(cli, &t, reg);
    }
    if (matched >= 0) {
        tf_values(reg, out);
    }
    hw_registry_free(reg);
    return matched < 0 ? 2 : (matched > 0 ? 0 : 1);
}
