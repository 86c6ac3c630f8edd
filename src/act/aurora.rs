//! Carries out Aurora cluster actions. (To be written.)

use crate::aws::AwsError;
use crate::estate::Member;
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::Resource;
use super::Pace;

/// Applies one planned action; returns the calls made, for the operator.
pub(crate) async fn apply(
    action: &Action,
    _resource: &Resource,
    _member: &Member,
    _ports: Ports<'_>,
    _pace: Pace,
) -> Result<String, AwsError> {
    Err(AwsError::malformed("tidegate", "apply", format!("{} actions are not implemented yet", action.kind)))
}
