//! Property tests of the decision core: for random policies, estates of
//! every kind (RDS, ASG, Aurora Serverless v2 and readers, ElastiCache,
//! MSK), signals, histories and clocks, no planned (not refused) action
//! ever goes off its scale, below a protected floor, inside a cooldown or
//! the storage wait, past the hourly rate limit, past a budget's emergency
//! threshold without a critical rule, or unpriced while a budget is tight;
//! and a knob outside the window of the profile in force is moved toward
//! it or held by a named guard (issue 12 item 2). 10,000 cases each.

mod world;

use std::sync::LazyLock;

use chrono::{TimeDelta, Timelike};
use proptest::prelude::*;
use tidegate::decide::{Inputs, decide};
use tidegate::estate::Setting;
use tidegate::plan::{Action, Cause, Guard, Plan};
use tidegate::policy::{BudgetPeriod, Direction, Knob, KnobName, Resource, Scale};
use tidegate::pricing::SnapshotPriceBook;

use self::world::{MAX_GIB, World, world};

const CASES: u32 = 10_000;

/// Parsed once: the snapshot is an input like any other.
static PRICES: LazyLock<SnapshotPriceBook> = LazyLock::new(SnapshotPriceBook::embedded);

fn plan_for(w: &World) -> Plan {
    decide(&Inputs {
        policy: &w.policy,
        estate: &w.estate,
        signals: &w.signals,
        history: &w.history,
        prices: &*PRICES,
        now: w.now,
    })
}

/// The positional knob an action moves; None for the spot mix and storage.
fn knob_of<'a>(w: &'a World, a: &Action) -> Option<&'a Knob> {
    let resource = w
        .policy
        .resource(&a.policy_id)
        .expect("actions name a policy resource");
    match a.knob {
        KnobName::SpotMix | KnobName::Storage => None,
        other => Some(
            resource
                .knob(other)
                .expect("positional actions name a knob of their resource"),
        ),
    }
}

fn position(knob: &Knob, s: &Setting) -> Option<usize> {
    match (&knob.scale, s) {
        (Scale::Classes(l), Setting::Class(c)) => l.iter().position(|x| x == c),
        (Scale::Counts(v), Setting::Capacity { desired, .. }) => {
            v.iter().position(|x| x == desired)
        }
        (Scale::Counts(v), Setting::Count(n)) => v.iter().position(|x| x == n),
        (Scale::Acu { max_values, .. }, Setting::Acu { max, .. }) => {
            max_values.iter().position(|x| x == max)
        }
        _ => None,
    }
}

fn is_critical(a: &Action) -> bool {
    matches!(
        a.cause,
        Cause::Rule { critical: true, .. } | Cause::StorageGrowth { .. }
    )
}

/// The window of the profiles in force, computed here from the policy:
/// (lowest, highest position, minimum ACU).
struct Window {
    lo: usize,
    hi: usize,
    min_acu: Option<f64>,
}

fn window(w: &World, plan: &Plan, resource: &Resource, knob: &Knob) -> Window {
    let top = knob.scale.len() - 1;
    let mut win = Window {
        lo: knob.floor,
        hi: top.max(knob.floor),
        min_acu: match &knob.scale {
            Scale::Acu { min_acu, .. } => Some(*min_acu),
            _ => None,
        },
    };
    let scheduled =
        tidegate::schedule::profile_at(&w.policy.schedules["office"], w.now).map(|f| f.profile);
    let emergency = plan.emergency.then(|| "emergency".to_owned());
    for name in scheduled.iter().chain(&emergency) {
        let Some(limits) = resource.profile(name) else {
            continue;
        };
        if let Some(&(lo, hi)) = limits.ranges.get(&knob.name) {
            win.lo = win.lo.max(lo.max(knob.floor));
            win.hi = win.hi.min(hi.max(knob.floor));
            win.lo = win.lo.min(win.hi);
        }
        if let Some(m) = limits.min_acu {
            win.min_acu = Some(m);
        }
    }
    win
}

/// The setting the window asks for at `pos` (its shape: ASG min/max,
/// Serverless v2 minimum ACU).
fn shaped(knob: &Knob, pos: usize, win: &Window, current: &Setting) -> Setting {
    match (&knob.scale, current) {
        (Scale::Counts(c), Setting::Capacity { .. }) => Setting::Capacity {
            min: c[win.lo].min(c[pos]),
            max: c[win.hi].max(c[pos]),
            desired: c[pos],
        },
        (Scale::Acu { max_values, .. }, Setting::Acu { .. }) => {
            let max = max_values[pos];
            Setting::Acu {
                min: win.min_acu.unwrap_or(1.0).min(max),
                max,
            }
        }
        _ => current.clone(),
    }
}

