//! tidegate's scheduler Lambda: invoked on a fixed rate (EventBridge
//! Scheduler), converges every managed resource to the profile in force
//! now. All the work is in `tidegate::lambda::scheduler`.

use tidegate::lambda::{Error, scheduler, serve};

#[tokio::main]
async fn main() -> Result<(), Error> {
    serve("scheduler", |_| scheduler::Scheduler).await
}
