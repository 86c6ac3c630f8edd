//! The Lambda handlers, driven with real event JSON (`tests/events/`)
//! against moto server: the policy in S3, the ledger in DynamoDB, notices
//! through SNS into an SQS queue, an RDS instance and an Auto Scaling group
//! as the estate. Cost Explorer answers are queued in moto (dedicated
//! servers only).

mod alarm;
mod budget;
mod invalid;
mod reconcile;
mod scheduler;
mod spot;

use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use tidegate::lambda::{Config, Function};
use tidegate::ledger::{Ledger, LogEntry};
use tidegate::policy::SpotMix;
use tidegate::run::Settings;

use crate::support::{MotoServer, create_ledger_table, subscribed_queue, unique};

const POLICY: &str = include_str!("../../fixtures/lambda/policy.yaml");

/// The workers group's instances distribution, as the policy's `steady`
/// class asks (created so, the spot-mix knob has nothing to do).
fn steady_mix() -> SpotMix {
    SpotMix {
        on_demand_base: 0,
        on_demand_percent_above_base: 100,
        allocation_strategy: "price-capacity-optimized".to_owned(),
        instance_types: vec!["m6i.large".to_owned(), "m5.large".to_owned()],
    }
}

/// A deployed estate on moto: what Terraform would create, plus the
/// resources the policy manages.
pub struct Stack {
    pub sdk: SdkConfig,
    pub config: Config,
    pub db: String,
    pub asg: String,
    pub alarm: String,
    queue_url: String,
}

impl Stack {
    /// Creates everything, with the policy at `db_class` and the workers
    /// group at `desired` instances.
    pub async fn new(moto: &MotoServer, db_class: &str, desired: i32) -> Stack {
        Self::with_policy(moto, db_class, desired, |p| p).await
    }

    /// As [`Stack::new`], with the policy text passed through `edit`.
    pub async fn with_policy(
        moto: &MotoServer,
        db_class: &str,
        desired: i32,
        edit: impl FnOnce(String) -> String,
    ) -> Stack {
        let sdk = moto.sdk_config().await;
        let (db, asg, alarm) = (unique("lt-db"), unique("lt-asg"), unique("lt-alarm"));
        let policy = edit(
            POLICY
                .replace("@DB@", &db)
                .replace("@ASG@", &asg)
                .replace("@ALARM@", &alarm),
        );

        let bucket = unique("lt-policy");
        let s3 = aws_sdk_s3::Client::new(&sdk);
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("CreateBucket");
        s3.put_object()
            .bucket(&bucket)
            .key("tidegate/policy.yaml")
            .body(policy.into_bytes().into())
            .send()
            .await
            .expect("PutObject policy");

        let table = unique("lt-ledger");
        create_ledger_table(&sdk, &table).await;
        let (topic_arn, queue_url) = topic_with_inbox(&sdk).await;

        aws_sdk_rds::Client::new(&sdk)
            .create_db_instance()
            .db_instance_identifier(&db)
            .db_instance_class(db_class)
            .engine("postgres")
            .allocated_storage(100)
            .master_username("admin")
            .master_user_password("password123")
            .send()
            .await
            .expect("CreateDBInstance");

        let template = crate::aws_autoscaling::create_launch_template(moto, &unique("lt-lt"));
        let spec = LaunchTemplateSpecification::builder()
            .launch_template_id(template)
            .version("$Default")
            .build();
        aws_sdk_autoscaling::Client::new(&sdk)
            .create_auto_scaling_group()
            .auto_scaling_group_name(&asg)
            .availability_zones("us-east-1a")
            .min_size(0)
            .max_size(20)
            .desired_capacity(desired)
            .mixed_instances_policy(crate::aws_autoscaling::sdk_policy(spec, &steady_mix()))
            .send()
            .await
            .expect("CreateAutoScalingGroup");

        Stack {
            sdk,
            config: Config {
                policy_bucket: bucket,
                policy_key: "tidegate/policy.yaml".to_owned(),
                ledger_table: table,
                topic_arn: Some(topic_arn),
                retention: TimeDelta::days(30),
                pricing_region: "us-east-1".to_owned(),
            },
            db,
            asg,
            alarm,
            queue_url,
        }
    }

