//! tidegate's scheduler Lambda: invoked on a fixed rate (EventBridge
//! Scheduler), converges every managed resource to the profile in force
//! now. All the work is in `tidegate::lambda::scheduler`.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use tidegate::lambda::{scheduler, start, within_deadline};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = start("scheduler").await?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // The run stops before the Lambda's own deadline (see
        // `within_deadline`), so it can say so and give its claim back.
        let deadline = event.context.deadline;
        within_deadline(
            deadline,
            scheduler::handle(
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
