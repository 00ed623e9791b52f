/* `hostwatch health`: exit 0 when the running agent's health rules hold (ECS healthCheck). */
#ifndef HW_HEALTHCMD_H
#define HW_HEALTHCMD_H

#include <stdio.h>

/* Asks the running agent's /healthz (the Prometheus listener of the config); without a
 * listener, evaluates the rules on one collection. Returns the exit code: 0, 1, or 2 on a
 * configuration error. */
int hw_health_command(const char *config_path, FILE *out);

#endif
