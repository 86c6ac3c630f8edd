//! `tidegate validate`.

use std::process::ExitCode;

/// Arguments of `tidegate validate` (to be filled in).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tidegate validate`.
pub fn exec(_args: Args) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
