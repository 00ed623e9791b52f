/* hostwatch: command dispatch. Everything else lives in libhostwatch. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "agent.h"
#include "cli.h"
#include "config.h"
#include "diag.h"
#include "hashpw.h"
#include "healthcmd.h"
#include "cost.h"
#include "import.h"
#include "log.h"
#include "once.h"
#include "pathcheck.h"
#include "schema.h"
#include "statuscmd.h"
#include "testfilter.h"
#include "version.h"

static int cmd_check(const char *file)
{
    struct hw_diag d;
    hw_diag_init(&d, file);
    struct hw_config *cfg = hw_config_load(file, &d);
    int rc = 0;
    if (!cfg) {
        hw_agent_print_diag(&d);
        rc = 1;
    } else if (hw_cost_check_config(file) != 0) {
        rc = 1;
    } else {
        printf("%s: OK (%zu collectors, %zu exporters)\n", file, cfg->ncollectors,
               cfg->nexporters);
        (void)fflush(stdout);
        (void)hw_pathcheck_warn(cfg, stderr); /* warnings: the agent can still start */
        (void)hw_pathcheck_secrets(cfg, stderr);
    }
    hw_config_free(cfg);
    hw_diag_free(&d);
    return rc;
}

static void print_line(const char *line, void *arg)
{
    (void)arg;
    printf("  %s\n", line);
}

/* Every configuration key with its type, default and help, from the option tables. */
static void print_config_keys(void)
{
    printf("agent:\n");
    hw_opt_describe(hw_agent_opts, "agent", print_line, NULL);
    for (size_t i = 0; hw_collectors[i]; i++) {
        char prefix[128];
        snprintf(prefix, sizeof(prefix), "collectors.%s%s", hw_collectors[i]->name,
                 hw_collectors[i]->multi ? "[]" : "");
        printf("%s: %s\n  %s.enabled  (a boolean, default true)\n"
               "  %s.interval  (a duration string, default agent.interval)\n",
               prefix, hw_collectors[i]->help, prefix, prefix);
        hw_opt_describe(hw_collectors[i]->opts, prefix, print_line, NULL);
    }
    for (size_t i = 0; hw_exporters[i]; i++) {
        char prefix[128];
        snprintf(prefix, sizeof(prefix), "exporters.%s", hw_exporters[i]->name);
        printf("%s: %s\n  %s.enabled  (a boolean, default true)\n", prefix,
               hw_exporters[i]->help, prefix);
        hw_opt_describe(hw_exporters[i]->opts, prefix, print_line, NULL);
    }
}

/* --help-config: the keys as text, or as a JSON Schema for editors and CI. */
static int cmd_help_config(int schema)
{
    if (schema) {
        return hw_schema_print(stdout) == 0 ? 0 : 1;
    }
    print_config_keys();
    return 0;
}

/* Every tailed file holds a descriptor: take the hard limit, not the usual soft 1024. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The agent holds AWS keys, session tokens and a password file's contents: no core dump and
 * no ptrace by another process of the same user may read them (root still can). */
static void keep_secrets_private(void)
{
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        hw_warn("agent", "cannot mark the process non-dumpable", "error=\"%s\"",
                strerror(errno));
    }
}

static int cmd_run(const char *file)
{
    raise_fd_limit();
    keep_secrets_private();
    struct hw_agent *a = hw_agent_new(file, HW_MODE_RUN);
    if (!a) {
        return 1;
    }
    int rc = hw_agent_run(a);
    hw_agent_free(a);
    return rc;
}

/* Renderings, snapshots and read buffers are large, short-lived blocks. A fixed mmap threshold
 * sends each straight back to the kernel when freed; glibc's default raises the threshold
 * after the first such free, and the freed megabytes then stay in the heap as resident
 * memory for good. */
static void tune_malloc(void)
{
#ifdef M_MMAP_THRESHOLD
    (void)mallopt(M_MMAP_THRESHOLD, 64 * 1024);
#endif
}

int main(int argc, char **argv)
{
    tune_malloc();
    struct hw_cli cli;
    if (hw_cli_parse(argc, argv, &cli) != 0) {
        return 2;
    }
    switch (cli.cmd) {
    case HW_CMD_HELP:
        hw_cli_usage(stdout);
        return 0;
    case HW_CMD_HELP_CONFIG:
        return cmd_help_config(cli.help_schema);
    case HW_CMD_VERSION:
        printf("hostwatch %s\n", HW_VERSION);
        return 0;
    case HW_CMD_CHECK:
        return cli.cost ? hw_cost_run(cli.config, cli.prices, cli.cost_json, stdout)
                        : cmd_check(cli.config);
    case HW_CMD_IMPORT:
        return hw_import_run(cli.sub_argc, cli.sub_argv, stdout, stderr);
    case HW_CMD_ONCE:
        return hw_once_run(cli.config, cli.format, stdout);
    case HW_CMD_TEST_FILTER:
        return hw_test_filter_run(&cli, stdout);
    case HW_CMD_HEALTH:
        return hw_health_command(cli.config, stdout);
    case HW_CMD_STATUS:
        return hw_status_command(cli.config, cli.status_json, cli.status_watch, cli.status_ca,
                                 stdout);
    case HW_CMD_HASH_PASSWORD:
        return hw_hash_password_run(cli.hash_method, stdin, stdout);
    case HW_CMD_RUN:
    default:
        return cmd_run(cli.config);
    }
}
