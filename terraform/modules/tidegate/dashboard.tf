# The operator's view: a dashboard from the EMF metrics the functions print
# after every run (src/lambda/emf.rs: namespace Tidegate, dimensions
# Function and Estate), and two alarms to the notices topic for what needs
# a person: events that went to the failure queue, and actions that failed.

locals {
  emf_namespace = "Tidegate"
  estate        = try(local.policy.estate, "")
  emf_metric = {
    for f in local.functions : f => {
      for m in ["ActionsApplied", "ActionsRefused", "ActionsFailed", "DecisionTime"] :
      m => [local.emf_namespace, m, "Function", f, "Estate", local.estate]
    }
  }
  dashboard_name = "${var.name}-operations"
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({
    widgets = concat(
      [
        for i, f in sort(tolist(local.functions)) : {
          type   = "metric"
          x      = (i % 2) * 12
          y      = floor(i / 2) * 6
          width  = 12
          height = 6
          properties = {
            title   = "${f}: actions per run (applied, refused, failed)"
            region  = local.region
            stat    = "Sum"
            period  = 300
            view    = "timeSeries"
            stacked = false
            metrics = [
              local.emf_metric[f]["ActionsApplied"],
              local.emf_metric[f]["ActionsRefused"],
              local.emf_metric[f]["ActionsFailed"],
            ]
          }
        }
      ],
      [
        {
          type   = "metric"
          x      = 0
          y      = 12
          width  = 12
          height = 6
          properties = {
            title   = "Decision time (ms, p99) per function"
            region  = local.region
            stat    = "p99"
            period  = 300
            view    = "timeSeries"
            metrics = [for f in sort(tolist(local.functions)) : local.emf_metric[f]["DecisionTime"]]
          }
        },
        {
          type   = "metric"
          x      = 12
          y      = 12
          width  = 12
          height = 6
          properties = {
            title   = "Failure queue depth"
            region  = local.region
            stat    = "Maximum"
            period  = 300
            view    = "timeSeries"
            metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.failures.name]]
          }
        },
      ],
    )
  })
}

# Anything on the failure queue is an event no function handled.
resource "aws_cloudwatch_metric_alarm" "failure_queue" {
  alarm_name          = "${var.name}-failure-queue-not-empty"
  alarm_description   = "tidegate: events reached ${aws_sqs_queue.failures.name} (a function failed twice on them); read the queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.failures.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.notices.arn]
  tags                = var.tags
}

# An action AWS refused or that errored, per function.
resource "aws_cloudwatch_metric_alarm" "actions_failed" {
  for_each = local.functions

  alarm_name          = "${var.name}-${each.key}-actions-failed"
  alarm_description   = "tidegate ${each.key}: an action failed; see the function's log and the ledger."
  namespace           = local.emf_namespace
  metric_name         = "ActionsFailed"
  dimensions          = { Function = each.key, Estate = local.estate }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.notices.arn]
  tags                = var.tags
}
