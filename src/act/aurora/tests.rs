//! The moto tests (tests/it/aws_rds.rs) cover the calls end to end; these
//! cover what moto cannot show (a busy cluster, an instance that never
//! comes up, a member without a writer flag) and the choices in between.
//! Runs killed between steps are in `crate::run`'s tests.

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};

use super::view::{free_name, newest};
use super::*;
use crate::act::NoJournal;
use crate::fake::FakeAws;
use crate::ledger::{StepOp, StepState};
use crate::plan::Cause;
use crate::policy::{Direction, ResourceKind, load_str};
use crate::ports::{ClusterMember, DbCluster, DbInstance};

mod pause;

const POLICY: &str = "version: 1\nestate: t\nguardrails: { max_actions_per_hour: 9, oscillation_window: 1h, dry_run: false }\nresources:\n  - { id: c, kind: aurora_cluster, identifier: c, engine: aurora-mysql, writer_class: { ladder: [db.r6g.large, db.r6g.xlarge] }, readers: { min: 0, max: 5 }, scale_up: [{ alarm: hi, scales: readers }] }\n";

const PACE: Pace = Pace {
    poll: Duration::from_millis(1),
    timeout: Duration::from_millis(50),
    deadline: None,
};

const BIG: &str = "db.r6g.xlarge";

fn instance(id: &str, minute: Option<u32>) -> DbInstance {
    DbInstance {
        id: id.into(),
        arn: format!("arn:aws:rds:us-east-1:1:db:{id}"),
        class: "db.r6g.large".into(),
        engine: "aurora-mysql".into(),
        status: "available".into(),
        multi_az: false,
        pending_modifications: false,
        allocated_gib: 1,
        max_allocated_gib: None,
        storage_type: String::new(),
        iops: None,
        storage_throughput: None,
        cluster: Some("c".into()),
        created: minute.and_then(|m| Utc.with_ymd_and_hms(2026, 1, 1, 0, m, 0).single()),
        tags: Default::default(),
    }
}

fn member(id: &str, is_writer: bool) -> ClusterMember {
    ClusterMember {
        instance_id: id.into(),
        is_writer,
        is_reader: !is_writer,
    }
}

/// Cluster `c`: writer `w`, reader `c-reader-1`, both db.r6g.large.
fn estate() -> FakeAws {
    let aws = FakeAws::default();
    aws.rds.put_instance(instance("w", Some(1)));
    aws.rds.put_instance(instance("c-reader-1", Some(2)));
    aws.rds.put_cluster(DbCluster {
        id: "c".into(),
        arn: "arn:aws:rds:us-east-1:1:cluster:c".into(),
        engine: "aurora-mysql".into(),
        status: "available".into(),
        members: vec![member("w", true), member("c-reader-1", false)],
        serverless_v2: None,
        pending_modifications: false,
        tags: Default::default(),
    });
    aws
}

/// Every record made, in order.
#[derive(Default)]
struct Kept(Mutex<Vec<Steps>>);

#[async_trait]
impl Journal for Kept {
    async fn record(&self, steps: &Steps) -> Result<(), String> {
        self.0.lock().expect("kept").push(steps.clone());
        Ok(())
    }
}

impl Kept {
    fn all(&self) -> Vec<Steps> {
        self.0.lock().expect("kept").clone()
    }
}

fn action(knob: KnobName, to: Setting) -> Action {
    Action {
        policy_id: "c".into(),
        identifier: "c".into(),
        kind: ResourceKind::AuroraCluster,
        knob,
        from: to.clone(),
        to,
        direction: Some(Direction::Up),
        cause: Cause::StorageGrowth { used_percent: 0.0 },
        reason: "test".into(),
        cost_delta_per_hour: None,
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    }
}

/// Applies a change of `knob` to `to` (the plan's starting point is not
/// checked here: that is the frame's job).
async fn run_with(
    aws: &FakeAws,
    knob: KnobName,
    to: Setting,
    pace: Pace,
    journal: &dyn Journal,
) -> Result<Outcome, AwsError> {
    let policy = load_str(POLICY, "t.yaml").expect("valid policy");
    let obs = crate::observe::observe(&policy, aws.ports(), Utc::now()).await;
    apply(
        &action(knob, to),
        &policy.resources[0],
        &obs.estate.members[0],
        aws.ports(),
        pace,
        journal,
    )
    .await
}

async fn run(aws: &FakeAws, knob: KnobName, to: Setting) -> Result<Outcome, AwsError> {
    run_with(aws, knob, to, PACE, &NoJournal).await
}

/// `work`, with every modification in the fake settling a moment later.
async fn settling<F: std::future::Future>(aws: &FakeAws, work: F) -> F::Output {
    let settle = async {
        loop {
            tokio::time::sleep(Duration::from_millis(3)).await;
            aws.rds.settle();
        }
    };
    tokio::select! {
        out = work => out,
        () = settle => unreachable!("settles forever"),
    }
}