    /// A cold start of function `name`.
    pub async fn function(&self, name: &'static str) -> Function {
        let settings = Settings {
            pace: tidegate::act::Pace {
                poll: std::time::Duration::from_millis(10),
                timeout: std::time::Duration::from_secs(5),
                deadline: None,
            },
            ..Settings::default()
        };
        Function::cold_start(name, &self.config, &self.sdk)
            .await
            .with_settings(settings)
    }

    /// The DB instance's class.
    pub async fn db_class(&self) -> String {
        let out = aws_sdk_rds::Client::new(&self.sdk)
            .describe_db_instances()
            .db_instance_identifier(&self.db)
            .send()
            .await
            .expect("DescribeDBInstances");
        out.db_instances()
            .first()
            .and_then(|i| i.db_instance_class())
            .expect("a class")
            .to_owned()
    }

    /// The workers group's (min, max, desired).
    pub async fn capacity(&self) -> (i32, i32, i32) {
        let out = aws_sdk_autoscaling::Client::new(&self.sdk)
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(&self.asg)
            .send()
            .await
            .expect("DescribeAutoScalingGroups");
        let g = out.auto_scaling_groups().first().expect("the group");
        (
            g.min_size().unwrap_or(-1),
            g.max_size().unwrap_or(-1),
            g.desired_capacity().unwrap_or(-1),
        )
    }

    /// Every notice delivered since the last call, as parsed JSON bodies.
    pub async fn notices(&self) -> Vec<Value> {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let mut bodies = Vec::new();
        loop {
            let out = sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("ReceiveMessage");
            let messages = out.messages();
            if messages.is_empty() {
                break;
            }
            for m in messages {
                let body = m.body().unwrap_or_default();
                bodies.push(
                    serde_json::from_str(body)
                        .unwrap_or_else(|e| panic!("a notice that is not JSON ({e}): {body}")),
                );
                if let Some(handle) = m.receipt_handle() {
                    sqs.delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("DeleteMessage");
                }
            }
        }
        bodies
    }

    /// The action log of the last `days` before `now`.
    pub async fn log(&self, function: &Function, now: DateTime<Utc>) -> Vec<LogEntry> {
        function
            .ledger()
            .log_since(now - TimeDelta::days(3), now)
            .await
            .expect("the action log")
    }
}

/// An SNS topic and an SQS queue subscribed to it with raw delivery (the
/// queue's messages are the notices' bodies). (topic ARN, queue URL).
async fn topic_with_inbox(sdk: &SdkConfig) -> (String, String) {
    let topic = aws_sdk_sns::Client::new(sdk)
        .create_topic()
        .name(unique("lt-notices"))
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn
        .expect("topic ARN");
    let queue = subscribed_queue(sdk, &topic, true).await;
    (topic, queue)
}

/// `tests/events/NAME`, parsed.
pub fn event(name: &str) -> Value {
    let path = format!("{}/tests/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The EventBridge alarm event for `alarm` entering `state` at `at` (the
/// state change's own timestamp, which identifies it).
pub fn alarm_event(alarm: &str, state: &str, at: &str) -> Value {
    let mut e = event("alarm-eventbridge.json");
    e["detail"]["alarmName"] = Value::from(alarm);
    e["detail"]["state"]["value"] = Value::from(state);
    e["detail"]["state"]["timestamp"] = Value::from(at);
    e
}

/// An instant, from RFC 3339.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

/// Captures what the handlers log (JSON lines) on this thread until the
/// guard drops. The tests run on tokio's current-thread runtime, so every
/// log line of the handler is emitted here.
pub fn capture_logs() -> (Logs, tracing::subscriber::DefaultGuard) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (logs, guard)
}

/// Log lines captured by [`capture_logs`].
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Every line, parsed.
    pub fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
