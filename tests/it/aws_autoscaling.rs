//! aws_autoscaling: the Auto Scaling adapter, observe and act against moto
//! server. Each test creates its own launch template (EC2 CreateLaunchTemplate
//! over the query protocol: tidegate does not depend on `aws-sdk-ec2`) and
//! groups through the SDK, runs observe → act, and observes again.
//!
//! moto differs from AWS here: an UpdateAutoScalingGroup without a
//! MixedInstancesPolicy drops the group's policy (AWS keeps it), so the
//! capacity test does not look at the mix afterwards.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_autoscaling::types::{
    InstancesDistribution, LaunchTemplate, LaunchTemplateOverrides, LaunchTemplateSpecification,
    MixedInstancesPolicy, Tag,
};
use chrono::Utc;
use tidegate::act::{Outcome, Pace, Report};
use tidegate::aws::{
    AutoScalingAdapter, CloudWatchAdapter, ElastiCacheAdapter, ErrorKind, KafkaAdapter, RdsAdapter,
};
use tidegate::estate::{Member, Setting, Status};
use tidegate::observe::{self, Observation, Ports};
use tidegate::plan::{Action, Cause};
use tidegate::policy::{Direction, KnobName, Policy, ResourceKind, SpotMix, load_str};
use tidegate::ports::AutoScalingPort;

use crate::support::{MotoServer, act_each, unique};

/// Every adapter on one moto server, for `Ports`, and a plain SDK client to
/// create and inspect groups.
struct Adapters {
    rds: RdsAdapter,
    elasticache: ElastiCacheAdapter,
    kafka: KafkaAdapter,
    autoscaling: AutoScalingAdapter,
    cloudwatch: CloudWatchAdapter,
    sdk: aws_sdk_autoscaling::Client,
}

impl Adapters {
    async fn on(moto: &MotoServer, page_size: Option<u32>) -> Self {
        let config = moto.sdk_config().await;
        let autoscaling = AutoScalingAdapter::new(&config);
        Adapters {
            rds: RdsAdapter::new(&config),
            elasticache: ElastiCacheAdapter::new(&config),
            kafka: KafkaAdapter::new(&config),
            autoscaling: match page_size {
                Some(n) => autoscaling.with_page_size(n),
                None => autoscaling,
            },
            cloudwatch: CloudWatchAdapter::new(&config),
            sdk: aws_sdk_autoscaling::Client::new(&config),
        }
    }

    fn ports(&self) -> Ports<'_> {
        Ports {
            rds: &self.rds,
            elasticache: &self.elasticache,
            kafka: &self.kafka,
            autoscaling: &self.autoscaling,
            cloudwatch: &self.cloudwatch,
        }
    }

    /// A group of `min`/`max`/`desired` on launch template `template`, with
    /// a mixed instances policy when `mix` is given, tagged `tags`.
    async fn create(
        &self,
        name: &str,
        template: &str,
        (min, max, desired): (i32, i32, i32),
        mix: Option<&SpotMix>,
        tags: &[(&str, &str)],
    ) {
        let spec = LaunchTemplateSpecification::builder()
            .launch_template_id(template)
            .version("$Default")
            .build();
        let mut call = self
            .sdk
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .availability_zones("us-east-1a")
            .min_size(min)
            .max_size(max)
            .desired_capacity(desired);
        call = match mix {
            None => call.launch_template(spec),
            Some(mix) => call.mixed_instances_policy(sdk_policy(spec, mix)),
        };
        for (k, v) in tags {
            call = call.tags(
                Tag::builder()
                    .key(*k)
                    .value(*v)
                    .resource_id(name)
                    .resource_type("auto-scaling-group")
                    .propagate_at_launch(false)
                    .build(),
            );
        }
        call.send()
            .await
            .unwrap_or_else(|e| panic!("create group {name}: {e:?}"));
    }

    async fn observe(&self, policy: &Policy) -> Observation {
        observe::observe(policy, self.ports(), Utc::now()).await
    }

    async fn apply(
        &self,
        policy: &Policy,
        actions: Vec<Action>,
        fresh: &Observation,
    ) -> Vec<Report> {
        act_each(
            actions,
            policy,
            self.ports(),
            &fresh.estate,
            Pace::default(),
        )
        .await
    }
}

