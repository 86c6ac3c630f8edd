//! What Terraform creates around the Lambdas, created in moto for tests:
//! the ledger table, and an SQS inbox subscribed to the notice topic.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

use super::unique;

/// The ledger table as Terraform creates it (see
/// `tidegate::aws::DynamoDbLedger`): `pk`/`sk` strings, TTL on `expires_at`.
pub async fn create_ledger_table(sdk: &SdkConfig, table: &str) {
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute definition")
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("key schema element")
    };
    client
        .create_table()
        .table_name(table)
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("expires_at")
                .build()
                .expect("TTL specification"),
        )
        .send()
        .await
        .expect("UpdateTimeToLive");
}

/// A new SQS queue subscribed to `topic_arn`, raw (the message is the body)
/// or not (the body is SNS's JSON envelope); its URL.
pub async fn subscribed_queue(sdk: &SdkConfig, topic_arn: &str, raw: bool) -> String {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let url = sqs
        .create_queue()
        .queue_name(unique("tidegate-inbox"))
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("a queue URL");
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("the queue ARN");
    let mut subscribe = aws_sdk_sns::Client::new(sdk)
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(arn);
    if raw {
        subscribe = subscribe.attributes("RawMessageDelivery", "true");
    }
    subscribe.send().await.expect("Subscribe");
    url
}
