# EventBridge Scheduler runs the batch: RunTask on the cluster, the way the reference's nightly job
# was started. A RunTask answered with failures (e.g. AGENT) is what ecs-rerun notices.

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_caller_identity" "current" {}

resource "aws_iam_role" "scheduler" {
  name_prefix        = "${var.name}-scheduler-"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "scheduler_run_task" {
  statement {
    sid       = "RunTheBatchOnTheDemoCluster"
    actions   = ["ecs:RunTask"]
    resources = ["${aws_ecs_task_definition.batch.arn_without_revision}:*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.demo.arn]
    }
  }

  statement {
    sid       = "TagTheTasks"
    actions   = ["ecs:TagResource"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }
}

resource "aws_iam_role_policy" "scheduler_run_task" {
  name   = "run-task"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler_run_task.json
}

resource "aws_scheduler_schedule" "batch" {
  name                = "${var.name}-batch"
  schedule_expression = var.schedule_expression

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.demo.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.batch.arn
      task_count          = 1
      launch_type         = var.schedule_launch == "launch-type" ? "EC2" : null

      dynamic "capacity_provider_strategy" {
        for_each = var.schedule_launch == "capacity-provider" ? [aws_ecs_capacity_provider.instances.name] : []

        content {
          capacity_provider = capacity_provider_strategy.value
          weight            = 1
        }
      }
    }

    retry_policy {
      maximum_retry_attempts = 0
    }
  }

  depends_on = [aws_ecs_cluster_capacity_providers.demo]
}