pub(crate) fn sdk_policy(spec: LaunchTemplateSpecification, mix: &SpotMix) -> MixedInstancesPolicy {
    let mut lt = LaunchTemplate::builder().launch_template_specification(spec);
    for t in &mix.instance_types {
        lt = lt.overrides(LaunchTemplateOverrides::builder().instance_type(t).build());
    }
    MixedInstancesPolicy::builder()
        .launch_template(lt.build())
        .instances_distribution(
            InstancesDistribution::builder()
                .on_demand_base_capacity(i32::try_from(mix.on_demand_base).expect("small"))
                .on_demand_percentage_above_base_capacity(
                    i32::try_from(mix.on_demand_percent_above_base).expect("small"),
                )
                .spot_allocation_strategy(&mix.allocation_strategy)
                .build(),
        )
        .build()
}

/// EC2 CreateLaunchTemplate over the query protocol (moto routes it by the
/// credential scope of the Authorization header, which it does not check).
/// Returns the template id.
pub(crate) fn create_launch_template(moto: &MotoServer, name: &str) -> String {
    let addr = moto.url().trim_start_matches("http://");
    let body = format!(
        "Action=CreateLaunchTemplate&Version=2016-11-15&LaunchTemplateName={name}\
         &LaunchTemplateData.ImageId=ami-12c6146b&LaunchTemplateData.InstanceType=t3.micro"
    );
    let mut stream = TcpStream::connect(addr).expect("connect to moto");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ec2/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send CreateLaunchTemplate");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read response");
    let id = response
        .split("<launchTemplateId>")
        .nth(1)
        .and_then(|rest| rest.split("</launchTemplateId>").next());
    match id {
        Some(id) if response.starts_with("HTTP/1.1 200") => id.to_owned(),
        _ => panic!("CreateLaunchTemplate {name} failed: {response}"),
    }
}

fn policy(selector: &str) -> Policy {
    load_str(
        &format!(
            r#"
version: 1
estate: asg-test
guardrails: {{ max_actions_per_hour: 10, oscillation_window: 1h }}
spot_mix:
  api:
    spot_percent: 30
    on_demand_base: 2
    allocation_strategy: price-capacity-optimized
    instance_types: [m6i.large, m5.large, m7i.large]
resources:
  - id: fleet
    kind: autoscaling_group
    {selector}
    workload_class: api
    capacity: {{ min: 1, max: 8, floor: 1 }}
"#
        ),
        "asg-test.yaml",
    )
    .expect("valid policy")
}

fn action(member: &Member, knob: KnobName, to: Setting) -> Action {
    let from = match knob {
        KnobName::SpotMix => Setting::Mix(member.spot_mix.clone().expect("a mix")),
        _ => member.settings.get(&knob).cloned().expect("a setting"),
    };
    Action {
        policy_id: member.policy_id.clone(),
        identifier: member.identifier.clone(),
        kind: ResourceKind::AutoscalingGroup,
        knob,
        from,
        to,
        direction: Some(Direction::Up),
        cause: Cause::SpotMix {
            class: "api".into(),
        },
        reason: "test".into(),
        cost_delta_per_hour: None,
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    }
}

fn the_member<'a>(obs: &'a Observation, name: &str) -> &'a Member {
    obs.estate
        .members
        .iter()
        .find(|m| m.identifier == name)
        .unwrap_or_else(|| panic!("{name} not observed: {:?}", obs.notes))
}

fn on_demand_mix() -> SpotMix {
    SpotMix {
        on_demand_base: 0,
        on_demand_percent_above_base: 100,
        allocation_strategy: "lowest-price".into(),
        instance_types: vec!["t3.micro".into(), "t3.small".into()],
    }
}

