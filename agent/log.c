#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The log threshold is process-wide configuration set once from agent.log_level; it is the
 * only file-scope variable outside the registry. */
static enum hw_log_level log_threshold = HW_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void hw_log_set_level(enum hw_log_level lvl)
{
    log_threshold = lvl;
}

enum hw_log_level hw_log_get_level(void)
{
    return log_threshold;
}

int hw_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void hw_log_write(enum hw_log_level lvl, const char *comp, const char *msg, const char *kvfmt, ...)
{
    char line[2048];
    size_t n = (size_t)snprintf(line, sizeof(line), "level=%s comp=%s msg=\"", level_names[lvl],
                                comp);
    for (const char *p = msg; *p && n < sizeof(line) - 4; p++) {
        if (*p == '"' || *p == '\\') {
            line[n++] = '\\';
        }
        line[n++] = (*p == '\n') ? ' ' : *p;
    }
    line[n++] = '"';
    line[n] = '\0';
    if (kvfmt && *kvfmt && n < sizeof(line) - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, kvfmt);
        vsnprintf(line + n, sizeof(line) - n, kvfmt, ap);
        va_end(ap);
    }
    /* One fputs per event keeps lines whole when several threads log. */
    strncat(line, "\n", sizeof(line) - strlen(line) - 1);
    fputs(line, stderr);
}
