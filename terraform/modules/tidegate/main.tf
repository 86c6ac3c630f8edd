# tidegate: everything follows from one policy file.
#
# This file reads the policy and derives what the other files create:
# alarms.tf (one alarm per metric rule, look-ups for the alarms the policy
# names), lambda.tf and iam.tf (four functions, each with its own role),
# spot.tf (EC2 spot warnings to the spot function), schedules.tf,
# budgets.tf, ledger.tf, policy_store.tf, notices.tf, kms.tf.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  policy_text = file(var.policy_file)
  policy      = yamldecode(local.policy_text)
  resources   = try(local.policy.resources, [])

  functions = toset(["alarm", "scheduler", "budget", "spot"])

  # The rule lists of a resource, by direction (the names the alarm Lambda
  # uses: src/policy/validate/rules.rs, generated_alarm_name).
  directions = { up = "scale_up", down = "scale_down" }

  # Every rule of every resource, in file order, with the base name of the
  # alarm Terraform generates for a metric rule:
  # tidegate-{id}-{up|down}-{metric}, lower-cased, anything outside
  # [a-z0-9._-] replaced by "-".
  rules_in_order = flatten([
    for r in local.resources : [
      for d in ["up", "down"] : [
        for i, rule in try(r[local.directions[d]], []) : {
          resource_id = r.id
          kind        = r.kind
          identifier  = try(r.identifier, null)
          engine      = try(r.engine, null)
          class       = try(r.instance_class.floor, r.instance_class.ladder[0], null)
          direction   = d
          rule        = rule
          metric      = try(rule.metric, null)
          alarm       = try(rule.alarm, null)
          base_name   = try(replace(lower("tidegate-${r.id}-${d}-${rule.metric}"), "/[^a-z0-9._-]/", "-"), null)
        }
      ]
    ]
  ])

  # The n-th metric rule with the same base name gets "-n" from the second
  # on, as the engine names it.
  rules = [
    for k, x in local.rules_in_order : merge(x, {
      name = x.base_name == null ? null : (
        length([for k2, y in local.rules_in_order : k2 if k2 <= k && y.base_name == x.base_name]) >= 2
        ? "${x.base_name}-${length([for k2, y in local.rules_in_order : k2 if k2 <= k && y.base_name == x.base_name])}"
        : x.base_name
      )
    })
  ]

  # Metric rules on resources named by identifier: Terraform creates their
  # alarms. A resource selected by tags has no identifier Terraform can
  # know at plan time, so its metric rules get no alarm here (the scheduler
  # still evaluates their thresholds from metrics on every run); they are
  # listed in the `alarms_not_created` output.
  metric_rules       = { for x in local.rules : x.name => x if x.metric != null && x.identifier != null }
  tag_selected_rules = [for x in local.rules : x.name if x.metric != null && x.identifier == null]

  # Alarms the policy names but does not define: looked up, never created.
  named_alarms = toset(distinct([for x in local.rules : x.alarm if x.alarm != null]))

  # Schedules and budgets the policy declares.
  schedules = { for s in try(local.policy.schedules, []) : s.name => s }
  # AWS Budgets has DAILY and MONTHLY periods but no weekly one: a
  # `weekly_usd` limit is watched by the budget function alone (hourly,
  # from Cost Explorer) and listed in the `budgets_not_created` output.
  budget_limits = {
    for period, key in { DAILY = "daily_usd", MONTHLY = "monthly_usd" } :
    period => local.policy.budgets[key] if try(local.policy.budgets[key], null) != null
  }
  budget_warn_percent      = try(local.policy.budgets.warn_at_percent, 80)
  budget_emergency_percent = try(local.policy.budgets.emergency_at_percent, 95)
}
