//! Each guard, one table: a world where it refuses, and the nearest world
//! where it lets the action through. Driven through `decide`, so the guard
//! is tested where it runs.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};
use tidegate::decide::{Inputs, decide};
use tidegate::estate::{Estate, Member, Setting, Status, StorageFacts};
use tidegate::ledger::{History, PastAction};
use tidegate::plan::{Action, Cause, Guard, LimitSide, Plan};
use tidegate::policy::{BudgetPeriod, Direction, KnobName, Policy, ResourceKind};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::signals::{AlarmState, PeriodSpend, Signals};

static PRICES: LazyLock<SnapshotPriceBook> = LazyLock::new(SnapshotPriceBook::embedded);

const POLICY: &str = r#"
version: 1
estate: guards
guardrails: { max_actions_per_hour: 3, oscillation_window: 1h }
profiles: { business_hours: {}, evening: {}, emergency: {} }
schedules:
  - name: office
    timezone: UTC
    transitions:
      - { cron: "0 8 * * 1-5", profile: business_hours }
      - { cron: "0 18 * * 1-5", profile: evening }
budgets: { daily_usd: 100, warn_at_percent: 80, emergency_at_percent: 95, emergency_profile: emergency }
resources:
  - id: db
    kind: rds_instance
    identifier: db
    engine: postgres
    schedule: office
    cooldown: { up: 15m, down: 1h }
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge, db.r6g.4xlarge]
      floor: db.r6g.xlarge
    storage: { grow_when_used_percent: 85, grow_by_percent: 20, min_grow_gib: 50, max_gib: 2000 }
    scale_up:
      - { metric: CPUUtilization, above: 80 }
      - { alarm: db-connections-critical, critical: true }
    scale_down:
      - { metric: CPUUtilization, below: 20 }
    profiles:
      evening: { instance_class: { max: db.r6g.2xlarge } }
      emergency: { instance_class: { max: db.r6g.xlarge } }
  - id: cache
    kind: elasticache_redis
    identifier: cache
    engine: redis
    node_type: { ladder: [cache.r6g.large, cache.r6g.xlarge] }
    shards: { min: 1, max: 3 }
    scale_up: [{ metric: EngineCPUUtilization, above: 70, scales: shards }]
"#;

fn policy() -> Policy {
    tidegate::policy::load_str(POLICY, "guards.yaml").unwrap_or_else(|e| panic!("{e}"))
}

/// Tuesday 2026-11-24, 10:00 UTC: business hours.
fn tuesday(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h, m, 0)
        .single()
        .expect("valid instant")
}