#[tokio::test]
async fn capacity_change_is_observed_back_and_a_second_apply_does_nothing() {
    let moto = MotoServer::shared();
    let a = Adapters::on(moto, None).await;
    let name = unique("asg-capacity");
    let template = create_launch_template(moto, &unique("lt-capacity"));
    a.create(&name, &template, (1, 4, 1), None, &[]).await;
    let policy = policy(&format!("identifier: {name}"));

    let before = a.observe(&policy).await;
    let member = the_member(&before, &name);
    assert_eq!(member.status, Status::Available);
    assert_eq!(
        member.settings.get(&KnobName::Capacity),
        Some(&Setting::Capacity {
            min: 1,
            max: 4,
            desired: 1
        })
    );

    let to = Setting::Capacity {
        min: 2,
        max: 6,
        desired: 3,
    };
    let act = action(member, KnobName::Capacity, to.clone());
    let reports = a.apply(&policy, vec![act.clone()], &before).await;
    match &reports[0].outcome {
        Outcome::Applied { detail } => assert_eq!(
            detail,
            &format!("UpdateAutoScalingGroup {name}: MinSize 2, MaxSize 6, DesiredCapacity 3")
        ),
        other => panic!("not applied: {other:?}"),
    }

    let after = a.observe(&policy).await;
    assert_eq!(
        the_member(&after, &name).settings.get(&KnobName::Capacity),
        Some(&to)
    );

    let again = a.apply(&policy, vec![act], &after).await;
    assert_eq!(again[0].outcome, Outcome::AlreadyInEffect);
}

#[tokio::test]
async fn spot_mix_change_is_observed_back_with_the_launch_template_kept() {
    let moto = MotoServer::shared();
    let a = Adapters::on(moto, None).await;
    let name = unique("asg-mix");
    let template = create_launch_template(moto, &unique("lt-mix"));
    a.create(&name, &template, (0, 4, 0), Some(&on_demand_mix()), &[])
        .await;
    let policy = policy(&format!("identifier: {name}"));

    let before = a.observe(&policy).await;
    let member = the_member(&before, &name);
    assert_eq!(member.spot_mix, Some(on_demand_mix()));

    let wanted = policy.spot_mix["api"].distribution();
    let reports = a
        .apply(
            &policy,
            vec![action(
                member,
                KnobName::SpotMix,
                Setting::Mix(wanted.clone()),
            )],
            &before,
        )
        .await;
    match &reports[0].outcome {
        Outcome::Applied { detail } => {
            assert!(detail.contains("OnDemandBaseCapacity 2"), "{detail}");
            assert!(
                detail.contains("replaces running instances gradually"),
                "{detail}"
            );
        }
        other => panic!("not applied: {other:?}"),
    }

    let after = a.observe(&policy).await;
    assert_eq!(the_member(&after, &name).spot_mix, Some(wanted));
    let described = a
        .sdk
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&name)
        .send()
        .await
        .expect("describe");
    let spec = described.auto_scaling_groups()[0]
        .mixed_instances_policy()
        .and_then(|p| p.launch_template())
        .and_then(|lt| lt.launch_template_specification())
        .expect("launch template kept");
    assert_eq!(spec.launch_template_id(), Some(template.as_str()));
}

#[tokio::test]
async fn a_plain_launch_template_group_takes_a_mixed_policy() {
    let moto = MotoServer::shared();
    let a = Adapters::on(moto, None).await;
    let name = unique("asg-plain");
    let template = create_launch_template(moto, &unique("lt-plain"));
    a.create(&name, &template, (0, 2, 0), None, &[]).await;

    a.autoscaling
        .set_spot_mix(&name, &on_demand_mix())
        .await
        .expect("set spot mix");
    let group = a
        .autoscaling
        .groups()
        .await
        .expect("groups")
        .into_iter()
        .find(|g| g.name == name)
        .expect("group");
    assert_eq!(group.mix, Some(on_demand_mix()));
}

