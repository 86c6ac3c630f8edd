//! What each resource asks for before any guard looks: one proposal per
//! knob that should move, with its cause and reason. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::guards::storage_iops;
use super::knobs::{self, Window};
use super::rules::{self, Seen};
use super::target;
use crate::estate::{Member, Power, Setting};
use crate::plan::{Cause, LimitSide};
use crate::policy::{
    Direction, Knob, KnobName, Policy, PredictiveMode, Resource, ResourceKind, SpotMix,
};
use crate::signals::Signals;

/// The profiles in force for one resource.
pub(crate) struct InForce<'a> {
    /// Scheduled profile and its schedule, with a description of why.
    pub scheduled: Option<(&'a str, &'a str, &'a str)>,
    /// The emergency profile and the period that triggered it.
    pub emergency: Option<(&'a str, crate::policy::BudgetPeriod, &'a str)>,
}

impl InForce<'_> {
    /// Profile names to narrow by, scheduled first.
    fn names(&self, with_emergency: bool) -> Vec<&str> {
        let mut v = Vec::new();
        if let Some((_, p, _)) = self.scheduled {
            v.push(p);
        }
        if with_emergency && let Some((p, _, _)) = self.emergency {
            v.push(p);
        }
        v
    }
}

/// A change one resource asks for.
pub(crate) struct Proposal {
    /// Which knob.
    pub knob: KnobName,
    /// From.
    pub from: Setting,
    /// To (equal to `from` when a step past the scale's end was asked).
    pub to: Setting,
    /// Up, down, or a reconfiguration.
    pub direction: Option<Direction>,
    /// What asked.
    pub cause: Cause,
    /// For a person.
    pub reason: String,
    /// Critical rule or storage growth.
    pub critical: bool,
    /// Positional move, for the guards.
    pub step: Option<(usize, isize, Window)>,
    /// The replacement spot mix (spot-mix proposals only).
    pub mix: Option<SpotMix>,
}

/// A knob held at the end of its range while a rule fires past it: not a
/// proposal (nothing can move), a state the plan shows once.
pub(crate) struct Held {
    /// Which knob.
    pub knob: KnobName,
    /// Top or bottom.
    pub side: LimitSide,
    /// The setting it stays at.
    pub setting: Setting,
    /// The rule's label.
    pub rule: String,
    /// Why the rule fires.
    pub evidence: String,
    /// What bounds it, in words.
    pub bound: String,
}

/// What one knob asks for.
enum Asked {
    /// A move (or a reshape) for the guards to judge.
    Move(Box<Proposal>),
    /// Nothing can move: the rule fires past the end of the range.
    AtLimit(Held),
}

/// Everything `member` asks for now (and the knobs held at the end of
/// their range), and notes on what could not be judged.
pub(crate) fn propose(
    policy: &Policy,
    resource: &Resource,
    member: &Member,
    seen: &Seen<'_>,
    in_force: &InForce<'_>,
    (last_raise, now): (Option<DateTime<Utc>>, DateTime<Utc>),
    notes: &mut Vec<String>,
) -> (Vec<Proposal>, Vec<Held>) {
    let mut out = Vec::new();
    let mut held = Vec::new();
    for knob in &resource.knobs {
        let Some(current) = member.settings.get(&knob.name) else {
            notes.push(format!(
                "{}: no observed {}; left alone",
                member.label(),
                knob.name
            ));
            continue;
        };
        let Some(pos) = knobs::position(knob, current) else {
            notes.push(format!(
                "{}: {} {current} is not on its policy scale; left alone",
                member.label(),
                knob.name
            ));
            continue;
        };
        match positional(resource, member, seen, in_force, knob, current, pos) {
            Some(Asked::Move(p)) => {
                out.push(*p);
                continue;
            }
            Some(Asked::AtLimit(h)) => {
                held.push(h);
                continue;
            }
            None => {}
        }
        if let Some(p) = forecast(
            resource,
            member,
            seen.signals,
            in_force,
            (knob, current, pos),
            notes,
        ) {
            out.push(p);
        }
    }
    out.extend(storage(resource, member));
    out.extend(power(resource, member, in_force));
    out.extend(spot_mix(
        policy,
        resource,
        member,
        seen.signals,
        last_raise,
        now,
    ));
    (out, held)
}