fn db(class: &str) -> Member {
    Member {
        policy_id: "db".into(),
        identifier: "db".into(),
        kind: ResourceKind::RdsInstance,
        status: Status::Available,
        pending_changes: false,
        settings: BTreeMap::from([
            (KnobName::InstanceClass, Setting::Class(class.into())),
            (KnobName::Storage, Setting::Gib(500)),
        ]),
        multi_az: false,
        spot_mix: None,
        storage_used_percent: Some(40.0),
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn cache(shards: u32) -> Member {
    Member {
        policy_id: "cache".into(),
        identifier: "cache".into(),
        kind: ResourceKind::ElasticacheRedis,
        status: Status::Available,
        pending_changes: false,
        settings: BTreeMap::from([
            (KnobName::NodeType, Setting::Class("cache.r6g.large".into())),
            (KnobName::Shards, Setting::Count(shards)),
        ]),
        multi_az: false,
        spot_mix: None,
        storage_used_percent: None,
        storage: None,
        parts: Vec::new(),
        tags: BTreeMap::new(),
    }
}

fn cpu(value: f64) -> Signals {
    let mut s = Signals::default();
    // Three periods: the rules' default evaluation_periods.
    s.set_series("db", "CPUUtilization", vec![value; 3]);
    s
}

fn past(identifier: &str, knob: KnobName, direction: Direction, at: DateTime<Utc>) -> PastAction {
    PastAction {
        identifier: identifier.into(),
        knob,
        direction: Some(direction),
        at,
    }
}

struct World {
    members: Vec<Member>,
    signals: Signals,
    history: History,
    now: DateTime<Utc>,
}

impl World {
    fn new(member: Member, signals: Signals) -> Self {
        World {
            members: vec![member],
            signals,
            history: History::default(),
            now: tuesday(10, 0),
        }
    }

    fn plan(&self) -> Plan {
        let policy = policy();
        decide(&Inputs {
            policy: &policy,
            estate: &Estate {
                members: self.members.clone(),
            },
            signals: &self.signals,
            history: &self.history,
            prices: &*PRICES,
            now: self.now,
        })
    }
}

fn only(plan: &Plan, knob: KnobName) -> Action {
    let found: Vec<&Action> = plan.actions.iter().filter(|a| a.knob == knob).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {knob} action in {:#?}",
        plan.actions
    );
    found[0].clone()
}

/// True when `plan` has no action on `knob`.
fn only_none(plan: &Plan, knob: KnobName) -> bool {
    plan.actions.iter().all(|a| a.knob != knob)
}

fn refused_by(plan: &Plan, knob: KnobName) -> Option<Guard> {
    only(plan, knob).refused.map(|r| r.guard)
}

#[test]
fn resource_status_holds_busy_and_pending_resources() {
    let mut busy = db("db.r6g.xlarge");
    busy.status = Status::Busy("modifying".into());
    let mut pending = db("db.r6g.xlarge");
    pending.pending_changes = true;
    for (member, phrase) in [(busy, "is modifying"), (pending, "pending modifications")] {
        let plan = World::new(member, cpu(95.0)).plan();
        let a = only(&plan, KnobName::InstanceClass);
        let r = a.refused.expect("refused");
        assert_eq!(r.guard, Guard::ResourceStatus);
        assert!(r.why.contains(phrase), "{}", r.why);
    }
    let plan = World::new(db("db.r6g.xlarge"), cpu(95.0)).plan();
    assert_eq!(refused_by(&plan, KnobName::InstanceClass), None);
}

/// Issue 21.4: a rule firing at the top of the ladder is a state (at
/// ceiling, since when), not a bounds refusal in every decision.
#[test]
fn a_rule_firing_at_the_top_of_the_ladder_is_at_ceiling_not_refused() {
    let mut world = World::new(db("db.r6g.4xlarge"), cpu(95.0));
    let plan = world.plan();
    assert!(
        plan.actions
            .iter()
            .all(|a| a.knob != KnobName::InstanceClass),
        "no refusal, nothing to move: {:#?}",
        plan.actions
    );
    let [at] = plan.at_limit.as_slice() else {
        panic!("one knob at its limit: {:#?}", plan.at_limit)
    };
    assert_eq!(at.side, LimitSide::Ceiling);
    assert_eq!(at.knob, KnobName::InstanceClass);
    assert_eq!(at.setting, Setting::Class("db.r6g.4xlarge".into()));
    assert_eq!(at.since, world.now, "a new episode begins now");
    assert!(at.rule.contains("CPUUtilization"), "{}", at.rule);
    assert!(at.bound.contains("top of its range"), "{}", at.bound);

    // The next decision, after the first was recorded, keeps the start.
    let began = world.now;
    world.history.record(&plan, [], world.now);
    world.now = tuesday(10, 5);
    let next = world.plan();
    assert_eq!(next.at_limit.len(), 1, "{:#?}", next.at_limit);
    assert_eq!(next.at_limit[0].since, began, "the same episode");

    // Once the rule stops firing the episode ends: the next one starts anew.
    world.history.record(&next, [], world.now);
    world.signals = cpu(50.0);
    world.now = tuesday(10, 10);
    let calm = world.plan();
    assert!(calm.at_limit.is_empty(), "{:#?}", calm.at_limit);
    world.history.record(&calm, [], world.now);
    assert!(world.history.at_limit.is_empty(), "{:?}", world.history);
    world.signals = cpu(95.0);
    world.now = tuesday(10, 15);
    assert_eq!(world.plan().at_limit[0].since, tuesday(10, 15));
}

/// The profile's maximum is an end too, and says so; one step below the
/// top a rule still moves.
#[test]
fn at_the_profile_maximum_the_plan_names_the_profile() {
    let mut world = World::new(db("db.r6g.2xlarge"), cpu(95.0));
    world.now = tuesday(19, 0); // evening: at most db.r6g.2xlarge
    let plan = world.plan();
    let [at] = plan.at_limit.as_slice() else {
        panic!("{:#?}", plan)
    };
    assert!(at.bound.contains("evening"), "{}", at.bound);
    let line = tidegate::plan::render(&plan, "guards");
    assert!(
        line.contains("= db instance_class at ceiling (db.r6g.2xlarge"),
        "{line}"
    );
    world.now = tuesday(10, 0); // business hours: the ladder's top is above
    let plan = world.plan();
    assert!(plan.at_limit.is_empty(), "{:#?}", plan.at_limit);
    assert_eq!(
        only(&plan, KnobName::InstanceClass).to,
        Setting::Class("db.r6g.4xlarge".into())
    );
}

/// A scale-down rule at the protected floor is at floor, not refused.
#[test]
fn a_scale_down_rule_at_the_floor_is_at_floor() {
    let plan = World::new(db("db.r6g.xlarge"), cpu(5.0)).plan();
    assert!(
        plan.actions
            .iter()
            .all(|a| a.knob != KnobName::InstanceClass),
        "{:#?}",
        plan.actions
    );
    assert_eq!(
        plan.at_limit.iter().map(|a| a.side).collect::<Vec<_>>(),
        [LimitSide::Floor]
    );
}

#[test]
fn protected_floor_holds_a_rule_below_it() {
    // At the floor the knob is at floor (21.4), naming the floor, not moved.
    let plan = World::new(db("db.r6g.xlarge"), cpu(5.0)).plan();
    assert!(only_none(&plan, KnobName::InstanceClass), "{plan:#?}");
    assert!(
        plan.at_limit
            .iter()
            .any(|a| a.side == LimitSide::Floor && a.bound == "its protected floor"),
        "{:#?}",
        plan.at_limit
    );
    let plan = World::new(db("db.r6g.2xlarge"), cpu(5.0)).plan();
    let a = only(&plan, KnobName::InstanceClass);
    assert_eq!(a.refused, None);
    assert_eq!(a.to, Setting::Class("db.r6g.xlarge".into()));
}

#[test]
fn profile_caps_a_rule_in_the_evening_and_converges_on_schedule() {
    // 19:00 Tuesday: evening allows at most db.r6g.2xlarge.
    // At the cap, a rule is at ceiling under the profile (21.4).
    let mut w = World::new(db("db.r6g.2xlarge"), cpu(95.0));
    w.now = tuesday(19, 0);
    let plan = w.plan();
    assert!(only_none(&plan, KnobName::InstanceClass), "{plan:#?}");
    assert_eq!(plan.at_limit[0].bound, "profile evening's maximum");
    // Above the cap, the schedule itself brings it down, rules or not.
    let mut w = World::new(db("db.r6g.4xlarge"), cpu(95.0));
    w.now = tuesday(19, 0);
    let a = only(&w.plan(), KnobName::InstanceClass);
    assert_eq!(a.refused, None);
    assert_eq!(a.to, Setting::Class("db.r6g.2xlarge".into()));
    assert!(matches!(a.cause, Cause::Schedule { ref profile, .. } if profile == "evening"));
}

#[test]
fn cooldowns_apply_up_and_down_apart() {
    // Up: 15m after the last scale-up.
    let mut w = World::new(db("db.r6g.xlarge"), cpu(95.0));
    w.history.actions = vec![past(
        "db",
        KnobName::InstanceClass,
        Direction::Up,
        tuesday(9, 50),
    )];
    assert_eq!(
        refused_by(&w.plan(), KnobName::InstanceClass),
        Some(Guard::Cooldown)
    );
    w.history.actions = vec![past(
        "db",
        KnobName::InstanceClass,
        Direction::Up,
        tuesday(9, 44),
    )];
    assert_eq!(refused_by(&w.plan(), KnobName::InstanceClass), None);
    // Down: 1h after any change, a scale-up included.
    let mut w = World::new(db("db.r6g.2xlarge"), cpu(5.0));
    w.history.actions = vec![past(
        "db",
        KnobName::InstanceClass,
        Direction::Up,
        tuesday(9, 20),
    )];
    assert_eq!(
        refused_by(&w.plan(), KnobName::InstanceClass),
        Some(Guard::Cooldown)
    );
    w.history.actions = vec![past(
        "db",
        KnobName::InstanceClass,
        Direction::Up,
        tuesday(8, 59),
    )];
    assert_eq!(refused_by(&w.plan(), KnobName::InstanceClass), None);
}

#[test]
fn the_spot_mix_keeps_its_own_cooldown_and_oscillation_clocks() {
    // A spot-mix raise a minute ago neither holds a scale-up of size…
    let mut w = World::new(db("db.r6g.xlarge"), cpu(95.0));
    w.history.actions = vec![past("db", KnobName::SpotMix, Direction::Up, tuesday(9, 59))];
    assert_eq!(refused_by(&w.plan(), KnobName::InstanceClass), None);
    // …nor does a step back of the mix count as a scale-down.
    w.history.actions = vec![past(
        "db",
        KnobName::SpotMix,
        Direction::Down,
        tuesday(9, 59),
    )];
    assert_eq!(refused_by(&w.plan(), KnobName::InstanceClass), None);
    // A size change still holds the next size change.
    w.history.actions = vec![past(
        "db",
        KnobName::InstanceClass,
        Direction::Down,
        tuesday(9, 59),
    )];
    assert!(refused_by(&w.plan(), KnobName::InstanceClass).is_some());
}

#[test]
fn oscillation_holds_a_rule_up_soon_after_a_down() {
    let mut w = World::new(db("db.r6g.xlarge"), cpu(95.0));
    w.history.actions = vec![past(
        "db",
        KnobName::InstanceClass,
        Direction::Down,
        tuesday(9, 30),
    )];
    let a = only(&w.plan(), KnobName::InstanceClass);
    assert_eq!(a.refused.map(|r| r.guard), Some(Guard::Oscillation));
    w.history.actions = vec![past(
        "db",
        KnobName::InstanceClass,
        Direction::Down,
        tuesday(8, 55),
    )];
    assert_eq!(refused_by(&w.plan(), KnobName::InstanceClass), None);
}

#[test]
fn rate_limit_counts_past_actions_and_the_plan_itself() {
    let mut w = World::new(db("db.r6g.xlarge"), cpu(95.0));
    w.members.push(cache(1));
    w.signals
        .set_series("cache", "EngineCPUUtilization", vec![90.0; 3]);
    // Two actions elsewhere in the last hour; the limit is 3: one slot left,
    // and the more urgent scale-up of the two takes it.
    w.history.actions = vec![
        past("other-1", KnobName::Capacity, Direction::Up, tuesday(9, 10)),
        past("other-2", KnobName::Capacity, Direction::Up, tuesday(9, 20)),
    ];
    let plan = w.plan();
    assert_eq!(plan.planned().count(), 1, "{:#?}", plan.actions);
    let held: Vec<_> = plan
        .refused()
        .filter_map(|a| a.refused.as_ref())
        .filter(|r| r.guard == Guard::RateLimit)
        .collect();
    assert_eq!(held.len(), 1);
    // The refusal says what the plan wanted and what the limit left it.
    assert_eq!(
        held[0].why,
        "this plan would take 2 actions and the limit of 3 per hour leaves 1 \
         (2 already taken in the last hour)"
    );
    // The summary says how many the limit held.
    let text = tidegate::plan::render(&plan, "guards");
    assert!(
        text.contains(
            "Plan: 1 to change, 1 held back by a guard (1 of them by the hourly limit, rate_limit)."
        ),
        "{text}"
    );
    // An hour later the allowance is back.
    w.now = tuesday(10, 21);
    assert_eq!(w.plan().planned().count(), 2);
}

fn with_daily_forecast(mut w: World, forecast: f64) -> World {
    w.signals.spend.insert(
        BudgetPeriod::Daily,
        PeriodSpend {
            actual_usd: forecast / 2.0,
            forecast_usd: forecast,
        },
    );
    w
}

#[test]
fn budget_headroom_refuses_a_costly_up_unless_the_rule_is_critical() {
    // $93 forecast of $100: xlarge → 2xlarge (+$0.449/h over 14 h) crosses 95%.
    let w = with_daily_forecast(World::new(db("db.r6g.xlarge"), cpu(95.0)), 93.0);
    let a = only(&w.plan(), KnobName::InstanceClass);
    let r = a.refused.expect("refused");
    assert_eq!(r.guard, Guard::BudgetHeadroom);
    assert!(r.why.contains("daily forecast $93.00"), "{}", r.why);
    // The critical alarm passes the same guard.
    let mut w = with_daily_forecast(World::new(db("db.r6g.xlarge"), Signals::default()), 93.0);
    w.signals
        .alarms
        .insert("db-connections-critical".into(), AlarmState::Alarm);
    let a = only(&w.plan(), KnobName::InstanceClass);
    assert_eq!(a.refused, None);
    assert!(matches!(a.cause, Cause::Rule { critical: true, .. }));
    // With room, the ordinary rule passes.
    let w = with_daily_forecast(World::new(db("db.r6g.xlarge"), cpu(95.0)), 50.0);
    assert_eq!(refused_by(&w.plan(), KnobName::InstanceClass), None);
}

#[test]
fn emergency_scales_down_to_the_emergency_profile_never_below_the_floor() {
    let w = with_daily_forecast(World::new(db("db.r6g.4xlarge"), cpu(50.0)), 97.0);
    let plan = w.plan();
    assert!(plan.emergency);
    let a = only(&plan, KnobName::InstanceClass);
    assert_eq!(a.refused, None);
    assert_eq!(
        a.to,
        Setting::Class("db.r6g.xlarge".into()),
        "emergency cap, which is the floor"
    );
    assert!(matches!(
        a.cause,
        Cause::Budget {
            period: BudgetPeriod::Daily,
            ..
        }
    ));
    assert!(a.cost_delta_per_hour.is_some_and(|d| d < 0.0));
    // Latched: at 85% (between warn and emergency) it stays in force.
    let mut w = with_daily_forecast(World::new(db("db.r6g.xlarge"), cpu(50.0)), 85.0);
    w.history.emergency_since = Some(tuesday(9, 0));
    assert!(w.plan().emergency);
    // Released once under warn.
    let mut w = with_daily_forecast(World::new(db("db.r6g.xlarge"), cpu(50.0)), 70.0);
    w.history.emergency_since = Some(tuesday(9, 0));
    assert!(!w.plan().emergency);
}

#[test]
fn storage_grows_only_outside_the_six_hour_wait() {
    let mut member = db("db.r6g.xlarge");
    member.storage_used_percent = Some(90.0);
    let mut w = World::new(member, cpu(50.0));
    w.history.actions = vec![past("db", KnobName::Storage, Direction::Up, tuesday(8, 0))];
    let a = only(&w.plan(), KnobName::Storage);
    assert_eq!(a.refused.map(|r| r.guard), Some(Guard::StorageWait));
    w.history.actions = vec![past("db", KnobName::Storage, Direction::Up, tuesday(3, 59))];
    let a = only(&w.plan(), KnobName::Storage);
    assert_eq!(a.refused, None);
    // 500 GiB grows by max(20%, 50 GiB) = 600 GiB.
    assert_eq!(a.to, Setting::Gib(600));
}

/// An RDS member with a storage ceiling of `ceiling` GiB, `allocated` GiB
/// allocated, `used` percent of it in use.
fn db_storage(ceiling: u32, allocated: u32, used: f64, kind: &str, iops: Option<u32>) -> Member {
    let mut m = db("db.r6g.xlarge");
    m.settings.insert(KnobName::Storage, Setting::Gib(ceiling));
    m.storage_used_percent = Some(used);
    m.storage = Some(StorageFacts {
        allocated_gib: allocated,
        storage_type: kind.into(),
        iops,
        throughput_mibps: None,
        engine: "postgres".into(),
    });
    m
}

/// 12.8: the ceiling rises only when the allocated storage nears it.
#[test]
fn the_storage_ceiling_rises_only_when_allocated_storage_nears_it() {
    // 500 GiB allocated of a 1,000 GiB ceiling, 90% used: AWS grows the
    // allocation itself, up to the ceiling; nothing to change.
    let plan = World::new(db_storage(1000, 500, 90.0, "gp3", Some(12_000)), cpu(50.0)).plan();
    assert!(
        !plan.actions.iter().any(|a| a.knob == KnobName::Storage),
        "{:#?}",
        plan.actions
    );
    // 900 of 1,000 (past the 85% threshold), 90% used: the ceiling rises by
    // max(20%, 50 GiB).
    let plan = World::new(db_storage(1000, 900, 90.0, "gp3", Some(12_000)), cpu(50.0)).plan();
    let a = only(&plan, KnobName::Storage);
    assert_eq!(a.refused, None);
    assert_eq!((a.from, a.to), (Setting::Gib(1000), Setting::Gib(1200)));
    assert!(a.reason.contains("900 GiB allocated"), "{}", a.reason);
    // Near the ceiling but little used: nothing.
    let plan = World::new(db_storage(1000, 950, 60.0, "gp3", Some(12_000)), cpu(50.0)).plan();
    assert!(!plan.actions.iter().any(|a| a.knob == KnobName::Storage));
}

/// 12.8: io1/io2 keep at least 0.5 IOPS per GiB: the new ceiling stops
/// where the provisioned IOPS stay valid, or the change is held.
#[test]
fn provisioned_iops_storage_grows_only_as_far_as_its_iops_allow() {
    // 3,000 IOPS: valid up to 6,000 GiB; 1,000 → 1,200 is fine.
    let plan = World::new(db_storage(1000, 950, 90.0, "io1", Some(3_000)), cpu(50.0)).plan();
    let a = only(&plan, KnobName::Storage);
    assert_eq!((a.to.clone(), a.refused), (Setting::Gib(1200), None));
    // 550 IOPS: valid up to 1,100 GiB; the ceiling stops there.
    let plan = World::new(db_storage(1000, 950, 90.0, "io2", Some(550)), cpu(50.0)).plan();
    let a = only(&plan, KnobName::Storage);
    assert_eq!((a.to.clone(), a.refused), (Setting::Gib(1100), None));
    assert!(a.reason.contains("held to 1100 GiB"), "{}", a.reason);
    // 500 IOPS: 1,000 GiB is already the most they allow: held, with why.
    let plan = World::new(db_storage(1000, 950, 90.0, "io1", Some(500)), cpu(50.0)).plan();
    let a = only(&plan, KnobName::Storage);
    let r = a.refused.expect("held");
    assert_eq!(r.guard, Guard::StorageIops);
    assert!(
        r.why.contains("500 IOPS") && r.why.contains("raise IOPS"),
        "{}",
        r.why
    );
    // gp3 has no IOPS floor per GiB: it grows.
    let plan = World::new(db_storage(1000, 950, 90.0, "gp3", Some(3_000)), cpu(50.0)).plan();
    assert_eq!(only(&plan, KnobName::Storage).refused, None);
}

#[test]
fn one_change_per_resource_per_decision() {
    let mut member = db("db.r6g.xlarge");
    member.storage_used_percent = Some(95.0);
    let plan = World::new(member, cpu(95.0)).plan();
    assert_eq!(plan.planned().count(), 1, "{:#?}", plan.actions);
    let held: Vec<&Action> = plan.refused().collect();
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0].refused.as_ref().map(|r| r.guard),
        Some(Guard::OneAtATime)
    );
    // Storage growth is critical: it runs first.
    assert_eq!(
        plan.planned().next().map(|a| a.knob),
        Some(KnobName::Storage)
    );
}
