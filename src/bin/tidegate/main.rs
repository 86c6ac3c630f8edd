//! `tidegate`: validate a policy, print its schema, backtest it over real
//! CloudWatch traces. Each command is a thin wrapper over the library.

mod backtest;
mod schema;
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
    Validate(validate::Args),
    Schema(schema::Args),
    Backtest(backtest::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::exec(args),
        Command::Schema(args) => schema::exec(args),
        Command::Backtest(args) => backtest::exec(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