fn positional(
    resource: &Resource,
    member: &Member,
    seen: &Seen<'_>,
    in_force: &InForce<'_>,
    knob: &Knob,
    current: &Setting,
    pos: usize,
) -> Option<Asked> {
    let window = knobs::window(knob, resource, &in_force.names(true));
    let up = rules::first_firing(&resource.scale_up, knob.name, resource, member, seen);
    let down = rules::first_firing(&resource.scale_down, knob.name, resource, member, seen);

    // Profiles win: a rule's step that would leave the window (and so be
    // refused) must not keep the knob's shape (ASG min/max, Serverless v2
    // minimum ACU) away from the profile in force; the reshape runs instead.
    let inside = |to: isize, w: &Window| to >= w.lo as isize && to <= w.hi as isize;
    let (to, cause, reason, critical, window) = if pos < window.lo {
        let (cause, who) = profile_cause(in_force, window.raised_by.as_deref());
        let reason = format!("{who} keeps at least {}", knobs::describe(knob, window.lo));
        (window.lo as isize, cause, reason, false, window)
    } else if pos > window.hi {
        let (cause, who) = profile_cause(in_force, window.capped_by.as_deref());
        let reason = format!("{who} allows at most {}", knobs::describe(knob, window.hi));
        (window.hi as isize, cause, reason, false, window)
    } else if let Some(fired) = up {
        // A critical rule may reach past the emergency profile's cap (never
        // past the scheduled profile or the ladder).
        let reach = if fired.rule.critical && in_force.emergency.is_some() {
            knobs::window(knob, resource, &in_force.names(false))
        } else {
            window.clone()
        };
        let sized = target::destination(
            resource,
            member,
            seen.signals,
            (knob, pos, &reach),
            fired.rule,
            Direction::Up,
        );
        let mut to = sized.as_ref().map_or(pos as isize + 1, |s| s.to as isize);
        if !inside(to, &reach) {
            if let Some(p) = reshape(in_force, knob, current, pos, &window, Some(&fired)) {
                return Some(Asked::Move(Box::new(p)));
            }
            if pos >= reach.hi {
                let bound = reach.capped_by.as_deref().map_or_else(
                    || "the top of its range".to_owned(),
                    |p| format!("profile {p}'s maximum"),
                );
                return Some(at_limit(knob, current, &fired, LimitSide::Ceiling, bound));
            }
            // Sized past the top: as far as the range goes.
            to = reach.hi as isize;
        }
        let cause = rule_cause(fired.rule);
        let reason = moved(&fired, knob, pos, to, sized.as_ref());
        (to, cause, reason, fired.rule.critical, reach)
    } else if let Some(fired) = down {
        let sized = target::destination(
            resource,
            member,
            seen.signals,
            (knob, pos, &window),
            fired.rule,
            Direction::Down,
        );
        if sized.as_ref().is_some_and(|s| s.to == pos) {
            // One step down would land over the target: the next decision
            // would scale straight back up. Hold; only the shape may drift.
            return reshape(in_force, knob, current, pos, &window, None)
                .map(|p| Asked::Move(Box::new(p)));
        }
        let mut to = sized.as_ref().map_or(pos as isize - 1, |s| s.to as isize);
        if !inside(to, &window) {
            if let Some(p) = reshape(in_force, knob, current, pos, &window, Some(&fired)) {
                return Some(Asked::Move(Box::new(p)));
            }
            if pos <= window.lo {
                let bound = match window.raised_by.as_deref() {
                    Some(p) => format!("profile {p}'s minimum"),
                    None if knob.floor > 0 && window.lo == knob.floor => {
                        "its protected floor".to_owned()
                    }
                    None => "the bottom of its range".to_owned(),
                };
                return Some(at_limit(knob, current, &fired, LimitSide::Floor, bound));
            }
            to = window.lo as isize;
        }
        let cause = rule_cause(fired.rule);
        let reason = moved(&fired, knob, pos, to, sized.as_ref());
        (to, cause, reason, false, window)
    } else {
        // In range and no rule: only the shape may drift (ASG min/max,
        // Serverless v2 minimum ACU) when the profile changes.
        return reshape(in_force, knob, current, pos, &window, None)
            .map(|p| Asked::Move(Box::new(p)));
    };

    let to_setting = usize::try_from(to)
        .ok()
        .and_then(|t| knobs::setting_at(knob, t, &window))
        .unwrap_or_else(|| current.clone());
    let direction = match to.cmp(&(pos as isize)) {
        std::cmp::Ordering::Greater => Some(Direction::Up),
        std::cmp::Ordering::Less => Some(Direction::Down),
        std::cmp::Ordering::Equal => None,
    };
    Some(Asked::Move(Box::new(Proposal {
        knob: knob.name,
        from: current.clone(),
        to: to_setting,
        direction,
        cause,
        reason,
        critical,
        step: Some((pos, to, window)),
        mix: None,
    })))
}

