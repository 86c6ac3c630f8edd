//! The spot function: AWS's documented `EC2 Spot Instance Interruption
//! Warning` and `EC2 Instance Rebalance Recommendation` events (time, id
//! and instance filled in), against moto with a second Auto Scaling group
//! whose workload class reacts to warnings: 70% spot, +20 points of
//! on-demand per step up to 70%, three warnings in 10 minutes, a 2-hour
//! quiet period. The `workers` group's class (`steady`, 0% spot) reacts to
//! nothing and is never touched.
//!
//! moto serves DescribeAutoScalingInstances (the instance → group look-up)
//! and keeps a group's MixedInstancesPolicy as sent; it never emits EC2
//! events, so the handler is called with the JSON.

use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use tidegate::lambda::{scheduler, spot};
use tidegate::ledger::{Ledger, SpotWarning, SpotWarningKind};
use tidegate::policy::{KnobName, SpotMix};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::run::{Runner, Settings, Trigger};

use super::{Stack, at, event};
use crate::support::{MotoServer, unique};

const API_CLASS: &str = "  api:
    spot_percent: 70
    on_demand_base: 0
    allocation_strategy: price-capacity-optimized
    instance_types: [m6i.large, m5.large]
    interruptions:
      warnings: 3
      within: 10m
      step_percent: 20
      max_on_demand_percent: 70
      quiet_period: 2h
      diversify_with: [m7i.large, c6i.large]
";

fn web_resource(group: &str) -> String {
    format!(
        "
  - id: web
    kind: autoscaling_group
    identifier: \"{group}\"
    workload_class: api
    capacity: {{ min: 0, max: 10 }}
    cooldown: {{ up: 5m, down: 5m }}
"
    )
}

