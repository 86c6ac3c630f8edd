# EventBridge Scheduler: the scheduler function every five minutes
# (level-triggered: each run converges to the profile in force now, so the
# policy's cron transitions need no schedule of their own), and the budget
# function hourly.

locals {
  schedule_rates = {
    scheduler = var.scheduler_rate
    budget    = var.budget_rate
  }
}

data "aws_iam_policy_document" "assume_scheduler" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-schedules"
  description        = "EventBridge Scheduler invokes the tidegate scheduler and budget functions"
  assume_role_policy = data.aws_iam_policy_document.assume_scheduler.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeScheduledFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = [for f in keys(local.schedule_rates) : aws_lambda_function.this[f].arn]
  }
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]
  }
  statement {
    sid       = "ModuleKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "invoke"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule_group" "this" {
  name = var.name
  tags = var.tags
}

resource "aws_scheduler_schedule" "function" {
  for_each = local.schedule_rates

  name                = "${var.name}-${each.key}"
  group_name          = aws_scheduler_schedule_group.this.name
  description         = "tidegate ${each.key} function, ${each.value}"
  schedule_expression = each.value
  kms_key_arn         = aws_kms_key.this.arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.this[each.key].arn
    role_arn = aws_iam_role.scheduler.arn
    # Shaped as an EventBridge scheduled event whose id is the execution
    # id, so a retried delivery of the same run is recognised
    # (src/lambda/events.rs, scheduled_id).
    input = jsonencode({
      version       = "0"
      id            = "<aws.scheduler.execution-id>"
      "detail-type" = "Scheduled Event"
      source        = "aws.scheduler"
      account       = local.account_id
      time          = "<aws.scheduler.scheduled-time>"
      region        = local.region
      resources     = ["<aws.scheduler.schedule-arn>"]
      detail        = {}
    })

    retry_policy {
      maximum_retry_attempts       = 0
      maximum_event_age_in_seconds = 300
    }
    dead_letter_config {
      arn = aws_sqs_queue.failures.arn
    }
  }
}
