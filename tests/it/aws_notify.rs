//! aws_notify: the SNS notifier against moto server, read back through a
//! real SNS → SQS subscription: one queue with raw message delivery (the
//! body is the message itself), one without (the body is SNS's JSON
//! envelope, which carries the subject).

use std::time::Duration;

use chrono::{TimeZone, Utc};
use tidegate::aws::{ErrorKind, SnsNotifier};
use tidegate::notify::{self, Notice};
use tidegate::plan::{BudgetLevel, BudgetStanding};
use tidegate::policy::BudgetPeriod;
use tidegate::ports::NotifyPort;

use crate::support::{MotoServer, subscribed_queue, unique};

/// An SNS topic with two SQS queues subscribed to it.
struct Rig {
    sqs: aws_sdk_sqs::Client,
    topic_arn: String,
    /// Subscribed with RawMessageDelivery=true.
    raw_queue: String,
    /// Subscribed as SNS delivers by default (JSON envelope).
    envelope_queue: String,
}

impl Rig {
    async fn new(moto: &MotoServer) -> (Rig, aws_config::SdkConfig) {
        let config = moto.sdk_config().await;
        let sqs = aws_sdk_sqs::Client::new(&config);
        let topic_arn = aws_sdk_sns::Client::new(&config)
            .create_topic()
            .name(unique("tidegate-notices"))
            .send()
            .await
            .expect("CreateTopic")
            .topic_arn
            .expect("a topic ARN");
        let mut rig = Rig {
            sqs,
            topic_arn,
            raw_queue: String::new(),
            envelope_queue: String::new(),
        };
        rig.raw_queue = subscribed_queue(&config, &rig.topic_arn, true).await;
        rig.envelope_queue = subscribed_queue(&config, &rig.topic_arn, false).await;
        (rig, config)
    }

    /// The one message delivered to `queue`, waiting a little for it.
    async fn receive(&self, queue: &str) -> String {
        for _ in 0..20 {
            let out = self
                .sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("ReceiveMessage");
            let mut bodies: Vec<String> = out
                .messages
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.body)
                .collect();
            match bodies.len() {
                0 => tokio::time::sleep(Duration::from_millis(100)).await,
                1 => return bodies.remove(0),
                n => panic!("{n} messages in {queue}: {bodies:?}"),
            }
        }
        panic!("nothing delivered to {queue}")
    }
}

#[tokio::test]
async fn a_notice_reaches_the_subscribers_with_an_ascii_subject() {
    let (rig, config) = Rig::new(MotoServer::shared()).await;
    let notifier = SnsNotifier::new(&config, rig.topic_arn.clone());
    let message = "billing-db: db.r6g.large → db.r6g.xlarge\nreason: CPU high for 10 min\n";

    notifier
        .publish("tidegate: billing-db → db.r6g.xlarge\n(applied)", message)
        .await
        .expect("Publish");

    // Raw delivery: the body is the message, byte for byte.
    assert_eq!(rig.receive(&rig.raw_queue).await, message);

    // The envelope carries the subject SNS accepted.
    let body = rig.receive(&rig.envelope_queue).await;
    let envelope: serde_json::Value = serde_json::from_str(&body).expect("JSON envelope");
    assert_eq!(envelope["Type"], "Notification");
    assert_eq!(envelope["TopicArn"], rig.topic_arn.as_str());
    assert_eq!(
        envelope["Subject"],
        "tidegate: billing-db -> db.r6g.xlarge (applied)"
    );
    assert_eq!(envelope["Message"], message);
}

#[tokio::test]
async fn a_long_subject_is_cut_and_a_missing_topic_is_not_found() {
    let (rig, config) = Rig::new(MotoServer::shared()).await;
    let notifier = SnsNotifier::new(&config, rig.topic_arn.clone());
    let subject = format!("tidegate: {}", "budget emergency ".repeat(10));
    notifier.publish(&subject, "body").await.expect("Publish");
    let body = rig.receive(&rig.envelope_queue).await;
    let envelope: serde_json::Value = serde_json::from_str(&body).expect("JSON envelope");
    let sent = envelope["Subject"].as_str().expect("a subject");
    assert!(sent.len() < 100 && sent.ends_with("..."), "{sent:?}");
    assert!(subject.starts_with(sent.trim_end_matches("...")));

    let gone = rig.topic_arn.replace("tidegate-notices", "no-such-topic");
    let err = SnsNotifier::new(&config, gone.clone())
        .publish("subject", "body")
        .await
        .expect_err("no such topic");
    assert_eq!(
        (err.kind, err.operation, err.resource.as_str()),
        (ErrorKind::NotFound, "Publish", gone.as_str()),
        "{err}"
    );
}

