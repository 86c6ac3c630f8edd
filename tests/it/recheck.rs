//! A saved plan decided again (`decide::recheck`, what `tidegate apply
//! --plan` runs): only the saved changes the current decision also makes
//! run, each as that decision makes it; an edited change is held by the
//! guard that refuses it now; nothing in the file is trusted for bounds,
//! floors, prices, criticality or the emergency latch.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tidegate::decide::{Inputs, decide, recheck};
use tidegate::estate::{Estate, Member, Setting, Status};
use tidegate::ledger::History;
use tidegate::plan::{Action, Cause, Guard, Plan};
use tidegate::policy::{BudgetPeriod, KnobName, Policy, ResourceKind};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::signals::{AlarmState, PeriodSpend, Signals};

static PRICES: LazyLock<SnapshotPriceBook> = LazyLock::new(SnapshotPriceBook::embedded);

const POLICY: &str = r#"
version: 1
estate: recheck
guardrails: { max_actions_per_hour: 1, oscillation_window: 1h }
profiles: { emergency: {} }
budgets: { daily_usd: 100, warn_at_percent: 80, emergency_at_percent: 95, emergency_profile: emergency }
resources:
  - id: db
    kind: rds_instance
    identifier: db
    engine: postgres
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge, db.r6g.4xlarge]
      floor: db.r6g.xlarge
    scale_up: [{ alarm: db-hot }]
  - id: other
    kind: rds_instance
    identifier: other
    engine: postgres
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge] }
    scale_up: [{ alarm: other-hot }]
"#;

fn policy() -> Policy {
    tidegate::policy::load_str(POLICY, "recheck.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid instant")
}

