//! aws_rds: the RDS adapter, observe and act for `rds_instance` and
//! `aurora_cluster` against moto server. Each test creates its own uniquely
//! named instances and clusters through `aws_sdk_rds`, runs observe → act
//! through the RDS adapter (the other ports are the in-process fakes, so
//! nothing else is called), and describes again to check.
//!
//! moto applies every modification at once and never shows `modifying` or
//! pending values (tests/README.md); those behaviours are tested through
//! `tidegate::fake` (aws_behaviour).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_rds::Client;
use aws_sdk_rds::types::{ServerlessV2ScalingConfiguration, Tag};
use chrono::Utc;
use tidegate::act::{Outcome, Pace, Report};
use tidegate::aws::{ErrorKind, RdsAdapter};
use tidegate::estate::{Member, Power, Setting, Status};
use tidegate::fake::FakeAws;
use tidegate::observe::{self, Observation, Ports};
use tidegate::plan::{Action, Cause};
use tidegate::policy::{Direction, KnobName, Policy, ResourceKind, load_str};
use tidegate::ports::RdsPort;

use crate::support::{MotoServer, act_each, unique};

mod pause;
mod stop;

const PACE: Pace = Pace {
    poll: Duration::from_millis(50),
    timeout: Duration::from_secs(30),
    deadline: None,
};

/// The RDS adapter and a plain SDK client on one moto server; fakes for
/// every other port.
struct Rig {
    sdk: Client,
    rds: RdsAdapter,
    others: FakeAws,
}

impl Rig {
    async fn new(moto: &MotoServer) -> Rig {
        let config = moto.sdk_config().await;
        Rig {
            sdk: Client::new(&config),
            rds: RdsAdapter::new(&config),
            others: FakeAws::default(),
        }
    }

    fn ports(&self) -> Ports<'_> {
        Ports {
            rds: &self.rds,
            ..self.others.ports()
        }
    }

    async fn observe(&self, policy: &Policy) -> Observation {
        observe::observe(policy, self.ports(), Utc::now()).await
    }

    /// The one member `policy_id` selected.
    async fn member(&self, policy: &Policy, policy_id: &str) -> Member {
        let obs = self.observe(policy).await;
        let mut members: Vec<Member> = obs.estate.members_of(policy_id).cloned().collect();
        assert_eq!(members.len(), 1, "{policy_id}: {members:?} {:?}", obs.notes);
        members.remove(0)
    }

    /// Applies `actions` as a plan against a fresh observation, as `apply` does.
    async fn apply(&self, policy: &Policy, actions: Vec<Action>) -> Vec<Report> {
        let fresh = self.observe(policy).await;
        act_each(actions, policy, self.ports(), &fresh.estate, PACE).await
    }

    async fn create_instance(&self, id: &str, class: &str, tags: &[(&str, &str)]) {
        let mut req = self
            .sdk
            .create_db_instance()
            .db_instance_identifier(id)
            .db_instance_class(class)
            .engine("postgres")
            .allocated_storage(100)
            .master_username("admin")
            .master_user_password("password123");
        for (k, v) in tags {
            req = req.tags(Tag::builder().key(*k).value(*v).build());
        }
        req.send().await.expect("CreateDBInstance");
    }

    async fn instance(&self, id: &str) -> aws_sdk_rds::types::DbInstance {
        let out = self
            .sdk
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .expect("DescribeDBInstances");
        out.db_instances().first().cloned().expect("the instance")
    }

    /// An Aurora MySQL cluster with a writer and readers of `class`, in that
    /// order; a Serverless v2 range when `class` is `db.serverless`.
    async fn create_cluster(&self, id: &str, class: &str, instances: &[&str]) {
        let mut req = self
            .sdk
            .create_db_cluster()
            .db_cluster_identifier(id)
            .engine("aurora-mysql")
            .master_username("admin")
            .master_user_password("password123");
        if class == "db.serverless" {
            req = req.serverless_v2_scaling_configuration(
                ServerlessV2ScalingConfiguration::builder()
                    .min_capacity(0.5)
                    .max_capacity(4.0)
                    .build(),
            );
        }
        req.send().await.expect("CreateDBCluster");
        for i in instances {
            self.create_member(id, i, class, false).await;
        }
    }

    async fn create_member(&self, cluster: &str, id: &str, class: &str, protected: bool) {
        self.sdk
            .create_db_instance()
            .db_cluster_identifier(cluster)
            .db_instance_identifier(id)
            .db_instance_class(class)
            .engine("aurora-mysql")
            .deletion_protection(protected)
            .send()
            .await
            .expect("CreateDBInstance into the cluster");
    }

    /// The cluster's ServerlessV2ScalingConfiguration as AWS describes it.
    async fn scaling(
        &self,
        cluster: &str,
    ) -> aws_sdk_rds::types::ServerlessV2ScalingConfigurationInfo {
        let out = self
            .sdk
            .describe_db_clusters()
            .db_cluster_identifier(cluster)
            .send()
            .await
            .expect("DescribeDBClusters");
        let c = out.db_clusters().first().cloned().expect("the cluster");
        c.serverless_v2_scaling_configuration()
            .cloned()
            .expect("a Serverless v2 configuration")
    }

    /// (instance id, writer?) of the cluster's members, sorted.
    async fn members(&self, cluster: &str) -> Vec<(String, bool)> {
        let out = self
            .sdk
            .describe_db_clusters()
            .db_cluster_identifier(cluster)
            .send()
            .await
            .expect("DescribeDBClusters");
        let c = out.db_clusters().first().cloned().expect("the cluster");
        let mut m: Vec<(String, bool)> = c
            .db_cluster_members()
            .iter()
            .map(|m| {
                (
                    m.db_instance_identifier().unwrap_or_default().to_owned(),
                    m.is_cluster_writer().unwrap_or(false),
                )
            })
            .collect();
        m.sort();
        m
    }
}

