//! Maps described Auto Scaling groups to members. Pure. (To be written.)

use super::Observation;
use crate::policy::Policy;
use crate::ports::AutoScalingGroup;

/// Adds the members `policy` selects to `obs`.
pub(crate) fn observe(_policy: &Policy, _groups: &[AutoScalingGroup], _obs: &mut Observation) {}
