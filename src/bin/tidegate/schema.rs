//! `tidegate schema`: print the JSON Schema of policy files (derived from
//! the policy types), or write it to a file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

/// Print the JSON Schema of the policy file format.
///
/// Editors use it for completion and inline checks (e.g. a
/// `# yaml-language-server: $schema=...` comment). The committed copy lives
/// in `policies/schema.json`; regenerate it with
/// `tidegate schema --out policies/schema.json`.
#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "The committed copy lives in policies/schema.json; regenerate it with \
                             `tidegate schema --out policies/schema.json`. Editors use it for \
                             completion and inline checks."
)]
pub struct Args {
    /// Write the schema to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `tidegate schema`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let schema = tidegate::policy::schema::json_schema();
    match args.out {
        Some(path) => {
            std::fs::write(&path, schema)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{schema}"),
    }
    Ok(ExitCode::SUCCESS)
}
