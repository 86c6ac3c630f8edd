//! tidegate's alarm Lambda: invoked when a CloudWatch alarm changes state
//! (EventBridge rule, the alarm's own Lambda action, or SNS). All the work
//! is in `tidegate::lambda::alarm`.

use tidegate::lambda::{Error, alarm, serve};

#[tokio::main]
async fn main() -> Result<(), Error> {
    serve("alarm", |_| alarm::Alarm).await
}
