//! Maps described MSK clusters to members. Pure. (To be written.)

use super::Observation;
use crate::policy::Policy;
use crate::ports::KafkaCluster;

/// Adds the members `policy` selects to `obs`.
pub(crate) fn observe(_policy: &Policy, _clusters: &[KafkaCluster], _obs: &mut Observation) {}
