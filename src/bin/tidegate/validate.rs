//! `tidegate validate`: load and validate policy files, print every problem
//! with file, line, column and field path, then every warning (a part that
//! can never take effect). Exit status 1 when any file is invalid, or with
//! `--strict` has a warning.

use std::path::PathBuf;
use std::process::ExitCode;

use tidegate::policy::{self, Policy, PolicyError, Problem};

/// Check policy files: syntax, types, unknown keys, and every rule
/// (ladders ordered and known, ranges and floors, schedules, budgets,
/// profile references, alarm rules).
///
/// Prints `FILE: ok — N resources, M schedules` for a valid file and one line
/// per problem (`FILE:LINE:COL: PATH: MESSAGE; expected ...`) for an invalid
/// one, then one line per warning (`FILE:LINE:COL: PATH: warning: MESSAGE;
/// expected ...`). Exits with status 1 when any file is invalid, or, with
/// `--strict`, has a warning.
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
    /// Treat warnings (a profile that can never be in force, a resource
    /// nothing could change) as errors: exit 1 when there are any.
    #[arg(long)]
    strict: bool,
}

/// The output format, shown by `tidegate validate --help`.
const AFTER_HELP: &str = "\
Checks syntax, types and unknown keys, then every rule: ladders ordered by size and known \
for the engine, ranges and protected floors, schedules (cron, time zone, holidays), budgets, \
profile and schedule references, scale rules.

Output, one line per file or problem:
  FILE: ok — N resources, M schedules
  FILE:LINE:COL: PATH: MESSAGE; expected ...
  FILE:LINE:COL: PATH: warning: MESSAGE; expected ...

Warnings name parts of a valid file that can never take effect: a resource's profile that \
nothing can put in force (no `schedule:`, not the budget's emergency profile), a resource \
with nothing that could ever change it (no rules, no storage rule, no profiles).

Exit status: 0 when every file is valid (warnings or not), 1 otherwise; with --strict, \
1 also when any file has a warning.";

/// Runs `tidegate validate`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let mut all_ok = true;
    for file in &args.files {
        let name = file.display().to_string();
        let result = policy::load_file(file);
        all_ok &= result
            .as_ref()
            .is_ok_and(|p| !args.strict || p.warnings.is_empty());
        if args.json {
            println!("{}", json(&name, &result));
        } else {
            match &result {
                Ok(p) => {
                    println!("{name}: ok — {}", summary(p));
                    for w in &p.warnings {
                        println!("{}", warning(&name, w));
                    }
                }
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

/// `FILE:LINE:COL: PATH: warning: MESSAGE; expected ...` (also what `plan`
/// and `apply` print to stderr).
pub(crate) fn warning(file: &str, w: &Problem) -> String {
    let at = match (w.line, w.column) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        _ => file.to_owned(),
    };
    let path = if w.path.is_empty() {
        String::new()
    } else {
        format!(" {}:", w.path)
    };
    format!(
        "{at}:{path} warning: {}; expected {}",
        w.message, w.expected
    )
}

fn problem_json(p: &Problem) -> serde_json::Value {
    serde_json::json!({
        "line": p.line,
        "column": p.column,
        "path": p.path,
        "message": p.message,
        "expected": p.expected,
    })
}

fn json(name: &str, result: &Result<Policy, PolicyError>) -> serde_json::Value {
    match result {
        Ok(p) => serde_json::json!({
            "file": name,
            "ok": true,
            "resources": p.resources.len(),
            "schedules": p.schedules.len(),
            "problems": [],
            "warnings": p.warnings.iter().map(problem_json).collect::<Vec<_>>(),
        }),
        Err(e) => serde_json::json!({
            "file": name,
            "ok": false,
            "problems": e.problems.iter().map(problem_json).collect::<Vec<_>>(),
        }),
    }
}
