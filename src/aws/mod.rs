//! SDK adapters: one per port in [`crate::ports`], on the official AWS SDK
//! for Rust, plus the shared configuration (standard credential and region
//! chain, optional endpoint override for tests and AWS-compatible
//! endpoints) and error classification.
//!
//! The whole module is behind the `aws` feature: the light build has no
//! SDK. The ports' error type lives beside the ports
//! ([`crate::ports::AwsError`]); it is re-exported here for the adapters.

pub use crate::ports::{AwsError, ErrorKind, classify_code};

mod adapters;
mod attempts;
mod autoscaling;
mod cloudwatch;
mod config;
#[cfg(feature = "cost-explorer")]
mod costexplorer;
mod dynamodb_ledger;
mod elasticache;
mod kafka;
mod pricing;
mod rds;
#[cfg(feature = "lambda")]
mod s3;
mod sdk_error;
#[cfg(feature = "lambda")]
mod sns;

pub use adapters::Adapters;
pub use autoscaling::AutoScalingAdapter;
pub use cloudwatch::{CloudWatchAdapter, QUERIES_PER_CALL};
pub use config::{Endpoint, load_config, pricing_config, with_timeouts};
#[cfg(feature = "cost-explorer")]
pub use costexplorer::CostExplorerAdapter;
pub use dynamodb_ledger::DynamoDbLedger;
pub use elasticache::ElastiCacheAdapter;
pub use kafka::KafkaAdapter;
pub use pricing::PricingAdapter;
pub use rds::RdsAdapter;
#[cfg(feature = "lambda")]
pub use s3::S3PolicyStore;
#[cfg(feature = "lambda")]
pub use sns::SnsNotifier;
