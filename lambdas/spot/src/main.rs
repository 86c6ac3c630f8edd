//! tidegate's spot Lambda: invoked by EventBridge with `EC2 Spot Instance
//! Interruption Warning` and `EC2 Instance Rebalance Recommendation`;
//! counts warnings per Auto Scaling group and raises the group's on-demand
//! share when its workload class says so. All the work is in
//! `tidegate::lambda::spot`.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use tidegate::lambda::{spot, start, within_deadline};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = start("spot").await?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // The run stops before the Lambda's own deadline (see
        // `within_deadline`), so it can say so and give its claim back.
        let deadline = event.context.deadline;
        within_deadline(
            deadline,
            spot::handle(
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
