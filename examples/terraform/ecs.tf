# One EC2 container instance in an autoscaling group, registered with the cluster through a
# capacity provider; ECS-optimized Amazon Linux 2023 AMI from the public SSM parameter.

locals {
  ami_parameter = var.architecture == "arm64" ? "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id" : "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
}

data "aws_ssm_parameter" "ecs_ami" {
  name = local.ami_parameter
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name_prefix        = "${var.name}-instance-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

# The ECS agent's permissions (register, poll, logs) ...
resource "aws_iam_role_policy_attachment" "instance_ecs" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
}

# ... and SSM, to stop/start the agent without SSH (see README: provoking an AGENT failure).
resource "aws_iam_role_policy_attachment" "instance_ssm" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "instance" {
  name_prefix = "${var.name}-instance-"
  role        = aws_iam_role.instance.name
}

resource "aws_launch_template" "instance" {
  name_prefix            = "${var.name}-"
  image_id               = data.aws_ssm_parameter.ecs_ami.insecure_value
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.instances.id]
  update_default_version = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  user_data = base64encode(<<-EOT
    #!/bin/bash
    cat >>/etc/ecs/ecs.config <<CONFIG
    ECS_CLUSTER=${var.name}
    ECS_ENABLE_CONTAINER_METADATA=true
    CONFIG
  EOT
  )

  tag_specifications {
    resource_type = "instance"

    tags = {
      Name = "${var.name}-container-instance"
    }
  }
}

resource "aws_autoscaling_group" "instances" {
  name_prefix         = "${var.name}-"
  min_size            = 1
  max_size            = 1
  desired_capacity    = 1
  vpc_zone_identifier = aws_subnet.public[*].id

  launch_template {
    id      = aws_launch_template.instance.id
    version = "$Latest"
  }

  # ECS manages this group through the capacity provider.
  tag {
    key                 = "AmazonECSManaged"
    value               = "true"
    propagate_at_launch = true
  }

  lifecycle {
    ignore_changes = [desired_capacity]
  }

  # The instance registers with the cluster, and on destroy is terminated before the cluster goes
  # (a cluster with registered container instances cannot be deleted).
  depends_on = [aws_ecs_cluster.demo]
}

resource "aws_ecs_cluster" "demo" {
  name = var.name
}

resource "aws_ecs_capacity_provider" "instances" {
  name = var.name

  auto_scaling_group_provider {
    auto_scaling_group_arn         = aws_autoscaling_group.instances.arn
    managed_termination_protection = "DISABLED"

    managed_scaling {
      status          = "ENABLED"
      target_capacity = 100
    }
  }
}

resource "aws_ecs_cluster_capacity_providers" "demo" {
  cluster_name       = aws_ecs_cluster.demo.name
  capacity_providers = [aws_ecs_capacity_provider.instances.name]

  default_capacity_provider_strategy {
    capacity_provider = aws_ecs_capacity_provider.instances.name
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "task" {
  name              = "/ecs/${var.name}"
  retention_in_days = 7
}

# The one-shot "nightly batch": prints a line and exits 0. Image from ECR Public (no login, no
# execution role); logs go through the instance role.
resource "aws_ecs_task_definition" "batch" {
  family                   = "${var.name}-batch"
  requires_compatibilities = ["EC2"]
  network_mode             = "bridge"

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.architecture == "arm64" ? "ARM64" : "X86_64"
  }

  container_definitions = jsonencode([
    {
      name      = "batch"
      image     = "public.ecr.aws/docker/library/busybox:stable"
      essential = true
      memory    = 64
      command   = ["sh", "-c", "echo \"ecs-rerun demo batch ran at $(date -u +%FT%TZ) on $(hostname)\""]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.task.name
          awslogs-region        = var.region
          awslogs-stream-prefix = "batch"
        }
      }
    }
  ])
}
