# One CloudWatch alarm per metric rule of the policy; its ALARM state
# invokes the alarm function directly. Alarms the policy names are looked
# up (plan fails if one does not exist) and reach the function through an
# EventBridge rule on their state changes.

locals {
  # Where each kind's metrics live (src/observe/metrics.rs).
  namespaces = {
    rds_instance      = "AWS/RDS"
    aurora_cluster    = "AWS/RDS"
    msk_cluster       = "AWS/Kafka"
    elasticache_redis = "AWS/ElastiCache"
    autoscaling_group = "AWS/EC2"
  }
  dimension_names = {
    rds_instance      = "DBInstanceIdentifier"
    aurora_cluster    = "DBClusterIdentifier"
    msk_cluster       = "Cluster Name"
    autoscaling_group = "AutoScalingGroupName"
  }
  # MSK metrics published per cluster; every other MSK metric is per broker.
  msk_cluster_metrics = ["ActiveControllerCount", "GlobalPartitionCount", "GlobalTopicCount", "OfflinePartitionsCount"]

  # Memory of an RDS class, for rules written as a percent of
  # max_connections: GiB per size unit by family letter, units by size.
  class_gib_per_unit = { t = 4, m = 4, r = 8, x = 16 }
  class_units = {
    micro     = 0.25, small = 0.5, medium = 1, large = 2, xlarge = 4, "2xlarge" = 8, "4xlarge" = 16,
    "8xlarge" = 32, "12xlarge" = 48, "16xlarge" = 64, "24xlarge" = 96, "32xlarge" = 128
  }

  alarms = {
    for name, x in local.metric_rules : name => merge(x, {
      statistic          = try(x.rule.statistic, "Average")
      evaluation_periods = try(x.rule.evaluation_periods, 3)
      # Spans as the policy writes them (1h30m, 5m, 90s).
      period = try(sum([
        for m in regexall("(\\d+)([dhms])", x.rule.period) :
        tonumber(m[0]) * { d = 86400, h = 3600, m = 60, s = 1 }[m[1]]
      ]), 300)
      comparison = try(x.rule.below, null) != null ? "LessThanThreshold" : "GreaterThanThreshold"
      threshold = try(x.rule.above, x.rule.below, (
        x.rule.above_percent_of_max_connections / 100 * lookup(var.max_connections, x.resource_id, (
          contains(["postgres", "aurora-postgresql"], x.engine)
          ? min(floor(local.class_gib_per_unit[substr(split(".", x.class)[1], 0, 1)] * local.class_units[split(".", x.class)[2]] * 1073741824 / 9531392), 5000)
          : floor(local.class_gib_per_unit[substr(split(".", x.class)[1], 0, 1)] * local.class_units[split(".", x.class)[2]] * 1073741824 / 12582880)
        ))
      ), null)
      # Per-broker MSK metrics: the highest broker, by a Metrics Insights query.
      insights = x.kind == "msk_cluster" && !contains(local.msk_cluster_metrics, x.metric)
    })
  }

  elasticache_alarms = { for name, a in local.alarms : name => a if a.kind == "elasticache_redis" }
  elasticache_groups = toset([for a in local.elasticache_alarms : a.identifier])
}

# ElastiCache publishes node metrics per member cluster (CacheClusterId),
# not per replication group: the alarm takes the highest member by metric
# math. Members are read at plan time; re-apply after a reshard so new
# shards are watched (the scheduler reads every member on each run anyway).
data "aws_elasticache_replication_group" "watched" {
  for_each             = local.elasticache_groups
  replication_group_id = each.value
}

