/* `hostwatch status`: the running agent's status document (GET /status) as a terminal view. */
#ifndef HW_STATUSCMD_H
#define HW_STATUSCMD_H

#include <stddef.h>
#include <stdio.h>

/* Asks the agent of config_path (its Prometheus listener) for /status and prints it: the view,
 * or with json the document itself; with watch_s > 0 again every watch_s seconds until SIGINT
 * or SIGTERM. Credentials from HOSTWATCH_STATUS_USER and HOSTWATCH_STATUS_PASSWORD; ca_file
 * (or HOSTWATCH_STATUS_CA) makes HTTPS verify the certificate. The exit code: 0, 1 when the
 * agent cannot be asked (said in one line), 2 for a configuration error. */
int hw_status_command(const char *config_path, int json, int watch_s, const char *ca_file,
                      FILE *out);

/* The terminal view of a status document; 0, or -1 when the text is not one. */
int hw_status_render(const char *text, size_t len, FILE *out);

#endif
