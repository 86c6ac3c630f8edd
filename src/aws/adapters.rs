//! The SDK adapters of every port, built together from one configuration.

use super::{AutoScalingAdapter, CloudWatchAdapter, ElastiCacheAdapter, KafkaAdapter, RdsAdapter};
use crate::observe::Ports;

/// One SDK adapter per port, built once from one SDK configuration.
pub struct Adapters {
    rds: RdsAdapter,
    elasticache: ElastiCacheAdapter,
    kafka: KafkaAdapter,
    autoscaling: AutoScalingAdapter,
    cloudwatch: CloudWatchAdapter,
}

impl Adapters {
    /// Builds every adapter from `config` (clients are cheap; the config is not).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Adapters {
            rds: RdsAdapter::new(config),
            elasticache: ElastiCacheAdapter::new(config),
            kafka: KafkaAdapter::new(config),
            autoscaling: AutoScalingAdapter::new(config),
            cloudwatch: CloudWatchAdapter::new(config),
        }
    }

    /// The ports, borrowed.
    pub fn ports(&self) -> Ports<'_> {
        Ports {
            rds: &self.rds,
            elasticache: &self.elasticache,
            kafka: &self.kafka,
            autoscaling: &self.autoscaling,
            cloudwatch: &self.cloudwatch,
        }
    }
}