/// Pagination: 5 groups on a server of their own, 2 a page. The adapter
/// must read 3 pages (counted by the server) to find the 3 tagged groups,
/// which sit on pages 1 to 3.
#[tokio::test]
async fn tag_selector_picks_exactly_the_tagged_groups_across_pages() {
    let moto = MotoServer::dedicated();
    let a = Adapters::on(&moto, Some(2)).await;
    let template = create_launch_template(&moto, "lt-pages");
    let tagged = ["pg-a", "pg-c", "pg-e"];
    for (name, team) in [
        ("pg-a", "payments"),
        ("pg-b", "search"),
        ("pg-c", "payments"),
        ("pg-d", "payments-old"),
        ("pg-e", "payments"),
    ] {
        a.create(
            name,
            &template,
            (0, 2, 0),
            None,
            &[("team", team), ("env", "prod")],
        )
        .await;
    }
    let policy = policy("tags: { team: payments, env: prod }");

    moto.reset_calls();
    let obs = a.observe(&policy).await;
    let mut picked: Vec<&str> = obs
        .estate
        .members_of("fleet")
        .map(|m| m.identifier.as_str())
        .collect();
    picked.sort_unstable();
    assert_eq!(picked, tagged);
    let calls = moto.calls();
    assert_eq!(calls.count("autoscaling", "DescribeAutoScalingGroups"), 3);
    assert!(
        calls.service("cloudwatch").is_empty(),
        "no rules, no CloudWatch: {calls:?}"
    );
}

#[tokio::test]
async fn a_missing_group_is_an_aws_error_and_the_rest_of_the_plan_runs() {
    let moto = MotoServer::shared();
    let a = Adapters::on(moto, None).await;
    let missing = unique("asg-missing");

    let e = a
        .autoscaling
        .set_capacity(&missing, 1, 2, 1)
        .await
        .expect_err("no such group");
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    assert_eq!(
        (e.operation, e.resource.as_str()),
        ("UpdateAutoScalingGroup", missing.as_str())
    );
    assert_eq!(e.code.as_deref(), Some("ValidationError"));
    let e = a
        .autoscaling
        .set_spot_mix(&missing, &on_demand_mix())
        .await
        .expect_err("no such group");
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");

    // Both groups observed; one is deleted before the plan runs.
    let template = create_launch_template(moto, &unique("lt-missing"));
    let team = unique("team");
    let (gone, kept) = (unique("asg-gone"), unique("asg-kept"));
    for name in [&gone, &kept] {
        a.create(name, &template, (0, 4, 0), None, &[("team", &team)])
            .await;
    }
    let policy = policy(&format!("tags: {{ team: {team} }}"));
    let fresh = a.observe(&policy).await;
    let to = Setting::Capacity {
        min: 1,
        max: 4,
        desired: 2,
    };
    let actions = vec![
        action(the_member(&fresh, &gone), KnobName::Capacity, to.clone()),
        action(the_member(&fresh, &kept), KnobName::Capacity, to.clone()),
    ];
    a.sdk
        .delete_auto_scaling_group()
        .auto_scaling_group_name(&gone)
        .force_delete(true)
        .send()
        .await
        .expect("delete");

    let reports = a.apply(&policy, actions, &fresh).await;
    match &reports[0].outcome {
        Outcome::Failed { error, source } => {
            assert!(
                error.contains(&format!("UpdateAutoScalingGroup on {gone} failed")),
                "{error}"
            );
            assert_eq!(source.as_ref().map(|s| s.kind), Some(ErrorKind::NotFound));
        }
        other => panic!("expected a failure: {other:?}"),
    }
    assert!(
        matches!(reports[1].outcome, Outcome::Applied { .. }),
        "{:?}",
        reports[1]
    );
    let after = a.observe(&policy).await;
    assert_eq!(
        the_member(&after, &kept).settings.get(&KnobName::Capacity),
        Some(&to)
    );
}
