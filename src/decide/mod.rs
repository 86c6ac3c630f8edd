//! The decision core. Pure: same inputs, same [`Plan`]. No clock, no I/O, no
//! async: every input is a parameter, so every decision can be tested and
//! replayed.
//!
//! For each observed resource: find the profiles in force (schedule, budget
//! emergency), let each knob propose a move (profile range first, then the
//! first firing rule), price it, run the guards, then order what is left by
//! urgency and spend the hourly allowance on it.

pub(crate) mod guards;
mod knobs;
mod price;
mod propose;
mod recheck;
mod rules;
mod target;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use self::guards::{Context, HistoryIndex, Step};
use self::propose::{InForce, Proposal, settings_after};
use crate::estate::{Estate, Member, Setting};
use crate::ledger::History;
use crate::plan::{Action, AtLimit, BudgetLevel, BudgetStanding, Cause, Guard, Plan, Refusal};
use crate::policy::{Direction, KnobName, Policy, Resource};
use crate::pricing::PriceBook;
use crate::signals::Signals;
use crate::{budget, schedule};

pub use self::guards::storage_wait::STORAGE_WAIT_HOURS;
pub use self::rules::breaches;

/// Everything a decision depends on.
pub struct Inputs<'a> {
    /// The validated policy.
    pub policy: &'a Policy,
    /// The observed estate.
    pub estate: &'a Estate,
    /// Alarm states, metrics, spend.
    pub signals: &'a Signals,
    /// What was done before.
    pub history: &'a History,
    /// Prices.
    pub prices: &'a dyn PriceBook,
    /// The instant to decide for.
    pub now: DateTime<Utc>,
}

/// Decides what should change now, and what the guards hold back.
pub fn decide(inputs: &Inputs<'_>) -> Plan {
    decide_with(inputs, None)
}

/// Decides again on the changes of a saved plan (`saved`, its planned
/// actions): the plan holds only those, each as the current decision makes
/// it, or held with the guard that refuses it now (`recheck` when the
/// policy no longer proposes it). Nothing is taken from `saved` but which
/// resource, knob and target were proposed.
pub fn recheck(inputs: &Inputs<'_>, saved: &[Action]) -> Plan {
    decide_with(inputs, Some(saved))
}

