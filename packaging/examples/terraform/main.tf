# DNS failover to the Data Guard primary, path B of docs/fsfo-route53.md: hostwatch sends
# oracle_fsfo_is_primary{database} to CloudWatch; one alarm per database says "not primary";
# a CLOUDWATCH_METRIC health check follows each alarm; failover records answer with the
# database host whose health check is healthy.

terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

# Standard resolution (storage_resolution 60 in the exporter): Route 53 does not support
# high-resolution metrics for alarm health checks. A missing datum (a dead agent) breaches,
# so traffic never stays pinned to a stale primary.
resource "aws_cloudwatch_metric_alarm" "not_primary" {
  for_each = var.databases

  alarm_name          = "${each.key}-not-primary"
  alarm_description   = "hostwatch: ${each.key} is not the Data Guard primary (or no data)"
  namespace           = var.namespace
  metric_name         = "oracle_fsfo_is_primary"
  dimensions          = { database = each.key }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
}

resource "aws_route53_health_check" "primary" {
  for_each = var.databases

  type                            = "CLOUDWATCH_METRIC"
  cloudwatch_alarm_name           = aws_cloudwatch_metric_alarm.not_primary[each.key].alarm_name
  cloudwatch_alarm_region         = var.region
  insufficient_data_health_status = "Unhealthy"

  tags = {
    Name = "${each.key}-is-primary"
  }
}

resource "aws_route53_record" "db" {
  for_each = var.databases

  zone_id         = var.zone_id
  name            = var.record_name
  type            = "A"
  ttl             = var.ttl
  records         = [each.value.address]
  set_identifier  = each.key
  health_check_id = aws_route53_health_check.primary[each.key].id

  failover_routing_policy {
    type = each.value.failover
  }
}
