output "cluster_name" {
  description = "The demo cluster."
  value       = aws_ecs_cluster.demo.name
}

output "task_definition" {
  description = "The one-shot batch task definition (family:revision)."
  value       = "${aws_ecs_task_definition.batch.family}:${aws_ecs_task_definition.batch.revision}"
}

output "schedule_name" {
  description = "The EventBridge Scheduler schedule running the batch."
  value       = aws_scheduler_schedule.batch.name
}

output "autoscaling_group_name" {
  description = "The container instances' autoscaling group (find the instance id with the command in the README)."
  value       = aws_autoscaling_group.instances.name
}

output "log_group" {
  description = "Where the batch writes its line."
  value       = aws_cloudwatch_log_group.task.name
}