fn at_limit(
    knob: &Knob,
    current: &Setting,
    fired: &rules::Fired<'_>,
    side: LimitSide,
    bound: String,
) -> Asked {
    Asked::AtLimit(Held {
        knob: knob.name,
        side,
        setting: current.clone(),
        rule: fired.rule.label(),
        evidence: fired.evidence.clone(),
        bound,
    })
}

/// A pre-scale before a forecast rise, when nothing else moves the knob
/// and the resource's forecast is trusted and may scale; otherwise a note
/// of what a `forecast_only` forecast would do, or why it is not trusted.
fn forecast(
    resource: &Resource,
    member: &Member,
    signals: &Signals,
    in_force: &InForce<'_>,
    (knob, current, pos): (&Knob, &Setting, usize),
    notes: &mut Vec<String>,
) -> Option<Proposal> {
    let predictive = resource.predictive.as_ref()?;
    let outlook = signals.forecasts.get(&member.identifier)?;
    if !outlook.trusted {
        notes.push(format!("{}: {}", member.label(), outlook.note));
        return None;
    }
    let window = knobs::window(knob, resource, &in_force.names(true));
    let (rule, sized) = target::ahead(
        resource,
        member,
        (knob, pos, &window),
        &outlook.metric,
        outlook.peak,
    )?;
    let reason = format!(
        "forecast p{:.0} of {} over the next {}: {:.1} here; pre-scale to {} ({})",
        predictive.quantile,
        outlook.metric,
        predictive.lead,
        outlook.peak,
        knobs::describe(knob, sized.to),
        sized.describe()
    );
    if predictive.mode == PredictiveMode::ForecastOnly {
        notes.push(format!(
            "{}: forecast only, not acted on: {reason}",
            member.label()
        ));
        return None;
    }
    let to = knobs::setting_at(knob, sized.to, &window)?;
    Some(Proposal {
        knob: knob.name,
        from: current.clone(),
        to,
        direction: Some(Direction::Up),
        cause: Cause::Rule {
            rule: format!("forecast {}", outlook.metric),
            alarm: rule.alarm_name.clone(),
            critical: false,
        },
        reason,
        critical: false,
        step: Some((pos, sized.to as isize, window)),
        mix: None,
    })
}

/// `CPUUtilization 95 > 80: one step up` or, sized by target tracking,
/// `...: 2 steps up to db.r6g.4xlarge (projected 47.5 vs target 52.5)`.
fn moved(
    fired: &rules::Fired<'_>,
    knob: &Knob,
    pos: usize,
    to: isize,
    sized: Option<&target::Sized>,
) -> String {
    let n = to.abs_diff(pos as isize);
    let way = if to > pos as isize { "up" } else { "down" };
    match sized {
        Some(s) if n > 1 => format!(
            "{}: {n} steps {way} to {} ({})",
            fired.evidence,
            knobs::describe(knob, s.to),
            s.describe()
        ),
        Some(s) => format!("{}: one step {way} ({})", fired.evidence, s.describe()),
        None => format!("{}: one step {way}", fired.evidence),
    }
}

