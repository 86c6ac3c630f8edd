//! How a workload class's spot mix bends when spot capacity gets scarce,
//! and comes back when it recovers. Pure: the warnings, the last raise and
//! the instant are inputs.
//!
//! A class with `interruptions` has levels: level 0 is its own mix; level
//! `n` adds `n × step_percent` points of on-demand (never above
//! `max_on_demand_percent`) and the first `n` types of `diversify_with` to
//! the overrides. A group's level is read from its observed mix (the
//! lowest level whose on-demand share reaches the group's), so the state
//! lives in AWS, not in tidegate: level-triggered like everything else.
//!
//! - `warnings` warnings within `within`, counted after the last raise,
//!   raise the level by one (up to the ceiling);
//! - no warning for `quiet_period` lowers it by one;
//! - otherwise the level holds. When the warnings are not known (a plan
//!   made without the ledger's warning log), a raised level holds too.
//!
//! Cooldowns, the oscillation guard and the rate limit then judge the move
//! as any other (a raise is an `up`, a step back a `down`).

use chrono::{DateTime, Utc};

use crate::policy::{Direction, SpotClass, SpotMix, SpotReaction};

/// What a class asks of one group now.
#[derive(Debug, Clone, PartialEq)]
pub struct Wanted {
    /// The mix to set.
    pub mix: SpotMix,
    /// Up (more on-demand), down (back toward the class's mix), or None (a
    /// reconfiguration at the same level, e.g. the policy changed).
    pub direction: Option<Direction>,
    /// For a person.
    pub reason: String,
}

/// What a spot-mix change does to running instances (AWS documents it for
/// `OnDemandPercentageAboveBaseCapacity`: "a gradual replacement of
/// instances ... launches new instances before terminating the previous
/// ones"), and what it does not (new overrides only apply to new launches).
pub const REPLACEMENT_NOTE: &str = "Auto Scaling replaces running instances gradually to reach a new on-demand share (new ones launch before old ones stop): no instance refresh is needed for it; instance types added to the overrides are used by new launches only";

/// Whether a change of `class`'s group from `from` to `to` needs an
/// instance refresh to take effect now (it adds instance types), and
/// whether tidegate starts one: None when nothing is added.
pub fn refresh_note(class: &SpotClass, from: &SpotMix, to: &SpotMix) -> Option<String> {
    let added = added_types(Some(from), to);
    if added.is_empty() {
        return None;
    }
    let added = added.join(", ");
    Some(
        match class
            .interruptions
            .as_ref()
            .and_then(|r| r.instance_refresh)
        {
            Some(healthy) => format!(
                "instance refresh: tidegate starts one (minimum healthy {healthy}%) so running instances move to {added} now"
            ),
            None => format!(
                "instance refresh: needed for running instances to move to {added} now; not started (the class's interruptions.instance_refresh is not set), so they move as instances are replaced"
            ),
        },
    )
}

/// The minimum healthy percent of the instance refresh to start after
/// changing `class`'s group from `from` to `to`; None: start none.
pub fn refresh_to_start(class: &SpotClass, from: Option<&SpotMix>, to: &SpotMix) -> Option<u32> {
    let healthy = class.interruptions.as_ref()?.instance_refresh?;
    (!added_types(from, to).is_empty()).then_some(healthy)
}

/// The instance types `to` has that `from` (None: no mix) has not, in
/// `to`'s order.
fn added_types<'m>(from: Option<&SpotMix>, to: &'m SpotMix) -> Vec<&'m str> {
    to.instance_types
        .iter()
        .filter(|t| from.is_none_or(|f| !f.instance_types.contains(t)))
        .map(String::as_str)
        .collect()
}

/// The mix of `class` at `level` (0: the class's own).
pub fn level_mix(class: &SpotClass, level: usize) -> SpotMix {
    let mut mix = class.distribution();
    let Some(r) = &class.interruptions else {
        return mix;
    };
    if level == 0 {
        return mix;
    }
    let raised =
        u64::from(mix.on_demand_percent_above_base) + u64::from(r.step_percent) * level as u64;
    mix.on_demand_percent_above_base = raised.min(u64::from(r.max_on_demand_percent)) as u32;
    let added = r.diversify_with.iter().take(level);
    mix.instance_types.extend(added.cloned());
    mix
}

