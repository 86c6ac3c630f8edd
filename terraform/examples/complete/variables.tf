variable "region" {
  description = "Region of the estate (policies/estate.yaml says us-east-1)."
  type        = string
  default     = "us-east-1"
}

variable "lambda_dir" {
  description = "Where cargo-lambda wrote the zips (target/lambda under the cargo target directory)."
  type        = string
  default     = "../../../target/lambda"
}

variable "budget_emails" {
  description = "Addresses AWS Budgets mails at the warn and emergency thresholds."
  type        = list(string)
  default     = []
}
