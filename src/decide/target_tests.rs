use std::collections::BTreeMap;

use super::*;
use crate::estate::{Setting, Status};
use crate::policy::{KnobName, Policy};

const POLICY: &str = r#"
version: 1
estate: t
guardrails: { max_actions_per_hour: 20, oscillation_window: 1h }
spot_mix:
  web: { spot_percent: 0, on_demand_base: 1, allocation_strategy: price-capacity-optimized, instance_types: [m6i.large] }
resources:
  - id: db
    kind: rds_instance
    identifier: db
    engine: postgres
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge, db.r6g.4xlarge, db.r6g.8xlarge]
    scale_up:
      - { metric: CPUUtilization, above: 80 }
      - { metric: FreeableMemory, below: 1073741824 }
    scale_down:
      - { metric: CPUUtilization, below: 25, evaluation_periods: 6 }
  - id: fleet
    kind: autoscaling_group
    identifier: fleet
    workload_class: web
    capacity: { min: 1, max: 40, max_step: { up: 3, down: 2 } }
    scale_up:
      - { metric: CPUUtilization, above: 75, target: 50 }
    scale_down:
      - { metric: CPUUtilization, below: 20 }
"#;

fn policy() -> Policy {
    crate::policy::load_str(POLICY, "t.yaml").expect("the test policy is valid")
}

