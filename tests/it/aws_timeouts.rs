//! aws_timeouts: no call waits forever, a run ends by its deadline, and a
//! failed call reads once, says how often it was tried, and a credentials
//! problem reads as one (issue 12, items 16 and 17).

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use chrono::Utc;
use tidegate::aws::Adapters;
use tidegate::aws::{ElastiCacheAdapter, ErrorKind, RdsAdapter};
use tidegate::ledger::{Claim, Ledger, MemoryLedger};
use tidegate::policy::{Policy, load_str};
use tidegate::ports::{ElastiCachePort, RdsPort};
use tidegate::pricing::SnapshotPriceBook;
use tidegate::run::{RunError, Runner, Settings, Trigger};

use crate::support::MotoServer;

/// A TCP endpoint that accepts connections and never answers (a hung
/// proxy in front of moto, a black-holed load balancer). Its URL.
fn silent_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        // Hold every connection open, read nothing, write nothing.
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}

fn policy(timeouts: &str) -> Policy {
    let text = format!(
        "version: 1\nestate: timeouts\nguardrails:\n  max_actions_per_hour: 5\n  oscillation_window: 1h\n  dry_run: false\n{timeouts}\
resources:\n  - id: db\n    kind: rds_instance\n    identifier: db-1\n    engine: postgres\n    instance_class: {{ ladder: [db.r6g.large, db.r6g.xlarge] }}\n"
    );
    load_str(&text, "timeouts.yaml").expect("valid policy")
}

/// SDK configuration for `url` with test credentials, `attempts` attempts
/// and a short backoff (the tests time what the timeouts do, not backoff).
async fn config(url: &str, attempts: u32) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .load()
        .await
}

#[tokio::test]
async fn a_call_to_an_endpoint_that_never_answers_fails_in_bounded_time_with_a_clear_error() {
    let p = policy("  timeouts: { connect: 1s, read: 1s, attempt: 2s, call: 3s }\n");
    let sdk =
        tidegate::aws::with_timeouts(&config(&silent_endpoint(), 3).await, &p.guardrails.timeouts);
    let rds = RdsAdapter::new(&sdk);
    let started = Instant::now();
    let err = rds.db_instances().await.expect_err("nothing answers");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(err.kind, ErrorKind::Transient);
    let text = err.to_string();
    assert!(
        text.starts_with("rds DescribeDBInstances failed: no answer in time"),
        "{text}"
    );
}

#[tokio::test]
async fn every_client_has_timeouts_by_default() {
    let sdk = tidegate::aws::load_config(&tidegate::aws::Endpoint {
        region: Some("us-east-1".to_owned()),
        url: Some(silent_endpoint()),
        max_attempts: Some(1),
    })
    .await;
    let t = sdk.timeout_config().expect("timeouts are set");
    assert_eq!(t.connect_timeout(), Some(Duration::from_secs(5)));
    assert_eq!(t.read_timeout(), Some(Duration::from_secs(30)));
    assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(40)));
    assert_eq!(t.operation_timeout(), Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn a_run_ends_by_its_deadline_and_gives_its_event_claim_back() {
    // Calls that could wait 15 minutes each: only the run's deadline stops it.
    let p = policy("  timeouts: { read: 5m, attempt: 10m, call: 15m, run: 1h }\n");
    let sdk =
        tidegate::aws::with_timeouts(&config(&silent_endpoint(), 1).await, &p.guardrails.timeouts);
    let adapters = Adapters::new(&sdk);
    let ledger = MemoryLedger::default();
    let prices = SnapshotPriceBook::embedded();
    let runner = Runner {
        policy: &p,
        ports: adapters.ports(),
        ledger: &ledger,
        notify: None,
        prices: &prices,
        holder: "run-1",
        settings: Settings {
            deadline: Some(Instant::now() + Duration::from_secs(2)),
            ..Settings::default()
        },
    };
    let now = Utc::now();
    let started = Instant::now();
    let out = runner
        .run(&Trigger::schedule(Some("tick-1".to_owned())), now)
        .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let e = match out {
        Err(e @ RunError::Deadline { .. }) => e,
        other => panic!("expected the deadline, got {other:?}"),
    };
    assert!(
        e.to_string()
            .starts_with("the run's deadline passed after 2 s"),
        "{e}"
    );
    // The retry of this event runs again.
    let claim = ledger
        .claim_event(
            "tick-1",
            "run-2",
            now,
            Settings::default().claim_stale_after,
            Settings::default().claim_keep,
        )
        .await
        .expect("claim");
    assert_eq!(claim, Claim::Claimed);
}

#[tokio::test]
async fn a_throttled_call_reads_once_and_says_how_many_attempts_were_made() {
    // Dedicated server: the test injects faults.
    let moto = MotoServer::dedicated();
    moto.inject_fault("DescribeReplicationGroups", "Throttling", 3);
    let elasticache = ElastiCacheAdapter::new(&config(moto.url(), 3).await);
    let err = elasticache
        .replication_groups()
        .await
        .expect_err("throttled three times");
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert_eq!(
        err.to_string(),
        "elasticache DescribeReplicationGroups failed: Throttling: Rate exceeded (after 3 attempts)"
    );
    // Through the run's error and an error chain (as the CLI prints it):
    // the cause once.
    let chain = format!("{:#}", anyhow::Error::from(RunError::from(err)));
    assert_eq!(
        chain,
        "observing the estate: elasticache DescribeReplicationGroups failed: Throttling: Rate exceeded (after 3 attempts)"
    );
    // One attempt is not worth counting aloud.
    moto.inject_fault("DescribeReplicationGroups", "AccessDenied", 1);
    let err = elasticache.replication_groups().await.expect_err("denied");
    assert!(!err.to_string().contains("attempts"), "{err}");
}

/// A credentials chain that finds nothing, as on a machine without AWS set up.
#[derive(Debug)]
struct NoCredentials;

impl ProvideCredentials for NoCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            "no credentials in the environment, profile or instance role",
        )))
    }
}

