//! Property tests of the decision core: for random policies, estates,
//! signals, histories and clocks, no planned (not refused) action ever goes
//! off its scale, below a protected floor, inside a cooldown, past the
//! hourly rate limit, or past a budget's emergency threshold without a
//! critical rule. 10,000 cases per invariant.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{DateTime, TimeDelta, TimeZone, Timelike, Utc};
use proptest::prelude::*;
use tidegate::decide::{Inputs, decide};
use tidegate::estate::{Estate, Member, Setting, Status};
use tidegate::ledger::{History, PastAction};
use tidegate::plan::{Action, Cause, Plan};
use tidegate::policy::{
    BudgetPeriod, Budgets, Comparison, Cooldown, Direction, Guardrails, Knob, KnobName,
    MetricThreshold, Policy, ProfileLimits, Resource, ResourceKind, Rule, Scale, Schedule,
    Selector, Span, SpotClass, Transition, Trigger,
};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::signals::{PeriodSpend, Signals};

const CASES: u32 = 10_000;
const LADDER: [&str; 5] = [
    "db.r6g.large",
    "db.r6g.xlarge",
    "db.r6g.2xlarge",
    "db.r6g.4xlarge",
    "db.r6g.8xlarge",
];
const METRIC: &str = "CPUUtilization";

/// One generated world.
#[derive(Debug, Clone)]
struct World {
    policy: Policy,
    estate: Estate,
    signals: Signals,
    history: History,
    now: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct ResourceSeed {
    ladder: bool,
    len: usize,
    floor: usize,
    current: usize,
    business: (usize, usize),
    emergency_hi: usize,
    cooldown_up: u64,
    cooldown_down: u64,
    cpu: f64,
    critical: bool,
    available: bool,
    pending: bool,
}

fn resource_seed() -> impl Strategy<Value = ResourceSeed> {
    (
        any::<bool>(),
        1usize..=5,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
        any::<prop::sample::Index>(),
        (0u64..=90, 0u64..=120),
        0.0f64..100.0,
        any::<bool>(),
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(
                ladder,
                len,
                floor,
                current,
                (a, b),
                emergency,
                (up, down),
                cpu,
                critical,
                available,
                pending,
            )| {
                let floor = floor.index(len);
                let (x, y) = (a.index(len), b.index(len));
                ResourceSeed {
                    ladder,
                    len,
                    floor,
                    current: current.index(len),
                    business: (x.min(y).max(floor), x.max(y).max(floor)),
                    emergency_hi: emergency.index(len).max(floor),
                    cooldown_up: up,
                    cooldown_down: down,
                    cpu,
                    critical,
                    available,
                    pending,
                }
            },
        )
}

fn rule(
    id: &str,
    direction: Direction,
    knob: KnobName,
    comparison: Comparison,
    critical: bool,
) -> Rule {
    Rule {
        alarm_name: format!("tidegate-{id}-{direction}-cpuutilization"),
        trigger: Trigger::Metric(MetricThreshold {
            metric: METRIC.to_owned(),
            comparison,
            statistic: "Average".to_owned(),
            period: Span::from_mins(5),
            evaluation_periods: 3,
        }),
        direction,
        knob,
        critical,
    }
}

fn build_resource(i: usize, s: &ResourceSeed) -> (Resource, Member) {
    let id = format!("r{i}");
    let (kind, knob_name, scale, current) = if s.ladder {
        let ladder: Vec<String> = LADDER[..s.len].iter().map(|c| (*c).to_owned()).collect();
        let current = Setting::Class(ladder[s.current].clone());
        (
            ResourceKind::RdsInstance,
            KnobName::InstanceClass,
            Scale::Classes(ladder),
            current,
        )
    } else {
        let counts: Vec<u32> = (0..s.len as u32).map(|n| 2 + 2 * n).collect();
        let current = Setting::Capacity {
            min: counts[0],
            max: counts[s.len - 1],
            desired: counts[s.current],
        };
        (
            ResourceKind::AutoscalingGroup,
            KnobName::Capacity,
            Scale::Counts(counts),
            current,
        )
    };
    let profiles = BTreeMap::from([
        (
            "business_hours".to_owned(),
            ProfileLimits {
                ranges: BTreeMap::from([(knob_name, s.business)]),
                ..ProfileLimits::default()
            },
        ),
        (
            "emergency".to_owned(),
            ProfileLimits {
                ranges: BTreeMap::from([(knob_name, (s.floor, s.emergency_hi))]),
                ..ProfileLimits::default()
            },
        ),
    ]);
    let resource = Resource {
        id: id.clone(),
        kind,
        selector: Selector::Identifier(id.clone()),
        engine: s.ladder.then(|| "postgres".to_owned()),
        multi_az: false,
        schedule: Some("office".to_owned()),
        cooldown: Cooldown {
            up: Span::from_mins(s.cooldown_up),
            down: Span::from_mins(s.cooldown_down),
        },
        scale_up: vec![rule(
            &id,
            Direction::Up,
            knob_name,
            Comparison::Above(80.0),
            s.critical,
        )],
        scale_down: vec![rule(
            &id,
            Direction::Down,
            knob_name,
            Comparison::Below(20.0),
            false,
        )],
        knobs: vec![Knob {
            name: knob_name,
            scale,
            floor: s.floor,
        }],
        storage: None,
        profiles,
        apply_immediately: true,
        allow_stop: false,
        az_count: None,
        workload_class: (!s.ladder).then(|| "api".to_owned()),
    };
    let member = Member {
        policy_id: id.clone(),
        identifier: id,
        kind,
        status: if s.available {
            Status::Available
        } else {
            Status::Busy("modifying".to_owned())
        },
        pending_changes: s.pending,
        settings: BTreeMap::from([(knob_name, current)]),
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    };
    (resource, member)
}

fn office() -> Schedule {
    let transition = |cron: &str, profile: &str| Transition {
        expression: cron.to_owned(),
        cron: croner::Cron::from_str(cron).expect("test cron parses"),
        profile: profile.to_owned(),
    };
    Schedule {
        name: "office".to_owned(),
        timezone: chrono_tz::UTC,
        transitions: vec![
            transition("0 8 * * 1-5", "business_hours"),
            transition("0 18 * * 1-5", "evening"),
        ],
        holidays: BTreeMap::new(),
        holiday_profile: None,
    }
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(resource_seed(), 1..8),
        1u32..6,
        0u64..90,
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, 0i64..180), 0..8),
        0i64..(365 * 24 * 60),
        (0.0f64..700.0, prop::option::of(0.0f64..120.0)),
    )
        .prop_map(
            |(seeds, max_per_hour, window, past, minute, (forecast, since))| {
                let now = Utc
                    .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                    .single()
                    .expect("valid")
                    + TimeDelta::minutes(minute);
                let (resources, members): (Vec<_>, Vec<_>) = seeds
                    .iter()
                    .enumerate()
                    .map(|(i, s)| build_resource(i, s))
                    .unzip();
                let mut signals = Signals::default();
                for (m, s) in members.iter().zip(&seeds) {
                    signals.set_metric(&m.identifier, METRIC, s.cpu);
                }
                signals.spend.insert(
                    BudgetPeriod::Daily,
                    PeriodSpend {
                        actual_usd: forecast / 2.0,
                        forecast_usd: forecast,
                    },
                );
                let history = History {
                    actions: past
                        .iter()
                        .map(|(who, way, ago)| PastAction {
                            identifier: members[who.index(members.len())].identifier.clone(),
                            knob: resources[who.index(resources.len())].knobs[0].name,
                            direction: match way {
                                0 => Some(Direction::Up),
                                1 => Some(Direction::Down),
                                _ => None,
                            },
                            at: now - TimeDelta::minutes(*ago),
                        })
                        .collect(),
                    emergency_since: since.map(|m| now - TimeDelta::minutes(m as i64)),
                };
                let policy = Policy {
                    estate: "prop".to_owned(),
                    region: "us-east-1".to_owned(),
                    guardrails: Guardrails {
                        max_actions_per_hour: max_per_hour,
                        oscillation_window: Span::from_mins(window),
                        dry_run: true,
                    },
                    profiles: ["business_hours", "evening", "emergency"]
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                    schedules: BTreeMap::from([("office".to_owned(), office())]),
                    spot_mix: BTreeMap::from([(
                        "api".to_owned(),
                        SpotClass {
                            name: "api".to_owned(),
                            spot_percent: 30.0,
                            on_demand_base: 2,
                            allocation_strategy: "price-capacity-optimized".to_owned(),
                            instance_types: vec!["m6i.large".to_owned(), "m5.large".to_owned()],
                            interruptions: None,
                        },
                    )]),
                    budgets: Some(Budgets {
                        limits: BTreeMap::from([(BudgetPeriod::Daily, 500.0)]),
                        warn_at_percent: 80.0,
                        emergency_at_percent: 95.0,
                        emergency_profile: "emergency".to_owned(),
                    }),
                    resources,
                    prices: Default::default(),
                };
                World {
                    policy,
                    estate: Estate { members },
                    signals,
                    history,
                    now,
                }
            },
        )
}

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

