//! `tidegate`: validate a policy, print its schema, backtest it over real
//! CloudWatch traces, plan and apply against AWS. Each command is a thin wrapper over the library.
//! Without the `aws` feature (`--no-default-features`) only the commands
//! that need no AWS are built: validate, schema, backtest.

#[cfg(feature = "aws")]
mod apply;
mod backtest;
#[cfg(feature = "aws")]
mod live;
#[cfg(feature = "aws")]
mod plan;
#[cfg(feature = "aws")]
mod price_flags;
#[cfg(feature = "aws")]
mod prices;
#[cfg(feature = "aws")]
mod record;
mod schema;
mod snapshot;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keeps the stateful layer of an AWS estate sized to its load, its business
/// hours and its budget, from one policy file.
#[derive(Debug, Parser)]
#[command(name = "tidegate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check policy files; every problem with file:line:column and field.
    Validate(validate::Args),
    /// Print the policy file's JSON Schema.
    Schema(schema::Args),
    /// Replay CloudWatch metric traces through a policy (no AWS account needed).
    Backtest(backtest::Args),
    /// Show what would change in AWS now, and why (exit 0: nothing, 2: changes).
    #[cfg(feature = "aws")]
    Plan(plan::Args),
    /// Carry a plan out in AWS and report each action's outcome.
    #[cfg(feature = "aws")]
    Apply(apply::Args),
    /// Refresh a price snapshot from the AWS Price List API, or show the
    /// prices the engine would use and where they came from.
    #[cfg(feature = "aws")]
    Prices(prices::Args),
    /// Read the managed resources' metric history from CloudWatch into
    /// traces and a mapping that `backtest --metrics DIR` replays.
    #[cfg(feature = "aws")]
    Record(record::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::exec(args),
        Command::Schema(args) => schema::exec(args),
        Command::Backtest(args) => backtest::exec(args),
        #[cfg(feature = "aws")]
        Command::Plan(args) => plan::exec(args),
        #[cfg(feature = "aws")]
        Command::Apply(args) => apply::exec(args),
        #[cfg(feature = "aws")]
        Command::Prices(args) => prices::exec(args),
        #[cfg(feature = "aws")]
        Command::Record(args) => record::exec(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
