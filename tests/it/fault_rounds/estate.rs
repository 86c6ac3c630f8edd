//! The fault rounds' small estate: its policy, its creation in moto, the
//! alarms that move it, and what moto shows of it (read straight from moto,
//! never through the fault proxy).

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
use aws_sdk_elasticache::types::ClusterMode;
use aws_sdk_kafka::types::{BrokerNodeGroupInfo, EbsStorageInfo, StorageInfo};
use aws_sdk_rds::types::ServerlessV2ScalingConfiguration;
use tidegate::estate::Setting;
use tidegate::policy::KnobName;

/// The hourly limit of [`POLICY`].
pub const MAX_ACTIONS_PER_HOUR: usize = 4;

/// One of each kind moto serves: an RDS instance, a Serverless v2 Aurora
/// cluster (readers), a provisioned Aurora cluster (writer class: the
/// multi-step resize), a Redis replication group (shards), an MSK cluster
/// (brokers). No cooldown and no oscillation window, so every round may
/// move a resource again whatever the timing (a round's outcome must not
/// depend on how fast the machine is); the hourly limit holds the total.
pub const POLICY: &str = r#"
version: 1
estate: faults
region: us-east-1
guardrails:
  max_actions_per_hour: 4
  oscillation_window: 0s
  dry_run: false
  default_cooldown: { up: 0s, down: 0s }
resources:
  - id: faults-db
    kind: rds_instance
    identifier: faults-db
    engine: postgres
    instance_class: { ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge], floor: db.r6g.large }
    scale_up: [{ alarm: faults-db-up }]
    scale_down: [{ alarm: faults-db-down }]
  - id: faults-aurora
    kind: aurora_cluster
    identifier: faults-aurora
    engine: aurora-mysql
    serverless_v2: { min_acu: 2, max_acu: 8 }
    readers: { min: 1, max: 3, floor: 1 }
    scale_up: [{ alarm: faults-aurora-up, scales: readers }]
    scale_down: [{ alarm: faults-aurora-down, scales: readers }]
  - id: faults-prov
    kind: aurora_cluster
    identifier: faults-prov
    engine: aurora-mysql
    writer_class: { ladder: [db.r6g.large, db.r6g.xlarge], floor: db.r6g.large }
    scale_up: [{ alarm: faults-prov-up, scales: writer_class }]
    scale_down: [{ alarm: faults-prov-down, scales: writer_class }]
  - id: faults-redis
    kind: elasticache_redis
    identifier: faults-redis
    engine: redis
    node_type: { ladder: [cache.r6g.large] }
    shards: { min: 1, max: 3, floor: 1 }
    scale_up: [{ alarm: faults-redis-up, scales: shards }]
    scale_down: [{ alarm: faults-redis-down, scales: shards }]
  - id: faults-msk
    kind: msk_cluster
    identifier: faults-msk
    az_count: 3
    broker_type: { ladder: [kafka.m5.large] }
    brokers: { min: 3, max: 9, step: 3 }
    scale_up: [{ alarm: faults-msk-up, scales: brokers }]
"#;

/// The managed resources (each is a prefix of its instances' names and
/// appears in every request that changes it).
pub const RESOURCES: [&str; 5] = [
    "faults-db",
    "faults-aurora",
    "faults-prov",
    "faults-redis",
    "faults-msk",
];

/// (resource, alarm that scales it up, alarm that scales it down).
pub const ALARMS: [(&str, &str, Option<&str>); 5] = [
    ("faults-db", "faults-db-up", Some("faults-db-down")),
    (
        "faults-aurora",
        "faults-aurora-up",
        Some("faults-aurora-down"),
    ),
    ("faults-prov", "faults-prov-up", Some("faults-prov-down")),
    ("faults-redis", "faults-redis-up", Some("faults-redis-down")),
    ("faults-msk", "faults-msk-up", None),
];

const DB_LADDER: [&str; 3] = ["db.r6g.large", "db.r6g.xlarge", "db.r6g.2xlarge"];
const WRITER_LADDER: [&str; 2] = ["db.r6g.large", "db.r6g.xlarge"];

/// The knobs the rounds move, as the ledger names them, with their value
/// at creation.
pub fn initial() -> BTreeMap<(String, KnobName), Setting> {
    let class = |c: &str| Setting::Class(c.to_owned());
    [
        ("faults-db", KnobName::InstanceClass, class("db.r6g.large")),
        ("faults-aurora", KnobName::Readers, Setting::Count(1)),
        ("faults-prov", KnobName::WriterClass, class("db.r6g.large")),
        ("faults-redis", KnobName::Shards, Setting::Count(1)),
        ("faults-msk", KnobName::Brokers, Setting::Count(3)),
    ]
    .into_iter()
    .map(|(r, k, s)| ((r.to_owned(), k), s))
    .collect()
}

async fn member(rds: &aws_sdk_rds::Client, cluster: &str, id: &str, class: &str) {
    rds.create_db_instance()
        .db_cluster_identifier(cluster)
        .db_instance_identifier(id)
        .db_instance_class(class)
        .engine("aurora-mysql")
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {id}: {e:?}"));
}