const HEAD: &str = "version: 1\nestate: moto\nguardrails: { max_actions_per_hour: 50, oscillation_window: 0m, dry_run: false }\nresources:\n";

fn policy(resources: &str) -> Policy {
    load_str(&format!("{HEAD}{resources}"), "moto.yaml").expect("valid policy")
}

fn rds_policy(id: &str, extra: &str) -> Policy {
    policy(&format!(
        "  - id: {id}\n    kind: rds_instance\n    identifier: {id}\n    engine: postgres\n{extra}    instance_class: {{ ladder: [db.t4g.medium, db.t4g.large, db.m6g.large], floor: db.t4g.medium }}\n    scale_up: [{{ alarm: {id}-high }}]\n"
    ))
}

fn aurora_policy(id: &str, knobs: &str) -> Policy {
    policy(&format!(
        "  - id: {id}\n    kind: aurora_cluster\n    identifier: {id}\n    engine: aurora-mysql\n{knobs}    readers: {{ min: 0, max: 5, floor: 0 }}\n    scale_up: [{{ alarm: {id}-high, scales: readers }}]\n"
    ))
}

fn action(
    policy_id: &str,
    kind: ResourceKind,
    knob: KnobName,
    from: Setting,
    to: Setting,
) -> Action {
    Action {
        policy_id: policy_id.to_owned(),
        identifier: policy_id.to_owned(),
        kind,
        knob,
        from,
        to,
        direction: Some(Direction::Up),
        cause: Cause::Schedule {
            schedule: "test".into(),
            profile: "test".into(),
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
        other => panic!("{:?} → {other:?}", report.action.knob),
    }
}

#[tokio::test]
async fn class_moves_one_step_and_a_second_apply_changes_nothing() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("rds-class");
    rig.create_instance(&id, "db.t4g.medium", &[]).await;
    let p = rds_policy(&id, "    apply_immediately: true\n");
    let m = rig.member(&p, &id).await;
    assert_eq!(m.status, Status::Available);
    assert_eq!(
        m.settings.get(&KnobName::InstanceClass),
        Some(&Setting::Class("db.t4g.medium".into()))
    );

    let step = action(
        &id,
        ResourceKind::RdsInstance,
        KnobName::InstanceClass,
        Setting::Class("db.t4g.medium".into()),
        Setting::Class("db.t4g.large".into()),
    );
    let reports = rig.apply(&p, vec![step.clone()]).await;
    let detail = applied(&reports[0]);
    assert!(detail.starts_with(&format!("ModifyDBInstance {id} DBInstanceClass db.t4g.medium → db.t4g.large, ApplyImmediately=true")), "{detail}");
    assert_eq!(
        rig.instance(&id).await.db_instance_class(),
        Some("db.t4g.large")
    );

    let again = rig.apply(&p, vec![step]).await;
    assert_eq!(again[0].outcome, Outcome::AlreadyInEffect);
}

