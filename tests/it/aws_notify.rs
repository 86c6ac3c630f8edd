//! aws_notify: the SNS notifier against moto server, read back through a
//! real SNS → SQS subscription: one queue with raw message delivery (the
//! body is the message itself), one without (the body is SNS's JSON
//! envelope, which carries the subject).

use std::time::Duration;

use tidegate::aws::{ErrorKind, SnsNotifier};
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
