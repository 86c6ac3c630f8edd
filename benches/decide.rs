//! `cargo bench --bench decide`: decide() over 10,000 managed resources.
//!
//! Target (issue 2): ≤ 50 ms per decision on one core. The estate mixes RDS
//! instances, Redis groups and Auto Scaling groups on a business-hours
//! schedule with a budget; a tenth of the resources have a firing rule and
//! the history holds one recent action for every twentieth resource, so the
//! guards have real work to do.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use tidegate::decide::{Inputs, decide};
use tidegate::estate::{Estate, Member, Setting, Status};
use tidegate::ledger::{History, PastAction};
use tidegate::policy::{BudgetPeriod, Direction, KnobName, ResourceKind};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::signals::{PeriodSpend, Signals};

const RESOURCES: usize = 10_000;

fn policy_yaml() -> String {
    let mut y = String::from(
        "version: 1\nestate: bench\nguardrails:\n  max_actions_per_hour: 500\n  oscillation_window: 1h\n\
profiles:\n  business_hours: {}\n  evening: {}\n  emergency: {}\n\
schedules:\n  - name: office\n    timezone: Europe/Berlin\n    transitions:\n\
      - { cron: \"0 8 * * 1-5\", profile: business_hours }\n      - { cron: \"0 18 * * 1-5\", profile: evening }\n\
spot_mix:\n  api: { spot_percent: 30, on_demand_base: 2, instance_types: [m6i.large, m5.large] }\n\
budgets: { daily_usd: 50000, warn_at_percent: 80, emergency_at_percent: 95, emergency_profile: emergency }\n\
resources:\n",
    );
    for i in 0..RESOURCES {
        match i % 3 {
            0 => {
                let _ = write!(
                    y,
                    "  - id: db-{i}\n    kind: rds_instance\n    identifier: db-{i}\n    engine: postgres\n    schedule: office\n\
    instance_class: {{ ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge, db.r6g.4xlarge] }}\n\
    scale_up: [{{ metric: CPUUtilization, above: 80 }}]\n    scale_down: [{{ metric: CPUUtilization, below: 20 }}]\n\
    profiles:\n      evening: {{ instance_class: {{ max: db.r6g.2xlarge }} }}\n      emergency: {{ instance_class: {{ max: db.r6g.xlarge }} }}\n"
                );
            }
            1 => {
                let _ = write!(
                    y,
                    "  - id: redis-{i}\n    kind: elasticache_redis\n    identifier: redis-{i}\n    engine: redis\n    schedule: office\n\
    node_type: {{ ladder: [cache.r6g.large, cache.r6g.xlarge] }}\n    shards: {{ min: 1, max: 4 }}\n    replicas: {{ min: 1, max: 1 }}\n\
    scale_up: [{{ metric: EngineCPUUtilization, above: 70, scales: shards }}]\n"
                );
            }
            _ => {
                let _ = write!(
                    y,
                    "  - id: asg-{i}\n    kind: autoscaling_group\n    identifier: asg-{i}\n    workload_class: api\n    schedule: office\n\
    capacity: {{ min: 2, max: 20 }}\n    scale_up: [{{ metric: CPUUtilization, above: 70 }}]\n\
    profiles:\n      evening: {{ capacity: {{ max: 8 }} }}\n"
                );
            }
        }
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
    let id = match kind {
        ResourceKind::RdsInstance => format!("db-{i}"),
        ResourceKind::ElasticacheRedis => format!("redis-{i}"),
        _ => format!("asg-{i}"),
    };
    Member {
        policy_id: id.clone(),
        identifier: id,
        kind,
        status: Status::Available,
        pending_changes: false,
        settings,
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn bench(c: &mut Criterion) {
    let policy = match tidegate::policy::load_str(&policy_yaml(), "bench.yaml") {
        Ok(p) => p,
        Err(e) => panic!("bench policy is invalid: {e}"),
    };
    let estate = Estate {
        members: (0..RESOURCES).map(member).collect(),
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
    };
    let prices = SnapshotPriceBook::embedded();
    let inputs = Inputs {
        policy: &policy,
        estate: &estate,
        signals: &signals,
        history: &history,
        prices: &prices,
        now,
    };
    let plan = decide(&inputs);
    println!(
        "decide() over {RESOURCES} resources: {} actions planned, {} refused",
        plan.planned().count(),
        plan.refused().count()
    );
    c.bench_function("decide_10k_resources", |b| {
        b.iter(|| decide(black_box(&inputs)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
