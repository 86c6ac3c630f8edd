//! SDK adapters: one per port in [`crate::ports`], on the official AWS SDK
//! for Rust, plus the shared configuration (standard credential and region
//! chain, optional endpoint override for tests and AWS-compatible
//! endpoints) and error classification.
//!
//! Only the error type ([`AwsError`], [`ErrorKind`]) is here without the
//! `aws` feature: the ports name it, and the light build has no SDK.

mod error;
pub use error::{AwsError, ErrorKind, classify_code};

#[cfg(feature = "aws")]
mod adapters;
#[cfg(feature = "aws")]
mod attempts;
#[cfg(feature = "aws")]
mod autoscaling;
#[cfg(feature = "aws")]
mod cloudwatch;
#[cfg(feature = "aws")]
mod config;
#[cfg(feature = "cost-explorer")]
mod costexplorer;
#[cfg(feature = "aws")]
mod dynamodb_ledger;
#[cfg(feature = "aws")]
mod elasticache;
#[cfg(feature = "aws")]
mod kafka;
#[cfg(feature = "aws")]
mod pricing;
#[cfg(feature = "aws")]
mod rds;
#[cfg(feature = "lambda")]
mod s3;
#[cfg(feature = "aws")]
mod sdk_error;
#[cfg(feature = "lambda")]
mod sns;

#[cfg(feature = "aws")]
pub use adapters::Adapters;
#[cfg(feature = "aws")]
pub use autoscaling::AutoScalingAdapter;
#[cfg(feature = "aws")]
pub use cloudwatch::{CloudWatchAdapter, QUERIES_PER_CALL};
#[cfg(feature = "aws")]
pub use config::{Endpoint, load_config, pricing_config, with_timeouts};
#[cfg(feature = "cost-explorer")]
pub use costexplorer::CostExplorerAdapter;
#[cfg(feature = "aws")]
pub use dynamodb_ledger::DynamoDbLedger;
#[cfg(feature = "aws")]
pub use elasticache::ElastiCacheAdapter;
#[cfg(feature = "aws")]
pub use kafka::KafkaAdapter;
#[cfg(feature = "aws")]
pub use pricing::PricingAdapter;
#[cfg(feature = "aws")]
pub use rds::RdsAdapter;
#[cfg(feature = "lambda")]
pub use s3::S3PolicyStore;
#[cfg(feature = "lambda")]
pub use sns::SnsNotifier;
