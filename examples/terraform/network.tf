# A small VPC with two public subnets and no NAT gateway: the container instance gets a public IP
# and reaches the ECS, ECR Public, CloudWatch Logs and SSM endpoints through the internet gateway.

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "demo" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = var.name
  }
}

resource "aws_internet_gateway" "demo" {
  vpc_id = aws_vpc.demo.id

  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "public" {
  count = 2

  vpc_id                  = aws_vpc.demo.id
  availability_zone       = data.aws_availability_zones.available.names[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, count.index)
  map_public_ip_on_launch = true

  tags = {
    Name = "${var.name}-public-${count.index}"
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.demo.id

  tags = {
    Name = "${var.name}-public"
  }
}

resource "aws_route" "internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.demo.id
}

resource "aws_route_table_association" "public" {
  count = length(aws_subnet.public)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# The container instances' security group: nothing comes in, everything may go out.
resource "aws_security_group" "instances" {
  name        = "${var.name}-instances"
  description = "ECS container instances of the ecs-rerun demo: no ingress, all egress"
  vpc_id      = aws_vpc.demo.id

  tags = {
    Name = "${var.name}-instances"
  }
}

# The reference forgot this rule. A security group created by Terraform has NO egress at all
# (unlike one made in the console), so the ECS agent can never reach the ECS endpoint, the
# instance never registers (or shows agentConnected=false), and every RunTask fails.
resource "aws_vpc_security_group_egress_rule" "instances_all_ipv4" {
  security_group_id = aws_security_group.instances.id
  description       = "ECS agent, image pulls, CloudWatch Logs and SSM over HTTPS"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
