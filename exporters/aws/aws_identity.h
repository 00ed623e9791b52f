/* Who and where this agent runs, for the AWS exporters: the region chain and the ${aws:...},
 * ${ecs:...} and ${ENV} placeholders of dimension values (IMDS, the ECS task metadata). */
#ifndef HW_AWS_IDENTITY_H
#define HW_AWS_IDENTITY_H

#include <stddef.h>

#include "exporters/net/http_client.h"

/* Region: `configured` unless "auto"/empty, else AWS_REGION, AWS_DEFAULT_REGION, the profile's
 * region, IMDS. 0 or -1. */
int aws_region_resolve(struct hw_http *http, const char *configured, char *out, size_t len);

/* ${aws:InstanceId}, ${aws:Region}, ${aws:AutoScalingGroupName}, ${aws:ImageId},
 * ${aws:InstanceType}, ${ecs:FIELD} (a field of the ECS task document: TaskArn, Cluster,
 * ClusterName, TaskDefinitionFamily, TaskId, ServiceName, AvailabilityZone, ...) and ${ENV_VAR}
 * in s, expanded into out.
 * An unknown value expands to "" (the dimension is then skipped). 0, or -1 when out is short. */
int aws_expand(struct hw_http *http, const char *region, const char *s, char *out, size_t len);

#endif
