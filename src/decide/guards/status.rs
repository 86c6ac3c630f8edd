//! Resource status: never touch a resource that is not available or that
//! has changes pending. A stopped RDS instance may only be started.

use super::Proposal;
use crate::estate::{Power, Setting, Status};
use crate::plan::{Cause, Guard, Refusal};

/// Refuses when the resource is busy, stopped (except to start it), or has
/// pending modifications.
pub(crate) fn check(p: &Proposal<'_>) -> Option<Refusal> {
    let m = p.member;
    if m.pending_changes {
        return Some(refuse(format!(
            "{} has pending modifications; waiting until AWS has applied them",
            m.label()
        )));
    }
    let starting = matches!(p.cause, Cause::Schedule { .. })
        && m.settings.get(&p.knob) == Some(&Setting::Power(Power::Stopped));
    match &m.status {
        Status::Available => None,
        Status::Stopped if starting => None,
        other => Some(refuse(format!("{} is {other}, not available", m.label()))),
    }
}

fn refuse(why: String) -> Refusal {
    Refusal {
        guard: Guard::ResourceStatus,
        why,
    }
}
