# One role per function. Two policies each:
# - code: exactly the AWS operations the function's code calls, from the
#   in-tree documents terraform/iam/<function>.json (a Rust test and a
#   Python test check them against src/lambda/permissions.rs and the SDK
#   calls under src/aws/). Mutations are limited to resources tagged
#   tidegate:managed=true, or by ARN where a tag cannot apply.
# - platform: what Lambda does with the role for the function (logs,
#   traces, the failure queue, the module's KMS key), on this module's
#   resources only.

locals {
  iam_dir = "${path.module}/../../iam"
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = "${var.name}-${each.key}"
  description        = "tidegate ${each.key} function"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "code" {
  for_each = local.functions

  name   = "code"
  role   = aws_iam_role.function[each.key].id
  policy = file("${local.iam_dir}/${each.key}.json")
}

data "aws_iam_policy_document" "platform" {
  for_each = local.functions

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }
  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
  statement {
    sid       = "FailureDestination"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
  }
  statement {
    sid       = "ModuleKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "platform" {
  for_each = local.functions

  name   = "platform"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.platform[each.key].json
}

# A managed group's launch template usually names an instance profile: AWS
# then checks iam:PassRole on its role when tidegate updates the group's
# MixedInstancesPolicy or starts an instance refresh (the template is part of
# both calls). Only the roles listed, only to EC2.
data "aws_iam_policy_document" "launch_roles" {
  count = length(var.instance_role_arns) > 0 ? 1 : 0

  statement {
    sid       = "PassManagedGroupsInstanceRoles"
    actions   = ["iam:PassRole"]
    resources = var.instance_role_arns
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "launch_roles" {
  for_each = length(var.instance_role_arns) > 0 ? local.functions : toset([])

  name   = "launch-roles"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.launch_roles[0].json
}
