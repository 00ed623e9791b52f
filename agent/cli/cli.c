#include "cli.h"

#include <stddef.h>
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
          "  hostwatch status [-c FILE] [--watch [SECONDS]] [--json] [--ca FILE]\n"
          "  hostwatch once -c FILE [--format prometheus|openmetrics|json|cloudwatch|route53]\n"
          "                                    one collection, printed\n"
          "  hostwatch test-filter -c FILE [--filter NAME] LOGFILE...\n"
          "  hostwatch test-filter --regex RE | --pattern PATTERN [--value V] LOGFILE...\n"
          "                                    show what filters match; exit 0 on a match,\n"
          "                                    1 on none, 2 on error\n"
          "  hostwatch health [-c FILE]        exit 0 when the running agent's health rules hold\n"
          "  hostwatch hash-password [--method bcrypt|sha256|sha512]\n"
          "                                    hash a password read from standard input for\n"
          "                                    exporters.prometheus.basic_auth.users\n"
          "  hostwatch import cloudwatch-agent FILE [-o OUT]\n"
          "  hostwatch import metric-filters FILE --path LOGGROUP=GLOB... [-o OUT]\n"
          "                                    a CloudWatch agent config or CloudWatch Logs\n"
          "                                    metric filters as a hostwatch config\n"
          "  hostwatch check --cost [-c FILE] [--prices FILE] [--format table|json]\n"
          "                                    custom metrics, requests and cost per month\n"
          "  hostwatch --version | --help | --help-config [--format text|json-schema]\n"
          "\n"
          "The config defaults to $HOSTWATCH_CONFIG, else " HW_SYSCONFDIR
          "/hostwatch/hostwatch.json.\n"
          "See hostwatch(1) for the configuration keys.\n",
          f);
}

static int parse_format(const char *s, const char **out)
{
    if (!s || !hw_once_format_known(s)) {
        return -1;
    }
    *out = s;
    return 0;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "hostwatch: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'hostwatch --help'.\n");
    return -1;
}

static int format_error(void)
{
    char names[512];
    hw_once_formats(names, sizeof(names));
    return usage_error("--format needs one of %s", names);
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
                {"hash-password", HW_CMD_HASH_PASSWORD},
                {"import", HW_CMD_IMPORT},
                {"status", HW_CMD_STATUS},
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

/* test-filter: -c FILE [--filter NAME] | --regex RE | --pattern P [--value V], then files. */
static int parse_test_filter(int argc, char **argv, int i, struct hw_cli *out)
{
    static const struct {
        const char *flag;
        size_t off;
    } opts[] = {{"-c", offsetof(struct hw_cli, config)},
                {"--config", offsetof(struct hw_cli, config)},
                {"--filter", offsetof(struct hw_cli, tf_filter)},
                {"--regex", offsetof(struct hw_cli, tf_regex)},
                {"--pattern", offsetof(struct hw_cli, tf_pattern)},
                {"--value", offsetof(struct hw_cli, tf_value)}};
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        size_t k = 0;
        while (k < sizeof(opts) / sizeof(opts[0]) && strcmp(argv[i], opts[k].flag) != 0) {
            k++;
        }
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (k == sizeof(opts) / sizeof(opts[0])) {
            return usage_error("test-filter: unknown option '%s'", argv[i]);
        }
        if (i + 1 >= argc) {
            return usage_error("%s needs a value", argv[i]);
        }
        *(const char **)(void *)((char *)out + opts[k].off) = argv[++i];
        out->config_given |= k < 2;
    }
    out->tf_files = argv + i;
    out->tf_nfiles = (size_t)(argc - i);
    if (out->tf_regex && out->tf_pattern) {
        return usage_error("test-filter: --regex and --pattern exclude each other%s", "");
    }
    if ((out->tf_regex || out->tf_pattern) && (out->config_given || out->tf_filter)) {
        return usage_error("test-filter: --regex/--pattern do not go with -c/--filter%s", "");
    }
    if (!out->tf_regex && !out->tf_pattern && !out->config_given) {
        return usage_error("test-filter needs -c FILE, --regex RE or --pattern PATTERN%s", "");
    }
    if (out->tf_nfiles == 0) {
        return usage_error("test-filter needs at least one LOGFILE%s", "");
    }
    return 0;
}

/* check's --cost, --prices FILE, --format table|json; 1 when argv[*i] was one of them, with *i
 * set to -1 on a usage error. */
