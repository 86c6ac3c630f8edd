//! Maps described Aurora clusters to members. Pure. (To be written.)

use super::Observation;
use crate::policy::Policy;
use crate::ports::{DbCluster, DbInstance};

/// Adds the members `policy` selects to `obs`.
pub(crate) fn observe(_policy: &Policy, _clusters: &[DbCluster], _instances: &[DbInstance], _obs: &mut Observation) {}
