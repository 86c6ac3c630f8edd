//! The AWS operations each Lambda function's code can call, in IAM form
//! (`rds:ModifyDBInstance`): the one list the deployed roles are checked
//! against. Nothing here is called at run time.
//!
//! Every function builds the same [`super::Function`] at cold start: the
//! engine's adapters (RDS, ElastiCache, MSK, Auto Scaling, CloudWatch), the
//! DynamoDB ledger (and price cache), the S3 policy store, the SNS notifier
//! and the Price List API adapter (every run prices its plan); any trigger may
//! end in any engine action (the budget's emergency profile resizes, removes
//! Aurora readers and promotes a smaller writer as a scheduler run does). The
//! budget function adds Cost Explorer, the spot function the instance →
//! group look-up. So the alarm and scheduler functions share one set, the
//! budget function has that set plus `ce:GetCostAndUsage` and
//! `ce:GetAnomalies` (AWS Cost Anomaly Detection), and the spot
//! function that set plus `autoscaling:DescribeAutoScalingInstances`.
//!
//! The tests keep three things in step:
//! - this list and the SDK calls in `src/aws/*.rs` (each `client.op(..)`
//!   call is found in the source and must be listed, and nothing else);
//! - this list and `tests/terraform/operations.json` (what the Python tests
//!   under `tests/terraform/` read; regenerate with
//!   `TIDEGATE_BLESS=1 cargo test --lib permissions`);
//! - this list and the actions each `terraform/iam/<function>.json` allows:
//!   nothing missing, nothing extra.
//!
//! What the Lambda platform does with the role on the function's behalf
//! (write its logs and traces, send a failed event to the dead-letter queue,
//! decrypt with the module's KMS key) is not the code's and is listed apart,
//! in [`PLATFORM`].

/// One SDK operation the code calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The IAM action, e.g. `rds:ModifyDBInstance`.
    pub action: &'static str,
    /// The adapter file under `src/aws/` that calls it, without `.rs`.
    pub adapter: &'static str,
    /// The SDK fluent call, e.g. `modify_db_instance`.
    pub call: &'static str,
}

const fn op(action: &'static str, adapter: &'static str, call: &'static str) -> Operation {
    Operation {
        action,
        adapter,
        call,
    }
}