#[tokio::test]
async fn the_storage_ceiling_is_raised() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("rds-storage");
    rig.create_instance(&id, "db.t4g.medium", &[]).await;
    let p = rds_policy(
        &id,
        "    storage: { grow_when_used_percent: 85, grow_by_percent: 20, min_grow_gib: 50, max_gib: 2000 }\n",
    );
    let m = rig.member(&p, &id).await;
    assert_eq!(m.settings.get(&KnobName::Storage), Some(&Setting::Gib(100)));

    let grow = action(
        &id,
        ResourceKind::RdsInstance,
        KnobName::Storage,
        Setting::Gib(100),
        Setting::Gib(150),
    );
    let reports = rig.apply(&p, vec![grow]).await;
    assert!(applied(&reports[0]).contains("MaxAllocatedStorage 100 GiB → 150 GiB"));
    let described = rig.instance(&id).await;
    assert_eq!(described.max_allocated_storage(), Some(150));
    assert_eq!(described.allocated_storage(), Some(100));
    let m = rig.member(&p, &id).await;
    assert_eq!(m.settings.get(&KnobName::Storage), Some(&Setting::Gib(150)));
}

#[tokio::test]
async fn an_instance_is_stopped_and_started() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("rds-power");
    rig.create_instance(&id, "db.t4g.medium", &[]).await;
    let p = rds_policy(&id, "    allow_stop: true\n");
    let running = Setting::Power(Power::Running);
    let stopped = Setting::Power(Power::Stopped);
    assert_eq!(
        rig.member(&p, &id).await.settings.get(&KnobName::Power),
        Some(&running)
    );

    let stop = action(
        &id,
        ResourceKind::RdsInstance,
        KnobName::Power,
        running.clone(),
        stopped.clone(),
    );
    let reports = rig.apply(&p, vec![stop]).await;
    assert!(applied(&reports[0]).contains("after 7 days"));
    assert_eq!(
        rig.instance(&id).await.db_instance_status(),
        Some("stopped")
    );
    let m = rig.member(&p, &id).await;
    assert_eq!(
        (m.status, m.settings.get(&KnobName::Power)),
        (Status::Stopped, Some(&stopped))
    );

    let start = action(
        &id,
        ResourceKind::RdsInstance,
        KnobName::Power,
        stopped,
        running,
    );
    let reports = rig.apply(&p, vec![start]).await;
    assert_eq!(applied(&reports[0]), format!("StartDBInstance {id}"));
    assert_eq!(
        rig.instance(&id).await.db_instance_status(),
        Some("available")
    );
}

#[tokio::test]
async fn the_serverless_v2_range_changes() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("sv2-range");
    rig.create_cluster(&id, "db.serverless", &[&format!("{id}-w")])
        .await;
    let p = aurora_policy(
        &id,
        "    serverless_v2: { min_acu: 0.5, max_acu: 16, floor_acu: 0.5, step_acu: 0.5 }\n",
    );
    let m = rig.member(&p, &id).await;
    assert_eq!(
        m.settings.get(&KnobName::ServerlessV2),
        Some(&Setting::Acu { min: 0.5, max: 4.0 })
    );

    let widen = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::ServerlessV2,
        Setting::Acu { min: 0.5, max: 4.0 },
        Setting::Acu { min: 1.0, max: 8.0 },
    );
    let reports = rig.apply(&p, vec![widen]).await;
    assert!(applied(&reports[0]).contains("ServerlessV2ScalingConfiguration 0.5–4 ACU → 1–8 ACU"));
    let m = rig.member(&p, &id).await;
    assert_eq!(
        m.settings.get(&KnobName::ServerlessV2),
        Some(&Setting::Acu { min: 1.0, max: 8.0 })
    );
}

