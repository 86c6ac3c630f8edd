//! Where each kind's metrics live, as the Terraform module's alarms read it
//! (`terraform/modules/tidegate/metrics.json`): generated from
//! [`super::queries`]'s table so the alarms Terraform creates and the
//! metrics the engine reads cannot drift apart. The test below fails when
//! the committed file is stale; `TIDEGATE_BLESS=1 cargo test --lib
//! terraform_metrics` rewrites it.

use serde_json::{Map, Value, json};

use super::queries::{MSK_CLUSTER_METRICS, dimension_name, namespace};
use crate::policy::ResourceKind;

/// The committed file's path, from the crate root.
pub const TERRAFORM_METRICS_FILE: &str = "terraform/modules/tidegate/metrics.json";

/// The table Terraform reads: `namespaces` and `dimension_names` by kind
/// (ElastiCache has no dimension name: its alarms take the highest member
/// cluster), and the MSK metrics published per cluster rather than per
/// broker.
pub fn terraform_metrics() -> Value {
    let mut namespaces = Map::new();
    let mut dimensions = Map::new();
    for kind in ResourceKind::ALL {
        namespaces.insert(kind.as_str().into(), namespace(kind).into());
        if let Some(name) = dimension_name(kind) {
            dimensions.insert(kind.as_str().into(), name.into());
        }
    }
    json!({
        "_comment": "Generated from src/observe/metrics/queries.rs by its tests (TIDEGATE_BLESS=1 cargo test --lib terraform_metrics). Do not edit.",
        "namespaces": namespaces,
        "dimension_names": dimensions,
        "msk_cluster_metrics": MSK_CLUSTER_METRICS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_metrics_file_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TERRAFORM_METRICS_FILE);
        let wanted = serde_json::to_string_pretty(&terraform_metrics()).unwrap_or_default() + "\n";
        if std::env::var_os("TIDEGATE_BLESS").is_some() {
            std::fs::write(&path, &wanted).expect("write the Terraform metrics table");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == wanted,
            "{TERRAFORM_METRICS_FILE} is stale: TIDEGATE_BLESS=1 cargo test --lib terraform_metrics"
        );
    }

    #[test]
    fn every_kind_has_a_namespace_and_all_but_elasticache_a_dimension() {
        let table = terraform_metrics();
        for kind in ResourceKind::ALL {
            assert!(table["namespaces"][kind.as_str()].is_string(), "{kind}");
            let named = table["dimension_names"][kind.as_str()].is_string();
            assert_eq!(named, kind != ResourceKind::ElasticacheRedis, "{kind}");
        }
        assert_eq!(table["dimension_names"]["msk_cluster"], "Cluster Name");
    }
}
