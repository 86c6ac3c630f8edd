# The four functions: provided.al2023 on var.architecture (arm64 by default), from the cargo-lambda zips.

locals {
  environment = {
    TIDEGATE_POLICY_BUCKET  = aws_s3_bucket.policy.id
    TIDEGATE_POLICY_KEY     = aws_s3_object.policy.key
    TIDEGATE_LEDGER_TABLE   = aws_dynamodb_table.ledger.name
    TIDEGATE_TOPIC_ARN      = aws_sns_topic.notices.arn
    TIDEGATE_RETENTION_DAYS = tostring(var.ledger_retention_days)
    TIDEGATE_PRICING_REGION = var.pricing_region
    # Not read by the code: changes with every new policy upload so warm
    # environments are replaced and the next run reads the new file.
    TIDEGATE_POLICY_VERSION = coalesce(aws_s3_object.policy.version_id, aws_s3_object.policy.etag)
  }
  # The scheduler and the budget function each converge the whole estate:
  # one at a time. The alarm function runs one invocation per alarm, the
  # spot function one per EC2 spot warning.
  concurrency = {
    alarm     = var.alarm_concurrency
    scheduler = 1
    budget    = 1
    spot      = var.spot_concurrency
  }
  timeouts = {
    alarm     = 900
    scheduler = 900
    budget    = 900
    spot      = 900
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  for_each = local.functions
  # checkov:skip=CKV_AWS_117: tidegate only calls AWS APIs (no private endpoints); a VPC would need nine interface endpoints or a NAT for no gain.
  # checkov:skip=CKV_AWS_272: the zips come from cargo-lambda in CI; AWS Signer code signing is left to operators who sign their artifacts.
  # checkov:skip=CKV_AWS_116: failures go to the encrypted SQS queue through the on-failure destination (aws_lambda_function_event_invoke_config.this), which records the error as well as the event; a DLQ beside it would duplicate each failure.

  function_name                  = "${var.name}-${each.key}"
  description                    = "tidegate ${each.key} function"
  role                           = aws_iam_role.function[each.key].arn
  runtime                        = "provided.al2023"
  architectures                  = [var.architecture]
  handler                        = "bootstrap"
  filename                       = var.artifacts[each.key]
  source_code_hash               = filebase64sha256(var.artifacts[each.key])
  memory_size                    = 256
  timeout                        = local.timeouts[each.key]
  reserved_concurrent_executions = local.concurrency[each.key]
  kms_key_arn                    = aws_kms_key.this.arn
  tags                           = var.tags

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  depends_on = [aws_iam_role_policy.platform]
}

# Asynchronous invocations (alarm actions, EventBridge, SNS, schedules):
# two retries, then the event and its error go to the failure queue.
resource "aws_lambda_function_event_invoke_config" "this" {
  for_each = local.functions

  function_name                = aws_lambda_function.this[each.key].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}

resource "aws_sqs_queue" "failures" {
  name                      = "${var.name}-failures"
  kms_master_key_id         = aws_kms_key.this.arn
  message_retention_seconds = 1209600
  tags                      = var.tags
}

data "aws_iam_policy_document" "failures" {
  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "failures" {
  queue_url = aws_sqs_queue.failures.id
  policy    = data.aws_iam_policy_document.failures.json
}
