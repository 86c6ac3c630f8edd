//! The spot-mix part of the backtest report: the interruption warnings a
//! replay was given, and each reacting group's on-demand share over time
//! and what the raised share cost.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::format::{cents, tenths};
use crate::backtest::SpotWarnings;
use crate::backtest::interruptions::WarningKind;
use crate::backtest::sim::{SpotTally, Subject, Tally};
use crate::backtest::timeline::{STEP_SECS, Window};
use crate::estate::Setting;
use crate::plan::Guard;
use crate::policy::{Direction, Policy, SpotClass};

/// The spot interruption warnings a replay was given.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarningsReport {
    /// The file, as read.
    pub file: String,
    /// Who named it (the mapping, `--interruptions`).
    pub given_by: String,
    /// What the mapping says about it (e.g. that it is synthetic).
    pub note: Option<String>,
    /// Whole weeks the warnings were moved by.
    pub shift_weeks: i64,
    /// How the warnings meet the replay, in words.
    pub alignment: String,
    /// Data rows read.
    pub rows: usize,
    /// Rows that repeated an earlier one (counted once).
    pub duplicates: usize,
    /// Rows out of time order (sorted).
    pub out_of_order: usize,
    /// Warnings, each once.
    pub warnings: usize,
    /// Of which before the first decision (seen as history).
    pub before_window: usize,
    /// Of which after the last instant replayed (never seen).
    pub after_window: usize,
    /// Per workload class named in the trace or reacting to warnings.
    pub classes: Vec<ClassWarnings>,
}

/// One workload class's warnings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassWarnings {
    /// The class.
    pub class: String,
    /// Interruption warnings.
    pub interruption: usize,
    /// Rebalance recommendations.
    pub rebalance: usize,
    /// True when the class has `interruptions` (its groups see the warnings).
    pub reacts: bool,
    /// Its groups (policy resource ids).
    pub groups: Vec<String>,
}

/// How the warnings meet the replay, in the words the report uses.
pub const WARNINGS_ALIGNMENT: &str = "timestamps are instants on the replay's clock (after the traces' week shifts, moved by the mapping's interruptions.shift_weeks if any); each decision sees its class's warnings at or before its instant; every group of a class sees the class's warnings; groups of classes without `interruptions` get none";

impl WarningsReport {
    /// The report of `w` (already moved) on `window`.
    pub fn new(
        w: &SpotWarnings,
        policy: &Policy,
        subjects: &[Subject<'_>],
        window: &Window,
    ) -> WarningsReport {
        let t = &w.trace;
        let mut classes: Vec<ClassWarnings> = Vec::new();
        for (name, class) in &policy.spot_mix {
            let count = |kind| {
                t.warnings
                    .iter()
                    .filter(|x| &x.class == name && x.kind == kind)
                    .count()
            };
            let (interruption, rebalance) = (
                count(WarningKind::Interruption),
                count(WarningKind::Rebalance),
            );
            let reacts = class.interruptions.is_some();
            if !reacts && interruption + rebalance == 0 {
                continue;
            }
            classes.push(ClassWarnings {
                class: name.clone(),
                interruption,
                rebalance,
                reacts,
                groups: subjects
                    .iter()
                    .filter(|s| s.spot_class.is_some_and(|c| &c.name == name))
                    .map(|s| s.resource.id.clone())
                    .collect(),
            });
        }
        WarningsReport {
            file: t.file.clone(),
            given_by: w.given_by.clone(),
            note: w.note.clone(),
            shift_weeks: w.shift_weeks,
            alignment: WARNINGS_ALIGNMENT.to_owned(),
            rows: t.rows,
            duplicates: t.duplicates,
            out_of_order: t.out_of_order,
            warnings: t.warnings.len(),
            before_window: t.warnings.iter().filter(|x| x.at < window.start).count(),
            after_window: t.warnings.iter().filter(|x| x.at > window.end).count(),
            classes,
        }
    }
}

/// One group's spot mix over the replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpotMixReport {
    /// Its workload class.
    pub class: String,
    /// True when the class reacts to interruption warnings.
    pub reacts: bool,
    /// Warnings of its class it was given (None: none given, so its mix
    /// stayed the class's own).
    pub warnings_seen: Option<usize>,
    /// The class's own on-demand share (percent above the on-demand base).
    pub class_on_demand_percent: u32,
    /// The highest share the class allows (its own when it does not react).
    pub ceiling_on_demand_percent: u32,
    /// Every change of the mix, in order.
    pub changes: Vec<MixChange>,
    /// Time at each on-demand share, lowest first.
    pub time_at: Vec<MixLevel>,
    /// Time-weighted average on-demand share, percent above the base.
    pub average_on_demand_percent: f64,
    /// Hours above the class's own share.
    pub raised_hours: f64,
    /// What the same capacity would have cost at the class's own mix, USD.
    pub class_mix_usd: f64,
    /// Replayed cost − the same at the class's own mix: what the raised
    /// on-demand share cost, USD.
    pub extra_usd: f64,
    /// Spot-mix changes held back, per guard.
    pub refused_by_guard: BTreeMap<Guard, usize>,
}

