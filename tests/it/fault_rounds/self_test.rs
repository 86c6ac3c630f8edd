//! The fault proxy does what it says: each fault kind has its effect on the
//! client and on moto, and a seed gives the same faults again.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tidegate::aws::{AwsError, ErrorKind};

use super::proxy::{FaultProxy, Schedule};
use crate::support::MotoServer;

fn only(kind: &str, share: f64, seed: &str) -> Schedule {
    Schedule {
        seed: seed.to_owned(),
        mix: BTreeMap::from([(kind.to_owned(), share)]),
        delay_ms: 300,
        mutating_only: false,
        kill_at: None,
        kill_mode: "after".to_owned(),
    }
}

async fn describe(rds: &aws_sdk_rds::Client) -> Result<usize, AwsError> {
    rds.describe_db_instances()
        .send()
        .await
        .map(|out| out.db_instances().len())
        .map_err(|e| AwsError::from_sdk("rds", "DescribeDBInstances", "", e))
}

#[tokio::test]
async fn each_fault_has_its_effect_and_a_seed_repeats_its_faults() {
    let moto = MotoServer::dedicated();
    let proxy = FaultProxy::start(&moto);
    let rds = aws_sdk_rds::Client::new(&proxy.sdk_config(1).await);
    let direct = aws_sdk_rds::Client::new(&moto.sdk_config().await);

    proxy.schedule(&only("throttle", 1.0, "t"));
    let err = describe(&rds).await.expect_err("throttled");
    assert_eq!(err.kind, ErrorKind::Throttled, "{err}");
    assert_eq!(err.code.as_deref(), Some("Throttling"));

    proxy.schedule(&only("status5xx", 1.0, "t"));
    let err = describe(&rds).await.expect_err("5xx");
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");

    proxy.schedule(&only("reset", 1.0, "t"));
    let err = describe(&rds).await.expect_err("reset");
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");

    proxy.schedule(&only("delay", 1.0, "t"));
    let started = Instant::now();
    describe(&rds).await.expect("a delayed answer");
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Dropped: moto carried the call out, the client never heard.
    proxy.schedule(&only("drop", 1.0, "t"));
    rds.create_db_instance()
        .db_instance_identifier("dropped-db")
        .db_instance_class("db.t3.micro")
        .engine("postgres")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("password123")
        .send()
        .await
        .expect_err("no answer");
    let out = direct
        .describe_db_instances()
        .send()
        .await
        .expect("describe");
    let ids: Vec<_> = out
        .db_instances()
        .iter()
        .filter_map(|d| d.db_instance_identifier())
        .collect();
    assert_eq!(ids, ["dropped-db"]);
    let seen = proxy.state();
    assert_eq!(seen.mutations.len(), 1);
    assert_eq!(seen.mutations[0].operation, "CreateDBInstance");
    assert_eq!(seen.mutations[0].status, 200);

    // Half the requests throttled, by the seed: the same seed, the same ones.
    let mut patterns = Vec::new();
    for seed in ["a", "a", "b"] {
        proxy.schedule(&only("throttle", 0.5, seed));
        let mut pattern = Vec::new();
        for _ in 0..24 {
            pattern.push(describe(&rds).await.is_ok());
        }
        patterns.push(pattern);
    }
    assert_eq!(patterns[0], patterns[1]);
    assert_ne!(patterns[0], patterns[2]);
    let ok = patterns[0].iter().filter(|ok| **ok).count();
    assert!((4..=20).contains(&ok), "about half: {ok} of 24");
}
