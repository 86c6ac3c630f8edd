//! `tidegate schema`.

use std::process::ExitCode;

/// Arguments of `tidegate schema` (to be filled in).
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tidegate schema`.
pub fn exec(_args: Args) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
