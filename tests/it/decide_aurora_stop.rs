//! Issue 17.5 through decide: a non-production Aurora cluster a profile
//! keeps stopped. AWS starts a stopped cluster by itself after 7 days; the
//! next scheduler run stops it again, and the plan says why.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tidegate::decide::{Inputs, decide};
use tidegate::estate::{Estate, Member, Power, Setting, Status};
use tidegate::ledger::History;
use tidegate::plan::{Action, Plan};
use tidegate::policy::{KnobName, Policy};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::signals::Signals;

use crate::support::aurora_member;

/// `parked` is in force every day from midnight: a QA cluster kept off for
/// the holidays, longer than the 7 days AWS lets it stay stopped.
const POLICY: &str = r#"
version: 1
estate: dev
guardrails: { max_actions_per_hour: 10, oscillation_window: 1h }
profiles: { parked: {} }
schedules:
  - name: holidays
    timezone: UTC
    transitions:
      - { cron: "0 0 * * *", profile: parked }
resources:
  - id: qa-db
    kind: aurora_cluster
    identifier: qa-db
    engine: aurora-mysql
    schedule: holidays
    allow_stop: true
    serverless_v2: { min_acu: 0.5, max_acu: 4, step_acu: 0.5 }
    profiles:
      parked: { stopped: true }
"#;

fn policy() -> Policy {
    tidegate::policy::load_str(POLICY, "qa.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn qa(status: Status, power: Power) -> Member {
    aurora_member(
        "qa-db",
        status,
        BTreeMap::from([
            (KnobName::ServerlessV2, Setting::Acu { min: 0.5, max: 4.0 }),
            (KnobName::Power, Setting::Power(power)),
        ]),
    )
}

fn plan(member: Member, now: DateTime<Utc>) -> Plan {
    decide(&Inputs {
        policy: &policy(),
        estate: &Estate {
            members: vec![member],
        },
        signals: &Signals::default(),
        history: &History::default(),
        prices: &SnapshotPriceBook::embedded(),
        now,
    })
}

fn power_actions(plan: &Plan) -> Vec<Action> {
    plan.actions
        .iter()
        .filter(|a| a.knob == KnobName::Power)
        .cloned()
        .collect()
}

#[test]
fn a_cluster_aws_restarted_after_seven_days_is_stopped_again_and_the_plan_says_why() {
    let first = Utc
        .with_ymd_and_hms(2026, 12, 21, 9, 0, 0)
        .single()
        .expect("valid instant");
    let stop = power_actions(&plan(qa(Status::Available, Power::Running), first));
    assert_eq!(stop.len(), 1, "{stop:#?}");
    assert_eq!(stop[0].to, Setting::Power(Power::Stopped));
    assert_eq!(stop[0].refused, None, "{:#?}", stop[0]);
    assert!(stop[0].reason.contains("parked"), "{}", stop[0].reason);
    assert!(
        stop[0].reason.contains("stops the cluster"),
        "{}",
        stop[0].reason
    );
    // Stopped, the compute bill goes away.
    assert!(
        stop[0].cost_delta_per_hour.is_some_and(|d| d < 0.0),
        "{:#?}",
        stop[0]
    );

    // While stopped, the profile is met: nothing to do.
    let later = first + Duration::days(3);
    assert!(power_actions(&plan(qa(Status::Stopped, Power::Stopped), later)).is_empty());

    // Seven days on AWS has started it again; the scheduler run stops it.
    let week = first + Duration::days(7) + Duration::hours(1);
    let again = power_actions(&plan(qa(Status::Available, Power::Running), week));
    assert_eq!(again.len(), 1, "{again:#?}");
    assert_eq!(again[0].to, Setting::Power(Power::Stopped));
    assert_eq!(again[0].refused, None, "{:#?}", again[0]);
    assert!(
        again[0].notes.iter().any(|n| n
            .contains("Aurora restarts a stopped cluster by itself after 7 days")
            && n.contains("stops it again")),
        "{:?}",
        again[0].notes
    );
}
