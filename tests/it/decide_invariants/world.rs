//! The generated worlds of the decision properties: random estates of every
//! kind tidegate scales (RDS class, ASG capacity, Aurora Serverless v2 ACU
//! and readers, ElastiCache node type, shards and replicas, MSK brokers,
//! broker type and storage), random profiles, signals, histories, budgets
//! and clocks.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use tidegate::estate::{Estate, Member, Setting, Status};
use tidegate::ledger::{History, PastAction};
use tidegate::policy::{
    BudgetPeriod, Budgets, Comparison, Cooldown, Direction, Guardrails, Knob, KnobName,
    MetricThreshold, Policy, ProfileLimits, Resource, ResourceKind, Rule, Scale, Schedule,
    Selector, Span, SpotClass, StorageRule, Transition, Trigger,
};
use tidegate::signals::{PeriodSpend, Signals};

/// The metric every generated rule reads.
pub const METRIC: &str = "CPUUtilization";
/// Evaluation periods of every generated rule (and datapoints generated).
const PERIODS: u32 = 3;
const RDS_LADDER: [&str; 5] = [
    "db.r6g.large",
    "db.r6g.xlarge",
    "db.r6g.2xlarge",
    "db.r6g.4xlarge",
    "db.r6g.8xlarge",
];
const CACHE_LADDER: [&str; 5] = [
    "cache.m6g.large",
    "cache.m6g.xlarge",
    "cache.m6g.2xlarge",
    "cache.m6g.4xlarge",
    "cache.m6g.8xlarge",
];
const BROKER_LADDER: [&str; 5] = [
    "kafka.m5.large",
    "kafka.m5.xlarge",
    "kafka.m5.2xlarge",
    "kafka.m5.4xlarge",
    "kafka.m5.8xlarge",
];
/// MSK storage: grow at 80% by max(20%, 50 GiB), never past this.
pub const MAX_GIB: u32 = 2000;

/// One generated world.
#[derive(Debug, Clone)]
pub struct World {
    pub policy: Policy,
    pub estate: Estate,
    pub signals: Signals,
    pub history: History,
    pub now: DateTime<Utc>,
}

/// One knob of a generated resource: its scale, floor, position and the
/// business-hours and emergency ranges.
#[derive(Debug, Clone)]
struct KnobSeed {
    len: usize,
    floor: usize,
    current: usize,
    business: (usize, usize),
    emergency_hi: usize,
    /// Picks the minimum ACU (Serverless v2 only).
    min_pick: usize,
}

fn knob_seed() -> impl Strategy<Value = KnobSeed> {
    (
        1usize..=5,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
        any::<prop::sample::Index>(),
        0usize..3,
    )
        .prop_map(|(len, floor, current, (a, b), emergency, min_pick)| {
            let floor = floor.index(len);
            let (x, y) = (a.index(len), b.index(len));
            KnobSeed {
                len,
                floor,
                current: current.index(len),
                business: (x.min(y).max(floor), x.max(y).max(floor)),
                emergency_hi: emergency.index(len).max(floor),
                min_pick,
            }
        })
}

#[derive(Debug, Clone)]
struct ResourceSeed {
    kind: u8,
    knobs: Vec<KnobSeed>,
    cooldown: (u64, u64),
    cpu: f64,
    critical: bool,
    available: bool,
    pending: bool,
    gib: u32,
    used_percent: f64,
}

fn resource_seed() -> impl Strategy<Value = ResourceSeed> {
    (
        0u8..5,
        prop::collection::vec(knob_seed(), 3),
        (0u64..=90, 0u64..=120),
        0.0f64..100.0,
        any::<bool>(),
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.1),
        (1u32..=20, 0.0f64..100.0),
    )
        .prop_map(
            |(kind, knobs, cooldown, cpu, critical, available, pending, (gib, used))| {
                ResourceSeed {
                    kind,
                    knobs,
                    cooldown,
                    cpu,
                    critical,
                    available,
                    pending,
                    gib: gib * 100,
                    used_percent: used,
                }
            },
        )
}

