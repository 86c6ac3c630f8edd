//! What a failed mutating call did, as AWS shows it.
//!
//! An error is not proof that nothing happened: an answer lost after AWS
//! carried the call out reaches the SDK as a reset or a timeout, the SDK
//! retries, and AWS answers the retry with "already done"
//! (`DBInstanceAlreadyExists`, `DBInstanceNotFound` on a delete, MSK's
//! current-version mismatch, ElastiCache's `NoOperationFault`) or "busy".
//! So the resource is read again: at the target, the change took effect
//! (applied, and its cooldown clock starts); busy, AWS may still be carrying
//! it out (the intent stays open and a later run settles it); otherwise the
//! intent is unmet: a failure.

use chrono::Utc;

use super::{Outcome, current_setting};
use crate::estate::{Member, Status};
use crate::observe::{self, Ports};
use crate::plan::Action;
use crate::policy::{Policy, Resource};
use crate::ports::AwsError;

/// The outcome of `action`, whose call ended in `error`, from the resource
/// as it is now.
pub(super) async fn after_error(
    action: &Action,
    policy: &Policy,
    resource: &Resource,
    ports: Ports<'_>,
    error: AwsError,
) -> Outcome {
    // Only this resource: one describe of its service.
    let mut one = policy.clone();
    one.resources.retain(|r| r.id == resource.id);
    let obs = observe::observe(&one, ports, Utc::now()).await;
    let member = if obs.could_read(action.kind, &action.identifier) {
        Ok(obs
            .estate
            .members
            .into_iter()
            .find(|m| m.identifier == action.identifier && m.kind == action.kind))
    } else {
        // Observation reports what it could not read instead of failing.
        Err(obs
            .not_observed
            .iter()
            .map(|n| n.why.as_str())
            .collect::<Vec<_>>()
            .join("; "))
    };
    judge(action, &error, member)
}

/// The verdict on what was read back (or why it could not be). Pure.
fn judge(action: &Action, error: &AwsError, read: Result<Option<Member>, String>) -> Outcome {
    let member = match read {
        Ok(Some(m)) => m,
        Ok(None) => return failed(error, "; read back: not found"),
        Err(again) => {
            return Outcome::InProgress {
                detail: format!(
                    "{error}; reading it back failed too ({again}): whether the change took effect is left to a later run, which settles it from what AWS shows"
                ),
            };
        }
    };
    let now = current_setting(&member, action.knob);
    if now.as_ref() == Some(&action.to) {
        return Outcome::Applied {
            detail: format!(
                "{error}; read back: {} is {}: the change took effect",
                action.knob, action.to
            ),
        };
    }
    let busy = !matches!(member.status, Status::Available | Status::Stopped);
    if busy || member.pending_changes {
        return Outcome::InProgress {
            detail: format!(
                "{error}; read back: {} is {}{}: AWS may be carrying the change out; a later run settles it from what AWS shows",
                member.label(),
                member.status,
                if member.pending_changes {
                    " with pending modifications"
                } else {
                    ""
                }
            ),
        };
    }
    let found = now.map_or_else(|| "nothing".to_owned(), |s| s.to_string());
    failed(error, &format!("; read back: {} is {found}", action.knob))
}

fn failed(error: &AwsError, read: &str) -> Outcome {
    Outcome::Failed {
        error: format!("{error}{read}"),
        source: Some(error.clone()),
    }
}