/// Positions away from the window.
fn distance(pos: usize, win: &Window) -> usize {
    win.lo.saturating_sub(pos) + pos.saturating_sub(win.hi)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn planned_actions_stay_on_their_scale(w in world()) {
        let plan = plan_for(&w);
        for a in plan.planned() {
            let Some(knob) = knob_of(&w, a) else { continue };
            prop_assert!(position(knob, &a.to).is_some(), "{a:?} leaves the scale");
        }
    }

    #[test]
    fn planned_actions_never_go_below_the_floor(w in world()) {
        let plan = plan_for(&w);
        for a in plan.planned() {
            let Some(knob) = knob_of(&w, a) else { continue };
            let to = position(knob, &a.to).unwrap_or(usize::MAX);
            prop_assert!(to >= knob.floor, "{a:?} goes below floor {}", knob.floor);
        }
    }

    #[test]
    fn planned_storage_only_grows_up_to_its_maximum_outside_the_wait(w in world()) {
        let plan = plan_for(&w);
        for a in plan.planned().filter(|a| a.knob == KnobName::Storage) {
            let (Setting::Gib(from), Setting::Gib(to)) = (&a.from, &a.to) else {
                prop_assert!(false, "{a:?} is not a size");
                continue;
            };
            prop_assert!(to > from && *to <= MAX_GIB, "{a:?}");
            for past in w.history.actions.iter().filter(|p| {
                p.identifier == a.identifier && p.knob == KnobName::Storage && p.at <= w.now
            }) {
                prop_assert!(w.now - past.at >= TimeDelta::hours(6), "{a:?} after {past:?}");
            }
        }
    }

    #[test]
    fn planned_actions_respect_cooldowns(w in world()) {
        let plan = plan_for(&w);
        for a in plan.planned() {
            let r = w.policy.resource(&a.policy_id).expect("resource exists");
            for past in w.history.actions.iter().filter(|p| p.identifier == a.identifier) {
                let since = w.now - past.at;
                match a.direction {
                    Some(Direction::Up) if past.direction == Some(Direction::Up) => {
                        prop_assert!(since >= r.cooldown.up.to_chrono(), "{a:?} inside up cooldown after {past:?}");
                    }
                    Some(Direction::Down) if past.direction.is_some() => {
                        prop_assert!(since >= r.cooldown.down.to_chrono(), "{a:?} inside down cooldown after {past:?}");
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn planned_actions_respect_the_hourly_rate_limit(w in world()) {
        let plan = plan_for(&w);
        let hour_ago = w.now - TimeDelta::hours(1);
        let done = w.history.actions.iter().filter(|a| a.at > hour_ago && a.at <= w.now).count();
        let planned = plan.planned().count();
        let limit = w.policy.guardrails.max_actions_per_hour as usize;
        prop_assert!(planned == 0 || done + planned <= limit, "{done} done + {planned} planned > {limit}");
    }

    #[test]
    fn no_costly_change_past_the_emergency_threshold_without_a_critical_rule(w in world()) {
        let plan = plan_for(&w);
        let spend = w.signals.spend[&BudgetPeriod::Daily];
        let budgets = w.policy.budgets.as_ref().expect("generated with budgets");
        let limit = budgets.limits[&BudgetPeriod::Daily];
        // Hours to the next UTC midnight, computed here independently.
        let secs_into_day = i64::from(w.now.num_seconds_from_midnight());
        let hours_left = (86_400 - secs_into_day) as f64 / 3_600.0;
        let tight = spend.forecast_usd / limit * 100.0 >= budgets.warn_at_percent;
        for a in plan.planned().filter(|a| !is_critical(a)) {
            let Some(delta) = a.cost_delta_per_hour else {
                // Unpriced: runs only while no budget is tight, or as the
                // emergency profile's own move.
                prop_assert!(!tight || matches!(a.cause, Cause::Budget { .. }), "{a:?} unpriced at {:.0}", spend.forecast_usd);
                continue;
            };
            let projected = spend.forecast_usd + delta.max(0.0) * hours_left;
            prop_assert!(
                delta <= 0.0 || projected < budgets.emergency_at_percent / 100.0 * limit,
                "{a:?} pushes the daily forecast to {projected:.2}"
            );
            prop_assert!(
                a.direction != Some(Direction::Up) || !plan.emergency,
                "{a:?} scales up during a budget emergency"
            );
        }
    }

    #[test]
    fn a_knob_outside_its_profile_window_moves_toward_it_or_is_held_by_a_guard(w in world()) {
        let plan = plan_for(&w);
        for member in &w.estate.members {
            let resource = w.policy.resource(&member.policy_id).expect("resource exists");
            for knob in &resource.knobs {
                let current = &member.settings[&knob.name];
                let pos = position(knob, current).expect("generated on the scale");
                let win = window(&w, &plan, resource, knob);
                let inside = distance(pos, &win) == 0 && shaped(knob, pos, &win, current) == *current;
                if inside {
                    continue;
                }
                let found: Vec<&Action> = plan
                    .actions
                    .iter()
                    .filter(|a| a.identifier == member.identifier && a.knob == knob.name)
                    .collect();
                prop_assert_eq!(found.len(), 1, "{} {} {} outside [{}, {}] has no action: {:#?}", member.identifier, knob.name, current, win.lo, win.hi, plan.actions);
                let a = found[0];
                if let Some(r) = &a.refused {
                    // Held, and named; never by a guard that contradicts the profile.
                    prop_assert!(
                        !matches!(r.guard, Guard::Profile | Guard::Bounds | Guard::ProtectedFloor),
                        "{a:?} toward the profile refused by {:?}", r.guard
                    );
                    continue;
                }
                if plan.emergency && matches!(a.cause, Cause::Rule { critical: true, .. }) {
                    // A critical rule may reach past the emergency cap.
                    continue;
                }
                let to = position(knob, &a.to).expect("on the scale");
                let closer = distance(to, &win) < distance(pos, &win);
                let converged = distance(to, &win) == 0 && shaped(knob, to, &win, &a.to) == a.to;
                prop_assert!(closer || converged, "{a:?} does not move {current} toward [{}, {}]", win.lo, win.hi);
                if distance(to, &win) == 0 {
                    prop_assert_eq!(&shaped(knob, to, &win, &a.to), &a.to, "{:?} lands off the profile's shape", a);
                }
            }
        }
    }

    #[test]
    fn decide_is_deterministic(w in world()) {
        prop_assert_eq!(plan_for(&w), plan_for(&w));
    }
}
