variable "name" {
  description = "Prefix of every resource name. Must start with `tidegate`: the code's IAM policies (terraform/iam/*.json) reach the ledger table, policy bucket and topics by that prefix."
  type        = string
  default     = "tidegate"

  validation {
    condition     = can(regex("^tidegate[a-z0-9-]{0,20}$", var.name))
    error_message = "name must start with \"tidegate\" and hold only a-z, 0-9 and -, at most 28 characters."
  }
}

variable "policy_file" {
  description = "Path of the policy file, the same one the CLI reads (e.g. policies/estate.yaml). Alarms, schedules and budgets are generated from it and it is uploaded to S3 for the Lambdas."
  type        = string
}

variable "artifacts" {
  description = "Paths of the cargo-lambda zips, one per function: `cargo lambda build --release --arm64 --output-format zip -p tidegate-alarm -p tidegate-scheduler -p tidegate-budget -p tidegate-spot` writes target/lambda/<crate>/bootstrap.zip."
  type = object({
    alarm     = string
    scheduler = string
    budget    = string
    spot      = string
  })
}

variable "scheduler_rate" {
  description = "How often the scheduler converges every resource to the profile in force (an EventBridge Scheduler expression)."
  type        = string
  default     = "rate(5 minutes)"
}

variable "budget_rate" {
  description = "How often the budget function reads spend between AWS Budgets notifications."
  type        = string
  default     = "rate(1 hour)"
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups. 365 or more keeps checkov's CKV_AWS_338 satisfied."
  type        = number
  default     = 365
}

variable "ledger_retention_days" {
  description = "Days the action log and cooldown clocks are kept (TIDEGATE_RETENTION_DAYS; DynamoDB TTL removes older items)."
  type        = number
  default     = 30
}

variable "instance_role_arns" {
  description = "ARNs of the IAM roles the managed Auto Scaling groups' launch templates give their instances (through an instance profile). AWS checks iam:PassRole on them when tidegate changes a group's MixedInstancesPolicy or starts an instance refresh. Leave empty when the templates name no instance profile."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.instance_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "instance_role_arns must be IAM role ARNs (arn:aws:iam::<account>:role/...), not wildcards."
  }
}

variable "architecture" {
  description = "Instruction set of the functions, and of the cargo-lambda zips in `artifacts`: arm64 (`cargo lambda build --arm64`) or x86_64 (`--x86-64`)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64, the architecture the zips were built for."
  }
}

variable "pricing_region" {
  description = "Region of the AWS Price List Query API endpoint the functions ask for list prices (TIDEGATE_PRICING_REGION). The API is served from us-east-1, eu-central-1 and ap-south-1 only, whatever region the estate is in."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = contains(["us-east-1", "eu-central-1", "ap-south-1"], var.pricing_region)
    error_message = "pricing_region must be one of the Price List Query API's regions: us-east-1, eu-central-1, ap-south-1."
  }
}

variable "alarm_concurrency" {
  description = "Reserved concurrency of the alarm function. The ledger's leases already keep two runs off one resource; this bounds the burst when many alarms fire together."
  type        = number
  default     = 5
}

variable "spot_concurrency" {
  description = "Reserved concurrency of the spot function. A spot capacity shortage sends many interruption warnings and rebalance recommendations at once; the ledger's leases and cooldowns keep two runs off one group, this bounds the burst."
  type        = number
  default     = 5
}

variable "max_connections" {
  description = "max_connections per resource id, for rules written as `above_percent_of_max_connections`. Without an entry the module uses the default formula of the ladder's floor class (see README)."
  type        = map(number)
  default     = {}
}

variable "budget_notification_emails" {
  description = "Addresses AWS Budgets also mails at the warn and emergency thresholds (the budget function is always notified over SNS)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
