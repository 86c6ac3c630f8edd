//! aws_kafka: against moto server. Each test creates its own MSK cluster
//! through the SDK, runs the adapter → observe → act, and describes the
//! cluster again to see what AWS (moto) now holds.
//!
//! moto applies an update at once (the cluster never shows `UPDATING` by
//! itself; `MotoServer::set_msk_state` puts it there) and keeps no waiting
//! period between storage updates.

use aws_sdk_kafka::types::{BrokerNodeGroupInfo, EbsStorageInfo, StorageInfo};
use chrono::Utc;
use tidegate::act::{Outcome, Pace, Report};
use tidegate::aws::{
    AutoScalingAdapter, CloudWatchAdapter, ElastiCacheAdapter, ErrorKind, KafkaAdapter, RdsAdapter,
};
use tidegate::estate::{Setting, Status};
use tidegate::observe::{self, Observation, Ports};
use tidegate::plan::{Action, Cause};
use tidegate::policy::{Direction, KnobName, Policy, ResourceKind, load_str};
use tidegate::ports::KafkaPort;

use crate::support::{MotoServer, act_each, unique};

/// Every adapter on one configuration, for `Ports`.
struct Adapters {
    rds: RdsAdapter,
    elasticache: ElastiCacheAdapter,
    kafka: KafkaAdapter,
    autoscaling: AutoScalingAdapter,
    cloudwatch: CloudWatchAdapter,
    sdk: aws_sdk_kafka::Client,
}

impl Adapters {
    async fn new() -> Self {
        Self::on(MotoServer::shared()).await
    }

