# Two KMS-encrypted topics: operator notices (the functions publish; operators
# subscribe) and budget alerts (AWS Budgets publishes; the budget function
# is subscribed).

resource "aws_sns_topic" "notices" {
  name              = "${var.name}-notices"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = var.tags
}

resource "aws_sns_topic" "budget_alerts" {
  name              = "${var.name}-budget-alerts"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = var.tags
}

data "aws_iam_policy_document" "budget_alerts" {
  statement {
    sid       = "AwsBudgetsPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.budget_alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:budgets::${local.account_id}:*"]
    }
  }
}

resource "aws_sns_topic_policy" "budget_alerts" {
  arn    = aws_sns_topic.budget_alerts.arn
  policy = data.aws_iam_policy_document.budget_alerts.json
}

resource "aws_sns_topic_subscription" "budget_function" {
  topic_arn = aws_sns_topic.budget_alerts.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.this["budget"].arn
}

resource "aws_lambda_permission" "budget_alerts" {
  statement_id  = "sns-budget-alerts"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["budget"].function_name
  principal     = "sns.amazonaws.com"
  source_arn    = aws_sns_topic.budget_alerts.arn
}