/// The knob kept at position `pos` but given the shape `window` asks for
/// (ASG min/max, Serverless v2 minimum ACU); None when it has it already.
/// `held` is a rule whose step the window does not allow, for the reason.
fn reshape(
    in_force: &InForce<'_>,
    knob: &Knob,
    current: &Setting,
    pos: usize,
    window: &Window,
    held: Option<&rules::Fired<'_>>,
) -> Option<Proposal> {
    let target = knobs::setting_at(knob, pos, window)?;
    if &target == current {
        return None;
    }
    let (cause, who) = profile_cause(
        in_force,
        window.capped_by.as_deref().or(window.raised_by.as_deref()),
    );
    let mut reason = format!("{who} sets {target}");
    if let Some(fired) = held {
        reason.push_str(&format!(
            " ({}: its step is outside the profile's range)",
            fired.evidence
        ));
    }
    Some(Proposal {
        knob: knob.name,
        from: current.clone(),
        reason,
        to: target,
        direction: None,
        cause,
        critical: false,
        step: Some((pos, pos as isize, window.clone())),
        mix: None,
    })
}

fn rule_cause(rule: &crate::policy::Rule) -> Cause {
    Cause::Rule {
        rule: rule.label(),
        alarm: rule.alarm_name.clone(),
        critical: rule.critical,
    }
}

/// The cause and a readable "who" for a move the profile `profile` asks for.
fn profile_cause(in_force: &InForce<'_>, profile: Option<&str>) -> (Cause, String) {
    if let (Some((emergency, period, why)), Some(p)) = (&in_force.emergency, profile)
        && p == *emergency
    {
        return (
            Cause::Budget {
                profile: p.to_owned(),
                period: *period,
            },
            format!("budget emergency ({why}): {p}"),
        );
    }
    match (&in_force.scheduled, profile) {
        // `why` starts with the profile's name (`evening since Mon …`):
        // said once, without parentheses around parentheses.
        (Some((schedule, p, why)), _) => (
            Cause::Schedule {
                schedule: (*schedule).to_owned(),
                profile: (*p).to_owned(),
            },
            (*why).to_owned(),
        ),
        (None, p) => (
            Cause::Schedule {
                schedule: String::new(),
                profile: p.unwrap_or_default().to_owned(),
            },
            "the policy".to_owned(),
        ),
    }
}