fn applied(o: Result<Outcome, AwsError>) -> String {
    match o {
        Ok(Outcome::Applied { detail }) => detail,
        other => panic!("expected applied, got {other:?}"),
    }
}

#[test]
fn names_skip_the_taken_and_the_newest_readers_go_first() {
    let taken = vec!["c-reader-1".to_owned(), "c-reader-3".to_owned()];
    assert_eq!(free_name("c", "reader", &taken), "c-reader-2");
    let (a, b, creating) = (
        instance("a", Some(1)),
        instance("b", Some(5)),
        instance("n", None),
    );
    let ids: Vec<&str> = newest(vec![&a, &b, &creating], 2)
        .iter()
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(ids, vec!["n", "b"]);
}

#[tokio::test]
async fn a_provisioned_reader_takes_the_writers_class_and_a_free_name() {
    let aws = estate();
    let detail = applied(run(&aws, KnobName::Readers, Setting::Count(2)).await);
    assert_eq!(aws.rds.calls(), vec!["CreateDBInstance c-reader-2"]);
    assert_eq!(
        aws.rds.instance("c-reader-2").map(|i| i.class).as_deref(),
        Some("db.r6g.large")
    );
    assert!(detail.contains("1 → 2 readers"), "{detail}");
}

#[tokio::test]
async fn readers_down_never_deletes_a_member_without_a_writer_flag() {
    let aws = estate();
    // `u` is the newest and AWS does not say what it is: it might be the writer.
    aws.rds.put_instance(instance("u", Some(9)));
    let mut c = aws.rds.cluster("c").expect("cluster");
    c.members.push(ClusterMember {
        instance_id: "u".into(),
        is_writer: false,
        is_reader: false,
    });
    aws.rds.put_cluster(c);
    let e = run(&aws, KnobName::Readers, Setting::Count(0))
        .await
        .expect_err("refused");
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert!(
        e.message.contains("whether u is the writer"),
        "{}",
        e.message
    );
    assert!(aws.rds.calls().is_empty(), "{:?}", aws.rds.calls());
    let bigger = Setting::Class(BIG.into());
    let e = run(&aws, KnobName::WriterClass, bigger)
        .await
        .expect_err("refused");
    assert!(
        e.message.contains("whether u is the writer"),
        "{}",
        e.message
    );
    assert!(aws.rds.calls().is_empty(), "{:?}", aws.rds.calls());
}

#[tokio::test]
async fn a_busy_cluster_or_an_inverted_range_is_refused_before_any_call() {
    let aws = estate();
    let mut creating = instance("c-reader-1", Some(2));
    creating.status = "creating".into();
    aws.rds.put_instance(creating);
    let bigger = Setting::Class(BIG.into());
    let e = run(&aws, KnobName::WriterClass, bigger)
        .await
        .expect_err("busy");
    assert_eq!(e.kind, ErrorKind::InvalidState);
    assert!(
        e.message.starts_with("instance c-reader-1 is creating"),
        "{}",
        e.message
    );
    let inverted = Setting::Acu { min: 8.0, max: 4.0 };
    let e = run(&aws, KnobName::ServerlessV2, inverted).await;
    let e = e.expect_err("min > max");
    assert_eq!(e.operation, "ModifyDBCluster");
    assert!(aws.rds.calls().is_empty(), "{:?}", aws.rds.calls());
}

#[tokio::test]
async fn the_writer_resize_moves_the_readers_first_and_records_each_step_before_it() {
    let aws = estate();
    let kept = Kept::default();
    let out = settling(
        &aws,
        run_with(
            &aws,
            KnobName::WriterClass,
            Setting::Class(BIG.into()),
            PACE,
            &kept,
        ),
    )
    .await;
    let detail = applied(out);
    assert_eq!(
        aws.rds.calls(),
        vec![
            "ModifyDBInstance c-reader-1",
            "CreateDBInstance c-writer-1",
            "FailoverDBCluster c",
            "DeleteDBInstance w",
        ]
    );
    let c = aws.rds.cluster("c").expect("cluster");
    let classes: Vec<(String, bool, String)> = c
        .members
        .iter()
        .map(|m| {
            let class = aws.rds.instance(&m.instance_id).expect("instance").class;
            (m.instance_id.clone(), m.is_writer, class)
        })
        .collect();
    assert_eq!(
        classes,
        vec![
            ("c-reader-1".into(), false, BIG.into()),
            ("c-writer-1".into(), true, BIG.into()),
        ]
    );
    assert!(
        detail.contains("FailoverDBCluster c to c-writer-1"),
        "{detail}"
    );

    // The plan, names and all, came first; then started before each call
    // and done after it.
    let records = kept.all();
    let first = &records[0];
    assert!(first.steps.iter().all(|s| s.state == StepState::Pending));
    assert_eq!(
        first.steps.iter().map(|s| s.op.clone()).collect::<Vec<_>>(),
        vec![
            StepOp::MoveReader {
                instance: "c-reader-1".into(),
                class: BIG.into()
            },
            StepOp::CreateWriter {
                instance: "c-writer-1".into(),
                class: BIG.into()
            },
            StepOp::Failover {
                to: "c-writer-1".into()
            },
            StepOp::Retire {
                instance: "w".into()
            },
        ]
    );
    let states: Vec<Vec<StepState>> = records
        .iter()
        .map(|r| r.steps.iter().map(|s| s.state).collect())
        .collect();
    use StepState::{Done as D, Pending as P, Started as S};
    assert_eq!(
        states,
        vec![
            vec![P, P, P, P],
            vec![S, P, P, P],
            vec![D, P, P, P],
            vec![D, S, P, P],
            vec![D, D, P, P],
            vec![D, D, S, P],
            vec![D, D, D, P],
            vec![D, D, D, S],
            vec![D, D, D, D],
        ]
    );
}

