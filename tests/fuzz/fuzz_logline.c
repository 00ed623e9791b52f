/* libFuzzer: arbitrary log lines (binary, invalid UTF-8, huge fields) through a realistic set
 * of filters: regexes with captures, term, JSON and delimited patterns, every metric type. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "filters/binding.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *lbl_status[] = {"status"};
static char *lbl_dstatus[] = {"$status_code"};
static char *lbl_jpath[] = {"$.req.path"};
static double buckets[] = {1, 10, 100};

static struct binding_conf confs[] = {
    {.metric = "errors_total", .regex = "ERROR", .max_series = 10},
    {.metric = "status_total", .regex = "status=(?<status>\\d{3})", .labels = {lbl_status, 1},
     .max_series = 10},
    {.metric = "lat", .type = HW_HISTOGRAM, .regex = "latency_ms=(?<value>[0-9.e+-]+)",
     .buckets = {buckets, 3}, .max_series = 10},
    {.metric = "terms_total", .pattern = "ERROR -healthcheck ?timeout ?refused", .max_series = 10},
    {.metric = "json_total", .pattern = "{ ($.level = \"ERROR\" || $.code >= 500) && $.x NOT EXISTS }",
     .labels = {lbl_jpath, 1}, .value = "$.n", .max_series = 10},
    {.metric = "delim", .type = HW_GAUGE,
     .pattern = "[ip, id, user, ts, request, status_code = 4*, size > 10]",
     .labels = {lbl_dstatus, 1}, .value = "$size", .max_series = 10},
    {.metric = "re_total", .pattern = "%fail(ed|ure)?%", .max_series = 10},
};

#define NCONF (sizeof(confs) / sizeof(confs[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Built per input: a harness with no state carried between runs reproduces exactly. */
    struct hw_registry *reg = hw_registry_new();
    struct binding *b[NCONF] = {0};
    char err[256];
    for (size_t i = 0; i < NCONF; i++) {
        err[0] = '\0';
        b[i] = binding_new(&confs[i], reg, "fuzz", err, sizeof(err));
    }
    for (size_t i = 0; i < NCONF; i++) {
        if (b[i]) {
            struct binding_hit hit;
            (void)binding_apply(b[i], (const char *)data, size, &hit);
        }
    }
    (void)hw_registry_publish(reg);
    for (size_t i = 0; i < NCONF; i++) {
        binding_free(b[i]);
    }
    hw_registry_free(reg);
    return 0;
}
