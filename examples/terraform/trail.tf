# Optional: a CloudTrail trail. EventBridge receives "AWS API Call via CloudTrail" events (the
# RunTask calls ecs-rerun watches) only while some trail logs management events in the region.

resource "aws_s3_bucket" "trail" {
  count = var.create_trail ? 1 : 0

  bucket_prefix = "${var.name}-trail-"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "trail" {
  count = var.create_trail ? 1 : 0

  bucket                  = aws_s3_bucket.trail[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "trail_bucket" {
  count = var.create_trail ? 1 : 0

  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.trail[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }

  statement {
    sid       = "CloudTrailWrite"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.trail[0].arn}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }
}

resource "aws_s3_bucket_policy" "trail" {
  count = var.create_trail ? 1 : 0

  bucket = aws_s3_bucket.trail[0].id
  policy = data.aws_iam_policy_document.trail_bucket[0].json
}

resource "aws_cloudtrail" "management" {
  count = var.create_trail ? 1 : 0

  name                          = var.name
  s3_bucket_name                = aws_s3_bucket.trail[0].id
  include_global_service_events = false
  is_multi_region_trail         = false

  depends_on = [aws_s3_bucket_policy.trail]
}
