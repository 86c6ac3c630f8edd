//! tidegate's budget Lambda: invoked hourly and by AWS Budgets
//! notifications over SNS; reads spend from Cost Explorer and applies or
//! releases the emergency profile. All the work is in
//! `tidegate::lambda::budget`.

use tidegate::aws::CostExplorerAdapter;
use tidegate::lambda::{Error, budget, serve};

#[tokio::main]
async fn main() -> Result<(), Error> {
    serve("budget", |f| {
        budget::Budget(CostExplorerAdapter::new(f.sdk_config()))
    })
    .await
}