/// What every function calls: the engine's adapters, the ledger, the
/// policy store and the notifier.
pub const COMMON: &[Operation] = &[
    op(
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling",
        "describe_auto_scaling_groups",
    ),
    op(
        "autoscaling:StartInstanceRefresh",
        "autoscaling",
        "start_instance_refresh",
    ),
    op(
        "autoscaling:UpdateAutoScalingGroup",
        "autoscaling",
        "update_auto_scaling_group",
    ),
    op("cloudwatch:DescribeAlarms", "cloudwatch", "describe_alarms"),
    op("cloudwatch:GetMetricData", "cloudwatch", "get_metric_data"),
    op("dynamodb:DeleteItem", "dynamodb_ledger", "delete_item"),
    op("dynamodb:GetItem", "dynamodb_ledger", "get_item"),
    op("dynamodb:PutItem", "dynamodb_ledger", "put_item"),
    op("dynamodb:Query", "dynamodb_ledger", "query"),
    op("dynamodb:UpdateItem", "dynamodb_ledger", "update_item"),
    op(
        "elasticache:DecreaseReplicaCount",
        "elasticache",
        "decrease_replica_count",
    ),
    op(
        "elasticache:DescribeReplicationGroups",
        "elasticache",
        "describe_replication_groups",
    ),
    op(
        "elasticache:IncreaseReplicaCount",
        "elasticache",
        "increase_replica_count",
    ),
    op(
        "elasticache:ListAllowedNodeTypeModifications",
        "elasticache",
        "list_allowed_node_type_modifications",
    ),
    op(
        "elasticache:ListTagsForResource",
        "elasticache",
        "list_tags_for_resource",
    ),
    op(
        "elasticache:ModifyReplicationGroup",
        "elasticache",
        "modify_replication_group",
    ),
    op(
        "elasticache:ModifyReplicationGroupShardConfiguration",
        "elasticache",
        "modify_replication_group_shard_configuration",
    ),
    op("kafka:ListClustersV2", "kafka", "list_clusters_v2"),
    op("kafka:UpdateBrokerCount", "kafka", "update_broker_count"),
    op(
        "kafka:UpdateBrokerStorage",
        "kafka",
        "update_broker_storage",
    ),
    op("kafka:UpdateBrokerType", "kafka", "update_broker_type"),
    op("pricing:GetProducts", "pricing", "get_products"),
    op("rds:CreateDBInstance", "rds", "create_db_instance"),
    op("rds:DeleteDBInstance", "rds", "delete_db_instance"),
    op("rds:DescribeDBClusters", "rds", "describe_db_clusters"),
    op(
        "rds:DescribeDBEngineVersions",
        "rds",
        "describe_db_engine_versions",
    ),
    op("rds:DescribeDBInstances", "rds", "describe_db_instances"),
    op("rds:FailoverDBCluster", "rds", "failover_db_cluster"),
    op("rds:ModifyDBCluster", "rds", "modify_db_cluster"),
    op("rds:ModifyDBInstance", "rds", "modify_db_instance"),
    op("rds:StartDBCluster", "rds", "start_db_cluster"),
    op("rds:StartDBInstance", "rds", "start_db_instance"),
    op("rds:StopDBCluster", "rds", "stop_db_cluster"),
    op("rds:StopDBInstance", "rds", "stop_db_instance"),
    op("s3:GetObject", "s3", "get_object"),
    op("sns:Publish", "sns", "publish"),
];

/// What only the budget function calls.
pub const BUDGET_ONLY: &[Operation] = &[
    op("ce:GetCostAndUsage", "costexplorer", "get_cost_and_usage"),
    op("ce:GetAnomalies", "costexplorer", "get_anomalies"),
];

/// What only the spot function calls: the instance → group look-up.
pub const SPOT_ONLY: &[Operation] = &[op(
    "autoscaling:DescribeAutoScalingInstances",
    "autoscaling",
    "describe_auto_scaling_instances",
)];

/// The four functions, as Terraform and the crates under `lambdas/` name
/// them.
pub const FUNCTIONS: [&str; 4] = ["alarm", "scheduler", "budget", "spot"];

/// What the Lambda platform calls with a function's role, not the code:
/// logs, X-Ray traces, the failure destination, the KMS key that encrypts
/// the environment, queue, topic, bucket and table. Terraform grants these
/// on the module's own resources in a separate role policy.
pub const PLATFORM: &[&str] = &[
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sqs:SendMessage",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

/// The operations `function` (`alarm`, `scheduler`, `budget` or `spot`)
/// can call, or None for another name.
pub fn operations(function: &str) -> Option<Vec<Operation>> {
    let mut ops = match function {
        "alarm" | "scheduler" => COMMON.to_vec(),
        "budget" => COMMON.iter().chain(BUDGET_ONLY).copied().collect(),
        "spot" => COMMON.iter().chain(SPOT_ONLY).copied().collect(),
        _ => return None,
    };
    ops.sort_by_key(|o| o.action);
    Some(ops)
}

/// What AWS checks on the caller's behalf when a call names a launch
/// template, not calls of the code: "`ec2:RunInstances` ... are checked when
/// an Auto Scaling group is created or updated using a launch template"
/// (Amazon EC2 Auto Scaling user guide, *API permissions*), and
/// `ec2:CreateTags` when the template tags instances or volumes at launch.
/// `UpdateAutoScalingGroup` with a MixedInstancesPolicy names the group's
/// template (the spot mix keeps it), and so does `StartInstanceRefresh`.
/// The roles allow them only for launches from a template
/// (`ec2:IsLaunchTemplateResource`) and tags at launch
/// (`ec2:CreateAction = RunInstances`).
pub const LAUNCH_TEMPLATE_CHECKS: &[&str] = &["ec2:CreateTags", "ec2:RunInstances"];

/// The IAM actions `function`'s role must allow, sorted: what its code
/// calls, and the [`LAUNCH_TEMPLATE_CHECKS`] when it updates groups; empty
/// for an unknown name.
pub fn actions(function: &str) -> Vec<&'static str> {
    let ops = operations(function).unwrap_or_default();
    let updates_groups = ops
        .iter()
        .any(|o| o.action == "autoscaling:UpdateAutoScalingGroup");
    let mut out: Vec<&'static str> = ops.into_iter().map(|o| o.action).collect();
    if updates_groups {
        out.extend(LAUNCH_TEMPLATE_CHECKS);
    }
    out.sort_unstable();
    out
}

