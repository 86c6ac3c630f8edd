//! The replay loop: every 5 minutes, observe the in-process estate under
//! the trace's load, decide, apply the plan at once, record it, and count
//! cost and SLO breaches. Pure: no clock, no I/O; same inputs, same tallies.
//!
//! Each interval, in order:
//! 1. each traced resource's utilisation (demand ÷ capacity now) feeds its
//!    emulated alarms;
//! 2. the run's own spend so far in each budget period, with the estate's
//!    current run-rate, becomes the spend signal (so budget guards work);
//! 3. each group whose workload class reacts to spot interruptions, when an
//!    interruption trace is given, gets its class's warnings at or before
//!    now as its spot-warning signal (groups of other classes are left out,
//!    as the engine leaves them out);
//! 4. [`crate::decide::decide`] plans; planned actions change the estate at
//!    once and go into the history with their direction (cooldowns, rate
//!    limit, oscillation, the spot mix's last raise); the budget emergency
//!    latch follows the plan;
//! 5. the interval is costed (hourly cost × 5/60) and checked against the
//!    SLO on the settings it now runs with; an Auto Scaling group's on-demand
//!    share in force is counted, and the same capacity is costed at its
//!    class's own mix too, so the report can say what a raised share cost.
//!
//! An interval marked missing (a trace has a gap longer than the limit
//! there) is skipped whole: no decision, no cost, no SLO count, no spend.
//!
//! The engine reads a group's warnings back as far as its class looks
//! (`max(within, quiet_period)`); the replay hands over every earlier
//! warning too. The decisions are the same (a warning older than that is
//! neither within the window nor inside the quiet period); the reason for a
//! step back can then name the last warning's time.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};

use super::alarms::Alarms;
use super::costing::CostCache;
use super::load;
use super::predict::Forecaster;
use super::timeline::{STEP_SECS, Window};
use crate::budget;
use crate::decide::{Inputs, decide};
use crate::estate::{Estate, Member, Setting, Status};
use crate::ledger::History;
use crate::plan::{Action, Cause, Guard, LimitSide};
use crate::policy::{
    BudgetPeriod, Direction, Knob, KnobName, Policy, Resource, Scale, SpotClass, SpotMix,
};
use crate::pricing::{PriceBook, PriceKey, Quote, Unpriced};
use crate::signals::Signals;

/// One policy resource in the replay.
#[derive(Debug, Clone)]
pub struct Subject<'p> {
    /// Its policy.
    pub resource: &'p Resource,
    /// The AWS identifier the in-process member carries.
    pub identifier: String,
    /// Starting settings.
    pub start: BTreeMap<KnobName, Setting>,
    /// Starting instances distribution (ASGs: their workload class's).
    pub spot_mix: Option<SpotMix>,
    /// The workload class (ASGs).
    pub spot_class: Option<&'p SpotClass>,
    /// The spot interruption warnings this group sees, in time order: its
    /// class's, when the class reacts to them and an interruption trace is
    /// given; None otherwise (the group is left out of the signal).
    pub spot_warnings: Option<Vec<DateTime<Utc>>>,
    /// The load, when a trace drives it.
    pub driven: Option<Driven>,
}

/// A trace's load on one resource.
#[derive(Debug, Clone)]
pub struct Driven {
    /// The metric the trace stands for.
    pub metric: String,
    /// Utilisation (%) at the starting setting, per interval.
    pub percents: Vec<f64>,
    /// Capacity units of the starting setting.
    pub start_units: f64,
}

impl Driven {
    /// Demand (capacity units) in interval `i`.
    pub fn demand(&self, i: usize) -> f64 {
        load::demand(
            self.percents.get(i).copied().unwrap_or(0.0),
            self.start_units,
        )
    }

    /// The largest demand of the replay.
    pub fn peak_demand(&self) -> f64 {
        load::demand(
            self.percents.iter().copied().fold(0.0, f64::max),
            self.start_units,
        )
    }
}

/// Stays at one end of a range: how many began, and how many decisions
/// found a knob there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Episodes {
    /// Episodes begun.
    pub episodes: usize,
    /// Decisions in one.
    pub decisions: usize,
}

