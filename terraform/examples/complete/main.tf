# Deploys tidegate for the reference estate in policies/estate.yaml.
#
#   cargo lambda build --release --arm64 --output-format zip \
#     -p tidegate-alarm -p tidegate-scheduler -p tidegate-budget -p tidegate-spot
#   terraform init && terraform apply

provider "aws" {
  region = var.region
}

module "tidegate" {
  source = "../../modules/tidegate"

  name        = "tidegate"
  policy_file = "${path.root}/../../../policies/estate.yaml"

  artifacts = {
    alarm     = "${var.lambda_dir}/tidegate-alarm/bootstrap.zip"
    scheduler = "${var.lambda_dir}/tidegate-scheduler/bootstrap.zip"
    budget    = "${var.lambda_dir}/tidegate-budget/bootstrap.zip"
    spot      = "${var.lambda_dir}/tidegate-spot/bootstrap.zip"
  }

  budget_notification_emails = var.budget_emails

  tags = {
    Project = "tidegate"
    Estate  = "reference"
  }
}
