terraform {
  required_version = ">= 1.5.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.50.0 added `tags` to aws_budgets_budget (provider CHANGELOG,
      # v5.50.0, #37361), the newest argument the module uses. CI runs
      # the mirror's 5.100.0 (tests/terraform/deploy.py).
      version = ">= 5.50.0, < 7.0.0"
    }
  }
}