    /// Every adapter on `moto`.
    async fn on(moto: &MotoServer) -> Self {
        let config = moto.sdk_config().await;
        Adapters {
            rds: RdsAdapter::new(&config),
            elasticache: ElastiCacheAdapter::new(&config),
            kafka: KafkaAdapter::new(&config),
            autoscaling: AutoScalingAdapter::new(&config),
            cloudwatch: CloudWatchAdapter::new(&config),
            sdk: aws_sdk_kafka::Client::new(&config),
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

    /// A provisioned cluster over three AZs; its ARN.
    async fn create(&self, name: &str, brokers: i32, broker_type: &str, gib: i32) -> String {
        let group = BrokerNodeGroupInfo::builder()
            .instance_type(broker_type)
            .client_subnets("subnet-a")
            .client_subnets("subnet-b")
            .client_subnets("subnet-c")
            .storage_info(
                StorageInfo::builder()
                    .ebs_storage_info(EbsStorageInfo::builder().volume_size(gib).build())
                    .build(),
            )
            .build();
        let out = self
            .sdk
            .create_cluster()
            .cluster_name(name)
            .kafka_version("3.6.0")
            .number_of_broker_nodes(brokers)
            .broker_node_group_info(group)
            .tags("suite", "aws_kafka")
            .send()
            .await
            .expect("create MSK cluster");
        out.cluster_arn().expect("cluster ARN").to_owned()
    }

    /// A cluster of Express brokers: no storage info (AWS manages it).
    async fn create_express(&self, name: &str) -> String {
        let group = BrokerNodeGroupInfo::builder()
            .instance_type("express.m7g.large")
            .client_subnets("subnet-a")
            .client_subnets("subnet-b")
            .client_subnets("subnet-c")
            .build();
        let out = self
            .sdk
            .create_cluster()
            .cluster_name(name)
            .kafka_version("3.6.0")
            .number_of_broker_nodes(3)
            .broker_node_group_info(group)
            .send()
            .await
            .expect("create MSK Express cluster");
        out.cluster_arn().expect("cluster ARN").to_owned()
    }

    /// (brokers, broker type, GiB per broker, current version), described again.
    async fn describe(&self, arn: &str) -> (i32, String, i32, String) {
        let out = self
            .sdk
            .describe_cluster()
            .cluster_arn(arn)
            .send()
            .await
            .expect("describe cluster");
        let info = out.cluster_info().expect("cluster info");
        let group = info.broker_node_group_info().expect("broker node group");
        (
            info.number_of_broker_nodes().expect("broker count"),
            group.instance_type().expect("instance type").to_owned(),
            group
                .storage_info()
                .and_then(|s| s.ebs_storage_info())
                .and_then(|e| e.volume_size())
                .expect("volume size"),
            info.current_version().expect("current version").to_owned(),
        )
    }

    async fn observe(&self, policy: &Policy) -> Observation {
        observe::observe(policy, self.ports(), Utc::now()).await
    }

    /// Observes, then carries out one action from `from` to `to` on `knob`.
    async fn act(
        &self,
        policy: &Policy,
        name: &str,
        knob: KnobName,
        from: Setting,
        to: Setting,
    ) -> Report {
        let obs = self.observe(policy).await;
        self.act_on(&obs, policy, name, knob, from, to).await
    }

    async fn act_on(
        &self,
        obs: &Observation,
        policy: &Policy,
        name: &str,
        knob: KnobName,
        from: Setting,
        to: Setting,
    ) -> Report {
        let mut reports = act_each(
            vec![action(name, knob, from, to)],
            policy,
            self.ports(),
            &obs.estate,
            Pace::default(),
        )
        .await;
        assert_eq!(reports.len(), 1);
        reports.remove(0)
    }
}

fn policy(name: &str) -> Policy {
    let yaml = format!(
        r#"
version: 1
estate: aws-kafka
guardrails: {{ max_actions_per_hour: 10, oscillation_window: 1h }}
resources:
  - id: events
    kind: msk_cluster
    identifier: {name}
    az_count: 3
    brokers: {{ min: 3, max: 6, step: 3 }}
    broker_type: {{ ladder: [kafka.m5.xlarge, kafka.m5.2xlarge] }}
    storage: {{ grow_when_used_percent: 75, grow_by_percent: 10, min_grow_gib: 10, max_gib: 4000 }}
"#
    );
    load_str(&yaml, "aws_kafka.yaml").expect("valid policy")
}

fn action(name: &str, knob: KnobName, from: Setting, to: Setting) -> Action {
    Action {
        policy_id: "events".into(),
        identifier: name.into(),
        kind: ResourceKind::MskCluster,
        knob,
        from,
        to,
        direction: Some(Direction::Up),
        cause: Cause::Rule {
            rule: "CpuUser > 60".into(),
            alarm: "events-cpu-high".into(),
            critical: false,
        },
        reason: "test".into(),
        cost_delta_per_hour: None,
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    }
}

fn applied(report: &Report) -> &str {
    match &report.outcome {
        Outcome::Applied { detail } => detail,
        other => panic!("expected the change to be applied, got {other:?}"),
    }
}

#[tokio::test]
async fn observes_an_msk_cluster_as_a_member() {
    let a = Adapters::new().await;
    let name = unique("msk-observe");
    a.create(&name, 3, "kafka.m5.xlarge", 100).await;

    let obs = a.observe(&policy(&name)).await;
    let m = obs.estate.members_of("events").next().expect("selected");
    assert_eq!(m.identifier, name);
    assert_eq!(m.status, Status::Available);
    assert!(m.multi_az);
    assert_eq!(m.settings.get(&KnobName::Brokers), Some(&Setting::Count(3)));
    assert_eq!(
        m.settings.get(&KnobName::BrokerType),
        Some(&Setting::Class("kafka.m5.xlarge".into()))
    );
    assert_eq!(m.settings.get(&KnobName::Storage), Some(&Setting::Gib(100)));
    assert_eq!(m.tags.get("suite").map(String::as_str), Some("aws_kafka"));
    assert!(
        obs.notes.iter().all(|n| !n.starts_with("events:")),
        "{:?}",
        obs.notes
    );

    let missing = a.observe(&policy(&unique("msk-missing"))).await;
    assert_eq!(missing.estate.members_of("events").count(), 0);
    assert!(
        missing
            .notes
            .iter()
            .any(|n| n.starts_with("events: no MSK cluster named msk-missing")),
        "{:?}",
        missing.notes
    );
}

/// 12.4: an Express cluster (no EBS volume info) among provisioned ones is
/// read without a storage size, and does not stop the others: ListClustersV2
/// through the real protocol, then an update of the good cluster.
#[tokio::test]
async fn an_express_cluster_without_ebs_info_stops_no_other_cluster() {
    let a = Adapters::new().await;
    let good = unique("msk-good");
    let express = unique("msk-express");
    let arn = a.create(&good, 3, "kafka.m5.xlarge", 100).await;
    a.create_express(&express).await;
    let yaml = format!(
        r#"
version: 1
estate: aws-kafka
guardrails: {{ max_actions_per_hour: 10, oscillation_window: 1h }}
resources:
  - id: events
    kind: msk_cluster
    identifier: {good}
    az_count: 3
    brokers: {{ min: 3, max: 6, step: 3 }}
    broker_type: {{ ladder: [kafka.m5.xlarge, kafka.m5.2xlarge] }}
  - id: express
    kind: msk_cluster
    identifier: {express}
    az_count: 3
    brokers: {{ min: 3, max: 6, step: 3 }}
    broker_type: {{ ladder: [kafka.m7g.large] }}
    storage: {{ grow_when_used_percent: 75, grow_by_percent: 10, min_grow_gib: 10, max_gib: 4000 }}
"#
    );
    let policy = load_str(&yaml, "aws_kafka.yaml").expect("valid policy");
    let obs = a.observe(&policy).await;
    let e = obs
        .estate
        .members_of("express")
        .next()
        .expect("express observed");
    assert_eq!(e.settings.get(&KnobName::Storage), None);
    assert_eq!(e.settings.get(&KnobName::Brokers), Some(&Setting::Count(3)));
    assert!(
        obs.notes
            .iter()
            .any(|n| n.starts_with("express: ") && n.contains("no EBS volume")),
        "{:?}",
        obs.notes
    );
    assert!(obs.not_observed.is_empty(), "{:?}", obs.not_observed);

    let report = a
        .act_on(
            &obs,
            &policy,
            &good,
            KnobName::Brokers,
            Setting::Count(3),
            Setting::Count(6),
        )
        .await;
    assert!(applied(&report).contains("3 → 6 brokers"), "{report:?}");
    assert_eq!(a.describe(&arn).await.0, 6);
}

#[tokio::test]
async fn broker_count_grows_from_three_to_six_and_a_second_apply_does_nothing() {
    let a = Adapters::new().await;
    let name = unique("msk-count");
    let arn = a.create(&name, 3, "kafka.m5.xlarge", 100).await;
    let policy = policy(&name);
    let (_, _, _, before) = a.describe(&arn).await;

    let r = a
        .act(
            &policy,
            &name,
            KnobName::Brokers,
            Setting::Count(3),
            Setting::Count(6),
        )
        .await;
    let detail = applied(&r);
    assert!(
        detail.starts_with(&format!("UpdateBrokerCount {name} 3 → 6 brokers")),
        "{detail}"
    );
    assert!(
        detail.contains(&before),
        "the call carries the version read: {detail}"
    );
    let (brokers, _, _, after) = a.describe(&arn).await;
    assert_eq!(brokers, 6);
    assert_ne!(after, before, "MSK gives the cluster a new version");

    let again = a
        .act(
            &policy,
            &name,
            KnobName::Brokers,
            Setting::Count(3),
            Setting::Count(6),
        )
        .await;
    assert_eq!(again.outcome, Outcome::AlreadyInEffect);
    assert_eq!(a.describe(&arn).await.0, 6);
}

#[tokio::test]
async fn broker_type_moves_from_xlarge_to_2xlarge() {
    let a = Adapters::new().await;
    let name = unique("msk-type");
    let arn = a.create(&name, 3, "kafka.m5.xlarge", 100).await;

    let r = a
        .act(
            &policy(&name),
            &name,
            KnobName::BrokerType,
            Setting::Class("kafka.m5.xlarge".into()),
            Setting::Class("kafka.m5.2xlarge".into()),
        )
        .await;
    assert!(applied(&r).starts_with("UpdateBrokerType"), "{r:?}");
    assert_eq!(a.describe(&arn).await.1, "kafka.m5.2xlarge");
}

#[tokio::test]
async fn storage_grows_for_all_brokers_and_never_shrinks() {
    let a = Adapters::new().await;
    let name = unique("msk-storage");
    let arn = a.create(&name, 3, "kafka.m5.xlarge", 100).await;
    let policy = policy(&name);

    let r = a
        .act(
            &policy,
            &name,
            KnobName::Storage,
            Setting::Gib(100),
            Setting::Gib(110),
        )
        .await;
    assert!(
        applied(&r).contains("100 → 110 GiB per broker (all brokers)"),
        "{r:?}"
    );
    assert_eq!(a.describe(&arn).await.2, 110);

    let r = a
        .act(
            &policy,
            &name,
            KnobName::Storage,
            Setting::Gib(110),
            Setting::Gib(100),
        )
        .await;
    let Outcome::Failed { error, source } = &r.outcome else {
        panic!("a shrink must fail, got {r:?}");
    };
    assert!(error.contains("MSK storage only grows"), "{error}");
    assert_eq!(
        source.as_ref().map(|e| e.operation),
        Some("UpdateBrokerStorage")
    );
    assert_eq!(a.describe(&arn).await.2, 110, "nothing was called");
}

#[tokio::test]
async fn fewer_brokers_is_a_clear_error_and_no_call() {
    let a = Adapters::new().await;
    let name = unique("msk-down");
    let arn = a.create(&name, 6, "kafka.m5.xlarge", 100).await;
    let (_, _, _, version) = a.describe(&arn).await;

    let r = a
        .act(
            &policy(&name),
            &name,
            KnobName::Brokers,
            Setting::Count(6),
            Setting::Count(3),
        )
        .await;
    let Outcome::Failed { error, .. } = &r.outcome else {
        panic!("a down action must fail, got {r:?}");
    };
    assert!(
        error.starts_with(&format!(
            "kafka UpdateBrokerCount on {name} failed: MSK cannot remove brokers"
        )),
        "{error}"
    );
    assert_eq!(
        a.describe(&arn).await,
        (6, "kafka.m5.xlarge".into(), 100, version)
    );
}

#[tokio::test]
async fn act_reads_the_current_version_again_before_the_call() {
    let a = Adapters::new().await;
    let name = unique("msk-fresh");
    let arn = a.create(&name, 3, "kafka.m5.xlarge", 100).await;
    let policy = policy(&name);
    let obs = a.observe(&policy).await;

    // Someone else updates the cluster after the observation: the version
    // the observation saw is stale now.
    let (_, _, _, seen) = a.describe(&arn).await;
    a.kafka
        .update_broker_storage(&arn, &seen, 200)
        .await
        .expect("out-of-band update");
    let (_, _, _, now) = a.describe(&arn).await;
    assert_ne!(seen, now);

    let r = a
        .act_on(
            &obs,
            &policy,
            &name,
            KnobName::Brokers,
            Setting::Count(3),
            Setting::Count(6),
        )
        .await;
    assert!(applied(&r).contains(&now), "{r:?}");
    assert_eq!(a.describe(&arn).await.0, 6);
}

#[tokio::test]
async fn an_update_with_a_stale_version_names_the_call_and_aws_code() {
    let a = Adapters::new().await;
    let name = unique("msk-stale");
    let arn = a.create(&name, 3, "kafka.m5.xlarge", 100).await;
    let listed = a.kafka.clusters().await.expect("list clusters");
    let cluster = listed.iter().find(|c| c.name == name).expect("listed");
    assert_eq!((cluster.arn.as_str(), cluster.az_count), (arn.as_str(), 3));
    let stale = cluster.current_version.clone();
    a.kafka
        .update_broker_count(&arn, &stale, 6)
        .await
        .expect("first update");

    let err = a
        .kafka
        .update_broker_type(&arn, &stale, "kafka.m5.2xlarge")
        .await
        .expect_err("stale version");
    assert_eq!((err.service, err.operation), ("kafka", "UpdateBrokerType"));
    assert_eq!(err.resource, arn);
    assert_eq!(err.code.as_deref(), Some("BadRequestException"));
    assert!(err.message.contains("currentVersion"), "{err}");
    assert_eq!(err.kind, ErrorKind::Other);
    assert!(
        err.to_string()
            .starts_with("kafka UpdateBrokerType on arn:"),
        "{err}"
    );
    assert_eq!(a.describe(&arn).await.1, "kafka.m5.xlarge");
}

#[tokio::test]
async fn nothing_starts_on_a_cluster_that_is_not_active() {
    let a = Adapters::new().await;
    let name = unique("msk-busy");
    let arn = a.create(&name, 3, "kafka.m5.xlarge", 100).await;
    let policy = policy(&name);

    // Observed ACTIVE, UPDATING by the time act reads it again.
    let obs = a.observe(&policy).await;
    MotoServer::shared().set_msk_state(&arn, "UPDATING");
    let r = a
        .act_on(
            &obs,
            &policy,
            &name,
            KnobName::Brokers,
            Setting::Count(3),
            Setting::Count(6),
        )
        .await;
    let Outcome::Failed {
        source: Some(e), ..
    } = &r.outcome
    else {
        panic!("expected a refusal, got {r:?}");
    };
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert!(e.message.contains("UPDATING"), "{e}");

    // Observed UPDATING: busy, and the frame leaves it alone.
    let obs = a.observe(&policy).await;
    let m = obs.estate.members_of("events").next().expect("selected");
    assert_eq!(m.status, Status::Busy("UPDATING".into()));
    let r = a
        .act_on(
            &obs,
            &policy,
            &name,
            KnobName::Brokers,
            Setting::Count(3),
            Setting::Count(6),
        )
        .await;
    assert!(
        matches!(&r.outcome, Outcome::Skipped { why } if why.contains("UPDATING")),
        "{r:?}"
    );

    MotoServer::shared().set_msk_state(&arn, "ACTIVE");
    assert_eq!(a.describe(&arn).await.0, 3);
}

#[tokio::test]
async fn a_failed_msk_update_names_the_policy_id_and_the_cluster_not_the_arn() {
    // Dedicated server: the test injects a fault.
    let moto = MotoServer::dedicated();
    let a = Adapters::on(&moto).await;
    let name = unique("msk-named");
    let arn = a.create(&name, 3, "kafka.m5.xlarge", 100).await;
    moto.inject(
        crate::support::Fault::new("UpdateBrokerCount", "BadRequestException")
            .status(400)
            .message("The request is not valid now"),
    );
    let r = a
        .act(
            &policy(&name),
            &name,
            KnobName::Brokers,
            Setting::Count(3),
            Setting::Count(6),
        )
        .await;
    let Outcome::Failed { error, source } = &r.outcome else {
        panic!("expected the refused update to fail, got {r:?}");
    };
    assert!(
        error.starts_with(&format!(
            "kafka UpdateBrokerCount on events (cluster {name}) failed: BadRequestException"
        )),
        "{error}"
    );
    assert!(!error.contains(&arn) && !error.contains("arn:"), "{error}");
    assert_eq!(
        source.as_ref().map(|e| e.resource.clone()),
        Some(format!("events (cluster {name})"))
    );
}
