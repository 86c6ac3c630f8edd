//! Issue 17.4 in the backtest: a Valkey replication group beside a Redis
//! OSS one of the same shape, driven by the same trace, makes the same
//! moves and costs the snapshot's Valkey node prices: 20% under Redis OSS's
//! (cache.r6g.large 0.1648 vs 0.206, xlarge 0.3288 vs 0.411 USD/hour in
//! data/prices/aws-us-east-1.csv). The report names the Valkey resource.

use chrono::{TimeDelta, TimeZone, Utc};
use tidegate::backtest::render;
use tidegate::backtest::timeline::STEP_SECS;

use super::run;

const POLICY: &str = r#"
version: 1
estate: valkey-beside-redis
guardrails: { max_actions_per_hour: 100, oscillation_window: 0m }
resources:
  - id: sessions-redis
    kind: elasticache_redis
    identifier: sessions-redis
    engine: redis
    cooldown: { up: 5m, down: 5m }
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge] }
    replicas: { min: 1, max: 1 }
    scale_up:
      - { metric: EngineCPUUtilization, above: 80, scales: node_type }
  - id: sessions-valkey
    kind: elasticache_redis
    identifier: sessions-valkey
    engine: valkey
    cooldown: { up: 5m, down: 5m }
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge] }
    replicas: { min: 1, max: 1 }
    scale_up:
      - { metric: EngineCPUUtilization, above: 80, scales: node_type }
"#;

const MAPPING: &str = r#"
resources:
  - resource: sessions-redis
    trace: load.csv
    metric: EngineCPUUtilization
    start: { node_type: cache.r6g.large, replicas: 1 }
  - resource: sessions-valkey
    trace: load.csv
    metric: EngineCPUUtilization
    start: { node_type: cache.r6g.large, replicas: 1 }
"#;

/// 50% for 12 hours, 95% for 20 minutes (the node type moves up), then
/// 40% for 4 hours, every 5 minutes from Mon 2014-04-14 00:00.
fn trace() -> String {
    let start = Utc
        .with_ymd_and_hms(2014, 4, 14, 0, 0, 0)
        .single()
        .expect("valid");
    let mut csv = String::from("timestamp,value\n");
    for i in 0..(16 * 12 + 4) {
        let value = match i {
            0..144 => 50,
            144..148 => 95,
            _ => 40,
        };
        let t = start + TimeDelta::minutes(5 * i);
        csv.push_str(&format!("{},{value}\n", t.format("%Y-%m-%d %H:%M:%S")));
    }
    csv
}

#[test]
fn a_valkey_group_is_replayed_and_priced_at_valkey_prices() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("policy.yaml"), POLICY).expect("write policy");
    std::fs::write(dir.path().join("mapping.yaml"), MAPPING).expect("write mapping");
    std::fs::write(dir.path().join("load.csv"), trace()).expect("write trace");

    let r = run(&dir.path().join("policy.yaml"), dir.path(), 90.0).expect("runs");
    let [redis, valkey] = &r.resources[..] else {
        panic!("two resources: {:#?}", r.resources);
    };
    assert_eq!(valkey.id, "sessions-valkey");
    assert!(valkey.actions.taken >= 1, "the spike moves it: {valkey:#?}");
    let changes = |log: &[tidegate::backtest::report::StepReport]| {
        log.iter()
            .map(|s| (s.at, s.change.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(changes(&valkey.log), changes(&redis.log), "same moves");

    // 2 nodes (1 shard × (1 + 1 replica)) on large until the move, then xlarge.
    let interval_hours = STEP_SECS as f64 / 3600.0;
    let (large, xlarge) = (0.1648, 0.3288);
    let moved = valkey.log[0].at;
    let intervals = r.period.decisions as f64;
    let on_large = ((moved - r.period.start).num_seconds() / STEP_SECS) as f64;
    let expected = 2.0 * interval_hours * (on_large * large + (intervals - on_large) * xlarge);
    assert!(
        (valkey.cost.tidegate_usd - expected).abs() < 0.005,
        "Valkey prices: {} vs {expected}",
        valkey.cost.tidegate_usd
    );
    let ratio = valkey.cost.tidegate_usd / redis.cost.tidegate_usd;
    assert!((ratio - 0.8).abs() < 0.002, "20% under Redis OSS: {ratio}");

    let text = render::text(&r);
    assert!(text.contains("sessions-valkey"), "{text}");
}