fn api_mix(on_demand: u32, types: &[&str]) -> SpotMix {
    SpotMix {
        on_demand_base: 0,
        on_demand_percent_above_base: on_demand,
        allocation_strategy: "price-capacity-optimized".to_owned(),
        instance_types: types.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// The stack plus the `web` group (2 instances, at the api class's own
/// mix); returns the stack, the group's name, and an instance of each group.
async fn stack() -> (Stack, String, String, String) {
    stack_with(API_CLASS).await
}

async fn stack_with(class: &str) -> (Stack, String, String, String) {
    let moto = MotoServer::shared();
    let web = unique("lt-web");
    let stack = Stack::with_policy(moto, "db.r6g.xlarge", 3, |p| {
        let p = p.replace("spot_mix:\n", &format!("spot_mix:\n{class}"));
        format!("{p}{}", web_resource(&web))
    })
    .await;
    let template = crate::aws_autoscaling::create_launch_template(moto, &unique("lt-lt"));
    let spec = LaunchTemplateSpecification::builder()
        .launch_template_id(template)
        .version("$Default")
        .build();
    let asg = aws_sdk_autoscaling::Client::new(&stack.sdk);
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&web)
        .availability_zones("us-east-1a")
        .min_size(0)
        .max_size(10)
        .desired_capacity(2)
        .mixed_instances_policy(crate::aws_autoscaling::sdk_policy(
            spec,
            &api_mix(30, &["m6i.large", "m5.large"]),
        ))
        .send()
        .await
        .expect("CreateAutoScalingGroup web");
    let web_instance = instance_of(&stack, &web).await;
    let workers_instance = instance_of(&stack, &stack.asg).await;
    (stack, web, web_instance, workers_instance)
}

async fn instance_of(stack: &Stack, group: &str) -> String {
    let out = aws_sdk_autoscaling::Client::new(&stack.sdk)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .expect("DescribeAutoScalingGroups");
    out.auto_scaling_groups()
        .first()
        .and_then(|g| g.instances().first())
        .and_then(|i| i.instance_id())
        .unwrap_or_else(|| panic!("{group} has an instance"))
        .to_owned()
}

async fn mix_of(stack: &Stack, group: &str) -> (u32, Vec<String>) {
    let out = aws_sdk_autoscaling::Client::new(&stack.sdk)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .expect("DescribeAutoScalingGroups");
    let policy = out
        .auto_scaling_groups()
        .first()
        .and_then(|g| g.mixed_instances_policy())
        .expect("a MixedInstancesPolicy");
    let od = policy
        .instances_distribution()
        .and_then(|d| d.on_demand_percentage_above_base_capacity())
        .unwrap_or(-1);
    let types = policy
        .launch_template()
        .map(|t| {
            t.overrides()
                .iter()
                .filter_map(|o| o.instance_type().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (u32::try_from(od).unwrap_or(0), types)
}

/// The documented event `file` for `instance`, sent at `when`.
fn warning(file: &str, instance: &str, when: DateTime<Utc>) -> Value {
    let mut e = event(file);
    e["id"] = Value::from(unique("ev"));
    e["time"] = Value::from(when.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    e["region"] = Value::from("us-east-1");
    e["detail"]["instance-id"] = Value::from(instance);
    e
}

const INTERRUPTION: &str = "spot-interruption-warning.json";
const REBALANCE: &str = "rebalance-recommendation.json";

#[tokio::test]
async fn three_warnings_raise_one_step_a_fourth_changes_nothing_and_quiet_steps_back() {
    let (stack, web, instance, _) = stack().await;
    let function = stack.function("spot").await;
    let t0 = at("2026-11-23T10:00:00Z");
    let send = |file: &'static str, minutes: i64| {
        let when = t0 + TimeDelta::minutes(minutes);
        (warning(file, &instance, when), when + TimeDelta::seconds(5))
    };

    // Two warnings (one of each kind): nothing yet.
    for (file, m) in [(INTERRUPTION, 0), (REBALANCE, 1)] {
        let (e, now) = send(file, m);
        let answer = spot::handle(&function, &e, "req", now).await.expect("run");
        assert_eq!(answer["applied"], serde_json::json!([]), "{answer:#}");
    }
    assert_eq!(
        mix_of(&stack, &web).await,
        (30, vec!["m6i.large".into(), "m5.large".into()])
    );

    // The third within 10 minutes: one step up, one type added.
    let (e, now) = send(INTERRUPTION, 2);
    let answer = spot::handle(&function, &e, "req", now).await.expect("run");
    assert_eq!(
        answer["applied"].as_array().map(Vec::len),
        Some(1),
        "{answer:#}"
    );
    assert_eq!(
        mix_of(&stack, &web).await,
        (
            50,
            vec!["m6i.large".into(), "m5.large".into(), "m7i.large".into()]
        )
    );
    let log = stack.log(&function, now).await;
    let raise = log
        .iter()
        .find(|l| l.action.identifier == web)
        .expect("the raise is logged");
    assert!(
        raise.action.reason.starts_with("3 spot interruption warnings within 10m for workload class api: on-demand share 30% → 50%"),
        "{}",
        raise.action.reason
    );
    assert!(
        raise
            .action
            .notes
            .iter()
            .any(|n| n.contains("no instance refresh is needed")),
        "{:?}",
        raise.action.notes
    );
    // Priced: more on-demand costs more.
    assert!(
        raise.action.cost_delta_per_hour.is_some_and(|d| d > 0.0),
        "{:?}",
        raise.action.cost_delta_per_hour
    );

    // A fourth, inside the cooldown and counted after the raise: nothing.
    let (e, now) = send(REBALANCE, 3);
    let answer = spot::handle(&function, &e, "req", now).await.expect("run");
    assert_eq!(answer["applied"], serde_json::json!([]), "{answer:#}");
    assert_eq!(mix_of(&stack, &web).await.0, 50);
    // The same event delivered again is a duplicate.
    let answer = spot::handle(&function, &e, "req", now).await.expect("run");
    assert_eq!(answer["status"]["status"], "duplicate", "{answer:#}");

    // Within the quiet period the scheduler holds the raised share…
    let scheduler_fn = stack.function("scheduler").await;
    let run = |now: DateTime<Utc>| {
        let f = &scheduler_fn;
        async move {
            scheduler::handle(f, &event("schedule-eventbridge.json"), "req-s", now)
                .await
                .expect("scheduler run")
        }
    };
    run(t0 + TimeDelta::minutes(60)).await;
    assert_eq!(mix_of(&stack, &web).await.0, 50);
    // …and after it (2 h after the last warning) steps back to the class's mix.
    run(t0 + TimeDelta::minutes(3 + 121)).await;
    assert_eq!(
        mix_of(&stack, &web).await,
        (30, vec!["m6i.large".into(), "m5.large".into()])
    );
    // Never below it.
    run(t0 + TimeDelta::minutes(3 + 200)).await;
    assert_eq!(mix_of(&stack, &web).await.0, 30);
}

#[tokio::test]
async fn plan_shows_the_spot_mix_change_a_scheduler_run_then_makes() {
    // One path (issue 13): `tidegate plan` reads the spot warnings in the
    // ledger as a run does, so it shows the raise the next run makes.
    let (stack, web, instance, _) = stack().await;
    let scheduler_fn = stack.function("scheduler").await;
    let t0 = at("2026-11-23T10:00:00Z");
    let ledger = scheduler_fn.ledger();
    for (m, kind) in [
        (0, SpotWarningKind::Interruption),
        (1, SpotWarningKind::Rebalance),
        (2, SpotWarningKind::Interruption),
    ] {
        let warning = SpotWarning {
            group: web.clone(),
            instance: instance.clone(),
            kind,
            at: t0 + TimeDelta::minutes(m),
        };
        ledger
            .record_spot_warning(&warning, TimeDelta::days(1))
            .await
            .expect("record a warning");
    }
    let now = t0 + TimeDelta::minutes(3);
    let policy = scheduler_fn.policy.as_ref().expect("a valid policy");
    let prices = SnapshotPriceBook::embedded();
    let runner = Runner {
        policy,
        ports: scheduler_fn.ports(),
        ledger,
        notify: None,
        prices: &prices,
        holder: "tidegate plan",
        settings: Settings::default(),
    };
    let plan = runner
        .preview(&Trigger::cli("tidegate plan", None), now)
        .await
        .expect("plan");
    let planned: Vec<_> = plan
        .planned()
        .filter(|a| a.identifier == web && a.knob == KnobName::SpotMix)
        .collect();
    assert_eq!(planned.len(), 1, "{plan:#?}");
    let shown = planned[0].to.clone();
    assert_eq!(mix_of(&stack, &web).await.0, 30, "plan changed nothing");

    let answer = scheduler::handle(
        &scheduler_fn,
        &event("schedule-eventbridge.json"),
        "req-s",
        now,
    )
    .await
    .expect("scheduler run");
    let applied: Vec<_> = stack
        .log(&scheduler_fn, now)
        .await
        .into_iter()
        .filter(|l| l.action.identifier == web)
        .collect();
    assert_eq!(applied.len(), 1, "{answer:#}");
    assert_eq!(applied[0].action.to, shown, "{answer:#}");
    assert_eq!(
        mix_of(&stack, &web).await,
        (
            50,
            vec!["m6i.large".into(), "m5.large".into(), "m7i.large".into()]
        )
    );
}

#[tokio::test]
async fn the_zero_spot_class_and_unmanaged_instances_are_ignored() {
    let (stack, _, _, workers_instance) = stack().await;
    let function = stack.function("spot").await;
    let before = mix_of(&stack, &stack.asg).await;
    let t0 = at("2026-11-23T10:00:00Z");
    for m in 0..4 {
        let when = t0 + TimeDelta::minutes(m);
        let e = warning(INTERRUPTION, &workers_instance, when);
        let answer = spot::handle(&function, &e, "req", when).await.expect("run");
        assert_eq!(answer["status"]["status"], "ignored", "{answer:#}");
    }
    assert_eq!(mix_of(&stack, &stack.asg).await, before);

    // An instance of no group at all.
    let e = warning(INTERRUPTION, "i-0123456789abcdef0", t0);
    let answer = spot::handle(&function, &e, "req", t0).await.expect("run");
    assert_eq!(answer["status"]["status"], "ignored", "{answer:#}");
    assert!(
        answer["status"]["why"]
            .as_str()
            .is_some_and(|w| w.contains("belongs to no Auto Scaling group")),
        "{answer:#}"
    );

    // An event that is not a spot warning is an error naming what it got.
    let mut other = warning(INTERRUPTION, "i-0123456789abcdef0", t0);
    other["detail-type"] = Value::from("EC2 Instance State-change Notification");
    let err = spot::handle(&function, &other, "req", t0)
        .await
        .expect_err("not a spot warning");
    assert!(
        err.to_string()
            .contains("EC2 Instance State-change Notification"),
        "{err}"
    );
}

#[tokio::test]
async fn a_class_that_asks_for_it_gets_an_instance_refresh_after_a_step_that_adds_types() {
    let class = format!("{API_CLASS}      instance_refresh: {{ min_healthy_percent: 80 }}\n");
    let (stack, web, instance, _) = stack_with(&class).await;
    let function = stack.function("spot").await;
    let t0 = at("2026-11-23T10:00:00Z");
    let mut answer = Value::Null;
    for m in 0..3 {
        let when = t0 + TimeDelta::minutes(m);
        answer = spot::handle(
            &function,
            &warning(INTERRUPTION, &instance, when),
            "req",
            when,
        )
        .await
        .expect("run");
    }
    assert_eq!(
        answer["applied"].as_array().map(Vec::len),
        Some(1),
        "{answer:#}"
    );
    assert_eq!(mix_of(&stack, &web).await.0, 50);
    let refreshes = aws_sdk_autoscaling::Client::new(&stack.sdk)
        .describe_instance_refreshes()
        .auto_scaling_group_name(&web)
        .send()
        .await
        .expect("DescribeInstanceRefreshes");
    let started = refreshes.instance_refreshes();
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(
        started[0]
            .preferences()
            .and_then(|p| p.min_healthy_percentage()),
        Some(80)
    );
    let log = stack.log(&function, t0 + TimeDelta::minutes(3)).await;
    let raise = log
        .iter()
        .find(|l| l.action.identifier == web)
        .expect("logged");
    assert!(
        raise
            .action
            .notes
            .iter()
            .any(|n| n.starts_with("instance refresh: tidegate starts one (minimum healthy 80%)")),
        "{:?}",
        raise.action.notes
    );
    let detail = raise
        .outcome
        .as_ref()
        .map(|o| o.detail.clone())
        .unwrap_or_default();
    assert!(detail.contains("StartInstanceRefresh"), "{detail}");
}
