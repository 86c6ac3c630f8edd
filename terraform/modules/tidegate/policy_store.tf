# The policy file, uploaded from the same path the CLI reads. Versioned:
# every policy ever deployed stays readable. The functions read it once per
# cold start, so lambda.tf puts the object's version in each function's
# environment (TIDEGATE_POLICY_VERSION, informational to the code): a new
# policy changes the configuration, which retires the warm environments,
# and the next invocation reads the new file at once.

resource "aws_s3_bucket" "policy" {
  # checkov:skip=CKV_AWS_18: the bucket holds one small object read by the functions; CloudTrail data events are the audit trail of choice, not server access logs.
  # checkov:skip=CKV_AWS_144: the policy file is in version control and re-uploaded by terraform apply; cross-region replication adds nothing.
  # checkov:skip=CKV2_AWS_62: nothing reacts to a new policy object; the functions read it at cold start.
  bucket        = "${var.name}-policy-${local.account_id}-${local.region}"
  force_destroy = false
  tags          = var.tags
}

resource "aws_s3_bucket_versioning" "policy" {
  bucket = aws_s3_bucket.policy.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "policy" {
  bucket = aws_s3_bucket.policy.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "policy" {
  bucket                  = aws_s3_bucket.policy.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "policy" {
  bucket = aws_s3_bucket.policy.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "policy" {
  bucket = aws_s3_bucket.policy.id
  rule {
    id     = "old-policy-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 365
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "policy_bucket" {
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.policy.arn, "${aws_s3_bucket.policy.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "policy" {
  bucket = aws_s3_bucket.policy.id
  policy = data.aws_iam_policy_document.policy_bucket.json
}

resource "aws_s3_object" "policy" {
  bucket       = aws_s3_bucket.policy.id
  key          = "policy/${basename(var.policy_file)}"
  source       = var.policy_file
  source_hash  = filemd5(var.policy_file)
  content_type = "application/yaml"
  kms_key_id   = aws_kms_key.this.arn
  tags         = var.tags

  depends_on = [
    aws_s3_bucket_versioning.policy,
    aws_s3_bucket_server_side_encryption_configuration.policy,
  ]
}
