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
