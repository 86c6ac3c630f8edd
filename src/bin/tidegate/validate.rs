//! `tidegate validate`: load and validate policy files, print every problem
//! with file, line, column and field path. Exit status 1 when any file is
//! invalid.

use std::path::PathBuf;
use std::process::ExitCode;

use tidegate::policy::{self, Policy, PolicyError};

/// Check policy files: syntax, types, unknown keys, and every rule
/// (ladders ordered and known, ranges and floors, schedules, budgets,
/// profile references, alarm rules).
///
/// Prints `FILE: ok — N resources, M schedules` for a valid file and one line
/// per problem (`FILE:LINE:COL: PATH: MESSAGE; expected ...`) for an invalid
/// one. Exits with status 1 when any file is invalid.
#[derive(Debug, clap::Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct Args {
    /// Policy files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print one JSON object per file (`{"file", "ok", "resources",
    /// "schedules", "problems": [{"line", "column", "path", "message",
    /// "expected"}]}`), one per line, instead of text.
    #[arg(long)]
    json: bool,
}

/// The output format, shown by `tidegate validate --help`.
const AFTER_HELP: &str = "\
Checks syntax, types and unknown keys, then every rule: ladders ordered by size and known \
for the engine, ranges and protected floors, schedules (cron, time zone, holidays), budgets, \
profile and schedule references, scale rules.

Output, one line per file or problem:
  FILE: ok — N resources, M schedules
  FILE:LINE:COL: PATH: MESSAGE; expected ...

Exit status: 0 when every file is valid, 1 otherwise.";

/// Runs `tidegate validate`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let mut all_ok = true;
    for file in &args.files {
        let name = file.display().to_string();
        let result = policy::load_file(file);
        all_ok &= result.is_ok();
        if args.json {
            println!("{}", json(&name, &result));
        } else {
            match &result {
                Ok(p) => println!("{name}: ok — {}", summary(p)),
                Err(e) => println!("{e}"),
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn summary(p: &Policy) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {}",
        plural(p.resources.len(), "resource", "resources"),
        plural(p.schedules.len(), "schedule", "schedules")
    )
}

fn json(name: &str, result: &Result<Policy, PolicyError>) -> serde_json::Value {
    match result {
        Ok(p) => serde_json::json!({
            "file": name,
            "ok": true,
            "resources": p.resources.len(),
            "schedules": p.schedules.len(),
            "problems": [],
        }),
        Err(e) => serde_json::json!({
            "file": name,
            "ok": false,
            "problems": e.problems.iter().map(|p| serde_json::json!({
                "line": p.line,
                "column": p.column,
                "path": p.path,
                "message": p.message,
                "expected": p.expected,
            })).collect::<Vec<_>>(),
        }),
    }
}