static int parse_check_cost(int argc, char **argv, int *i, struct hw_cli *out)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--cost") == 0) {
        out->cost = 1;
        return 1;
    }
    if (strcmp(arg, "--prices") != 0 && strcmp(arg, "--format") != 0) {
        return 0;
    }
    if (*i + 1 >= argc) {
        usage_error("%s needs a value", arg);
        *i = -1;
        return 1;
    }
    const char *v = argv[++*i];
    if (arg[2] == 'p') {
        out->prices = v;
    } else if (strcmp(v, "json") == 0 || strcmp(v, "table") == 0) {
        out->cost_json = v[0] == 'j';
    } else {
        usage_error("check --format needs table or json, not '%s'", v);
        *i = -1;
    }
    return 1;
}

/* --help-config's --format text|json-schema (also --format=...); 1 when argv[*i] was it, with *i
 * set to -1 on a usage error. */
static int parse_help_format(int argc, char **argv, int *i, struct hw_cli *out)
{
    const char *arg = argv[*i], *v;
    if (strncmp(arg, "--format=", 9) == 0) {
        v = arg + 9;
    } else if (strcmp(arg, "--format") != 0) {
        return 0;
    } else if (*i + 1 < argc) {
        v = argv[++*i];
    } else {
        usage_error("--help-config --format needs text or json-schema%s", "");
        *i = -1;
        return 1;
    }
    if (strcmp(v, "text") == 0 || strcmp(v, "json-schema") == 0) {
        out->help_schema = v[0] == 'j';
        return 1;
    }
    usage_error("--help-config --format needs text or json-schema, not '%s'", v);
    *i = -1;
    return 1;
}

/* status's --json, --watch [SECONDS] (1..3600, default 2) and --ca FILE; 1 when argv[*i]
 * was one of them (*i -1 after a usage error). */
static int parse_status_opt(int argc, char **argv, int *i, struct hw_cli *out)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--json") == 0) {
        out->status_json = 1;
    } else if (strcmp(arg, "--watch") == 0) {
        out->status_watch = 2;
        if (*i + 1 < argc && argv[*i + 1][0] != '-') {
            char *end;
            long v = strtol(argv[++*i], &end, 10);
            if (*end || v < 1 || v > 3600) {
                usage_error("--watch takes seconds, 1 to 3600, not '%s'", argv[*i]);
                *i = -1;
                return 1;
            }
            out->status_watch = (int)v;
        }
    } else if (strcmp(arg, "--ca") == 0) {
        if (*i + 1 >= argc) {
            usage_error("--ca needs a FILE%s", "");
            *i = -1;
            return 1;
        }
        out->status_ca = argv[++*i];
    } else {
        return 0;
    }
    return 1;
}

int hw_cli_parse(int argc, char **argv, struct hw_cli *out)
{
    memset(out, 0, sizeof(*out));
    out->cmd = HW_CMD_RUN;
    out->format = "prometheus";
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
        return parse_test_filter(argc, argv, i, out);
    }
    if (out->cmd == HW_CMD_IMPORT) {
        out->sub_argv = argv + i;
        out->sub_argc = argc - i;
        return 0;
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) {
            if (++i >= argc) {
                return usage_error("%s needs a FILE", arg);
            }
            out->config = argv[i];
            out->config_given = 1;
        } else if (strncmp(arg, "--config=", 9) == 0) {
            out->config_given = 1;
            out->config = arg + 9;
        } else if (strcmp(arg, "--format") == 0 && out->cmd == HW_CMD_ONCE) {
            if (++i >= argc || parse_format(argv[i], &out->format) != 0) {
                return format_error();
            }
        } else if (strncmp(arg, "--format=", 9) == 0 && out->cmd == HW_CMD_ONCE) {
            if (parse_format(arg + 9, &out->format) != 0) {
                return usage_error("unknown format '%s'", arg + 9);
            }
        } else if (out->cmd == HW_CMD_CHECK && parse_check_cost(argc, argv, &i, out) != 0) {
            if (i < 0) {
                return -1;
            }
        } else if (out->cmd == HW_CMD_HELP_CONFIG && parse_help_format(argc, argv, &i, out) != 0) {
            if (i < 0) {
                return -1;
            }
        } else if (out->cmd == HW_CMD_STATUS && parse_status_opt(argc, argv, &i, out) != 0) {
            if (i < 0) {
                return -1;
            }
        } else if (strcmp(arg, "--method") == 0 && out->cmd == HW_CMD_HASH_PASSWORD) {
            if (++i >= argc) {
                return usage_error("--method needs bcrypt, sha256 or sha512%s", "");
            }
            out->hash_method = argv[i];
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            out->cmd = HW_CMD_HELP;
        } else {
            return usage_error("unexpected argument '%s'", arg);
        }
    }
    return 0;
}