fn rule(id: &str, direction: Direction, knob: KnobName, critical: bool) -> Rule {
    let comparison = match direction {
        Direction::Up => Comparison::Above(80.0),
        Direction::Down => Comparison::Below(20.0),
    };
    Rule {
        alarm_name: format!("tidegate-{id}-{knob}-{direction}-cpuutilization"),
        trigger: Trigger::Metric(MetricThreshold {
            metric: METRIC.to_owned(),
            comparison,
            statistic: "Average".to_owned(),
            period: Span::from_mins(5),
            evaluation_periods: PERIODS,
            custom: None,
        }),
        direction,
        knob,
        critical: critical && direction == Direction::Up,
        target: None,
    }
}

fn ladder(names: &[&str], len: usize) -> Vec<String> {
    names[..len].iter().map(|c| (*c).to_owned()).collect()
}

fn counts(len: usize, first: u32, step: u32) -> Vec<u32> {
    (0..len as u32).map(|n| first + step * n).collect()
}

/// A knob, its current setting, and its business-hours minimum ACU.
fn build_knob(name: KnobName, s: &KnobSeed) -> (Knob, Setting, Option<f64>) {
    let (scale, current, min_acu) = match name {
        KnobName::InstanceClass | KnobName::NodeType | KnobName::BrokerType => {
            let names = match name {
                KnobName::InstanceClass => &RDS_LADDER,
                KnobName::NodeType => &CACHE_LADDER,
                _ => &BROKER_LADDER,
            };
            let l = ladder(names, s.len);
            let current = Setting::Class(l[s.current].clone());
            (Scale::Classes(l), current, None)
        }
        KnobName::Capacity => {
            let c = counts(s.len, 2, 2);
            let current = Setting::Capacity {
                min: c[0],
                max: c[s.len - 1],
                desired: c[s.current],
            };
            (Scale::Counts(c), current, None)
        }
        KnobName::ServerlessV2 => {
            // Maximum ACU 2, 4, ...; the resource's minimum 1 ACU.
            let max_values: Vec<f64> = counts(s.len, 2, 2).into_iter().map(f64::from).collect();
            let max = max_values[s.current];
            let business_min = max_values[s.business.0] - 1.0;
            let min = [1.0, business_min, 2.0][s.min_pick].min(max);
            let scale = Scale::Acu {
                max_values,
                min_acu: 1.0,
            };
            (scale, Setting::Acu { min, max }, Some(business_min))
        }
        _ => {
            let c = match name {
                KnobName::Brokers => counts(s.len, 3, 3),
                KnobName::Shards => counts(s.len, 1, 1),
                _ => counts(s.len, 0, 1),
            };
            let current = Setting::Count(c[s.current]);
            (Scale::Counts(c), current, None)
        }
    };
    let knob = Knob {
        name,
        scale,
        floor: s.floor,
        max_step: Default::default(),
    };
    (knob, current, min_acu)
}

