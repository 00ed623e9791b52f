#include "selfmetrics.h"

#include <stdlib.h>

#include "version.h"

struct hw_selfmetrics {
    struct hw_family *build_info, *duration, *collections, *errors, *reloads;
};

static const struct hw_family_desc build_info_desc = {
    .name = "hostwatch_build_info",
    .help = "A metric with a constant '1' value labeled by the version of hostwatch.",
    .unit = "None", .type = HW_GAUGE, .views = HW_VIEW_NODE};
static const struct hw_family_desc duration_desc = {
    .name = "hostwatch_collect_duration_seconds",
    .help = "Duration of the latest collection, by collector.",
    .unit = "Seconds", .type = HW_GAUGE, .views = HW_VIEW_NODE};
static const struct hw_family_desc collections_desc = {
    .name = "hostwatch_collections_total",
    .help = "Collections run, by collector.",
    .unit = "Count", .type = HW_COUNTER, .views = HW_VIEW_NODE};
static const struct hw_family_desc errors_desc = {
    .name = "hostwatch_collect_errors_total",
    .help = "Collections that failed, by collector.",
    .unit = "Count", .type = HW_COUNTER, .views = HW_VIEW_NODE};
static const struct hw_family_desc reloads_desc = {
    .name = "hostwatch_config_reloads_total",
    .help = "Configuration reloads, by result.",
    .unit = "Count", .type = HW_COUNTER, .views = HW_VIEW_NODE};

struct hw_selfmetrics *hw_selfmetrics_new(struct hw_registry *reg)
{
    struct hw_selfmetrics *sm = calloc(1, sizeof(*sm));
    if (!sm) {
        return NULL;
    }
    sm->build_info = hw_registry_family(reg, &build_info_desc, NULL);
    sm->duration = hw_registry_family(reg, &duration_desc, NULL);
    sm->collections = hw_registry_family(reg, &collections_desc, NULL);
    sm->errors = hw_registry_family(reg, &errors_desc, NULL);
    sm->reloads = hw_registry_family(reg, &reloads_desc, NULL);
    if (!sm->build_info || !sm->duration || !sm->collections || !sm->errors || !sm->reloads) {
        free(sm);
        return NULL;
    }
    const struct hw_label lbl[] = {{"version", HW_VERSION}};
    hw_family_set(sm->build_info, lbl, 1, 1);
    return sm;
}

void hw_selfmetrics_free(struct hw_selfmetrics *sm)
{
    free(sm);
}

void hw_selfmetrics_collected(struct hw_selfmetrics *sm, const char *collector, int64_t dur_ns,
                              int failed)
{
    const struct hw_label lbl[] = {{"collector", collector}};
    hw_family_set(sm->duration, lbl, 1, (double)dur_ns / 1e9);
    struct hw_series *s = hw_family_series(sm->collections, lbl, 1, 0);
    if (s) {
        hw_series_add(s, 1);
    }
    s = hw_family_series(sm->errors, lbl, 1, 0);
    if (s) {
        hw_series_add(s, failed ? 1 : 0);
    }
}

void hw_selfmetrics_reloaded(struct hw_selfmetrics *sm, int ok)
{
    const struct hw_label lbl[] = {{"result", ok ? "success" : "failure"}};
    struct hw_series *s = hw_family_series(sm->reloads, lbl, 1, 0);
    if (s) {
        hw_series_add(s, 1);
    }
}

static const struct hw_family_desc export_desc[] = {
    [HW_EXPORT_REQUESTS] = {.name = "hostwatch_export_requests_total",
                            .help = "Export requests (pushes, or scrapes served), by exporter and "
                                    "result.",
                            .unit = "Count", .type = HW_COUNTER, .views = HW_VIEW_NODE},
    [HW_EXPORT_DATAPOINTS] = {.name = "hostwatch_export_datapoints_total",
                              .help = "Datapoints handed to an exporter, by exporter and result.",
                              .unit = "Count", .type = HW_COUNTER, .views = HW_VIEW_NODE},
    [HW_EXPORT_SPOOL_BYTES] = {.name = "hostwatch_spool_bytes",
                               .help = "Bytes waiting in an exporter's spool.", .unit = "Bytes",
                               .type = HW_GAUGE, .views = HW_VIEW_NODE},
};

void hw_selfmetrics_export(struct hw_registry *reg, const char *exporter,
                           const struct hw_export_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* Shared by every exporter, so owned by the core: a reload never drops them. */
        struct hw_family *f = hw_registry_family(reg, &export_desc[rows[i].fam], NULL);
        const struct hw_label l[] = {{"exporter", exporter}, {"result", rows[i].result}};
        if (f) {
            (void)hw_family_set(f, l, rows[i].result ? 2 : 1, (double)atomic_load(rows[i].value));
        }
    }
}
