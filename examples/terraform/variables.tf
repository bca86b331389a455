variable "region" {
  description = "Region to deploy the demo in (the ecs-rerun stack must be in the same region)."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name prefix of every resource (cluster, task family, schedule, ...)."
  type        = string
  default     = "ecs-rerun-demo"
}

variable "vpc_cidr" {
  description = "CIDR block of the demo VPC (two public /24 subnets are carved from it)."
  type        = string
  default     = "10.42.0.0/16"
}

variable "architecture" {
  description = "CPU architecture of the container instance: arm64 (Graviton) or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "instance_type" {
  description = "Container instance type; must match architecture (t4g.* for arm64, t3.* for x86_64)."
  type        = string
  default     = "t4g.micro"
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression that runs the one-shot task."
  type        = string
  default     = "rate(15 minutes)"
}

variable "schedule_launch" {
  description = "How the schedule launches the task: launch-type (launchType EC2, as in the reference) or capacity-provider (the cluster's capacity provider strategy)."
  type        = string
  default     = "launch-type"

  validation {
    condition     = contains(["launch-type", "capacity-provider"], var.schedule_launch)
    error_message = "schedule_launch must be launch-type or capacity-provider."
  }
}

variable "create_trail" {
  description = "Create a CloudTrail trail (and its S3 bucket). EventBridge gets \"AWS API Call via CloudTrail\" events only while a trail logs management events; leave false if the account already has one."
  type        = bool
  default     = false
}