/// The positional knob an action moves; None for reconfigurations without a
/// scale (the spot mix).
fn knob_of<'a>(w: &'a World, a: &Action) -> Option<&'a Knob> {
    let resource = w
        .policy
        .resource(&a.policy_id)
        .expect("actions name a policy resource");
    match a.knob {
        KnobName::SpotMix => None,
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
        _ => None,
    }
}

fn is_critical(a: &Action) -> bool {
    matches!(
        a.cause,
        Cause::Rule { critical: true, .. } | Cause::StorageGrowth { .. }
    )
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
    fn no_costly_scale_up_past_the_emergency_threshold_without_a_critical_rule(w in world()) {
        let plan = plan_for(&w);
        let spend = w.signals.spend[&BudgetPeriod::Daily];
        let budgets = w.policy.budgets.as_ref().expect("generated with budgets");
        let limit = budgets.limits[&BudgetPeriod::Daily];
        // Hours to the next UTC midnight, computed here independently.
        let secs_into_day = i64::from(w.now.num_seconds_from_midnight());
        let hours_left = (86_400 - secs_into_day) as f64 / 3_600.0;
        for a in plan.planned().filter(|a| a.direction == Some(Direction::Up) && !is_critical(a)) {
            let delta = a.cost_delta_per_hour.unwrap_or(0.0);
            let projected = spend.forecast_usd + delta.max(0.0) * hours_left;
            prop_assert!(
                delta <= 0.0 || projected < budgets.emergency_at_percent / 100.0 * limit,
                "{a:?} pushes the daily forecast to {projected:.2}"
            );
            prop_assert!(!plan.emergency, "{a:?} scales up during a budget emergency");
        }
    }

    #[test]
    fn decide_is_deterministic(w in world()) {
        prop_assert_eq!(plan_for(&w), plan_for(&w));
    }
}