/// Creates the estate and its alarms (all OK) in moto.
pub async fn create(config: &aws_config::SdkConfig) {
    let rds = aws_sdk_rds::Client::new(config);
    rds.create_db_instance()
        .db_instance_identifier("faults-db")
        .db_instance_class("db.r6g.large")
        .engine("postgres")
        .allocated_storage(100)
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("create faults-db");
    rds.create_db_cluster()
        .db_cluster_identifier("faults-aurora")
        .engine("aurora-mysql")
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .serverless_v2_scaling_configuration(
            ServerlessV2ScalingConfiguration::builder()
                .min_capacity(2.0)
                .max_capacity(8.0)
                .build(),
        )
        .send()
        .await
        .expect("create faults-aurora");
    member(
        &rds,
        "faults-aurora",
        "faults-aurora-writer",
        "db.serverless",
    )
    .await;
    member(
        &rds,
        "faults-aurora",
        "faults-aurora-reader-1",
        "db.serverless",
    )
    .await;
    rds.create_db_cluster()
        .db_cluster_identifier("faults-prov")
        .engine("aurora-mysql")
        .master_username("admin")
        .master_user_password("not-a-secret-1")
        .send()
        .await
        .expect("create faults-prov");
    member(&rds, "faults-prov", "faults-prov-w", "db.r6g.large").await;
    member(&rds, "faults-prov", "faults-prov-r", "db.r6g.large").await;

    aws_sdk_elasticache::Client::new(config)
        .create_replication_group()
        .replication_group_id("faults-redis")
        .replication_group_description("fault rounds")
        .engine("redis")
        .cache_node_type("cache.r6g.large")
        .cluster_mode(ClusterMode::Enabled)
        .num_node_groups(1)
        .replicas_per_node_group(1)
        .automatic_failover_enabled(true)
        .send()
        .await
        .expect("create faults-redis");

    aws_sdk_kafka::Client::new(config)
        .create_cluster()
        .cluster_name("faults-msk")
        .kafka_version("3.6.0")
        .number_of_broker_nodes(3)
        .broker_node_group_info(
            BrokerNodeGroupInfo::builder()
                .instance_type("kafka.m5.large")
                .client_subnets("subnet-a")
                .client_subnets("subnet-b")
                .client_subnets("subnet-c")
                .storage_info(
                    StorageInfo::builder()
                        .ebs_storage_info(EbsStorageInfo::builder().volume_size(100).build())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("create faults-msk");

    let cw = aws_sdk_cloudwatch::Client::new(config);
    for (_, up, down) in ALARMS {
        for alarm in std::iter::once(up).chain(down) {
            cw.put_metric_alarm()
                .alarm_name(alarm)
                .namespace("AWS/Test")
                .metric_name("Load")
                .statistic(Statistic::Average)
                .period(60)
                .evaluation_periods(1)
                .threshold(1.0)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                .send()
                .await
                .unwrap_or_else(|e| panic!("put alarm {alarm}: {e:?}"));
        }
    }
}

/// Which way each resource is pushed this round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// Both alarms OK.
    Quiet,
    /// The scale-up alarm fires.
    Up,
    /// The scale-down alarm fires.
    Down,
}

/// Sets the alarms for one round.
pub async fn set_alarms(config: &aws_config::SdkConfig, pushes: &[Push]) {
    let cw = aws_sdk_cloudwatch::Client::new(config);
    for ((_, up, down), push) in ALARMS.iter().zip(pushes) {
        let states = [(Some(*up), *push == Push::Up), (*down, *push == Push::Down)];
        for (alarm, firing) in states {
            let Some(alarm) = alarm else { continue };
            let state = if firing {
                StateValue::Alarm
            } else {
                StateValue::Ok
            };
            cw.set_alarm_state()
                .alarm_name(alarm)
                .state_value(state)
                .state_reason("fault round")
                .send()
                .await
                .unwrap_or_else(|e| panic!("set alarm {alarm}: {e:?}"));
        }
    }
}

/// What moto shows of the estate.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Every DB instance: id → (class, cluster).
    pub instances: BTreeMap<String, (String, Option<String>)>,
    /// Cluster → its members (instance id, writer flag).
    pub members: BTreeMap<String, Vec<(String, Option<bool>)>>,
    /// Redis node groups.
    pub shards: usize,
    /// MSK brokers.
    pub brokers: Option<i32>,
}

