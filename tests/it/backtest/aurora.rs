//! Issue 12 item 2 in the backtest: a Serverless v2 cluster at its floor
//! under a steady 10% ACUUtilization (the scale-down rule fires all day)
//! still takes each profile's minimum ACU, so the replayed cost is that of
//! the profile, not of a minimum left behind.

use chrono::{TimeZone, Utc};
use tidegate::policy::KnobName;

use super::run;

const POLICY: &str = r#"
version: 1
estate: aurora-steady
guardrails: { max_actions_per_hour: 100, oscillation_window: 0m }
profiles: { business_hours: {}, evening: {} }
schedules:
  - name: office
    timezone: UTC
    transitions:
      - { cron: "0 8 * * 1-5", profile: business_hours }
      - { cron: "0 18 * * 1-5", profile: evening }
resources:
  - id: orders
    kind: aurora_cluster
    identifier: orders
    engine: aurora-mysql
    schedule: office
    cooldown: { up: 5m, down: 5m }
    serverless_v2: { min_acu: 2, max_acu: 16, floor_acu: 4, step_acu: 2 }
    scale_up:
      - { metric: ACUUtilization, above: 80, scales: serverless_v2 }
    scale_down:
      - { metric: ACUUtilization, below: 30, scales: serverless_v2 }
    profiles:
      business_hours: { serverless_v2: { min_acu: 4, max_acu: 16 } }
      evening: { serverless_v2: { min_acu: 2, max_acu: 8 } }
"#;

const MAPPING: &str = r#"
resources:
  - resource: orders
    trace: steady.csv
    metric: ACUUtilization
    start: { serverless_v2: { min: 2, max: 4 } }
"#;

#[test]
fn a_steady_scale_down_rule_does_not_keep_the_business_hours_minimum_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("policy.yaml"), POLICY).expect("write policy");
    std::fs::write(dir.path().join("mapping.yaml"), MAPPING).expect("write mapping");
    // Mon 2014-04-14 00:00 to Tue 12:00, 10% every 5 minutes.
    let start = Utc
        .with_ymd_and_hms(2014, 4, 14, 0, 0, 0)
        .single()
        .expect("valid");
    let mut csv = String::from("timestamp,value\n");
    for i in 0..(36 * 12) {
        let t = start + chrono::TimeDelta::minutes(5 * i);
        csv.push_str(&format!("{},10\n", t.format("%Y-%m-%d %H:%M:%S")));
    }
    std::fs::write(dir.path().join("steady.csv"), csv).expect("write trace");

    let r = run(&dir.path().join("policy.yaml"), dir.path(), 90.0).expect("runs");
    let log = &r.resources[0].log;
    let at = |h: u32| {
        Utc.with_ymd_and_hms(2014, 4, 14, h, 0, 0)
            .single()
            .expect("valid")
    };
    let raised = log
        .iter()
        .find(|s| s.knob == KnobName::ServerlessV2 && s.reason.contains("sets 4–4 ACU"))
        .unwrap_or_else(|| panic!("business hours raise the minimum: {log:#?}"));
    assert!(
        raised.at >= at(8) && raised.at <= at(8) + chrono::TimeDelta::minutes(10),
        "{raised:?}"
    );
    let lowered = log
        .iter()
        .find(|s| s.at > raised.at && s.reason.contains("sets 2–4 ACU"))
        .unwrap_or_else(|| panic!("the evening lowers it again: {log:#?}"));
    assert!(lowered.at >= at(18), "{lowered:?}");
}