fn member(resource: &Resource, knob: KnobName, setting: Setting) -> Member {
    Member {
        policy_id: resource.id.clone(),
        identifier: resource.id.clone(),
        kind: resource.kind,
        status: Status::Available,
        pending_changes: false,
        settings: BTreeMap::from([(knob, setting)]),
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn capacity(desired: u32) -> Setting {
    Setting::Capacity {
        min: 1,
        max: 40,
        desired,
    }
}

fn signals(id: &str, values: &[f64]) -> Signals {
    let mut s = Signals::default();
    s.set_series(id, "CPUUtilization", values.to_vec());
    s
}

fn whole(knob: &Knob) -> Window {
    knobs::window(knob, &policy().resources[0], &[])
}

#[test]
fn default_target_is_halfway_between_the_pair_and_unpaired_rules_step_once() {
    let p = policy();
    let db = &p.resources[0];
    assert_eq!(db.scale_up[0].target, Some(52.5));
    assert_eq!(db.scale_down[0].target, Some(52.5));
    // FreeableMemory has no opposite rule: no default target.
    assert_eq!(db.scale_up[1].target, None);
    assert_eq!(p.resources[1].scale_up[0].target, Some(50.0));
    assert_eq!(p.resources[1].scale_down[0].target, Some(47.5));
}

#[test]
fn one_decision_sizes_to_demand_and_lands_under_target() {
    let p = policy();
    let db = &p.resources[0];
    let knob = db.knob(KnobName::InstanceClass).expect("knob");
    // 95% of 2 vCPUs (large) is 1.9 vCPUs: on xlarge (4) that is 47.5%,
    // under the target.
    let m = member(
        db,
        KnobName::InstanceClass,
        Setting::Class("db.r6g.large".into()),
    );
    let s = signals("db", &[90.0, 92.0, 95.0]);
    let sized = destination(
        db,
        &m,
        &s,
        (knob, 0, &whole(knob)),
        &db.scale_up[0],
        Direction::Up,
    )
    .expect("target tracking applies");
    assert_eq!(sized.to, 1);
    assert!(sized.projected < 52.5, "{sized:?}");

    // 100% (saturated) on large with a real demand of 3.6 vCPUs: one move
    // goes to xlarge at 50%; 99% at xlarge then goes on to 2xlarge.
    let s = signals("db", &[99.0]);
    let m = member(
        db,
        KnobName::InstanceClass,
        Setting::Class("db.r6g.xlarge".into()),
    );
    let sized = destination(
        db,
        &m,
        &s,
        (knob, 1, &whole(knob)),
        &db.scale_up[0],
        Direction::Up,
    )
    .expect("applies");
    assert_eq!(sized.to, 2);
    assert!((sized.projected - 49.5).abs() < 1e-9);
}

#[test]
fn a_big_jump_moves_several_rungs_and_the_next_decision_does_not_move_back() {
    let p = policy();
    let fleet = &p.resources[1];
    let knob = fleet.knob(KnobName::Capacity).expect("knob");
    let w = knobs::window(knob, fleet, &[]);
    // 100% on 2 instances: 2 units of demand; target 50 needs 4 (+2 rungs).
    let m = member(fleet, KnobName::Capacity, capacity(2));
    let up = destination(
        fleet,
        &m,
        &signals("fleet", &[100.0]),
        (knob, 1, &w),
        &fleet.scale_up[0],
        Direction::Up,
    )
    .expect("applies");
    // capacity 5 (position 4) is the first under 50% (40%); 4 is exactly 50.
    assert_eq!(up.to, 4);
    assert!(up.projected < 50.0);
    // The next decision sees the projected value: neither rule fires.
    let v = up.projected;
    assert!(v < 75.0 && v > 20.0, "{v}");

    // max_step caps the move: 100% on 1 instance needs 3 for a target of
    // 50 (33%); a cap of one position stops at 2.
    let one = member(fleet, KnobName::Capacity, capacity(1));
    let full = signals("fleet", &[100.0]);
    let free = destination(
        fleet,
        &one,
        &full,
        (knob, 0, &w),
        &fleet.scale_up[0],
        Direction::Up,
    );
    assert_eq!(free.map(|s| s.to), Some(2));
    let mut capped_knob = knob.clone();
    capped_knob.max_step.up = Some(1);
    let capped = destination(
        fleet,
        &one,
        &full,
        (&capped_knob, 0, &w),
        &fleet.scale_up[0],
        Direction::Up,
    );
    assert_eq!(capped.map(|s| s.to), Some(1));
}

#[test]
fn scale_down_holds_when_one_step_would_land_over_target() {
    let p = policy();
    let db = &p.resources[0];
    let knob = db.knob(KnobName::InstanceClass).expect("knob");
    // 24% on xlarge (4 vCPUs) is 48% on large: under 52.5, one step down.
    let m = member(
        db,
        KnobName::InstanceClass,
        Setting::Class("db.r6g.xlarge".into()),
    );
    let down = destination(
        db,
        &m,
        &signals("db", &[24.0]),
        (knob, 1, &whole(knob)),
        &db.scale_down[0],
        Direction::Down,
    )
    .expect("applies");
    assert_eq!(down.to, 0);

    let fleet = &p.resources[1];
    let fknob = fleet.knob(KnobName::Capacity).expect("knob");
    let w = knobs::window(fknob, fleet, &[]);
    // 19% on 3 instances = 0.57 units: 2 instances 28.5%, 1 instance 57% >
    // 47.5: max_step down 2 would allow 1, the target stops at 2.
    let m = member(fleet, KnobName::Capacity, capacity(3));
    let down = destination(
        fleet,
        &m,
        &signals("fleet", &[19.0]),
        (fknob, 2, &w),
        &fleet.scale_down[0],
        Direction::Down,
    )
    .expect("applies");
    assert_eq!(down.to, 1);
    // 19% on 2 instances is 38% on 1: fine; but 30% on 2 would be 60%: hold.
    let m = member(fleet, KnobName::Capacity, capacity(2));
    let hold = destination(
        fleet,
        &m,
        &signals("fleet", &[30.0]),
        (fknob, 1, &w),
        &fleet.scale_down[0],
        Direction::Down,
    )
    .expect("applies");
    assert_eq!(hold.to, 1);
}

#[test]
fn rules_without_a_target_or_a_datapoint_step_once() {
    let p = policy();
    let db = &p.resources[0];
    let knob = db.knob(KnobName::InstanceClass).expect("knob");
    let m = member(
        db,
        KnobName::InstanceClass,
        Setting::Class("db.r6g.large".into()),
    );
    let s = signals("db", &[95.0]);
    assert_eq!(
        destination(
            db,
            &m,
            &s,
            (knob, 0, &whole(knob)),
            &db.scale_up[1],
            Direction::Up
        ),
        None
    );
    assert_eq!(
        destination(
            db,
            &m,
            &Signals::default(),
            (knob, 0, &whole(knob)),
            &db.scale_up[0],
            Direction::Up
        ),
        None
    );
}

#[test]
fn a_zero_max_step_or_a_target_past_the_threshold_is_refused() {
    let bad = POLICY.replace("max_step: { up: 3, down: 2 }", "max_step: { up: 0 }");
    let err = crate::policy::load_str(&bad, "t.yaml").expect_err("max_step 0");
    assert!(err.to_string().contains("max_step up 0"), "{err}");
    let bad = POLICY.replace("target: 50", "target: 80");
    let err = crate::policy::load_str(&bad, "t.yaml").expect_err("target 80 > 75");
    assert!(
        err.to_string().contains("would fire the rule again"),
        "{err}"
    );
}
