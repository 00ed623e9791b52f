#include "cli.h"

#include <stdlib.h>
#include <string.h>

#ifndef HW_SYSCONFDIR
#define HW_SYSCONFDIR "/etc"
#endif

void hw_cli_usage(FILE *f)
{
    fputs("usage:\n"
          "  hostwatch [run] [-c FILE]         run the agent in the foreground\n"
          "  hostwatch check -c FILE           validate a config; print every error\n"
          "  hostwatch once -c FILE [--format prometheus|openmetrics|json|cloudwatch]\n"
          "                                    one collection, printed\n"
          "  hostwatch test-filter ...         try log filters on files (not built yet)\n"
          "  hostwatch health [-c FILE]        exit 0 when the health rules hold (not built "
          "yet)\n"
          "  hostwatch --version | --help | --help-config\n"
          "\n"
          "The config defaults to $HOSTWATCH_CONFIG, else " HW_SYSCONFDIR
          "/hostwatch/hostwatch.json.\n"
          "See hostwatch(1) for the configuration keys.\n",
          f);
}

static int parse_format(const char *s, enum hw_once_format *out)
{
    static const char *const names[] = {"prometheus", "openmetrics", "json", "cloudwatch"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum hw_once_format)i;
            return 0;
        }
    }
    return -1;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "hostwatch: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'hostwatch --help'.\n");
    return -1;
}

static int parse_command(const char *s, enum hw_cmd *cmd)
{
    static const struct {
        const char *name;
        enum hw_cmd cmd;
    } cmds[] = {{"run", HW_CMD_RUN},
                {"check", HW_CMD_CHECK},
                {"once", HW_CMD_ONCE},
                {"test-filter", HW_CMD_TEST_FILTER},
                {"health", HW_CMD_HEALTH},
                {"--version", HW_CMD_VERSION},
                {"version", HW_CMD_VERSION},
                {"--help", HW_CMD_HELP},
                {"--help-config", HW_CMD_HELP_CONFIG},
                {"-h", HW_CMD_HELP},
                {"help", HW_CMD_HELP}};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(s, cmds[i].name) == 0) {
            *cmd = cmds[i].cmd;
            return 0;
        }
    }
    return -1;
}

int hw_cli_parse(int argc, char **argv, struct hw_cli *out)
{
    memset(out, 0, sizeof(*out));
    out->cmd = HW_CMD_RUN;
    const char *env = getenv("HOSTWATCH_CONFIG");
    out->config = env && *env ? env : HW_SYSCONFDIR "/hostwatch/hostwatch.json";
    int i = 1;
    if (i < argc && argv[i][0] != '-') {
        if (parse_command(argv[i], &out->cmd) != 0) {
            return usage_error("unknown command '%s'", argv[i]);
        }
        i++;
    } else if (i < argc && parse_command(argv[i], &out->cmd) == 0) {
        i++;
    }
    if (out->cmd == HW_CMD_TEST_FILTER) {
        return 0; /* its own arguments; answered "not built yet" by main */
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
            if (++i >= argc) {
                return usage_error("%s needs a FILE", arg);
            }
            out->config = argv[i];
        } else if (strncmp(arg, "--config=", 9) == 0) {
            out->config = arg + 9;
        } else if (strcmp(arg, "--format") == 0 && out->cmd == HW_CMD_ONCE) {
            if (++i >= argc || parse_format(argv[i], &out->format) != 0) {
                return usage_error("--format needs one of prometheus, openmetrics, json, "
                                   "cloudwatch%s", "");
            }
        } else if (strncmp(arg, "--format=", 9) == 0 && out->cmd == HW_CMD_ONCE) {
            if (parse_format(arg + 9, &out->format) != 0) {
                return usage_error("unknown format '%s'", arg + 9);
            }
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            out->cmd = HW_CMD_HELP;
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    return 0;
}
