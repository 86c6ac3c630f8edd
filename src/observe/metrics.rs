//! The metrics and alarm states the estate's rules need, read in batches.
//! (To be written.)

use chrono::{DateTime, Utc};

use super::Observation;
use crate::estate::Estate;
use crate::policy::Policy;
use crate::ports::{CloudWatchPort, MetricQuery};

/// One query per (member, metric rule), with the namespace and dimension
/// of the member's kind.
pub fn metric_queries(_policy: &Policy, _estate: &Estate) -> Vec<MetricQuery> {
    Vec::new()
}

/// Reads alarm states and metric values into `obs.signals`; failures become notes.
pub(crate) async fn read(
    _policy: &Policy,
    _cloudwatch: &dyn CloudWatchPort,
    _now: DateTime<Utc>,
    _obs: &mut Observation,
) {
}