impl Rig {
    /// Every message delivered to `queue` until `n` arrived (or a few
    /// quiet seconds passed), so that a filtered queue's extra message would
    /// show.
    async fn receive_all(&self, queue: &str, n: usize) -> Vec<String> {
        let mut bodies = Vec::new();
        for _ in 0..10 {
            let out = self
                .sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("ReceiveMessage");
            bodies.extend(
                out.messages
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|m| m.body),
            );
            if bodies.len() > n {
                break;
            }
        }
        bodies
    }

    /// A raw-delivery queue subscribed with `filter` as its FilterPolicy
    /// (on message attributes, SNS's default scope).
    async fn filtered_queue(&self, config: &aws_config::SdkConfig, filter: &str) -> String {
        let url = self
            .sqs
            .create_queue()
            .queue_name(unique("tidegate-routed"))
            .send()
            .await
            .expect("CreateQueue")
            .queue_url
            .expect("a queue URL");
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("GetQueueAttributes")
            .attributes
            .and_then(|mut a| a.remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .expect("the queue ARN");
        aws_sdk_sns::Client::new(config)
            .subscribe()
            .topic_arn(&self.topic_arn)
            .protocol("sqs")
            .endpoint(arn)
            .attributes("RawMessageDelivery", "true")
            .attributes("FilterPolicy", filter)
            .send()
            .await
            .expect("Subscribe");
        url
    }
}

/// One notice of each category: an invalid policy (critical), a budget at
/// warn (warning), back under warn (info), and in emergency (cost).
fn one_of_each() -> Vec<Notice> {
    let at = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
    let standing = |level, forecast_percent| BudgetStanding {
        period: BudgetPeriod::Daily,
        limit_usd: 100.0,
        actual_usd: 50.0,
        forecast_usd: forecast_percent,
        forecast_percent,
        level,
        sources: vec![],
    };
    vec![
        notify::policy_invalid("decide", "s3://b/policy.yaml", "bad key", at),
        notify::budget("prod", &standing(BudgetLevel::Warn, 85.0), None, &[], at),
        notify::budget(
            "prod",
            &standing(BudgetLevel::Ok, 60.0),
            Some(BudgetLevel::Emergency),
            &[],
            at,
        ),
        notify::budget(
            "prod",
            &standing(BudgetLevel::Emergency, 99.0),
            None,
            &[],
            at,
        ),
    ]
}

#[tokio::test]
async fn each_category_carries_its_attributes_and_a_filter_policy_routes_it() {
    let (rig, config) = Rig::new(MotoServer::shared()).await;
    let costs = rig
        .filtered_queue(&config, r#"{"category": ["cost"]}"#)
        .await;
    let urgent = rig
        .filtered_queue(&config, r#"{"category": ["critical", "warning"]}"#)
        .await;
    let notifier = SnsNotifier::new(&config, rig.topic_arn.clone());
    let notices = one_of_each();
    for n in &notices {
        notifier.publish_notice(n).await.expect("Publish");
    }

    // The envelope carries each notice's attributes as Strings.
    let mut seen: Vec<(String, String, String)> = rig
        .receive_all(&rig.envelope_queue, notices.len())
        .await
        .iter()
        .map(|body| {
            let e: serde_json::Value = serde_json::from_str(body).expect("JSON envelope");
            let attr = |name: &str| {
                let a = &e["MessageAttributes"][name];
                assert_eq!(a["Type"], "String", "{name} in {e}");
                a["Value"].as_str().expect("a value").to_owned()
            };
            (attr("category"), attr("severity"), attr("kind"))
        })
        .collect();
    seen.sort();
    let owned = |(c, s, k): (&str, &str, &str)| (c.to_owned(), s.to_owned(), k.to_owned());
    assert_eq!(
        seen,
        [
            ("cost", "high", "budget_emergency"),
            ("critical", "high", "policy_invalid"),
            ("info", "low", "budget_released"),
            ("warning", "medium", "budget_warning"),
        ]
        .map(owned)
    );

    // A filtered subscription receives only its categories.
    let cost_bodies = rig.receive_all(&costs, 1).await;
    assert_eq!(cost_bodies.len(), 1, "{cost_bodies:?}");
    let body: serde_json::Value = serde_json::from_str(&cost_bodies[0]).expect("JSON");
    assert_eq!(body["kind"], "budget_emergency");
    assert_eq!(body["category"], "cost");
    let mut urgent_kinds: Vec<String> = rig
        .receive_all(&urgent, 2)
        .await
        .iter()
        .map(|b| serde_json::from_str::<serde_json::Value>(b).expect("JSON")["kind"].to_string())
        .collect();
    urgent_kinds.sort();
    assert_eq!(urgent_kinds, ["\"budget_warning\"", "\"policy_invalid\""]);
}
