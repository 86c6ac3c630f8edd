# One AWS Budgets cost budget per period the policy limits (daily, monthly;
# see main.tf for weekly), notifying the budget-alerts topic at the
# policy's warn and emergency thresholds. AWS Budgets updates a few times a
# day: the budget function's hourly run (schedules.tf) is the fast path.

resource "aws_budgets_budget" "period" {
  for_each = local.budget_limits

  account_id   = local.account_id
  name         = "${var.name}-${lower(each.key)}"
  budget_type  = "COST"
  limit_amount = format("%.2f", each.value)
  limit_unit   = "USD"
  time_unit    = each.key
  tags         = var.tags

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = local.budget_warn_percent
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_sns_topic_arns  = [aws_sns_topic.budget_alerts.arn]
    subscriber_email_addresses = var.budget_notification_emails
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = local.budget_emergency_percent
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_sns_topic_arns  = [aws_sns_topic.budget_alerts.arn]
    subscriber_email_addresses = var.budget_notification_emails
  }

  # AWS Budgets takes no forecasted alerts on a DAILY budget (CreateBudget
  # refuses them): the forecast warning is for the longer periods only.
  dynamic "notification" {
    for_each = each.key == "DAILY" ? [] : [1]
    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = local.budget_emergency_percent
      threshold_type             = "PERCENTAGE"
      notification_type          = "FORECASTED"
      subscriber_sns_topic_arns  = [aws_sns_topic.budget_alerts.arn]
      subscriber_email_addresses = var.budget_notification_emails
    }
  }

  depends_on = [aws_sns_topic_policy.budget_alerts]
}
