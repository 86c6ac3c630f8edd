//! tidegate's spot Lambda: invoked by EventBridge with `EC2 Spot Instance
//! Interruption Warning` and `EC2 Instance Rebalance Recommendation`;
//! counts warnings per Auto Scaling group and raises the group's on-demand
//! share when its workload class says so. All the work is in
//! `tidegate::lambda::spot`.

use tidegate::lambda::{Error, serve, spot};

#[tokio::main]
async fn main() -> Result<(), Error> {
    serve("spot", |_| spot::Spot).await
}
