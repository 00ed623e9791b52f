output "health_check_ids" {
  description = "Route 53 health check of each database"
  value       = { for k, hc in aws_route53_health_check.primary : k => hc.id }
}

output "alarm_arns" {
  description = "CloudWatch alarm of each database"
  value       = { for k, a in aws_cloudwatch_metric_alarm.not_primary : k => a.arn }
}