impl Observed {
    /// Reads the estate from moto.
    pub async fn read(config: &aws_config::SdkConfig) -> Observed {
        let rds = aws_sdk_rds::Client::new(config);
        let mut seen = Observed::default();
        let out = rds
            .describe_db_instances()
            .send()
            .await
            .expect("describe instances");
        for db in out.db_instances() {
            seen.instances.insert(
                db.db_instance_identifier().unwrap_or_default().to_owned(),
                (
                    db.db_instance_class().unwrap_or_default().to_owned(),
                    db.db_cluster_identifier().map(str::to_owned),
                ),
            );
        }
        let out = rds
            .describe_db_clusters()
            .send()
            .await
            .expect("describe clusters");
        for c in out.db_clusters() {
            let members = c
                .db_cluster_members()
                .iter()
                .map(|m| {
                    (
                        m.db_instance_identifier().unwrap_or_default().to_owned(),
                        m.is_cluster_writer(),
                    )
                })
                .collect();
            seen.members.insert(
                c.db_cluster_identifier().unwrap_or_default().to_owned(),
                members,
            );
        }
        let out = aws_sdk_elasticache::Client::new(config)
            .describe_replication_groups()
            .replication_group_id("faults-redis")
            .send()
            .await
            .expect("describe redis");
        seen.shards = out
            .replication_groups()
            .first()
            .map_or(0, |g| g.node_groups().len());
        let out = aws_sdk_kafka::Client::new(config)
            .list_clusters_v2()
            .send()
            .await
            .expect("list msk");
        seen.brokers = out
            .cluster_info_list()
            .iter()
            .find(|c| c.cluster_name() == Some("faults-msk"))
            .and_then(|c| c.provisioned())
            .and_then(|p| p.number_of_broker_nodes());
        seen
    }

    fn writers(&self, cluster: &str) -> Vec<&str> {
        self.members
            .get(cluster)
            .into_iter()
            .flatten()
            .filter(|(_, w)| *w == Some(true))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    fn readers(&self, cluster: &str) -> usize {
        self.members
            .get(cluster)
            .map_or(0, |m| m.iter().filter(|(_, w)| *w != Some(true)).count())
    }

    /// The moved knobs' values, as [`initial`] names them.
    pub fn settings(&self) -> BTreeMap<(String, KnobName), Setting> {
        let mut out = BTreeMap::new();
        let mut put = |r: &str, k, s| {
            out.insert((r.to_owned(), k), s);
        };
        if let Some((class, _)) = self.instances.get("faults-db") {
            put(
                "faults-db",
                KnobName::InstanceClass,
                Setting::Class(class.clone()),
            );
        }
        let readers = u32::try_from(self.readers("faults-aurora")).unwrap_or(u32::MAX);
        put("faults-aurora", KnobName::Readers, Setting::Count(readers));
        if let [writer] = self.writers("faults-prov")[..]
            && let Some((class, _)) = self.instances.get(writer)
        {
            put(
                "faults-prov",
                KnobName::WriterClass,
                Setting::Class(class.clone()),
            );
        }
        let shards = u32::try_from(self.shards).unwrap_or(u32::MAX);
        put("faults-redis", KnobName::Shards, Setting::Count(shards));
        if let Some(b) = self.brokers {
            put(
                "faults-msk",
                KnobName::Brokers,
                Setting::Count(b.unsigned_abs()),
            );
        }
        out
    }

    /// Bounds, floors, one writer per Aurora cluster, no stray instance:
    /// each violation in a sentence.
    pub fn violations(&self) -> Vec<String> {
        let mut v = Vec::new();
        match self.instances.get("faults-db") {
            Some((class, _)) if DB_LADDER.contains(&class.as_str()) => {}
            other => v.push(format!(
                "bounds: faults-db class {other:?} is off its ladder"
            )),
        }
        let readers = self.readers("faults-aurora");
        if !(1..=3).contains(&readers) {
            v.push(format!(
                "bounds/floor: faults-aurora has {readers} readers (1..=3)"
            ));
        }
        for cluster in ["faults-aurora", "faults-prov"] {
            let writers = self.writers(cluster);
            if writers.len() != 1 {
                v.push(format!("one writer: {cluster} has writers {writers:?}"));
            }
        }
        if let [writer] = self.writers("faults-prov")[..] {
            let class = self.instances.get(writer).map(|(c, _)| c.as_str());
            if !class.is_some_and(|c| WRITER_LADDER.contains(&c)) {
                v.push(format!(
                    "bounds: faults-prov writer class {class:?} is off its ladder"
                ));
            }
        }
        // The provisioned cluster's readers are not managed: one writer,
        // one reader, whatever the resizes did.
        let prov = self.members.get("faults-prov").map_or(0, Vec::len);
        if prov != 2 {
            v.push(format!(
                "stray instance: faults-prov has {prov} members (writer + 1 reader): {:?}",
                self.members.get("faults-prov")
            ));
        }
        for (id, (_, cluster)) in &self.instances {
            let member = cluster.as_ref().is_some_and(|c| {
                self.members
                    .get(c)
                    .is_some_and(|m| m.iter().any(|(i, _)| i == id))
            });
            if id != "faults-db" && !member {
                v.push(format!(
                    "stray instance: {id} (cluster {cluster:?}) is in no cluster's members"
                ));
            }
        }
        if !(1..=3).contains(&self.shards) {
            v.push(format!(
                "bounds/floor: faults-redis has {} shards (1..=3)",
                self.shards
            ));
        }
        match self.brokers {
            Some(b) if (3..=9).contains(&b) && b % 3 == 0 => {}
            other => v.push(format!("bounds: faults-msk brokers {other:?} (3, 6 or 9)")),
        }
        v
    }
}
