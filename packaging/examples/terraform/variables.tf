variable "region" {
  description = "Region of the CloudWatch metric and alarms"
  type        = string
  default     = "eu-west-1"
}

variable "namespace" {
  description = "exporters.cloudwatch.namespace of the observer host's hostwatch"
  type        = string
  default     = "DataGuard"
}

variable "zone_id" {
  description = "Route 53 hosted zone of the record (a private zone works)"
  type        = string
}

variable "record_name" {
  description = "The name clients connect to, e.g. db.example.internal"
  type        = string
}

variable "ttl" {
  description = "TTL of the failover records: resolvers may keep the old answer this long"
  type        = number
  default     = 30
}

variable "databases" {
  description = "Each Data Guard database (its DB_UNIQUE_NAME, as in the metric's database label): host address and failover role of its record"
  type = map(object({
    address  = string
    failover = string
  }))
  default = {
    orclviq = { address = "10.0.1.21", failover = "PRIMARY" }
    orclstd = { address = "10.0.2.21", failover = "SECONDARY" }
  }

  validation {
    condition     = alltrue([for d in values(var.databases) : contains(["PRIMARY", "SECONDARY"], d.failover)])
    error_message = "failover must be PRIMARY or SECONDARY."
  }
}
