//! tidegate's budget Lambda: invoked hourly and by AWS Budgets
//! notifications over SNS; reads spend from Cost Explorer and applies or
//! releases the emergency profile. All the work is in
//! `tidegate::lambda::budget`.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;
use tidegate::aws::CostExplorerAdapter;
use tidegate::lambda::{budget, start, within_deadline};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = start("budget").await?;
    let cost = CostExplorerAdapter::new(function.sdk_config());
    let (function, cost) = (&function, &cost);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // The run stops before the Lambda's own deadline (see
        // `within_deadline`), so it can say so and give its claim back.
        let deadline = event.context.deadline;
        within_deadline(
            deadline,
            budget::handle(
                function,
                cost,
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
