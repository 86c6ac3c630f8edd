# One customer-managed key for everything the module stores or sends:
# logs, the failure queue, both topics, the ledger, the policy bucket, the
# functions' environment and the schedules.

data "aws_iam_policy_document" "key" {
  # checkov:skip=CKV_AWS_109: the account root statement is the standard key-policy anchor that lets IAM policies grant use of the key; without it the key becomes unmanageable.
  # checkov:skip=CKV_AWS_111: same root statement; a key policy's Resource "*" means this key.
  # checkov:skip=CKV_AWS_356: in a key policy Resource "*" means this key only.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name}-*"]
    }
  }

  # AWS Budgets publishes to the encrypted budget topic, CloudWatch alarms
  # to the encrypted notices topic; EventBridge sends undeliverable events
  # to the encrypted failure queue.
  statement {
    sid       = "ServicesPublishToEncryptedTopicsAndQueue"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "tidegate (${var.name}): logs, queue, topics, ledger, policy file"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