/// Storage growth. For RDS the setting is the ceiling (MaxAllocatedStorage)
/// and AWS grows the allocated storage up to it by itself, so the ceiling
/// rises only when storage is used past the threshold *and* the allocated
/// storage has come within the same threshold of the ceiling (500 GiB of a
/// 1,000 GiB ceiling has room; 900 has not). With io1/io2 storage the new
/// ceiling stops where the provisioned IOPS stay valid; where that leaves no
/// room, the proposal goes on uncapped and the `storage_iops` guard holds it.
fn storage(resource: &Resource, member: &Member) -> Option<Proposal> {
    let rule = resource.storage?;
    let Some(Setting::Gib(current)) = member.settings.get(&KnobName::Storage) else {
        return None;
    };
    let used = member.storage_used_percent?;
    if used < rule.grow_when_used_percent {
        return None;
    }
    let near = |allocated: u32| {
        f64::from(allocated) >= f64::from(*current) * rule.grow_when_used_percent / 100.0
    };
    if let Some(facts) = &member.storage
        && !near(facts.allocated_gib)
    {
        return None;
    }
    let grown = (f64::from(*current) * (1.0 + rule.grow_by_percent / 100.0)).ceil() as u32;
    let mut target = grown.max(current + rule.min_grow_gib).min(rule.max_gib);
    let mut reason = match &member.storage {
        Some(facts) => format!(
            "storage {used:.0}% used ≥ {}% and {} GiB allocated of a {current} GiB ceiling: raise the ceiling by max({}%, {} GiB) up to {} GiB",
            rule.grow_when_used_percent,
            facts.allocated_gib,
            rule.grow_by_percent,
            rule.min_grow_gib,
            rule.max_gib
        ),
        None => format!(
            "storage {used:.0}% used ≥ {}%: grow by max({}%, {} GiB) up to {} GiB",
            rule.grow_when_used_percent, rule.grow_by_percent, rule.min_grow_gib, rule.max_gib
        ),
    };
    if let Some(facts) = &member.storage
        && let Some(limit) = storage_iops::max_gib(facts)
        && target > limit
        && limit > *current
    {
        target = limit;
        reason.push_str(&format!(
            "; held to {limit} GiB, where {} IOPS stay valid for {}",
            facts.iops.unwrap_or(0),
            facts.storage_type
        ));
    }
    // At the maximum already: nothing to propose.
    if target <= *current {
        return None;
    }
    Some(Proposal {
        knob: KnobName::Storage,
        from: Setting::Gib(*current),
        to: Setting::Gib(target),
        direction: Some(Direction::Up),
        cause: Cause::StorageGrowth { used_percent: used },
        reason,
        critical: true,
        step: None,
        mix: None,
    })
}

fn power(resource: &Resource, member: &Member, in_force: &InForce<'_>) -> Option<Proposal> {
    if !resource.allow_stop {
        return None;
    }
    let Some(Setting::Power(current)) = member.settings.get(&KnobName::Power) else {
        return None;
    };
    let (schedule, profile, why) = in_force.scheduled.as_ref()?;
    let stop = resource
        .profile(profile)
        .and_then(|l| l.stopped)
        .unwrap_or(false);
    let (to, direction, verb) = match (current, stop) {
        (Power::Running, true) => (Power::Stopped, Direction::Down, "stops"),
        (Power::Stopped, false) => (Power::Running, Direction::Up, "starts"),
        _ => return None,
    };
    Some(Proposal {
        knob: KnobName::Power,
        from: Setting::Power(*current),
        to: Setting::Power(to),
        direction: Some(direction),
        cause: Cause::Schedule {
            schedule: (*schedule).to_owned(),
            profile: (*profile).to_owned(),
        },
        reason: format!(
            "{why} {verb} the {}",
            if resource.kind == ResourceKind::AuroraCluster {
                "cluster"
            } else {
                "instance"
            }
        ),
        critical: false,
        step: None,
        mix: None,
    })
}

/// The workload class's mix for the group, bent by spot interruption
/// warnings when the class reacts to them (`crate::spot`).
fn spot_mix(
    policy: &Policy,
    resource: &Resource,
    member: &Member,
    signals: &Signals,
    last_raise: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Proposal> {
    let name = resource.workload_class.as_deref()?;
    let class = policy.spot_mix.get(name)?;
    let warnings = signals.spot_warnings.get(&member.identifier);
    let wanted = crate::spot::wanted(
        class,
        member.spot_mix.as_ref(),
        warnings.map(Vec::as_slice),
        last_raise,
        now,
    )?;
    let from = member.spot_mix_or_on_demand();
    Some(Proposal {
        knob: KnobName::SpotMix,
        from: Setting::Mix(from),
        to: Setting::Mix(wanted.mix.clone()),
        direction: wanted.direction,
        cause: Cause::SpotMix {
            class: name.to_owned(),
        },
        reason: wanted.reason,
        critical: false,
        step: None,
        mix: Some(wanted.mix),
    })
}

/// `member`'s settings with `knob` set to `to`.
pub(crate) fn settings_after(
    member: &Member,
    knob: KnobName,
    to: &Setting,
) -> BTreeMap<KnobName, Setting> {
    let mut s = member.settings.clone();
    s.insert(knob, to.clone());
    s
}
