/* Command-line parsing (SPEC §3). */
#ifndef HW_CLI_H
#define HW_CLI_H

#include "once.h"

enum hw_cmd { HW_CMD_RUN, HW_CMD_CHECK, HW_CMD_ONCE, HW_CMD_TEST_FILTER, HW_CMD_HEALTH,
              HW_CMD_VERSION, HW_CMD_HELP, HW_CMD_HELP_CONFIG, HW_CMD_HASH_PASSWORD,
              HW_CMD_IMPORT, HW_CMD_STATUS };

struct hw_cli {
    enum hw_cmd cmd;
    const char *config; /* -c, else $HOSTWATCH_CONFIG, else the default path */
    const char *format; /* once --format (default prometheus) */
    int config_given;       /* -c appeared */
    const char *tf_filter;  /* test-filter --filter NAME */
    const char *tf_regex;   /* test-filter --regex RE */
    const char *tf_pattern; /* test-filter --pattern P */
    const char *tf_value;   /* test-filter --value V */
    char **tf_files;        /* test-filter LOGFILE... */
    size_t tf_nfiles;
    const char *hash_method; /* hash-password --method */
    int cost;                /* check --cost */
    const char *prices;      /* check --cost --prices FILE */
    int cost_json;           /* check --cost --format json */
    int help_schema;         /* --help-config --format json-schema */
    char **sub_argv;         /* import: the arguments after the command */
    int sub_argc;
    int status_json;        /* status --json */
    int status_watch;       /* status --watch [SECONDS]: 0 once */
    const char *status_ca;  /* status --ca FILE */
};

/* Parses argv; on a usage error prints it and returns -1 (exit 2). */
int hw_cli_parse(int argc, char **argv, struct hw_cli *out);
void hw_cli_usage(FILE *f);

#endif