resource "aws_cloudwatch_metric_alarm" "rule" {
  for_each = local.alarms

  alarm_name          = each.key
  alarm_description   = "tidegate ${each.value.direction == "up" ? "scale_up" : "scale_down"} rule of ${each.value.resource_id}: ${each.value.metric} (generated from ${basename(var.policy_file)})"
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.evaluation_periods
  treat_missing_data  = "missing"
  alarm_actions       = [aws_lambda_function.this["alarm"].arn]
  tags                = merge(var.tags, { "tidegate:resource" = each.value.resource_id })

  # A single metric: RDS, Aurora, Auto Scaling, cluster-level MSK.
  metric_name = each.value.kind == "elasticache_redis" || each.value.insights ? null : each.value.metric
  namespace   = each.value.kind == "elasticache_redis" || each.value.insights ? null : local.namespaces[each.value.kind]
  period      = each.value.kind == "elasticache_redis" || each.value.insights ? null : each.value.period
  statistic   = each.value.kind == "elasticache_redis" || each.value.insights ? null : each.value.statistic
  dimensions = each.value.kind == "elasticache_redis" || each.value.insights ? null : {
    (local.dimension_names[each.value.kind]) = each.value.identifier
  }

  # Per-broker MSK metrics: the highest broker.
  dynamic "metric_query" {
    for_each = each.value.insights ? [1] : []
    content {
      id          = "highest"
      expression  = "SELECT MAX(${each.value.metric}) FROM SCHEMA(\"AWS/Kafka\", \"Broker ID\", \"Cluster Name\") WHERE \"Cluster Name\" = '${each.value.identifier}'"
      period      = each.value.period
      return_data = true
    }
  }

  # ElastiCache: one query per member cluster, and their maximum.
  dynamic "metric_query" {
    for_each = each.value.kind == "elasticache_redis" ? [1] : []
    content {
      id          = "highest"
      expression  = "MAX(METRICS())"
      label       = "${each.value.metric} of the busiest member of ${each.value.identifier}"
      return_data = true
    }
  }
  dynamic "metric_query" {
    for_each = each.value.kind == "elasticache_redis" ? data.aws_elasticache_replication_group.watched[each.value.identifier].member_clusters : []
    content {
      id          = "m${index(tolist(data.aws_elasticache_replication_group.watched[each.value.identifier].member_clusters), metric_query.value)}"
      return_data = false
      metric {
        metric_name = each.value.metric
        namespace   = "AWS/ElastiCache"
        period      = each.value.period
        stat        = each.value.statistic
        dimensions  = { CacheClusterId = metric_query.value }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = each.value.threshold != null
      error_message = "No threshold for ${each.key}: set var.max_connections[\"${each.value.resource_id}\"] (the floor class ${coalesce(each.value.class, "?")} or engine ${coalesce(each.value.engine, "?")} is not in the module's table)."
    }
    precondition {
      condition     = each.value.kind != "elasticache_redis" || try(length(data.aws_elasticache_replication_group.watched[each.value.identifier].member_clusters), 0) <= 10
      error_message = "${each.key}: a metric-math alarm reads at most 10 metrics; ${each.value.identifier} has more member clusters."
    }
  }
}

# The alarm action may invoke the alarm function: only tidegate's alarms.
resource "aws_lambda_permission" "alarm_action" {
  for_each = local.alarms

  statement_id  = "cloudwatch-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["alarm"].function_name
  principal     = "lambda.alarms.cloudwatch.amazonaws.com"
  source_arn    = aws_cloudwatch_metric_alarm.rule[each.key].arn
}

# Alarms the policy names: they must exist (Cloud Control reads them at
# plan time); the module does not own or change them.
data "aws_cloudcontrolapi_resource" "named_alarm" {
  for_each   = local.named_alarms
  type_name  = "AWS::CloudWatch::Alarm"
  identifier = each.value
}

resource "aws_cloudwatch_event_rule" "named_alarms" {
  count = length(local.named_alarms) > 0 ? 1 : 0

  name        = "${var.name}-named-alarms"
  description = "State changes of the alarms the tidegate policy names, to the alarm function."
  tags        = var.tags
  event_pattern = jsonencode({
    source      = ["aws.cloudwatch"]
    detail-type = ["CloudWatch Alarm State Change"]
    resources   = [for a in data.aws_cloudcontrolapi_resource.named_alarm : jsondecode(a.properties).Arn]
    detail      = { state = { value = ["ALARM"] } }
  })
}

resource "aws_cloudwatch_event_target" "named_alarms" {
  count = length(local.named_alarms) > 0 ? 1 : 0

  rule = aws_cloudwatch_event_rule.named_alarms[0].name
  arn  = aws_lambda_function.this["alarm"].arn

  retry_policy {
    maximum_retry_attempts       = 4
    maximum_event_age_in_seconds = 900
  }
  dead_letter_config {
    arn = aws_sqs_queue.failures.arn
  }
}

resource "aws_lambda_permission" "named_alarms" {
  count = length(local.named_alarms) > 0 ? 1 : 0

  statement_id  = "eventbridge-named-alarms"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["alarm"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.named_alarms[0].arn
}
