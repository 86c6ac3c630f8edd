# EC2 spot interruption warnings and rebalance recommendations reach the
# spot function through an EventBridge rule on the default bus (where EC2
# sends its events). The events name the instance, not its Auto Scaling
# group, so the rule takes every warning in the account and Region: the
# function maps the instance to its group and ignores groups the policy
# does not manage. Lowering the on-demand share again is the scheduler's
# job (level-triggered), so the spot function has no schedule.

resource "aws_cloudwatch_event_rule" "spot_warnings" {
  name        = "${var.name}-spot-warnings"
  description = "EC2 spot interruption warnings and rebalance recommendations, to the spot function."
  tags        = var.tags
  event_pattern = jsonencode({
    source = ["aws.ec2"]
    detail-type = [
      "EC2 Spot Instance Interruption Warning",
      "EC2 Instance Rebalance Recommendation",
    ]
  })
}

resource "aws_cloudwatch_event_target" "spot_warnings" {
  rule = aws_cloudwatch_event_rule.spot_warnings.name
  arn  = aws_lambda_function.this["spot"].arn

  retry_policy {
    maximum_retry_attempts       = 4
    maximum_event_age_in_seconds = 900
  }
  dead_letter_config {
    arn = aws_sqs_queue.failures.arn
  }
}

resource "aws_lambda_permission" "spot_warnings" {
  statement_id  = "eventbridge-spot-warnings"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["spot"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.spot_warnings.arn
}
