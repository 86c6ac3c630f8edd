//! Test support: the moto server harness (see tests/README.md).
//!
//! ```ignore
//! use crate::support::{MotoServer, unique};
//!
//! // One server per test binary, started on first use; tests share it, so
//! // every test names its resources with `unique("prefix")`.
//! let moto = MotoServer::shared();
//! let rds = aws_sdk_rds::Client::new(&moto.sdk_config().await);
//!
//! // A server of its own, for call counts and faults (both would disturb
//! // other tests on the shared one). Stopped when dropped.
//! let moto = MotoServer::dedicated();
//! moto.inject_fault("DescribeDBInstances", "Throttling", 2);
//! let config = moto.sdk_config_with_attempts(3).await;
//! // ... run ...
//! assert_eq!(moto.calls().count("rds", "DescribeDBInstances"), 3);
//! ```
//!
//! - [`MotoServer::shared`] / [`MotoServer::dedicated`]: start moto (installing
//!   it into a virtualenv first if needed: `$TIDEGATE_MOTO_VENV`, else
//!   `<target dir>/moto-venv`; python3 from `$TIDEGATE_PYTHON`, else `python3`).
//! - [`MotoServer::url`], [`MotoServer::endpoint`] (a `tidegate::aws::Endpoint`),
//!   [`MotoServer::sdk_config`] / [`MotoServer::sdk_config_with_attempts`]
//!   (region us-east-1, static test credentials, standard retries),
//!   [`MotoServer::cli_env`] (environment for running the `tidegate` binary
//!   against the server).
//! - Call counter per (service, operation): [`MotoServer::calls`] →
//!   [`Calls::count`] / [`Calls::service`], [`MotoServer::reset_calls`].
//!   Services are moto's names: `rds`, `elasticache`, `kafka`, `autoscaling`,
//!   `cloudwatch`.
//! - Faults: [`MotoServer::inject_fault`] (`operation`, AWS error `code`,
//!   `count`), or [`MotoServer::inject`] with a [`Fault`] (service, HTTP
//!   status, message); [`MotoServer::clear_faults`].
//! - MSK: clusters are ACTIVE once created; [`MotoServer::set_msk_state`] puts
//!   one in any state (e.g. `UPDATING`).
//! - Cost Explorer: [`MotoServer::queue_cost_and_usage`] queues
//!   GetCostAndUsage answers, one per distinct request (dedicated servers
//!   only: every caller pops the queue).
//! - [`MotoServer::reset`]: clear all of moto's state (dedicated servers only).
//! - What Terraform deploys around the Lambdas: [`create_ledger_table`],
//!   [`subscribed_queue`] (an SQS inbox on an SNS topic).
//! - [`act_each`]: hand-built changes through the per-action `act` step,
//!   for tests of one kind's `act`.
//! - [`OnePath`]: `tidegate plan` and `apply` through the runner, over a
//!   memory ledger.

#![allow(dead_code)]

mod deploy;
mod fakes;
mod moto;
mod plans;
mod runs;

#[allow(unused_imports)] // the harness's API, whether or not every item is used yet
pub use deploy::{create_ledger_table, subscribed_queue};
pub use fakes::{aurora_member, db_instance};
#[allow(unused_imports)] // the harness's API, whether or not every item is used yet
pub use moto::{Calls, Fault, MotoServer, python, unique};
pub use plans::act_each;
#[allow(unused_imports)] // the harness's API, whether or not every item is used yet
pub use runs::OnePath;
