output "function_names" {
  description = "The four functions, by role: alarm, scheduler, budget, spot."
  value       = { for f, fn in aws_lambda_function.this : f => fn.function_name }
}

output "function_arns" {
  description = "ARNs of the four functions."
  value       = { for f, fn in aws_lambda_function.this : f => fn.arn }
}

output "role_arns" {
  description = "The functions' IAM roles."
  value       = { for f, r in aws_iam_role.function : f => r.arn }
}

output "log_groups" {
  description = "Log group of each function (watch the first scheduler run here)."
  value       = { for f, g in aws_cloudwatch_log_group.function : f => g.name }
}

output "alarm_names" {
  description = "The alarms generated from the policy's metric rules."
  value       = sort(keys(aws_cloudwatch_metric_alarm.rule))
}

output "named_alarms" {
  description = "Alarms the policy names; looked up, not managed by this module."
  value       = sort(tolist(local.named_alarms))
}

output "alarms_not_created" {
  description = "Metric rules of tag-selected resources: no per-resource alarm can be generated for them (the scheduler evaluates them from metrics)."
  value       = local.tag_selected_rules
}

output "budgets" {
  description = "AWS Budgets created, by period."
  value       = { for p, b in aws_budgets_budget.period : p => b.name }
}

output "budgets_not_created" {
  description = "Budget limits AWS Budgets has no period for (weekly): checked by the budget function alone."
  value       = try(local.policy.budgets.weekly_usd, null) == null ? [] : ["weekly_usd"]
}

output "schedule_names" {
  description = "EventBridge Scheduler schedules of the scheduler and budget functions."
  value       = { for f, s in aws_scheduler_schedule.function : f => s.name }
}

output "spot_event_rule" {
  description = "EventBridge rule (default bus) sending EC2 spot interruption warnings and rebalance recommendations to the spot function."
  value       = aws_cloudwatch_event_rule.spot_warnings.name
}

output "ledger_table" {
  description = "The DynamoDB ledger table."
  value       = aws_dynamodb_table.ledger.name
}

output "policy_object" {
  description = "Where the functions read the policy: s3://bucket/key."
  value       = "s3://${aws_s3_bucket.policy.id}/${aws_s3_object.policy.key}"
}

output "notices_topic_arn" {
  description = "SNS topic of operator notices: subscribe your on-call address or chat integration."
  value       = aws_sns_topic.notices.arn
}

output "budget_alerts_topic_arn" {
  description = "SNS topic AWS Budgets notifies; the budget function is subscribed."
  value       = aws_sns_topic.budget_alerts.arn
}

output "failure_queue_url" {
  description = "SQS queue that receives events the functions or schedules failed to handle."
  value       = aws_sqs_queue.failures.url
}

output "kms_key_arn" {
  description = "The module's KMS key."
  value       = aws_kms_key.this.arn
}

output "dashboard_url" {
  description = "The operator's CloudWatch dashboard (actions per function, decision time, failure queue)."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.this.dashboard_name}"
}

output "operator_alarms" {
  description = "Alarms to the notices topic: the failure queue is not empty, a function's ActionsFailed > 0."
  value       = concat([aws_cloudwatch_metric_alarm.failure_queue.alarm_name], [for a in aws_cloudwatch_metric_alarm.actions_failed : a.alarm_name])
}