#[tokio::test]
async fn a_step_that_outlasts_the_run_is_left_in_progress_and_resumed_without_a_second_call() {
    let aws = estate();
    let kept = Kept::default();
    // Nothing settles: the reader stays `modifying` past the step timeout.
    let out = run_with(
        &aws,
        KnobName::WriterClass,
        Setting::Class(BIG.into()),
        PACE,
        &kept,
    )
    .await
    .expect("no error");
    let Outcome::InProgress { detail } = out else {
        panic!("expected in progress, got {out:?}");
    };
    assert!(
        detail.contains("0/4 steps done; next: move reader c-reader-1 to db.r6g.xlarge (started)"),
        "{detail}"
    );
    assert!(detail.contains("c-reader-1 is modifying"), "{detail}");
    assert_eq!(aws.rds.calls(), vec!["ModifyDBInstance c-reader-1"]);

    // A deadline already passed: the next run looks once and leaves it.
    let steps = kept.all().pop().expect("recorded");
    let gone = Pace {
        deadline: Some(std::time::Instant::now()),
        ..PACE
    };
    let a = action(KnobName::WriterClass, Setting::Class(BIG.into()));
    let out = resume(&a, &steps, aws.ports(), gone, &kept).await;
    assert!(
        matches!(&out, Ok(Outcome::InProgress { detail }) if detail.contains("deadline")),
        "{out:?}"
    );

    // Once it settles, a later run carries on from the recorded step.
    let out = settling(&aws, resume(&a, &steps, aws.ports(), PACE, &kept)).await;
    applied(out);
    assert_eq!(
        aws.rds.calls(),
        vec![
            "ModifyDBInstance c-reader-1",
            "CreateDBInstance c-writer-1",
            "FailoverDBCluster c",
            "DeleteDBInstance w",
        ],
        "the reader was modified once"
    );
}

#[tokio::test]
async fn a_new_writer_at_a_dead_end_stops_the_resize_naming_the_step() {
    let aws = estate();
    aws.rds.put_instance(DbInstance {
        status: "incompatible-parameters".into(),
        class: BIG.into(),
        ..instance("c-writer-1", Some(3))
    });
    let mut c = aws.rds.cluster("c").expect("cluster");
    c.members.push(member("c-writer-1", false));
    aws.rds.put_cluster(c);
    // Recorded by an earlier run: the reader moved, the writer created.
    let a = action(KnobName::WriterClass, Setting::Class(BIG.into()));
    let view = View::read(aws.ports(), "c", "DescribeDBClusters")
        .await
        .expect("read");
    let mut steps = writer::plan(&view, &instance("w", Some(1)), BIG);
    steps
        .steps
        .retain(|s| !matches!(s.op, StepOp::MoveReader { .. }));
    for s in &mut steps.steps {
        if let StepOp::CreateWriter { instance, .. } | StepOp::Failover { to: instance } = &mut s.op
        {
            *instance = "c-writer-1".into();
        }
    }
    let kept = Kept::default();
    let e = resume(&a, &steps, aws.ports(), PACE, &kept)
        .await
        .expect_err("dead end");
    assert_eq!(
        e.message,
        "writer resize stopped at create the new writer c-writer-1 (db.r6g.xlarge) (0 of 3 steps done, left in place): c-writer-1 is incompatible-parameters"
    );
    assert!(aws.rds.calls().is_empty(), "{:?}", aws.rds.calls());
    let last = kept.all().pop().expect("recorded");
    assert_eq!(last.steps[0].state, StepState::Failed);
}
