//! tidegate's alarm Lambda: invoked when a CloudWatch alarm changes state
//! (EventBridge rule, the alarm's own Lambda action, or SNS). All the work
//! is in `tidegate::lambda::alarm`.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use tidegate::lambda::{alarm, start, within_deadline};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = start("alarm").await?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // The run stops before the Lambda's own deadline (see
        // `within_deadline`), so it can say so and give its claim back.
        let deadline = event.context.deadline;
        within_deadline(
            deadline,
            alarm::handle(
                function,
                &event.payload,
                &event.context.request_id,
                chrono::Utc::now(),
            ),
        )
        .await
        .map_err(Error::from)
    }))
    .await
}
