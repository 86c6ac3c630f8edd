//! A saved plan, decided again ([`super::recheck`]). The plan names which
//! changes an operator approved (resource, knob, target); only those run,
//! and only as the current decision makes them. Bounds, floors, profiles,
//! cooldowns, prices, the budget latch and the hourly allowance all come
//! from the policy, the estate and the ledger now, never from the file.
//!
//! A saved change the current decision also makes is judged as that
//! decision's own proposal. Any other saved change is judged by every guard
//! against its saved target (so an edited `to:` off the ladder is held by
//! `bounds`, one below the floor by `protected_floor`) and, should every
//! guard pass, held by [`Guard::Recheck`]: the policy does not propose it now.

use std::cmp::Ordering;

use super::knobs::{self, Window};
use super::propose::{InForce, Proposal};
use crate::estate::{Estate, Member};
use crate::plan::{Action, Guard, Refusal};
use crate::policy::{Direction, Knob, Resource};

/// What becomes of a proposal once its guards have run.
pub(crate) enum Hold {
    /// Nothing more: the current decision makes this change.
    None,
    /// Held by this refusal unless a guard already refused it.
    Unguarded(Refusal),
    /// Held by this refusal whatever the guards said.
    Always(Refusal),
}

impl Hold {
    /// Applies the hold to a judged action.
    pub(crate) fn apply(self, action: &mut Action) {
        match self {
            Hold::None => {}
            Hold::Unguarded(r) => {
                action.refused.get_or_insert(r);
            }
            Hold::Always(r) => action.refused = Some(r),
        }
    }
}

/// For one member: the proposals to judge. Each saved change to `member`
/// becomes the policy's own matching proposal, or a proposal of its saved
/// target with the hold that keeps it from running. The policy's other
/// proposals are left out: nobody approved them.
pub(crate) fn select(
    saved: &[Action],
    mut proposals: Vec<Proposal>,
    resource: &Resource,
    member: &Member,
    in_force: &InForce<'_>,
    notes: &mut Vec<String>,
) -> Vec<(Proposal, Hold)> {
    let mut out = Vec::new();
    for s in saved.iter().filter(|s| s.identifier == member.identifier) {
        let Some(current) = member.settings.get(&s.knob) else {
            notes.push(format!(
                "{}: the saved plan changes {}, which is not observed now; not applied",
                member.label(),
                s.knob
            ));
            continue;
        };
        if current == &s.to {
            notes.push(format!(
                "{}: {} is already {}; the saved change is in effect",
                member.label(),
                s.knob,
                s.to
            ));
            continue;
        }
        if let Some(i) = proposals
            .iter()
            .position(|p| p.knob == s.knob && p.to == s.to)
        {
            out.push((proposals.remove(i), Hold::None));
            continue;
        }
        let why = match proposals.iter().find(|p| p.knob == s.knob) {
            Some(p) => format!(
                "the policy now proposes {} {} → {} ({}), not {}; a saved plan is a proposal, not an order",
                s.knob, p.from, p.to, p.reason, s.to
            ),
            None => format!(
                "the policy proposes no change to {} now; a saved plan is a proposal, not an order",
                s.knob
            ),
        };
        let mut hold = Hold::Unguarded(refusal(Guard::Recheck, why));
        let mut step = None;
        let mut direction = s.direction;
        if let Some(knob) = resource.knob(s.knob) {
            match (knobs::position(knob, current), knobs::position(knob, &s.to)) {
                (Some(from), Some(to)) => {
                    direction = match to.cmp(&from) {
                        Ordering::Greater => Some(Direction::Up),
                        Ordering::Less => Some(Direction::Down),
                        Ordering::Equal => s.direction,
                    };
                    step = Some((from, to as isize, window(knob, resource, in_force)));
                }
                (_, None) => {
                    hold = Hold::Always(refusal(
                        Guard::Bounds,
                        format!(
                            "{} {} is not on the policy's {} scale ({} to {})",
                            s.knob,
                            s.to,
                            s.knob,
                            knobs::describe(knob, 0),
                            knobs::describe(knob, knob.scale.len().saturating_sub(1)),
                        ),
                    ));
                }
                (None, Some(_)) => {}
            }
        }
        out.push((
            Proposal {
                knob: s.knob,
                from: current.clone(),
                to: s.to.clone(),
                direction,
                cause: s.cause.clone(),
                reason: "proposed by the saved plan".to_owned(),
                // Never from the file: a critical rule passes the budget guard.
                critical: false,
                step,
                mix: None,
            },
            hold,
        ));
    }
    out
}

/// Notes for saved changes to resources the estate does not hold now.
pub(crate) fn unobserved(saved: &[Action], estate: &Estate) -> Vec<String> {
    saved
        .iter()
        .filter(|s| !estate.members.iter().any(|m| m.identifier == s.identifier))
        .map(|s| {
            format!(
                "{}: the saved plan changes {} → {}, but no managed resource of that name is observed now; not applied",
                s.identifier, s.knob, s.to
            )
        })
        .collect()
}

/// The window of the profiles in force (the emergency's included: a saved
/// change never reaches past it, critical rule or not).
fn window(knob: &Knob, resource: &Resource, in_force: &InForce<'_>) -> Window {
    let names: Vec<&str> = in_force
        .scheduled
        .as_ref()
        .map(|(_, p, _)| *p)
        .into_iter()
        .chain(in_force.emergency.as_ref().map(|(p, _, _)| *p))
        .collect();
    knobs::window(knob, resource, &names)
}

fn refusal(guard: Guard, why: String) -> Refusal {
    Refusal { guard, why }
}
