//! Maps described DB instances to members. Pure. (To be written.)

use super::Observation;
use crate::policy::Policy;
use crate::ports::DbInstance;

/// Adds the members `policy` selects to `obs`.
pub(crate) fn observe(_policy: &Policy, _instances: &[DbInstance], _obs: &mut Observation) {}
