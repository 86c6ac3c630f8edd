//! Stateful fakes of every port (feature `test-util`), for the AWS
//! behaviours moto server does not show: a modification leaves the resource
//! `modifying` until it settles, `ApplyImmediately=false` leaves it pending
//! until the maintenance window, Serverless v2 refuses min > max, MSK refuses
//! updates while not `ACTIVE` or with a stale current version. Apply, then
//! observe, shows the change — these are real code with state, not mocks.
//! The AWS protocol itself is tested against moto server (`tests/`).

mod autoscaling;
mod cloudwatch;
mod cost;
mod elasticache;
mod kafka;
mod rds;

use std::sync::Mutex;

pub use autoscaling::FakeAutoScaling;
pub use cloudwatch::FakeCloudWatch;
pub use cost::FakeCost;
pub use elasticache::FakeElastiCache;
pub use kafka::FakeKafka;
pub use rds::FakeRds;

use crate::ports::{AwsError, ErrorKind};

fn refuse(
    service: &'static str,
    operation: &'static str,
    resource: &str,
    kind: ErrorKind,
    code: &str,
    message: &str,
) -> AwsError {
    AwsError {
        service,
        operation,
        resource: resource.to_owned(),
        kind,
        code: Some(code.to_owned()),
        message: message.to_owned(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned fake means a test already panicked; keep going with its state.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One fake per port, with the ports borrowed from them.
#[derive(Debug, Default)]
pub struct FakeAws {
    /// RDS and Aurora.
    pub rds: FakeRds,
    /// ElastiCache.
    pub elasticache: FakeElastiCache,
    /// MSK.
    pub kafka: FakeKafka,
    /// Auto Scaling.
    pub autoscaling: FakeAutoScaling,
    /// CloudWatch.
    pub cloudwatch: FakeCloudWatch,
}

impl FakeAws {
    /// The ports.
    pub fn ports(&self) -> crate::observe::Ports<'_> {
        crate::observe::Ports {
            rds: &self.rds,
            elasticache: &self.elasticache,
            kafka: &self.kafka,
            autoscaling: &self.autoscaling,
            cloudwatch: &self.cloudwatch,
        }
    }
}