#[tokio::test]
async fn a_reader_is_added_then_the_newest_removed_never_the_writer() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("sv2-readers");
    let (writer, old) = (format!("{id}-w"), format!("{id}-z-old"));
    rig.create_cluster(&id, "db.serverless", &[&writer, &old])
        .await;
    let p = aurora_policy(
        &id,
        "    serverless_v2: { min_acu: 0.5, max_acu: 16, floor_acu: 0.5, step_acu: 0.5 }\n",
    );
    assert_eq!(
        rig.member(&p, &id).await.settings.get(&KnobName::Readers),
        Some(&Setting::Count(1))
    );
    // The reader tidegate adds is newer than `old` by the clock (moto keeps
    // microseconds), though older by name: the newest is found by creation
    // time.
    tokio::time::sleep(Duration::from_millis(20)).await;

    let up = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::Readers,
        Setting::Count(1),
        Setting::Count(2),
    );
    let reports = rig.apply(&p, vec![up]).await;
    let new = format!("{id}-reader-1");
    assert!(applied(&reports[0]).starts_with(&format!(
        "CreateDBInstance {new} (db.serverless, aurora-mysql, promotion tier 15)"
    )));
    let described = rig.instance(&new).await;
    assert_eq!(described.db_instance_class(), Some("db.serverless"));
    assert_eq!(described.promotion_tier(), Some(15));
    assert_eq!(described.db_cluster_identifier(), Some(id.as_str()));
    assert_eq!(
        rig.member(&p, &id).await.settings.get(&KnobName::Readers),
        Some(&Setting::Count(2))
    );

    let down = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::Readers,
        Setting::Count(2),
        Setting::Count(1),
    );
    rig.apply(&p, vec![down]).await;
    assert_eq!(
        rig.members(&id).await,
        vec![(writer.clone(), true), (old.clone(), false)]
    );

    let none = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::Readers,
        Setting::Count(1),
        Setting::Count(0),
    );
    let reports = rig.apply(&p, vec![none]).await;
    assert!(applied(&reports[0]).starts_with(&format!("DeleteDBInstance {old} ")));
    assert_eq!(rig.members(&id).await, vec![(writer, true)]);
}

#[tokio::test]
async fn the_writer_is_resized_through_a_new_reader_and_a_failover() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("prov-writer");
    let (writer, reader) = (format!("{id}-w"), format!("{id}-r"));
    rig.create_cluster(&id, "db.r6g.large", &[&writer, &reader])
        .await;
    let p = aurora_policy(
        &id,
        "    writer_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }\n",
    );
    let m = rig.member(&p, &id).await;
    assert_eq!(
        m.settings.get(&KnobName::WriterClass),
        Some(&Setting::Class("db.r6g.large".into()))
    );

    let resize = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::WriterClass,
        Setting::Class("db.r6g.large".into()),
        Setting::Class("db.r6g.xlarge".into()),
    );
    let reports = rig.apply(&p, vec![resize.clone()]).await;
    let new = format!("{id}-writer-1");
    assert!(applied(&reports[0]).contains(&format!("FailoverDBCluster {id} to {new}")));
    assert_eq!(
        rig.members(&id).await,
        vec![(reader.clone(), false), (new.clone(), true)]
    );
    assert_eq!(
        rig.instance(&new).await.db_instance_class(),
        Some("db.r6g.xlarge")
    );
    // The reader was moved to the new class first (12.3).
    assert_eq!(
        rig.instance(&reader).await.db_instance_class(),
        Some("db.r6g.xlarge")
    );
    let m = rig.member(&p, &id).await;
    assert_eq!(
        m.settings.get(&KnobName::WriterClass),
        Some(&Setting::Class("db.r6g.xlarge".into()))
    );
    assert_eq!(m.settings.get(&KnobName::Readers), Some(&Setting::Count(1)));

    let again = rig.apply(&p, vec![resize]).await;
    assert_eq!(again[0].outcome, Outcome::AlreadyInEffect);
}