fn member(id: &str, class: &str) -> Member {
    Member {
        policy_id: id.into(),
        identifier: id.into(),
        kind: ResourceKind::RdsInstance,
        status: Status::Available,
        pending_changes: false,
        settings: BTreeMap::from([(KnobName::InstanceClass, Setting::Class(class.into()))]),
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn hot(alarms: &[&str]) -> Signals {
    let mut s = Signals::default();
    for a in alarms {
        s.alarms.insert((*a).to_owned(), AlarmState::Alarm);
    }
    s
}

struct World {
    estate: Estate,
    signals: Signals,
    history: History,
}

impl World {
    fn new(signals: Signals) -> Self {
        World {
            estate: Estate {
                members: vec![
                    member("db", "db.r6g.xlarge"),
                    member("other", "db.r6g.large"),
                ],
            },
            signals,
            history: History::default(),
        }
    }

    fn inputs<'a>(&'a self, policy: &'a Policy) -> Inputs<'a> {
        Inputs {
            policy,
            estate: &self.estate,
            signals: &self.signals,
            history: &self.history,
            prices: &*PRICES,
            now: now(),
        }
    }

    fn decide(&self) -> Plan {
        decide(&self.inputs(&policy()))
    }

    fn recheck(&self, saved: &[Action]) -> Plan {
        recheck(&self.inputs(&policy()), saved)
    }
}

fn on(plan: &Plan, id: &str) -> Action {
    let found: Vec<&Action> = plan.actions.iter().filter(|a| a.identifier == id).collect();
    assert_eq!(found.len(), 1, "one action on {id} in {:#?}", plan.actions);
    found[0].clone()
}

fn class(c: &str) -> Setting {
    Setting::Class(c.into())
}

#[test]
fn a_saved_change_the_decision_also_makes_runs_as_decided_now() {
    let world = World::new(hot(&["db-hot"]));
    let mut saved = on(&world.decide(), "db");
    assert!(saved.refused.is_none());
    // Edited: neither the price nor the starting point nor the reason is read.
    saved.cost_delta_per_hour = Some(-1000.0);
    saved.from = class("db.r6g.large");
    saved.reason = "trust me".into();
    let plan = world.recheck(&[saved]);
    let a = on(&plan, "db");
    assert!(a.refused.is_none(), "{a:#?}");
    assert_eq!(a.from, class("db.r6g.xlarge"));
    assert_eq!(a.to, class("db.r6g.2xlarge"));
    assert!(a.cost_delta_per_hour.is_some_and(|d| d > 0.0), "{a:#?}");
    assert_ne!(a.reason, "trust me");
}

#[test]
fn changes_nobody_approved_are_left_out() {
    let world = World::new(hot(&["db-hot", "other-hot"]));
    let decided = world.decide();
    assert_eq!(decided.actions.len(), 2, "{:#?}", decided.actions);
    let plan = world.recheck(&[on(&decided, "db")]);
    assert_eq!(plan.actions.len(), 1, "{:#?}", plan.actions);
    assert_eq!(plan.actions[0].identifier, "db");
}

#[test]
fn an_edited_target_off_the_ladder_is_held_by_bounds() {
    let world = World::new(hot(&["db-hot"]));
    let mut saved = on(&world.decide(), "db");
    saved.to = class("db.x2g.16xlarge");
    saved.cost_delta_per_hour = Some(0.0);
    let a = on(&world.recheck(&[saved]), "db");
    let r = a.refused.expect("held");
    assert_eq!(r.guard, Guard::Bounds);
    assert!(r.why.contains("db.x2g.16xlarge"), "{}", r.why);
}

#[test]
fn an_edited_target_below_the_floor_is_held_by_protected_floor() {
    let world = World::new(hot(&["db-hot"]));
    let mut saved = on(&world.decide(), "db");
    saved.to = class("db.r6g.large");
    let a = on(&world.recheck(&[saved]), "db");
    assert_eq!(a.refused.map(|r| r.guard), Some(Guard::ProtectedFloor));
}

#[test]
fn a_two_step_jump_within_bounds_is_held_by_recheck() {
    let world = World::new(hot(&["db-hot"]));
    let mut saved = on(&world.decide(), "db");
    saved.to = class("db.r6g.4xlarge");
    let a = on(&world.recheck(&[saved]), "db");
    let r = a.refused.expect("held");
    assert_eq!(r.guard, Guard::Recheck);
    assert!(r.why.contains("db.r6g.2xlarge"), "{}", r.why);
}

#[test]
fn a_change_the_policy_no_longer_proposes_is_held_by_recheck() {
    let saved = on(&World::new(hot(&["db-hot"])).decide(), "db");
    let cooled = World::new(Signals::default());
    let a = on(&cooled.recheck(&[saved]), "db");
    let r = a.refused.expect("held");
    assert_eq!(r.guard, Guard::Recheck);
    assert!(r.why.contains("no change"), "{}", r.why);
}

#[test]
fn a_change_already_in_effect_is_a_note_not_an_action() {
    let world = World::new(hot(&["db-hot"]));
    let saved = on(&world.decide(), "db");
    let mut done = World::new(hot(&["db-hot"]));
    done.estate.members[0] = member("db", "db.r6g.2xlarge");
    let plan = done.recheck(&[saved]);
    assert!(plan.actions.is_empty(), "{:#?}", plan.actions);
    assert!(
        plan.notes
            .iter()
            .any(|n| n.contains("already db.r6g.2xlarge")),
        "{:#?}",
        plan.notes
    );
}

#[test]
fn a_saved_critical_cause_does_not_pass_the_budget_guard() {
    // The budget is past its emergency threshold: only critical rules may
    // scale up, and db-hot is not critical whatever the file says.
    let mut world = World::new(hot(&["db-hot"]));
    world.signals.spend.insert(
        BudgetPeriod::Daily,
        PeriodSpend {
            actual_usd: 99.0,
            forecast_usd: 120.0,
        },
    );
    world.history.emergency_since = Some(now() - TimeDelta::hours(1));
    let mut saved = on(&World::new(hot(&["db-hot"])).decide(), "db");
    saved.cause = Cause::Rule {
        rule: "db-hot".into(),
        alarm: "db-hot".into(),
        critical: true,
    };
    let plan = world.recheck(&[saved]);
    assert!(plan.emergency, "the latch comes from the ledger and spend");
    let a = on(&plan, "db");
    assert_eq!(a.refused.map(|r| r.guard), Some(Guard::BudgetHeadroom));
}

#[test]
fn the_hourly_allowance_is_spent_on_the_saved_changes_only() {
    let world = World::new(hot(&["db-hot", "other-hot"]));
    let decided = world.decide();
    // Limit 1: the decision plans one of the two and holds the other.
    assert_eq!(decided.planned().count(), 1);
    let held = decided.refused().next().expect("one held").clone();
    let plan = world.recheck(std::slice::from_ref(&held));
    let a = on(&plan, &held.identifier);
    assert!(a.refused.is_none(), "{a:#?}");
}

#[test]
fn a_saved_change_to_a_resource_not_observed_is_noted() {
    let world = World::new(hot(&["db-hot"]));
    let mut saved = on(&world.decide(), "db");
    saved.identifier = "ghost".into();
    let plan = world.recheck(&[saved]);
    assert!(plan.actions.is_empty());
    assert!(
        plan.notes.iter().any(|n| n.starts_with("ghost:")),
        "{:#?}",
        plan.notes
    );
}
