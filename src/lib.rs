//! tidegate keeps the stateful layer of an AWS estate (RDS and Aurora, MSK,
//! ElastiCache Redis, Auto Scaling groups) sized to its load, its business
//! hours and its budget, from one policy file.
//!
//! The flow is observe → decide → guard → act → record:
//!
//! - [`policy`]: the shared policy file; load, validate (pure), schema.
//! - [`estate`]: the observed world the decision reads.
//! - [`signals`]: alarm states, metric values and spend.
//! - [`ledger`]: what was done before (cooldowns, rate limit, latches).
//! - [`schedule`]: which profile is in force at an instant.
//! - [`budget`]: budget periods, forecasts and thresholds; spend anomalies
//!   against the same weekday of past weeks ([`budget::anomaly`]).
//! - [`pricing`]: the price book the decision prices actions with.
//! - [`catalog`]: instance classes, their engines and sizes.
//! - [`decide`]: the pure decision core and its guards.
//! - [`spot`]: how a workload class's spot mix bends under spot
//!   interruption warnings and comes back (pure, read by the decision).
//! - [`plan`]: the decision's output.
//! - [`ports`]: one trait per AWS service, in domain words; [`aws`]: the
//!   SDK adapters behind them ([`aws::Adapters`]: all of them at once).
//! - [`observe`] and [`act`]: the estate and signals from AWS; one planned
//!   action carried out through the ports.
//! - [`run`]: the one observe → decide → act → record path (idempotency,
//!   reconcile, leases, intent and outcome in the log, notices): the CLI's
//!   `plan` is its planning half ([`run::Runner::preview`]), `apply` and the
//!   Lambdas run it whole; [`notify`]: the notices it sends.
//! - [`backtest`]: replay metric traces through the engine on an in-process
//!   estate.
//! - [`progress`]: progress bars on stderr for long work, drawn only on a
//!   terminal.

pub mod act;
#[cfg(feature = "aws")]
pub mod aws;
pub mod backtest;
pub mod budget;
pub mod catalog;
pub mod decide;
pub mod estate;
#[cfg(feature = "test-util")]
pub mod fake;
pub mod forecast;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod ledger;
pub mod notify;
pub mod observe;
pub mod plan;
pub mod policy;
pub mod ports;
pub mod pricing;
pub mod progress;
#[cfg(feature = "aws")]
pub mod record;
pub mod run;
pub mod schedule;
pub mod signals;
pub mod spot;