#[tokio::test]
async fn a_tag_selector_picks_exactly_the_tagged_across_pages() {
    // A server of its own: the call count must be this test's alone.
    let moto = MotoServer::dedicated();
    let config = moto.sdk_config().await;
    let mut rig = Rig::new(&moto).await;
    rig.rds = RdsAdapter::new(&config).with_page_size(20);
    let suite = unique("pages");
    let mut tagged = Vec::new();
    for n in 0..45 {
        let id = format!("{suite}-db-{n}");
        if n % 3 == 0 {
            rig.create_instance(&id, "db.t4g.medium", &[("env", "other")])
                .await;
        } else {
            rig.create_instance(
                &id,
                "db.t4g.medium",
                &[("suite", suite.as_str()), ("env", "dev")],
            )
            .await;
            tagged.push(id);
        }
    }
    // moto honours MaxRecords: one page of 20 is not all of them.
    let first = rig
        .sdk
        .describe_db_instances()
        .max_records(20)
        .send()
        .await
        .expect("a page");
    assert_eq!(first.db_instances().len(), 20);
    assert!(first.marker().is_some());

    let p = policy(&format!(
        "  - id: fleet\n    kind: rds_instance\n    tags: {{ suite: {suite}, env: dev }}\n    engine: postgres\n    instance_class: {{ ladder: [db.t4g.medium, db.t4g.large] }}\n    scale_up: [{{ alarm: fleet-high }}]\n"
    ));
    moto.reset_calls();
    let obs = rig.observe(&p).await;
    let mut picked: Vec<String> = obs
        .estate
        .members_of("fleet")
        .map(|m| m.identifier.clone())
        .collect();
    picked.sort();
    tagged.sort();
    assert_eq!(picked.len(), 30);
    assert_eq!(picked, tagged);
    // 45 instances in pages of 20: three DescribeDBInstances, nothing else.
    assert_eq!(
        moto.calls().service("rds"),
        BTreeMap::from([("DescribeDBInstances".to_owned(), 3)])
    );
}

#[tokio::test]
async fn aws_errors_name_the_call_resource_code_and_message() {
    let rig = Rig::new(MotoServer::shared()).await;
    let missing = unique("rds-missing");
    let e = rig
        .rds
        .modify_instance_class(&missing, "db.t4g.large", true)
        .await
        .expect_err("no such instance");
    assert_eq!(
        (e.service, e.operation, e.resource.as_str()),
        ("rds", "ModifyDBInstance", missing.as_str())
    );
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::NotFound, Some("DBInstanceNotFound"))
    );
    assert!(
        e.to_string().starts_with(&format!(
            "rds ModifyDBInstance on {missing} failed: DBInstanceNotFound: "
        )),
        "{e}"
    );
    assert!(e.message.contains(&missing), "{}", e.message);

    // A missing cluster, as the Aurora calls meet it. (moto answers
    // ModifyDBCluster on a missing cluster with an HTML 500, unlike AWS.)
    let member = unique("rds-orphan");
    let e = rig
        .rds
        .create_cluster_instance(&missing, &member, "db.r6g.large", "aurora-mysql")
        .await
        .expect_err("no such cluster");
    assert_eq!(
        (e.operation, e.resource.as_str()),
        ("CreateDBInstance", member.as_str())
    );
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::NotFound, Some("DBClusterNotFoundFault"))
    );
    assert!(e.message.contains(&missing), "{}", e.message);
    let e = rig
        .rds
        .failover_cluster(&missing, &member)
        .await
        .expect_err("no such target");
    assert_eq!(
        (e.operation, e.resource.as_str()),
        ("FailoverDBCluster", missing.as_str())
    );
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Other, Some("InvalidParameterValue"))
    );
    let e = rig
        .rds
        .delete_instance(&missing)
        .await
        .expect_err("no such instance");
    assert_eq!(
        (e.operation, e.kind, e.code.as_deref()),
        (
            "DeleteDBInstance",
            ErrorKind::NotFound,
            Some("DBInstanceNotFound")
        )
    );
}

