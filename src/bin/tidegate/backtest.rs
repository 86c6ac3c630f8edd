//! `tidegate backtest`.

use std::process::ExitCode;

/// Arguments of `tidegate backtest` (to be filled in).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tidegate backtest`.
pub fn exec(_args: Args) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