fn decide_with(inputs: &Inputs<'_>, saved: Option<&[Action]>) -> Plan {
    let Inputs {
        policy,
        estate,
        signals,
        history,
        prices,
        now,
    } = *inputs;

    let standings = policy
        .budgets
        .as_ref()
        .map(|b| budget::standings(b, &signals.spend))
        .unwrap_or_default()
        .into_iter()
        .map(|s| BudgetStanding {
            sources: signals.spend_sources.clone(),
            ..s
        })
        .collect::<Vec<_>>();
    let emergency = policy
        .budgets
        .as_ref()
        .filter(|b| budget::emergency_in_force(b, &standings, history.emergency_since))
        .and_then(|b| {
            // The period furthest over its limit names the emergency.
            let worst = standings
                .iter()
                .max_by(|a, b| a.forecast_percent.total_cmp(&b.forecast_percent))?;
            let why = format!(
                "{} forecast {:.0}% of ${}",
                worst.period, worst.forecast_percent, worst.limit_usd
            );
            Some((b.emergency_profile.as_str(), worst.period, why))
        });

    // Each schedule is evaluated (and described) once per decision, not
    // once per resource: the cron search and the zoned formatting are the
    // costly part of a resource that asks for nothing.
    let scheduled: HashMap<&str, Option<(String, String)>> = policy
        .schedules
        .iter()
        .map(|(name, s)| {
            let f = schedule::profile_at(s, now).map(|f| {
                let why = f.describe();
                (f.profile, why)
            });
            (name.as_str(), f)
        })
        .collect();
    let resources: HashMap<&str, &Resource> = policy
        .resources
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();

    let ctx = Context {
        now,
        policy,
        history: HistoryIndex::new(history, now),
        spend: &signals.spend,
        budget_tight: standings.iter().any(|s| s.level >= BudgetLevel::Warn),
        emergency: emergency.is_some(),
    };

    let mut notes = Vec::new();
    let mut at_limit = Vec::new();
    let mut profiles = BTreeMap::new();
    let mut candidates: Vec<(Action, bool)> = Vec::new();
    for member in &estate.members {
        let Some(resource) = resources.get(member.policy_id.as_str()) else {
            notes.push(format!(
                "{}: policy resource `{}` is not in the policy; left alone",
                member.identifier, member.policy_id
            ));
            continue;
        };
        let scheduled = resource.schedule.as_deref().and_then(|s| {
            let (profile, why) = scheduled.get(s)?.as_ref()?;
            Some((s, profile.as_str(), why.as_str()))
        });
        let in_force = InForce {
            scheduled,
            emergency: emergency
                .as_ref()
                .map(|(p, period, why)| (*p, *period, why.as_str())),
        };
        let label = match (&in_force.scheduled, &in_force.emergency) {
            (_, Some((p, _, _))) => (*p).to_owned(),
            (Some((_, p, _)), None) => (*p).to_owned(),
            (None, None) => "default".to_owned(),
        };
        profiles.insert(member.identifier.clone(), label);

        let last_raise = ctx
            .history
            .latest(&member.identifier, |a| {
                a.knob == KnobName::SpotMix && a.direction == Some(Direction::Up)
            })
            .map(|a| a.at);
        let when = (last_raise, now);
        let seen = rules::Seen::new(signals, &member.identifier);
        let (proposals, held) =
            propose::propose(policy, resource, member, &seen, &in_force, when, &mut notes);
        at_limit.extend(held.into_iter().map(|h| {
            AtLimit {
                policy_id: member.policy_id.clone(),
                identifier: member.identifier.clone(),
                since: history
                    .at_limit_since(&member.identifier, h.knob, h.side)
                    .unwrap_or(now),
                knob: h.knob,
                side: h.side,
                setting: h.setting,
                rule: h.rule,
                evidence: h.evidence,
                bound: h.bound,
            }
        }));
        let Some(saved) = saved else {
            for proposal in proposals {
                candidates.push(judge(proposal, resource, member, signals, prices, &ctx));
            }
            continue;
        };
        for (proposal, hold) in
            recheck::select(saved, proposals, resource, member, &in_force, &mut notes)
        {
            let (mut action, critical) = judge(proposal, resource, member, signals, prices, &ctx);
            hold.apply(&mut action);
            candidates.push((action, critical));
        }
    }
    if let Some(saved) = saved {
        notes.extend(recheck::unobserved(saved, estate));
    }

    candidates.sort_by(|(a, ac), (b, bc)| {
        urgency(a, *ac)
            .cmp(&urgency(b, *bc))
            .then_with(|| saving_first(a, b))
    });
    let actions = spend_allowance(candidates, &ctx);
    // What is wrong with the prices comes before any other note.
    let mut all_notes = prices.warnings();
    all_notes.extend(notes);

    Plan {
        at: now,
        actions,
        profiles,
        emergency: emergency.is_some(),
        budget: standings,
        notes: all_notes,
        prices: prices.describe(),
        policy_hash: String::new(),
        at_limit,
    }
}

