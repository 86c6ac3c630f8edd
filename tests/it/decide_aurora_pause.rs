//! Issue 17.1 through decide: a dev Aurora Serverless v2 cluster that a
//! night profile lets pause (min 0 ACU). The plan sets the minimum to 0,
//! prices the paused cluster at $0 compute, and notes the resume latency.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use tidegate::decide::{Inputs, decide};
use tidegate::estate::{Estate, Member, Setting, Status};
use tidegate::ledger::History;
use tidegate::plan::Action;
use tidegate::policy::{KnobName, Policy};
use tidegate::pricing::{SnapshotPriceBook, at_running_acu, hourly_cost};
use tidegate::signals::Signals;

use crate::support::aurora_member;

const POLICY: &str = r#"
version: 1
estate: dev
guardrails: { max_actions_per_hour: 10, oscillation_window: 1h }
profiles: { day: {}, night: {} }
schedules:
  - name: office
    timezone: UTC
    transitions:
      - { cron: "0 8 * * *", profile: day }
      - { cron: "0 20 * * *", profile: night }
resources:
  - id: dev-db
    kind: aurora_cluster
    identifier: dev-db
    engine: aurora-mysql
    schedule: office
    serverless_v2: { min_acu: 0, max_acu: 16, step_acu: 2, seconds_until_auto_pause: 900 }
    profiles:
      day:
        serverless_v2: { min_acu: 1 }
      night:
        serverless_v2: { min_acu: 0, max_acu: 4 }
"#;

fn policy() -> Policy {
    tidegate::policy::load_str(POLICY, "dev.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0)
        .single()
        .expect("valid instant")
}

fn dev(min: f64, max: f64) -> Member {
    aurora_member(
        "dev-db",
        Status::Available,
        BTreeMap::from([(KnobName::ServerlessV2, Setting::Acu { min, max })]),
    )
}

/// The one action for `member` at `now`, the cluster idle (0 ACU in use).
fn only(member: Member, now: DateTime<Utc>) -> Action {
    let mut signals = Signals::default();
    signals.set_series("dev-db", "ServerlessDatabaseCapacity", vec![0.0]);
    let plan = decide(&Inputs {
        policy: &policy(),
        estate: &Estate {
            members: vec![member],
        },
        signals: &signals,
        history: &History::default(),
        prices: &SnapshotPriceBook::embedded(),
        now,
    });
    assert_eq!(plan.actions.len(), 1, "{:#?}", plan.actions);
    plan.actions[0].clone()
}

#[test]
fn min_acu_zero_validates_with_its_delay_and_positions_start_one_step_up() {
    let p = policy();
    let r = p.resource("dev-db").expect("dev-db");
    assert_eq!(r.auto_pause_seconds, Some(900));
    let knob = r.knob(KnobName::ServerlessV2).expect("knob");
    assert_eq!(knob.floor, 0);
    assert_eq!(knob.scale.len(), 8, "max 2, 4, ... 16: no max of 0 ACU");
    // Without a delay, AWS's default applies.
    let text = POLICY.replace(", seconds_until_auto_pause: 900", "");
    let p = tidegate::policy::load_str(&text, "dev.yaml").expect("valid");
    let r = p.resource("dev-db").expect("dev-db");
    assert_eq!(r.auto_pause_seconds, Some(300));
}

#[test]
fn the_night_profile_pauses_the_cluster_and_the_plan_says_what_it_costs_and_how_it_wakes() {
    let a = only(dev(1.0, 8.0), at(22));
    assert_eq!(a.refused, None, "{a:#?}");
    assert_eq!(a.to, Setting::Acu { min: 0.0, max: 4.0 });
    assert!(a.reason.contains("night"), "{}", a.reason);
    let note = a
        .notes
        .iter()
        .find(|n| n.contains("about 15 s"))
        .unwrap_or_else(|| panic!("no resume note: {:?}", a.notes));
    assert!(note.contains("after 900 s"), "{note}");
    assert!(note.contains("longer after more than a day"), "{note}");
    // Idle at 1 ACU minimum costs 1 ACU-hour at $0.12; paused costs nothing.
    let delta = a.cost_delta_per_hour.expect("priced");
    assert!((delta + 0.12).abs() < 1e-9, "{delta}");
    // In the day the minimum comes back, with no pause note.
    let a = only(dev(0.0, 4.0), at(10));
    assert_eq!(a.to, Setting::Acu { min: 1.0, max: 4.0 });
    assert!(a.notes.iter().all(|n| !n.contains("15 s")), "{:?}", a.notes);
}

#[test]
fn paused_time_is_priced_at_zero_compute_with_storage_still_billed() {
    let p = policy();
    let r = p.resource("dev-db").expect("dev-db");
    let prices = SnapshotPriceBook::embedded();
    let settings = BTreeMap::from([(KnobName::ServerlessV2, Setting::Acu { min: 0.0, max: 4.0 })]);
    // No demand: the instance runs at 0 ACU, paused.
    let pinned = at_running_acu(r, &settings, 0.0).expect("serverless");
    let cost = hourly_cost(r, &pinned, false, None, &prices).expect("priced");
    assert_eq!(cost.usd_per_hour, 0.0);
    assert!(
        cost.notes
            .iter()
            .any(|n| n.contains("compute is not billed (cluster storage still is)")),
        "{:?}",
        cost.notes
    );
    // Some demand wakes it: billed per ACU again.
    let pinned = at_running_acu(r, &settings, 1.5).expect("serverless");
    let cost = hourly_cost(r, &pinned, false, None, &prices).expect("priced");
    assert!(
        (cost.usd_per_hour - 1.5 * 0.12).abs() < 1e-9,
        "{}",
        cost.usd_per_hour
    );
}