/// What happened to one resource.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// USD spent over the replay.
    pub cost_usd: f64,
    /// Intervals whose (uncapped) utilisation exceeded the SLO.
    pub breach_intervals: usize,
    /// Highest uncapped utilisation seen (after each interval's changes).
    pub peak_utilisation: f64,
    /// Actions carried out, in order.
    pub taken: Vec<Taken>,
    /// Refusals per guard. A streak of consecutive decisions in which the
    /// same guard holds back the same change counts once.
    pub refused: BTreeMap<Guard, usize>,
    /// Decisions in which a guard held something back.
    pub refused_decisions: usize,
    /// At-ceiling episodes (a scale-up rule firing on a knob at the top of
    /// its range), each counted once, and the decisions spent so.
    pub at_ceiling: Episodes,
    /// The same at the bottom (a scale-down rule at the floor).
    pub at_floor: Episodes,
    /// Lowest and highest setting held, per positional knob.
    pub visited: BTreeMap<KnobName, (usize, usize)>,
    /// Settings at the end.
    pub end: BTreeMap<KnobName, Setting>,
    /// The operator notes of the actions taken (failovers, waiting
    /// periods, ...), each with how many actions carried it.
    pub action_notes: BTreeMap<String, usize>,
    /// Every price the replay's costs used, by key.
    pub prices: BTreeMap<PriceKey, Quote>,
    /// The spot mix over the replay (groups with a workload class).
    pub spot: Option<SpotTally>,
    /// Each interval replayed, in order (missing ones absent), for the
    /// report's charts.
    pub samples: Vec<Sample>,
    /// The forecaster over the replay (resources with `predictive`).
    pub prediction: Option<super::predict::PredictTally>,
}

/// One replayed interval of one resource, on the settings it ran with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Interval index on the window.
    pub interval: usize,
    /// Uncapped utilisation, percent (traced resources only).
    pub utilisation: Option<f64>,
    /// Capacity units in force (None when the load model has none).
    pub units: Option<f64>,
    /// USD spent in the interval.
    pub usd: f64,
    /// On-demand share above the base in force (groups with a spot mix).
    pub on_demand_percent: Option<u32>,
}

/// What the spot mix of one group did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpotTally {
    /// Intervals run at each on-demand share (percent above the base).
    pub intervals_at: BTreeMap<u32, usize>,
    /// USD the same capacity would have cost, interval by interval, at the
    /// class's own mix.
    pub class_mix_cost_usd: f64,
    /// Spot-mix changes held back, per guard (a streak of decisions held
    /// by the same guard counts once).
    pub refused: BTreeMap<Guard, usize>,
}

/// One action carried out.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    /// When.
    pub at: DateTime<Utc>,
    /// Which knob.
    pub knob: KnobName,
    /// From.
    pub from: Setting,
    /// To.
    pub to: Setting,
    /// Up, down, or a reconfiguration.
    pub direction: Option<Direction>,
    /// What asked, for a person (`schedule office/weekend`, `CPUUtilization > 80`).
    pub cause: String,
    /// The plan's one-line reason.
    pub reason: String,
    /// Positions moved on the knob's scale (0 for reconfigurations).
    pub positions: usize,
}

/// Estate-wide budget findings.
#[derive(Debug, Clone, Default)]
pub struct BudgetTally {
    /// Highest forecast seen per period, percent of its limit.
    pub peak_forecast_percent: BTreeMap<BudgetPeriod, f64>,
    /// Intervals the emergency profile was in force.
    pub emergency_intervals: usize,
    /// Per period, each replayed interval's forecast, percent of its limit.
    pub forecast_percent: BTreeMap<BudgetPeriod, Vec<(usize, f64)>>,
    /// The intervals the emergency profile was in force.
    pub emergency_at: Vec<usize>,
}

/// Why the replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A configuration could not be priced.
    #[error("{resource} at {settings}: {error}{hint}")]
    Unpriced {
        /// Policy resource id.
        resource: String,
        /// The settings, for a person.
        settings: String,
        /// What is missing.
        error: Box<Unpriced>,
        /// What to do about it, when the mapping can help.
        hint: String,
    },
    /// The load model could not size a configuration.
    #[error(transparent)]
    Load(#[from] load::LoadModelError),
}

/// The replay's result: one tally per subject, in subject order.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Per subject.
    pub tallies: Vec<Tally>,
    /// Budget standing over the replay.
    pub budget: BudgetTally,
}

