/* `hostwatch health`: exit 0 when the running agent's health rules hold (ECS healthCheck). */
#ifndef HW_HEALTHCMD_H
#define HW_HEALTHCMD_H

#include <stdio.h>

/* Asks the running agent's /healthz (the Prometheus listener of the config); without a
 * listener, evaluates the rules on one collection. Returns the exit code: 0, 1, or 2 on a
 * configuration error. */
int hw_health_command(const char *config_path, FILE *out);

struct hw_config;
/* The host:port the config's agent serves /healthz and /status on (NULL: none), *tls whether
 * it speaks HTTPS there. */
const char *hw_agent_listener(const struct hw_config *cfg, int *tls);
/* "http://127.0.0.1:9273/status" for a listener (a wildcard address means loopback). 0/-1. */
int hw_listener_url(const char *listen, int tls, const char *path, char *url, size_t len);

#endif
