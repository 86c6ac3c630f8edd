//! Issue 12 items 2, 5 and 10 on an Aurora Serverless v2 cluster shaped
//! like the reference estate's `orders-aurora`: profiles win over a firing
//! scale-down rule (12.2), a rule is judged alike live and in the backtest
//! (12.5), and a change of the maximum ACU is priced by the ACU-hours it
//! lets the cluster use, or held (12.10).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};
use tidegate::backtest::alarms::Alarms;
use tidegate::decide::{Inputs, decide};
use tidegate::estate::{Estate, Member, Setting, Status};
use tidegate::ledger::History;
use tidegate::plan::{Action, Guard, Plan};
use tidegate::policy::{BudgetPeriod, KnobName, Policy, ResourceKind};
use tidegate::pricing::{PriceBook, PriceKey, Quote, SnapshotPriceBook};
use tidegate::signals::{AlarmState, PeriodSpend, Signals};

static PRICES: LazyLock<SnapshotPriceBook> = LazyLock::new(SnapshotPriceBook::embedded);

const POLICY: &str = r#"
version: 1
estate: aurora
guardrails: { max_actions_per_hour: 10, oscillation_window: 1h }
profiles: { business_hours: {}, evening: {}, emergency: {} }
schedules:
  - name: office
    timezone: UTC
    transitions:
      - { cron: "0 8 * * 1-5", profile: business_hours }
      - { cron: "0 18 * * 1-5", profile: evening }
budgets: { daily_usd: 100, warn_at_percent: 80, emergency_at_percent: 95, emergency_profile: emergency }
resources:
  - id: orders
    kind: aurora_cluster
    identifier: orders
    engine: aurora-mysql
    schedule: office
    serverless_v2: { min_acu: 2, max_acu: 16, floor_acu: 4, step_acu: 2 }
    scale_up:
      - { metric: ACUUtilization, above: 80, scales: serverless_v2, evaluation_periods: 6 }
    scale_down:
      - { metric: ACUUtilization, below: 30, scales: serverless_v2, evaluation_periods: 6 }
    profiles:
      business_hours:
        serverless_v2: { min_acu: 4, max_acu: 16 }
      evening:
        serverless_v2: { min_acu: 2, max_acu: 8 }
      emergency:
        serverless_v2: { max_acu: 4 }
"#;

fn policy() -> Policy {
    tidegate::policy::load_str(POLICY, "aurora.yaml").unwrap_or_else(|e| panic!("{e}"))
}

/// Tuesday 2026-11-24 at `h`:00 UTC (business hours from 8 to 18).
fn tuesday(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0)
        .single()
        .expect("valid instant")
}