/// Prices a proposal and runs every guard but the rate limit on it.
fn judge(
    p: Proposal,
    resource: &Resource,
    member: &Member,
    signals: &Signals,
    prices: &dyn PriceBook,
    ctx: &Context<'_>,
) -> (Action, bool) {
    let after_settings = settings_after(member, p.knob, &p.to);
    let priced = price::change(
        resource,
        member,
        signals,
        (
            price::Side {
                settings: &member.settings,
                mix: member.spot_mix.as_ref(),
            },
            price::Side {
                settings: &after_settings,
                mix: p.mix.as_ref().or(member.spot_mix.as_ref()),
            },
        ),
        prices,
    );
    let (cost_delta, used) = match priced {
        Some((delta, used)) => (Some(delta), used),
        None => (None, Vec::new()),
    };
    let refused = {
        let step = p.step.as_ref().and_then(|(from, to, window)| {
            Some(Step {
                knob: resource.knob(p.knob)?,
                from: *from,
                to: *to,
                window,
            })
        });
        guards::check(
            &guards::Proposal {
                member,
                resource,
                knob: p.knob,
                to: &p.to,
                direction: p.direction,
                cause: &p.cause,
                critical: p.critical,
                cost_delta,
                step,
            },
            ctx,
        )
    };
    let mut notes = knobs::notes(p.knob, resource, member.multi_az);
    notes.extend(knobs::auto_pause_note(&p.to, resource));
    if let (Setting::Mix(from), Setting::Mix(to)) = (&p.from, &p.to)
        && let Some(class) = resource
            .workload_class
            .as_ref()
            .and_then(|c| ctx.policy.spot_mix.get(c))
    {
        notes.extend(crate::spot::refresh_note(class, from, to));
    }
    if cost_delta.is_none() {
        notes.push("not priced: a price is missing from the price book".to_owned());
    }
    (
        Action {
            policy_id: member.policy_id.clone(),
            identifier: member.identifier.clone(),
            kind: member.kind,
            knob: p.knob,
            from: p.from,
            to: p.to,
            direction: p.direction,
            cause: p.cause,
            reason: p.reason,
            cost_delta_per_hour: cost_delta,
            refused,
            notes,
            prices: used,
        },
        p.critical,
    )
}

/// Lower runs first: protect the service (critical scale-ups, a spot raise),
/// then honour commitments, then save money, then tidy up.
fn urgency(a: &Action, critical: bool) -> u8 {
    match (a.direction, &a.cause) {
        // Spot capacity is being reclaimed: more on-demand keeps the
        // group's size, and its warnings leave the window if held.
        (Some(Direction::Up), _) if critical => 0,
        (Some(Direction::Up), Cause::SpotMix { .. }) => 0,
        (Some(Direction::Up), Cause::Rule { .. }) => 1,
        (Some(Direction::Up), _) => 2,
        (Some(Direction::Down), Cause::Budget { .. }) => 3,
        (Some(Direction::Down), Cause::Schedule { .. }) => 4,
        (Some(Direction::Down), _) => 5,
        (None, _) => 6,
    }
}

/// Among equals, the biggest saving first (an emergency sheds the most
/// expensive capacity before the rest).
fn saving_first(a: &Action, b: &Action) -> std::cmp::Ordering {
    let d = |x: &Action| x.cost_delta_per_hour.unwrap_or(0.0);
    d(a).total_cmp(&d(b))
}

/// Walks the ordered candidates: one change per resource per decision, and
/// no more than the hourly allowance across the estate.
fn spend_allowance(candidates: Vec<(Action, bool)>, ctx: &Context<'_>) -> Vec<Action> {
    let mut used = ctx.history.in_last_hour;
    // One action per resource is what the plan would take with no limit.
    let wanted = candidates
        .iter()
        .filter(|(a, _)| a.refused.is_none())
        .map(|(a, _)| a.identifier.as_str())
        .collect::<HashSet<_>>()
        .len();
    let allowance = guards::rate_limit::Allowance {
        limit: ctx.policy.guardrails.max_actions_per_hour,
        before: used,
        wanted,
    };
    let mut busy: HashSet<String> = HashSet::new();
    candidates
        .into_iter()
        .map(|(mut action, _)| {
            if action.refused.is_some() {
                return action;
            }
            if busy.contains(&action.identifier) {
                action.refused = Some(Refusal {
                    guard: Guard::OneAtATime,
                    why: "one change at a time: another change to this resource runs first"
                        .to_owned(),
                });
            } else if let Some(r) = guards::rate_limit::check(used, allowance) {
                action.refused = Some(r);
            } else {
                used += 1;
                busy.insert(action.identifier.clone());
            }
            action
        })
        .collect()
}