/// `tests/terraform/operations.json`: every function's actions, and the
/// platform's.
pub fn operations_json() -> String {
    let mut functions = serde_json::Map::new();
    for f in FUNCTIONS {
        functions.insert(f.to_owned(), serde_json::json!(actions(f)));
    }
    let doc = serde_json::json!({
        "_comment": "Generated from src/lambda/permissions.rs by its tests (TIDEGATE_BLESS=1 cargo test --lib permissions). Do not edit.",
        "functions": functions,
        "platform": PLATFORM,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// The IAM service prefix of an adapter file.
    fn prefix(adapter: &str) -> &'static str {
        match adapter {
            "autoscaling" => "autoscaling",
            "cloudwatch" => "cloudwatch",
            "costexplorer" => "ce",
            "dynamodb_ledger" => "dynamodb",
            "elasticache" => "elasticache",
            "kafka" => "kafka",
            "pricing" => "pricing",
            "rds" => "rds",
            "s3" => "s3",
            "sns" => "sns",
            other => panic!("src/aws/{other}.rs has SDK calls but no IAM prefix here"),
        }
    }

    /// Every `client.<op>(` in `text` (whitespace and line breaks allowed
    /// around the dot, as rustfmt writes long chains).
    fn client_calls(text: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut rest = text;
        while let Some(at) = rest.find("client") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "client".len()..];
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            let after = rest.trim_start();
            let Some(after) = after.strip_prefix('.') else {
                continue;
            };
            let after = after.trim_start();
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.is_empty() && after[name.len()..].trim_start().starts_with('(') {
                found.insert(name);
            }
        }
        found
    }

    /// (adapter, call) for every SDK call under `src/aws/`: an adapter is
    /// a file `<name>.rs` or a folder `<name>/` of files.
    fn calls_in_source() -> BTreeSet<(String, String)> {
        let dir = root().join("src/aws");
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).expect("src/aws") {
            let path = entry.expect("entry").path();
            let files: Vec<std::path::PathBuf> = if path.is_dir() {
                std::fs::read_dir(&path)
                    .expect("adapter folder")
                    .map(|e| e.expect("entry").path())
                    .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("rs"))
                    .collect()
            } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
                vec![path.clone()]
            } else {
                continue;
            };
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            for file in files {
                let text = std::fs::read_to_string(&file).expect("read adapter");
                // Only the adapter's own code: its tests build no clients.
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                for call in client_calls(code) {
                    out.insert((stem.to_owned(), call));
                }
            }
        }
        out
    }

    fn listed() -> Vec<Operation> {
        COMMON
            .iter()
            .chain(BUDGET_ONLY)
            .chain(SPOT_ONLY)
            .copied()
            .collect()
    }

    #[test]
    fn the_scanner_finds_chained_calls() {
        let text = "self.client\n    .modify_db_instance()\n    .send();\n client . publish ( ); my_client.get_item(); self.client_calls()";
        let got: Vec<String> = client_calls(text).into_iter().collect();
        assert_eq!(got, ["modify_db_instance", "publish"]);
    }

    #[test]
    fn the_list_is_exactly_the_sdk_calls_of_the_adapters() {
        let source = calls_in_source();
        let listed: BTreeSet<(String, String)> = listed()
            .iter()
            .map(|o| (o.adapter.to_owned(), o.call.to_owned()))
            .collect();
        let missing: Vec<_> = source.difference(&listed).collect();
        let extra: Vec<_> = listed.difference(&source).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "called but not listed: {missing:?}; listed but not called: {extra:?}"
        );
    }

    #[test]
    fn each_action_is_its_sdk_call_in_iam_form() {
        for o in listed() {
            let expected = format!("{}:{}", prefix(o.adapter), o.call.replace('_', ""));
            assert_eq!(o.action.to_lowercase(), expected, "{o:?}");
            let (service, name) = o.action.split_once(':').expect("service:Action");
            assert!(name.starts_with(|c: char| c.is_ascii_uppercase()), "{o:?}");
            assert_eq!(service, prefix(o.adapter));
        }
        let mut actions: Vec<_> = listed().iter().map(|o| o.action).collect();
        let n = actions.len();
        actions.sort_unstable();
        actions.dedup();
        assert_eq!(actions.len(), n, "an action is listed twice");
    }

    #[test]
    fn cost_explorer_is_the_budget_functions_alone() {
        assert!(actions("budget").contains(&"ce:GetCostAndUsage"));
        assert!(!actions("alarm").contains(&"ce:GetCostAndUsage"));
        assert!(!actions("scheduler").contains(&"ce:GetCostAndUsage"));
        assert!(actions("budget").contains(&"ce:GetAnomalies"));
        assert!(!actions("alarm").contains(&"ce:GetAnomalies"));
        assert!(operations("other").is_none());
    }

    #[test]
    fn operations_json_is_current() {
        let path = root().join("tests/terraform/operations.json");
        let want = operations_json();
        if std::env::var_os("TIDEGATE_BLESS").is_some() {
            std::fs::write(&path, &want).expect("write operations.json");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            have, want,
            "tests/terraform/operations.json is stale: TIDEGATE_BLESS=1 cargo test --lib permissions"
        );
    }

    /// The actions a policy document allows, and whether any statement
    /// denies or uses NotAction (which would make the set unclear).
    fn allowed(path: &Path) -> BTreeSet<String> {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: serde_json::Value = serde_json::from_str(&text).expect("policy JSON");
        let mut out = BTreeSet::new();
        for s in doc["Statement"].as_array().expect("Statement list") {
            assert_eq!(
                s["Effect"],
                "Allow",
                "{}: only Allow statements",
                path.display()
            );
            assert!(
                s.get("NotAction").is_none(),
                "{}: no NotAction",
                path.display()
            );
            match &s["Action"] {
                serde_json::Value::String(a) => {
                    out.insert(a.clone());
                }
                serde_json::Value::Array(list) => {
                    out.extend(list.iter().filter_map(|a| a.as_str()).map(str::to_owned));
                }
                other => panic!("{}: Action {other}", path.display()),
            }
        }
        out
    }

    #[test]
    fn each_role_policy_allows_exactly_what_its_code_calls() {
        for f in FUNCTIONS {
            let path = root().join(format!("terraform/iam/{f}.json"));
            let allowed = allowed(&path);
            assert!(
                allowed.iter().all(|a| !a.contains('*')),
                "{f}: wildcard action in {allowed:?}"
            );
            let want: BTreeSet<String> = actions(f).into_iter().map(str::to_owned).collect();
            let missing: Vec<_> = want.difference(&allowed).collect();
            let extra: Vec<_> = allowed.difference(&want).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "terraform/iam/{f}.json: missing {missing:?}, extra {extra:?}"
            );
        }
    }
}