#[tokio::test]
async fn missing_credentials_read_as_a_credentials_problem() {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(MotoServer::shared().url())
        .credentials_provider(NoCredentials)
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .load()
        .await;
    let err = RdsAdapter::new(&sdk)
        .db_instances()
        .await
        .expect_err("no credentials");
    assert_eq!(err.kind, ErrorKind::AccessDenied);
    let text = err.to_string();
    assert!(
        text.starts_with("rds DescribeDBInstances failed: no AWS credentials could be loaded"),
        "{text}"
    );
    assert!(!text.contains("could not reach the endpoint"), "{text}");
}

#[tokio::test]
async fn a_call_that_times_out_on_every_attempt_says_how_many_were_made() {
    // Each attempt is cut at 1 s; three attempts, well inside the call's 20 s.
    let p = policy("  timeouts: { connect: 1s, read: 1s, attempt: 1s, call: 20s }\n");
    let sdk =
        tidegate::aws::with_timeouts(&config(&silent_endpoint(), 3).await, &p.guardrails.timeouts);
    let err = RdsAdapter::new(&sdk)
        .db_instances()
        .await
        .expect_err("nothing answers");
    assert_eq!(err.kind, ErrorKind::Transient);
    let text = err.to_string();
    assert!(
        text.starts_with("rds DescribeDBInstances failed: no answer in time: "),
        "{text}"
    );
    assert!(
        text.ends_with(" (after 3 attempts, attempt timeout 1s)"),
        "{text}"
    );
    assert_eq!(text.matches("attempts").count(), 1, "{text}");
}

#[tokio::test]
async fn a_connection_reset_on_every_attempt_says_how_many_were_made() {
    use crate::fault_rounds::proxy::{FaultProxy, Schedule};
    // The fault proxy in front of moto resets every connection.
    let moto = MotoServer::dedicated();
    let proxy = FaultProxy::start(&moto);
    proxy.schedule(&Schedule {
        seed: "resets".to_owned(),
        mix: [("reset".to_owned(), 1.0)].into_iter().collect(),
        delay_ms: 0,
        mutating_only: false,
        kill_at: None,
        kill_mode: "after".to_owned(),
    });
    let err = ElastiCacheAdapter::new(&config(proxy.url(), 3).await)
        .replication_groups()
        .await
        .expect_err("every connection is reset");
    assert_eq!(err.kind, ErrorKind::Transient);
    let text = err.to_string();
    assert!(
        text.starts_with("elasticache DescribeReplicationGroups failed: "),
        "{text}"
    );
    assert!(text.ends_with(" (after 3 attempts)"), "{text}");
    assert_eq!(proxy.state().requests, 3, "{text}");
}
