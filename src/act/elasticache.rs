//! Carries out ElastiCache actions. (To be written.)

use crate::aws::AwsError;
use crate::estate::Member;
use crate::observe::Ports;
use crate::plan::Action;


/// Applies one planned action; returns the calls made, for the operator.
pub(crate) async fn apply(
    action: &Action,
    
    _member: &Member,
    _ports: Ports<'_>,
) -> Result<String, AwsError> {
    Err(AwsError::malformed("tidegate", "apply", format!("{} actions are not implemented yet", action.kind)))
}