/// The highest level: the first whose share reaches the ceiling.
pub fn max_level(class: &SpotClass) -> usize {
    let Some(r) = &class.interruptions else {
        return 0;
    };
    let base = class.distribution().on_demand_percent_above_base;
    let room = r.max_on_demand_percent.saturating_sub(base);
    room.div_ceil(r.step_percent.max(1)) as usize
}

/// The level a group with mix `current` is at: the lowest whose on-demand
/// share reaches the group's.
pub fn level_of(class: &SpotClass, current: &SpotMix) -> usize {
    let Some(r) = &class.interruptions else {
        return 0;
    };
    let base = class.distribution().on_demand_percent_above_base;
    let above = current.on_demand_percent_above_base.saturating_sub(base);
    (above.div_ceil(r.step_percent.max(1)) as usize).min(max_level(class))
}

/// What `class` asks of a group whose mix is `current` (None: no
/// MixedInstancesPolicy), given the warnings seen for the group (None:
/// unknown), the last raise and `now`. None when the group is as asked.
pub fn wanted(
    class: &SpotClass,
    current: Option<&SpotMix>,
    warnings: Option<&[DateTime<Utc>]>,
    last_raise: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Wanted> {
    let (Some(r), Some(current)) = (&class.interruptions, current) else {
        return converge(class, current, class.distribution());
    };
    let level = level_of(class, current);
    let target = match warnings {
        None => level,
        Some(times) => target_level(class, r, level, times, last_raise, now),
    };
    let mix = level_mix(class, target);
    if &mix == current {
        return None;
    }
    let from = current.on_demand_percent_above_base;
    let to = mix.on_demand_percent_above_base;
    let name = &class.name;
    let top = max_level(class);
    let added = added_types(Some(current), &mix);
    let adds = if added.is_empty() {
        String::new()
    } else {
        format!("; adds {}", added.join(", "))
    };
    let (direction, reason) = if target > level {
        let n = recent(r, times_or_empty(warnings), last_raise, now);
        (
            Some(Direction::Up),
            format!(
                "{n} spot interruption warnings within {} for workload class {name}: on-demand share {from}% → {to}% (step {target} of {top}){adds}",
                r.within
            ),
        )
    } else if target < level {
        let last = times_or_empty(warnings).iter().filter(|t| **t <= now).max();
        let since = match last {
            Some(t) => format!("since {}", t.format("%Y-%m-%d %H:%M UTC")),
            None => "in the ledger's log".to_owned(),
        };
        (
            Some(Direction::Down),
            format!(
                "no spot interruption warning for workload class {name} {since} (quiet period {}): on-demand share back {from}% → {to}% (step {target} of {top})",
                r.quiet_period
            ),
        )
    } else {
        return converge(class, Some(current), mix);
    };
    Some(Wanted {
        mix,
        direction,
        reason,
    })
}

fn times_or_empty(warnings: Option<&[DateTime<Utc>]>) -> &[DateTime<Utc>] {
    warnings.unwrap_or(&[])
}

/// Warnings within the window and after the last raise, up to `now`.
fn recent(
    r: &SpotReaction,
    times: &[DateTime<Utc>],
    last_raise: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> usize {
    let window_start = now - r.within.to_chrono();
    let since = last_raise.map_or(window_start, |t| t.max(window_start));
    times.iter().filter(|t| **t > since && **t <= now).count()
}

fn target_level(
    class: &SpotClass,
    r: &SpotReaction,
    level: usize,
    times: &[DateTime<Utc>],
    last_raise: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> usize {
    if recent(r, times, last_raise, now) >= r.warnings as usize {
        return (level + 1).min(max_level(class));
    }
    let last = times.iter().filter(|t| **t <= now).max();
    let quiet = last.is_none_or(|t| now - *t >= r.quiet_period.to_chrono());
    if level > 0 && quiet { level - 1 } else { level }
}

/// The group converges to `mix` (no reaction involved): the static case.
fn converge(class: &SpotClass, current: Option<&SpotMix>, mix: SpotMix) -> Option<Wanted> {
    if current == Some(&mix) {
        return None;
    }
    Some(Wanted {
        reason: format!("workload class {} asks for {mix}", class.name),
        mix,
        direction: None,
    })
}

#[cfg(test)]
#[path = "spot_tests.rs"]
mod tests;
