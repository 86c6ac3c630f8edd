//! `cargo bench --bench decide`: decide() over 10,000 and 100,000 managed
//! resources (300 policy entries selecting them by tag).
//!
//! Target (issue 14): ≤ 5 ms for 10,000 and ≤ 50 ms for 100,000 on one
//! core, so linear in the estate. The estate mixes RDS
//! instances, Redis groups and Auto Scaling groups on a business-hours
//! schedule with a budget; a tenth of the resources have a firing rule and
//! the history holds one recent action for every twentieth resource, so the
//! guards have real work to do.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use tidegate::decide::{Inputs, decide};
use tidegate::estate::{Estate, Member, Setting, Status};
use tidegate::ledger::{History, PastAction};
use tidegate::policy::{BudgetPeriod, Direction, KnobName, ResourceKind};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::signals::{PeriodSpend, Signals};

/// Managed AWS resources (estate members), one benchmark per size.
const SIZES: [usize; 2] = [10_000, 100_000];
/// Policy entries; each selects its members by tag, as a large estate would.
const ENTRIES: usize = 300;

const HEADER: &str = r#"version: 1
estate: bench
guardrails:
  max_actions_per_hour: 5000
  oscillation_window: 1h
profiles:
  business_hours: {}
  evening: {}
  emergency: {}
schedules:
  - name: office
    timezone: Europe/Berlin
    transitions:
      - { cron: "0 8 * * 1-5", profile: business_hours }
      - { cron: "0 18 * * 1-5", profile: evening }
spot_mix:
  api: { spot_percent: 30, on_demand_base: 2, instance_types: [m6i.large, m5.large] }
budgets: { daily_usd: 50000, warn_at_percent: 80, emergency_at_percent: 95, emergency_profile: emergency }
resources:
"#;

const DB: &str = r#"  - id: db-N
    kind: rds_instance
    tags: { fleet: db-N }
    engine: postgres
    schedule: office
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge, db.r6g.4xlarge] }
    scale_up: [{ metric: CPUUtilization, above: 80 }]
    scale_down: [{ metric: CPUUtilization, below: 20 }]
    profiles:
      evening: { instance_class: { max: db.r6g.2xlarge } }
      emergency: { instance_class: { max: db.r6g.xlarge } }
"#;

const REDIS: &str = r#"  - id: redis-N
    kind: elasticache_redis
    tags: { fleet: redis-N }
    engine: redis
    schedule: office
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge] }
    shards: { min: 1, max: 4 }
    replicas: { min: 1, max: 1 }
    scale_up: [{ metric: EngineCPUUtilization, above: 70, scales: shards }]
"#;

const ASG: &str = r#"  - id: asg-N
    kind: autoscaling_group
    tags: { fleet: asg-N }
    workload_class: api
    schedule: office
    capacity: { min: 2, max: 20 }
    scale_up: [{ metric: CPUUtilization, above: 70 }]
    profiles:
      evening: { capacity: { max: 8 } }
"#;

fn policy_yaml() -> String {
    let mut y = String::from(HEADER);
    for i in 0..ENTRIES {
        let template = match i % 3 {
            0 => DB,
            1 => REDIS,
            _ => ASG,
        };
        y.push_str(&template.replace("-N", &format!("-{i}")));
    }
    y
}

fn member(i: usize) -> Member {
    let (kind, settings): (ResourceKind, BTreeMap<KnobName, Setting>) = match i % 3 {
        0 => (
            ResourceKind::RdsInstance,
            [(
                KnobName::InstanceClass,
                Setting::Class("db.r6g.xlarge".into()),
            )]
            .into(),
        ),
        1 => (
            ResourceKind::ElasticacheRedis,
            [
                (KnobName::NodeType, Setting::Class("cache.r6g.large".into())),
                (KnobName::Shards, Setting::Count(2)),
                (KnobName::Replicas, Setting::Count(1)),
            ]
            .into(),
        ),
        _ => (
            ResourceKind::AutoscalingGroup,
            [(
                KnobName::Capacity,
                Setting::Capacity {
                    min: 2,
                    max: 20,
                    desired: 6,
                },
            )]
            .into(),
        ),
    };
    // Member i belongs to policy entry i % ENTRIES, whose kind is entry % 3.
    let entry = i % ENTRIES;
    let policy_id = match kind {
        ResourceKind::RdsInstance => format!("db-{entry}"),
        ResourceKind::ElasticacheRedis => format!("redis-{entry}"),
        _ => format!("asg-{entry}"),
    };
    Member {
        identifier: format!("{policy_id}-m{i}"),
        policy_id,
        kind,
        status: Status::Available,
        pending_changes: false,
        settings,
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn bench(c: &mut Criterion) {
    let policy = match tidegate::policy::load_str(&policy_yaml(), "bench.yaml") {
        Ok(p) => p,
        Err(e) => panic!("bench policy is invalid: {e}"),
    };
    for resources in SIZES {
        bench_size(c, &policy, resources);
    }
}

fn bench_size(c: &mut Criterion, policy: &tidegate::policy::Policy, resources: usize) {
    let estate = Estate {
        members: (0..resources).map(member).collect(),
    };
    // A Tuesday 10:00 in Berlin: business hours.
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 9, 0, 0)
        .single()
        .expect("valid instant");
    let mut signals = Signals::default();
    for (i, m) in estate.members.iter().enumerate() {
        let hot = i % 10 == 0;
        signals.set_metric(
            &m.identifier,
            "CPUUtilization",
            if hot { 91.0 } else { 45.0 },
        );
        signals.set_metric(
            &m.identifier,
            "EngineCPUUtilization",
            if hot { 85.0 } else { 40.0 },
        );
    }
    signals.spend.insert(
        BudgetPeriod::Daily,
        PeriodSpend {
            actual_usd: 9_000.0,
            forecast_usd: 30_000.0,
        },
    );
    let history = History {
        actions: estate
            .members
            .iter()
            .step_by(20)
            .map(|m| PastAction {
                identifier: m.identifier.clone(),
                knob: KnobName::InstanceClass,
                direction: Some(Direction::Up),
                at: now - chrono::TimeDelta::minutes(10),
            })
            .collect(),
        emergency_since: None,
        at_limit: Vec::new(),
    };
    let prices = SnapshotPriceBook::embedded();
    let inputs = Inputs {
        policy,
        estate: &estate,
        signals: &signals,
        history: &history,
        prices: &prices,
        now,
    };
    let plan = decide(&inputs);
    let mut by_guard = BTreeMap::new();
    for a in plan.refused() {
        if let Some(r) = &a.refused {
            *by_guard.entry(r.guard.as_str()).or_insert(0) += 1;
        }
    }
    println!(
        "decide() over {resources} resources: {} actions planned, {} refused {by_guard:?}",
        plan.planned().count(),
        plan.refused().count()
    );
    if let Some(a) = plan.refused().next() {
        println!(
            "e.g. {} {}: {}",
            a.identifier,
            a.knob,
            a.refused.as_ref().map_or("", |r| r.why.as_str())
        );
    }
    c.bench_function(&format!("decide_{}k_resources", resources / 1000), |b| {
        b.iter(|| decide(black_box(&inputs)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
