//! Maps described replication groups to members; reads tags only when a
//! tag selector needs them. (To be written.)

use super::Observation;
use crate::aws::AwsError;
use crate::policy::Policy;
use crate::ports::{ElastiCachePort, ReplicationGroup};

/// Adds the members `policy` selects to `obs`.
pub(crate) async fn observe(
    _policy: &Policy,
    _groups: &[ReplicationGroup],
    _port: &dyn ElastiCachePort,
    _obs: &mut Observation,
) -> Result<(), AwsError> {
    Ok(())
}