fn orders(min: f64, max: f64) -> Member {
    Member {
        policy_id: "orders".into(),
        identifier: "orders".into(),
        kind: ResourceKind::AuroraCluster,
        status: Status::Available,
        pending_changes: false,
        settings: BTreeMap::from([(KnobName::ServerlessV2, Setting::Acu { min, max })]),
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn acu_utilisation(values: Vec<f64>) -> Signals {
    let mut s = Signals::default();
    s.set_series("orders", "ACUUtilization", values);
    s
}

fn plan_with(
    member: Member,
    signals: &Signals,
    now: DateTime<Utc>,
    prices: &dyn PriceBook,
) -> Plan {
    decide(&Inputs {
        policy: &policy(),
        estate: &Estate {
            members: vec![member],
        },
        signals,
        history: &History::default(),
        prices,
        now,
    })
}

fn plan(member: Member, signals: &Signals, now: DateTime<Utc>) -> Plan {
    plan_with(member, signals, now, &*PRICES)
}

fn only(plan: &Plan) -> Action {
    assert_eq!(plan.actions.len(), 1, "{:#?}", plan.actions);
    plan.actions[0].clone()
}

fn with_daily_forecast(mut s: Signals, forecast: f64) -> Signals {
    s.spend.insert(
        BudgetPeriod::Daily,
        PeriodSpend {
            actual_usd: forecast / 2.0,
            forecast_usd: forecast,
        },
    );
    s
}

// 12.2 -------------------------------------------------------------------

#[test]
fn business_hours_raise_the_minimum_acu_while_a_scale_down_rule_fires() {
    // At the floor (max 4 ACU) with a steady 10%: the down rule fires but
    // its step is below the floor; the profile's min 4 ACU still applies.
    let quiet = acu_utilisation(vec![10.0; 7]);
    let a = only(&plan(orders(2.0, 4.0), &quiet, tuesday(10)));
    assert_eq!(a.refused, None, "{a:#?}");
    assert_eq!(a.to, Setting::Acu { min: 4.0, max: 4.0 });
    assert!(a.reason.contains("business_hours"), "{}", a.reason);
    assert!(a.reason.contains("ACUUtilization 10 < 30"), "{}", a.reason);
    // Higher up the scale the rule steps down, and the step carries the
    // profile's minimum with it.
    let a = only(&plan(orders(2.0, 8.0), &quiet, tuesday(10)));
    assert_eq!(a.refused, None, "{a:#?}");
    assert_eq!(a.to, Setting::Acu { min: 4.0, max: 6.0 });
    // In the evening the minimum goes back to 2 ACU, at the floor too.
    let a = only(&plan(orders(4.0, 4.0), &quiet, tuesday(20)));
    assert_eq!(a.to, Setting::Acu { min: 2.0, max: 4.0 });
}

// 12.5 -------------------------------------------------------------------

/// Whether the live decision fires the up rule (6 periods above 80%) on
/// `datapoints`, and whether the backtest's emulated alarm does.
fn both_paths(datapoints: &[f64]) -> (bool, bool) {
    let p = policy();
    let live = plan(
        orders(4.0, 8.0),
        &acu_utilisation(datapoints.to_vec()),
        tuesday(10),
    )
    .actions
    .iter()
    // Any raise of the maximum: target tracking may move more than one
    // step (15.1); what is compared here is whether the rule fired.
    .any(|a| matches!(a.to, Setting::Acu { min, max } if min == 4.0 && max > 8.0));
    let resource = p.resource("orders").expect("in the policy");
    // One sample per 5-minute period: each sample is one datapoint.
    let (mut alarms, _) = Alarms::new(resource, "ACUUtilization", 300);
    for v in datapoints {
        alarms.push(*v);
    }
    let replayed = alarms
        .states()
        .any(|(name, state)| name.contains("-up-") && state == AlarmState::Alarm);
    (live, replayed)
}

#[test]
fn live_and_backtest_judge_a_rule_on_the_same_series_alike() {
    let cases: [(&[f64], bool); 6] = [
        // One datapoint is not six periods (live fired on it before).
        (&[95.0], false),
        (&[95.0; 5], false),
        (&[95.0; 6], true),
        (&[50.0, 95.0, 95.0, 95.0, 95.0, 95.0, 95.0], true),
        (&[95.0, 95.0, 95.0, 70.0, 95.0, 95.0], false),
        // A missing datapoint does not breach.
        (&[95.0, 95.0, f64::NAN, 95.0, 95.0, 95.0], false),
    ];
    for (series, fires) in cases {
        assert_eq!(both_paths(series), (fires, fires), "{series:?}");
    }
}

// 12.10 ------------------------------------------------------------------

#[test]
fn a_max_acu_raise_is_priced_by_the_acu_hours_it_allows() {
    // Saturated at max 8 ACU: the cluster fills the new room, every ACU
    // of the raise (target tracking sizes it, 15.1) at $0.12/ACU-hour (the
    // snapshot's aurora-mysql price).
    let busy = acu_utilisation(vec![100.0; 7]);
    let a = only(&plan(orders(4.0, 8.0), &busy, tuesday(10)));
    let Setting::Acu { max, .. } = a.to else {
        panic!("not an ACU range: {a:#?}")
    };
    assert!(max > 8.0, "{a:#?}");
    let delta = a.cost_delta_per_hour.expect("priced");
    assert!(
        (delta - (max - 8.0) * 0.12).abs() < 1e-9,
        "{delta} for max {max}"
    );
    // At 85% of 8 ACU (6.8 ACU, run at 7) the raise costs nothing now.
    let a = only(&plan(
        orders(4.0, 8.0),
        &acu_utilisation(vec![85.0; 7]),
        tuesday(10),
    ));
    assert_eq!(a.cost_delta_per_hour, Some(0.0));
    // Without a reading (the alarm fired, no datapoints) the worst case.
    let mut alarm = Signals::default();
    alarm.alarms.insert(
        "tidegate-orders-up-acuutilization".into(),
        AlarmState::Alarm,
    );
    let a = only(&plan(orders(4.0, 8.0), &alarm, tuesday(10)));
    let delta = a.cost_delta_per_hour.expect("priced");
    assert!((delta - 0.24).abs() < 1e-9, "{delta}");
}

#[test]
fn budget_headroom_holds_a_max_acu_raise_that_would_cross_the_emergency() {
    // $94.9 forecast of $100 with 14 h left: +$0.24/h crosses 95%. Priced at
    // MinCapacity (as before) it cost $0/h and passed.
    let busy = with_daily_forecast(acu_utilisation(vec![100.0; 7]), 94.9);
    let a = only(&plan(orders(4.0, 8.0), &busy, tuesday(10)));
    let r = a.refused.expect("held");
    assert_eq!(r.guard, Guard::BudgetHeadroom, "{}", r.why);
}

/// The snapshot without the Serverless v2 ACU price.
struct WithoutAcu;

impl PriceBook for WithoutAcu {
    fn quote(&self, key: &PriceKey) -> Option<Quote> {
        (key.deployment != "serverless-v2-standard")
            .then(|| PRICES.quote(key))
            .flatten()
    }

    fn describe(&self) -> String {
        PRICES.describe()
    }
}

#[test]
fn an_unpriced_change_is_held_while_a_budget_is_at_warn() {
    // A scale-down too: what cannot be priced is not assumed to save.
    let quiet = acu_utilisation(vec![10.0; 7]);
    let a = only(&plan_with(
        orders(4.0, 8.0),
        &quiet,
        tuesday(10),
        &WithoutAcu,
    ));
    assert_eq!(a.cost_delta_per_hour, None);
    assert_eq!(a.refused, None, "no budget is tight: it runs");
    let tight = with_daily_forecast(quiet, 85.0);
    let a = only(&plan_with(
        orders(4.0, 8.0),
        &tight,
        tuesday(10),
        &WithoutAcu,
    ));
    let r = a.refused.expect("held");
    assert_eq!(r.guard, Guard::BudgetHeadroom);
    assert!(r.why.contains("no price"), "{}", r.why);
    assert!(
        a.notes.iter().any(|n| n.contains("not priced")),
        "{:?}",
        a.notes
    );
}