/// One change of a group's instances distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixChange {
    /// When.
    pub at: DateTime<Utc>,
    /// On-demand share before (percent above the base).
    pub from_percent: u32,
    /// On-demand share after.
    pub to_percent: u32,
    /// Up (more on-demand), down (back toward the class's mix) or None.
    pub direction: Option<Direction>,
    /// Instance types added to the overrides.
    pub added_types: Vec<String>,
    /// Instance types taken out of the overrides.
    pub removed_types: Vec<String>,
    /// The plan's reason.
    pub reason: String,
}

/// Time at one on-demand share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixLevel {
    /// On-demand share, percent above the base.
    pub on_demand_percent: u32,
    /// Decision intervals.
    pub intervals: usize,
    /// Hours.
    pub hours: f64,
    /// Percent of the replay.
    pub percent_of_time: f64,
}

pub(super) fn spot_mix_report(
    subject: &Subject<'_>,
    t: &Tally,
    spot: &SpotTally,
    class: &SpotClass,
) -> SpotMixReport {
    let own = class.distribution().on_demand_percent_above_base;
    let ceiling =
        crate::spot::level_mix(class, crate::spot::max_level(class)).on_demand_percent_above_base;
    let total: usize = spot.intervals_at.values().sum();
    let hours = |n: usize| tenths(n as f64 * STEP_SECS as f64 / 3600.0);
    let weighted: f64 = spot
        .intervals_at
        .iter()
        .map(|(p, n)| f64::from(*p) * *n as f64)
        .sum();
    let changes = t
        .taken
        .iter()
        .filter_map(|a| match (&a.from, &a.to) {
            (Setting::Mix(from), Setting::Mix(to)) => Some(MixChange {
                at: a.at,
                from_percent: from.on_demand_percent_above_base,
                to_percent: to.on_demand_percent_above_base,
                direction: a.direction,
                added_types: to
                    .instance_types
                    .iter()
                    .filter(|x| !from.instance_types.contains(x))
                    .cloned()
                    .collect(),
                removed_types: from
                    .instance_types
                    .iter()
                    .filter(|x| !to.instance_types.contains(x))
                    .cloned()
                    .collect(),
                reason: a.reason.clone(),
            }),
            _ => None,
        })
        .collect();
    let (tidegate, at_class) = (cents(t.cost_usd), cents(spot.class_mix_cost_usd));
    SpotMixReport {
        class: class.name.clone(),
        reacts: class.interruptions.is_some(),
        warnings_seen: subject.spot_warnings.as_ref().map(Vec::len),
        class_on_demand_percent: own,
        ceiling_on_demand_percent: ceiling,
        changes,
        time_at: spot
            .intervals_at
            .iter()
            .map(|(p, n)| MixLevel {
                on_demand_percent: *p,
                intervals: *n,
                hours: hours(*n),
                percent_of_time: tenths(*n as f64 / total.max(1) as f64 * 100.0),
            })
            .collect(),
        average_on_demand_percent: tenths(weighted / total.max(1) as f64),
        raised_hours: hours(
            spot.intervals_at
                .iter()
                .filter(|(p, _)| **p > own)
                .map(|(_, n)| n)
                .sum(),
        ),
        class_mix_usd: at_class,
        extra_usd: cents(tidegate - at_class),
        refused_by_guard: spot.refused.clone(),
    }
}