fn build_resource(i: usize, s: &ResourceSeed) -> (Resource, Member) {
    let id = format!("r{i}");
    let (kind, names, engine): (ResourceKind, &[KnobName], Option<&str>) = match s.kind {
        0 => (
            ResourceKind::RdsInstance,
            &[KnobName::InstanceClass],
            Some("postgres"),
        ),
        1 => (ResourceKind::AutoscalingGroup, &[KnobName::Capacity], None),
        2 => (
            ResourceKind::AuroraCluster,
            &[KnobName::ServerlessV2, KnobName::Readers],
            Some("aurora-mysql"),
        ),
        3 => (
            ResourceKind::ElasticacheRedis,
            &[KnobName::NodeType, KnobName::Shards, KnobName::Replicas],
            Some("redis"),
        ),
        _ => (
            ResourceKind::MskCluster,
            &[KnobName::Brokers, KnobName::BrokerType],
            None,
        ),
    };
    let mut knobs = Vec::new();
    let mut settings = BTreeMap::new();
    let mut business = ProfileLimits::default();
    let mut emergency = ProfileLimits::default();
    let mut scale_up = Vec::new();
    let mut scale_down = Vec::new();
    for (name, seed) in names.iter().zip(&s.knobs) {
        let (knob, current, min_acu) = build_knob(*name, seed);
        business.ranges.insert(*name, seed.business);
        business.min_acu = business.min_acu.or(min_acu);
        emergency
            .ranges
            .insert(*name, (seed.floor, seed.emergency_hi));
        scale_up.push(rule(&id, Direction::Up, *name, s.critical));
        scale_down.push(rule(&id, Direction::Down, *name, false));
        settings.insert(*name, current);
        knobs.push(knob);
    }
    let msk = kind == ResourceKind::MskCluster;
    if msk {
        settings.insert(KnobName::Storage, Setting::Gib(s.gib));
    }
    let resource = Resource {
        id: id.clone(),
        kind,
        selector: Selector::Identifier(id.clone()),
        engine: engine.map(str::to_owned),
        multi_az: false,
        schedule: Some("office".to_owned()),
        cooldown: Cooldown {
            up: Span::from_mins(s.cooldown.0),
            down: Span::from_mins(s.cooldown.1),
        },
        scale_up,
        scale_down,
        knobs,
        storage: msk.then_some(StorageRule {
            grow_when_used_percent: 80.0,
            grow_by_percent: 20.0,
            min_grow_gib: 50,
            max_gib: MAX_GIB,
        }),
        profiles: BTreeMap::from([
            ("business_hours".to_owned(), business),
            ("emergency".to_owned(), emergency),
        ]),
        apply_immediately: true,
        allow_stop: false,
        az_count: None,
        workload_class: (kind == ResourceKind::AutoscalingGroup).then(|| "api".to_owned()),
        auto_pause_seconds: None,
        predictive: None,
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
        settings,
        multi_az: false,
        spot_mix: None,
        storage_used_percent: msk.then_some(s.used_percent),
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

/// A past action: which resource, which of its knobs (the last index is
/// storage), which way, minutes ago.
type PastSeed = (prop::sample::Index, prop::sample::Index, u8, i64);

fn past_action(
    (who, which, way, ago): &PastSeed,
    resources: &[Resource],
    now: DateTime<Utc>,
) -> PastAction {
    let r = &resources[who.index(resources.len())];
    let mut knobs: Vec<KnobName> = r.knobs.iter().map(|k| k.name).collect();
    if r.storage.is_some() {
        knobs.push(KnobName::Storage);
    }
    PastAction {
        identifier: r.id.clone(),
        knob: knobs[which.index(knobs.len())],
        direction: match way {
            0 => Some(Direction::Up),
            1 => Some(Direction::Down),
            _ => None,
        },
        at: now - TimeDelta::minutes(*ago),
    }
}

fn policy(resources: Vec<Resource>, max_per_hour: u32, window: u64) -> Policy {
    Policy {
        estate: "prop".to_owned(),
        region: "us-east-1".to_owned(),
        guardrails: Guardrails {
            max_actions_per_hour: max_per_hour,
            oscillation_window: Span::from_mins(window),
            dry_run: true,
            max_plan_age: Guardrails::DEFAULT_MAX_PLAN_AGE,
            timeouts: Default::default(),
            max_concurrent_actions: 1,
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
            anomaly: Default::default(),
        }),
        resources,
        prices: Default::default(),
        warnings: Vec::new(),
    }
}

/// Random worlds of one to seven resources of any kind.
pub fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(resource_seed(), 1..8),
        1u32..6,
        0u64..90,
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>(),
                0u8..3,
                0i64..480,
            ),
            0..8,
        ),
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
                    signals.set_series(&m.identifier, METRIC, vec![s.cpu; PERIODS as usize]);
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
                        .map(|p| past_action(p, &resources, now))
                        .collect(),
                    emergency_since: since.map(|m| now - TimeDelta::minutes(m as i64)),
                    at_limit: Vec::new(),
                };
                World {
                    policy: policy(resources, max_per_hour, window),
                    estate: Estate { members },
                    signals,
                    history,
                    now,
                }
            },
        )
}