/// Replays `window` over `subjects`, skipping the intervals `missing` marks.
pub fn run(
    policy: &Policy,
    subjects: &[Subject<'_>],
    window: &Window,
    missing: &[bool],
    prices: &dyn PriceBook,
    slo_percent: f64,
) -> Result<Outcome, SimError> {
    run_observed(
        policy,
        subjects,
        window,
        missing,
        prices,
        slo_percent,
        &mut |_| {},
    )
}

/// [`run`], telling `tick` the intervals done after each one (for a
/// progress bar; the replay itself reads no clock).
pub fn run_observed(
    policy: &Policy,
    subjects: &[Subject<'_>],
    window: &Window,
    missing: &[bool],
    prices: &dyn PriceBook,
    slo_percent: f64,
    tick: &mut dyn FnMut(usize),
) -> Result<Outcome, SimError> {
    let mut estate = Estate {
        members: subjects.iter().map(member).collect(),
    };
    let mut alarms: Vec<Option<Alarms>> = subjects
        .iter()
        .map(|s| {
            s.driven
                .as_ref()
                .map(|d| Alarms::new(s.resource, &d.metric, STEP_SECS as u64).0)
        })
        .collect();
    let mut caches: Vec<CostCache> = subjects.iter().map(|_| CostCache::default()).collect();
    let mut forecasters: Vec<Option<Forecaster>> = subjects
        .iter()
        .map(|s| Forecaster::new(s.resource, &s.driven.as_ref()?.metric))
        .collect();
    // The same capacity at the class's own mix (kept apart, so the prices
    // a resource reports are the ones its replayed cost used).
    let mut class_caches: Vec<CostCache> = subjects.iter().map(|_| CostCache::default()).collect();
    let mut tallies: Vec<Tally> = subjects
        .iter()
        .map(|s| Tally {
            spot: s.spot_class.map(|_| SpotTally::default()),
            ..Tally::default()
        })
        .collect();
    let mut history = History::default();
    // (subject, knob, direction, guard) → the last interval it was refused.
    let mut streaks: BTreeMap<(usize, KnobName, Option<Direction>, Guard), usize> = BTreeMap::new();
    let mut signals = Signals::default();
    let mut spend: BTreeMap<BudgetPeriod, (DateTime<Utc>, f64)> = BTreeMap::new();
    let mut budget_tally = BudgetTally::default();
    let keep = history_horizon(policy);
    // The first subject of each identifier, as a scan from the front finds.
    let mut by_identifier: HashMap<&str, usize> = HashMap::new();
    for (k, s) in subjects.iter().enumerate() {
        by_identifier.entry(s.identifier.as_str()).or_insert(k);
    }
    let hours_per_interval = STEP_SECS as f64 / 3600.0;

    let mut run_rate = 0.0;
    for (k, s) in subjects.iter().enumerate() {
        let m = &estate.members[k];
        let demand = s.driven.as_ref().map(|d| d.demand(0));
        run_rate += hourly(&mut caches[k], s, m, demand, prices)?;
    }

    for i in 0..window.intervals {
        let now = window.at(i);
        tick(i);
        // No data: nothing to decide on and nothing to cost.
        if missing.get(i).copied().unwrap_or(false) {
            continue;
        }

        // 1. Load → utilisation → alarms.
        for (k, s) in subjects.iter().enumerate() {
            let (Some(d), Some(a)) = (&s.driven, alarms[k].as_mut()) else {
                continue;
            };
            let units = load::capacity_units(s.resource, &estate.members[k].settings)?;
            let seen = load::signal(load::utilisation(d.demand(i), units));
            a.push(seen);
            // The forecaster sees the metric as read, as demand.
            if let Some(f) = forecasters[k].as_mut() {
                match f.step(i, seen * units / 100.0, units) {
                    Some(o) => signals.forecasts.insert(s.identifier.clone(), o),
                    None => signals.forecasts.remove(&s.identifier),
                };
            }
            for (name, state) in a.states() {
                // Overwritten in place: a new key only the first time.
                match signals.alarms.get_mut(name) {
                    Some(s) => *s = state,
                    None => {
                        signals.alarms.insert(name.to_owned(), state);
                    }
                }
            }
            // The rules (and the prices of Serverless v2) read the metric's
            // datapoints as they do live.
            if let Some(values) = a.series() {
                signals.set_series(&s.identifier, &d.metric, values);
            }
        }

        // 2. Spend so far, per budget period, and its forecast.
        if let Some(budgets) = &policy.budgets {
            for (&period, &limit) in &budgets.limits {
                let (start, _) = budget::period_bounds(period, now);
                let entry = spend.entry(period).or_insert((start, 0.0));
                if entry.0 != start {
                    *entry = (start, 0.0);
                }
                let f = budget::forecast(period, now, entry.1, run_rate);
                let pct = f.forecast_usd / limit * 100.0;
                let peak = budget_tally
                    .peak_forecast_percent
                    .entry(period)
                    .or_insert(0.0);
                *peak = peak.max(pct);
                budget_tally
                    .forecast_percent
                    .entry(period)
                    .or_default()
                    .push((i, pct));
                signals.spend.insert(period, f);
            }
        }

        // 3. Spot interruption warnings up to now, per reacting group.
        for s in subjects {
            if let Some(times) = &s.spot_warnings {
                let seen = times.partition_point(|t| *t <= now);
                signals
                    .spot_warnings
                    .insert(s.identifier.clone(), times[..seen].to_vec());
            }
        }

        // 4. Decide and follow the plan.
        let plan = decide(&Inputs {
            policy,
            estate: &estate,
            signals: &signals,
            history: &history,
            prices,
            now,
        });
        let mut held_back = vec![false; subjects.len()];
        let mut applied: Vec<&Action> = Vec::new();
        for action in &plan.actions {
            let Some(&k) = by_identifier.get(action.identifier.as_str()) else {
                continue;
            };
            if let Some(refusal) = &action.refused {
                let key = (k, action.knob, action.direction, refusal.guard);
                let continues = i > 0 && streaks.get(&key) == Some(&(i - 1));
                streaks.insert(key, i);
                if !continues {
                    *tallies[k].refused.entry(refusal.guard).or_insert(0) += 1;
                    if action.knob == KnobName::SpotMix
                        && let Some(spot) = tallies[k].spot.as_mut()
                    {
                        *spot.refused.entry(refusal.guard).or_insert(0) += 1;
                    }
                }
                held_back[k] = true;
                continue;
            }
            apply(&mut estate.members[k], action);
            applied.push(action);
            for note in &action.notes {
                *tallies[k].action_notes.entry(note.clone()).or_insert(0) += 1;
            }
            tallies[k]
                .taken
                .push(taken(subjects[k].resource, action, now));
        }
        for (t, held) in tallies.iter_mut().zip(held_back) {
            t.refused_decisions += usize::from(held);
        }
        for a in &plan.at_limit {
            let Some(&k) = by_identifier.get(a.identifier.as_str()) else {
                continue;
            };
            let e = match a.side {
                LimitSide::Ceiling => &mut tallies[k].at_ceiling,
                LimitSide::Floor => &mut tallies[k].at_floor,
            };
            e.decisions += 1;
            e.episodes += usize::from(a.since == now);
        }
        // The same bookkeeping as a live run's.
        history.record(&plan, applied, now);
        if plan.emergency {
            budget_tally.emergency_intervals += 1;
            budget_tally.emergency_at.push(i);
        }

        // 5. Cost and SLO on the settings the interval runs with.
        run_rate = 0.0;
        for (k, s) in subjects.iter().enumerate() {
            let m = &estate.members[k];
            let demand = s.driven.as_ref().map(|d| d.demand(i));
            let usd_per_hour = hourly(&mut caches[k], s, m, demand, prices)?;
            run_rate += usd_per_hour;
            let t = &mut tallies[k];
            t.cost_usd += usd_per_hour * hours_per_interval;
            let units = load::capacity_units(s.resource, &m.settings).ok();
            let mut sample = Sample {
                interval: i,
                utilisation: None,
                units,
                usd: usd_per_hour * hours_per_interval,
                on_demand_percent: None,
            };
            if let Some(spot) = t.spot.as_mut() {
                let share = m
                    .spot_mix
                    .as_ref()
                    .map_or(100, |x| x.on_demand_percent_above_base);
                sample.on_demand_percent = Some(share);
                *spot.intervals_at.entry(share).or_insert(0) += 1;
                let at_class_mix = if m.spot_mix == s.spot_mix {
                    usd_per_hour
                } else {
                    class_caches[k]
                        .hourly(s.resource, &m.settings, s.spot_mix.as_ref(), demand, prices)
                        .map_err(|error| SimError::unpriced(s.resource, &m.settings, error))?
                };
                spot.class_mix_cost_usd += at_class_mix * hours_per_interval;
            }
            visit(&mut t.visited, s.resource, &m.settings);
            if let Some(demand) = demand {
                let u = load::utilisation(demand, load::capacity_units(s.resource, &m.settings)?);
                t.peak_utilisation = t.peak_utilisation.max(u);
                if u > slo_percent {
                    t.breach_intervals += 1;
                }
                sample.utilisation = Some(u);
            }
            t.samples.push(sample);
        }
        let interval_usd = run_rate * hours_per_interval;
        for entry in spend.values_mut() {
            entry.1 += interval_usd;
        }

        if i % 288 == 287 {
            history.prune(now, keep);
        }
    }

    for (k, t) in tallies.iter_mut().enumerate() {
        t.end = estate.members[k].settings.clone();
        t.prediction = forecasters[k].take().map(|f| f.tally);
        t.prices = caches[k].used().clone();
    }
    Ok(Outcome {
        tallies,
        budget: budget_tally,
    })
}

/// The in-process member a subject starts as: available, nothing pending.
fn member(s: &Subject<'_>) -> Member {
    Member {
        policy_id: s.resource.id.clone(),
        identifier: s.identifier.clone(),
        kind: s.resource.kind,
        status: Status::Available,
        pending_changes: false,
        settings: s.start.clone(),
        multi_az: s.resource.multi_az,
        spot_mix: s.spot_mix.clone(),
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn hourly(
    cache: &mut CostCache,
    s: &Subject<'_>,
    m: &Member,
    demand: Option<f64>,
    prices: &dyn PriceBook,
) -> Result<f64, SimError> {
    cache
        .hourly(s.resource, &m.settings, m.spot_mix.as_ref(), demand, prices)
        .map_err(|error| SimError::unpriced(s.resource, &m.settings, error))
}

impl SimError {
    /// `resource` at `settings` could not be priced.
    pub fn unpriced(
        resource: &Resource,
        settings: &BTreeMap<KnobName, Setting>,
        error: Unpriced,
    ) -> SimError {
        let hint = match &error {
            Unpriced::MissingSetting { knob, .. } => format!(
                "; expected a starting `{knob}` for `{}` in the mapping (`start: {{ {knob}: … }}`)",
                resource.id
            ),
            _ => String::new(),
        };
        SimError::Unpriced {
            resource: resource.id.clone(),
            settings: describe_settings(settings),
            error: Box::new(error),
            hint,
        }
    }
}

/// `instance_class db.r6g.large, storage 100 GiB`.
pub fn describe_settings(settings: &BTreeMap<KnobName, Setting>) -> String {
    settings
        .iter()
        .filter(|(k, _)| **k != KnobName::Power)
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The estate follows the plan at once.
fn apply(member: &mut Member, action: &Action) {
    match &action.to {
        Setting::Mix(mix) => member.spot_mix = Some(mix.clone()),
        to => {
            member.settings.insert(action.knob, to.clone());
        }
    }
}

fn taken(resource: &Resource, action: &Action, now: DateTime<Utc>) -> Taken {
    let positions = resource
        .knob(action.knob)
        .and_then(|k| Some(position(k, &action.from)?.abs_diff(position(k, &action.to)?)))
        .unwrap_or(0);
    Taken {
        at: now,
        knob: action.knob,
        from: action.from.clone(),
        to: action.to.clone(),
        direction: action.direction,
        cause: cause_label(&action.cause),
        reason: action.reason.clone(),
        positions,
    }
}

/// A cause in a few words.
pub fn cause_label(cause: &Cause) -> String {
    cause.label()
}

/// Where `setting` sits on `knob`'s scale.
pub fn position(knob: &Knob, setting: &Setting) -> Option<usize> {
    match (&knob.scale, setting) {
        (Scale::Classes(ladder), Setting::Class(c)) => ladder.iter().position(|x| x == c),
        (Scale::Counts(counts), Setting::Count(n))
        | (Scale::Counts(counts), Setting::Capacity { desired: n, .. }) => {
            counts.iter().position(|x| x == n)
        }
        (Scale::Acu { max_values, .. }, Setting::Acu { max, .. }) => {
            max_values.iter().position(|x| (x - max).abs() < 1e-9)
        }
        _ => None,
    }
}

fn visit(
    visited: &mut BTreeMap<KnobName, (usize, usize)>,
    resource: &Resource,
    settings: &BTreeMap<KnobName, Setting>,
) {
    for knob in &resource.knobs {
        let Some(pos) = settings.get(&knob.name).and_then(|s| position(knob, s)) else {
            continue;
        };
        let range = visited.entry(knob.name).or_insert((pos, pos));
        range.0 = range.0.min(pos);
        range.1 = range.1.max(pos);
    }
}

/// How much history the guards and the spot mix can still need: the
/// longest cooldown, damping window or spot-warning window (a raise inside
/// it stops earlier warnings counting again), the AWS storage wait, and
/// the rate limit's hour, plus an hour.
fn history_horizon(policy: &Policy) -> TimeDelta {
    let windows = policy
        .spot_mix
        .values()
        .filter_map(|c| c.interruptions.as_ref().map(|r| r.within));
    let longest = policy
        .resources
        .iter()
        .flat_map(|r| [r.cooldown.up, r.cooldown.down])
        .chain([policy.guardrails.oscillation_window])
        .chain(windows)
        .map(|s| s.to_chrono())
        .max()
        .unwrap_or_default();
    let storage = TimeDelta::hours(crate::decide::STORAGE_WAIT_HOURS);
    longest.max(storage).max(TimeDelta::hours(1)) + TimeDelta::hours(1)
}