#[tokio::test]
async fn a_refused_call_fails_its_action_and_the_rest_of_the_plan_runs() {
    let rig = Rig::new(MotoServer::shared()).await;
    let (cluster, db) = (unique("protected"), unique("rds-after"));
    rig.create_cluster(&cluster, "db.r6g.large", &[&format!("{cluster}-w")])
        .await;
    rig.create_member(&cluster, &format!("{cluster}-r"), "db.r6g.large", true)
        .await;
    rig.create_instance(&db, "db.t4g.medium", &[]).await;
    let resources = format!(
        "  - id: {cluster}\n    kind: aurora_cluster\n    identifier: {cluster}\n    engine: aurora-mysql\n    writer_class: {{ ladder: [db.r6g.large, db.r6g.xlarge] }}\n    readers: {{ min: 0, max: 5, floor: 0 }}\n    scale_up: [{{ alarm: a-high, scales: readers }}]\n  - id: {db}\n    kind: rds_instance\n    identifier: {db}\n    engine: postgres\n    instance_class: {{ ladder: [db.t4g.medium, db.t4g.large] }}\n    scale_up: [{{ alarm: b-high }}]\n"
    );
    let p = policy(&resources);
    let reports = rig
        .apply(
            &p,
            vec![
                action(
                    &cluster,
                    ResourceKind::AuroraCluster,
                    KnobName::Readers,
                    Setting::Count(1),
                    Setting::Count(0),
                ),
                action(
                    &db,
                    ResourceKind::RdsInstance,
                    KnobName::InstanceClass,
                    Setting::Class("db.t4g.medium".into()),
                    Setting::Class("db.t4g.large".into()),
                ),
            ],
        )
        .await;
    let Outcome::Failed { error, source } = &reports[0].outcome else {
        panic!("{:?}", reports[0].outcome);
    };
    let source = source.as_ref().expect("classified");
    assert_eq!(
        (source.operation, source.resource.as_str()),
        ("DeleteDBInstance", format!("{cluster}-r").as_str())
    );
    assert_eq!(source.code.as_deref(), Some("InvalidParameterCombination"));
    assert!(error.contains("deletion protection"), "{error}");
    applied(&reports[1]);
    assert_eq!(
        rig.instance(&db).await.db_instance_class(),
        Some("db.t4g.large")
    );
    assert_eq!(rig.members(&cluster).await.len(), 2);
}

/// Every mutating call is sent twice, the second answer heard: what the
/// SDK's retry hears after AWS carried out a call whose answer was lost.
struct RetryEveryCall;

impl tidegate::act::tap::Tap for RetryEveryCall {
    fn after(&self, _: &'static str, _: &str, _: bool) -> tidegate::act::tap::Heard {
        tidegate::act::tap::Heard::Retry
    }
}

#[tokio::test]
async fn moto_s_already_done_answers_to_a_retried_call_are_applied_and_nothing_is_doubled() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("retried");
    let writer = format!("{id}-w");
    rig.create_cluster(&id, "db.r6g.large", &[&writer]).await;
    let p = aurora_policy(
        &id,
        "    writer_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }\n",
    );
    let tapped = tidegate::act::tap::Tapped::new(rig.ports(), RetryEveryCall);
    let apply = |actions: Vec<Action>| {
        let p = &p;
        let ports = tapped.ports();
        let rig = &rig;
        async move {
            let fresh = rig.observe(p).await;
            act_each(actions, p, ports, &fresh.estate, PACE).await
        }
    };
    // CreateDBInstance twice: moto answers DBInstanceAlreadyExists.
    let up = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::Readers,
        Setting::Count(0),
        Setting::Count(1),
    );
    let reports = apply(vec![up]).await;
    let new = format!("{id}-reader-1");
    assert!(
        applied(&reports[0]).contains(&format!("AWS answered {new} already exists")),
        "{:?}",
        reports[0].outcome
    );
    assert_eq!(
        rig.members(&id).await,
        vec![(new.clone(), false), (writer.clone(), true)],
        "one reader, not two"
    );
    // DeleteDBInstance twice: moto answers DBInstanceNotFound.
    let down = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::Readers,
        Setting::Count(1),
        Setting::Count(0),
    );
    let reports = apply(vec![down]).await;
    assert!(
        applied(&reports[0]).starts_with(&format!("DeleteDBInstance {new} ")),
        "{:?}",
        reports[0].outcome
    );
    assert_eq!(rig.members(&id).await, vec![(writer, true)]);
}
