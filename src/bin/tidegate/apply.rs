//! `tidegate apply`: decide (again, for a saved plan), show, confirm, act,
//! report each action's outcome.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tidegate::act::Outcome;
use tidegate::aws::Adapters;
use tidegate::plan::{Action, Plan, check_saved, read_saved};
use tidegate::progress::{Progress, Task};
use tidegate::run::{RunReport, Runner, Settings, Trigger};

use crate::live::Live;

/// Exit code: the policy is in dry-run mode and no `--live` was given;
/// nothing was changed.
pub const EXIT_DRY_RUN: u8 = 3;
/// Exit code: the saved plan was refused whole (older than
/// `guardrails.max_plan_age`, or made for another policy).
pub const EXIT_PLAN_REFUSED: u8 = 4;
/// Exit code: an approved change was held (by a guard, or because the
/// policy no longer proposes it) and nothing failed.
pub const EXIT_HELD: u8 = 5;

const EXIT_CODES: &str = "\
Exit codes:
  0  every approved change was applied or already in effect (or nothing to apply)
  1  error, or a change failed
  3  dry run: nothing was changed (guardrails.dry_run is true; add --live)
  4  the saved plan was refused whole (older than guardrails.max_plan_age, or made for another policy)
  5  an approved change was held by a guard, or the policy no longer proposes it
  75 changes were left undone because another live run (a Lambda, or another
     `tidegate apply`) holds their resources' leases: run again once it has finished";

/// Carry out the changes the policy proposes now, or those of a plan saved
/// by `tidegate plan --out`. A saved plan is a proposal, not an order: it
/// must be younger than `guardrails.max_plan_age` and made for this very
/// policy, and each of its changes is decided again against the estate and
/// the policy as they are now; only what that decision makes runs, and a
/// change a guard refuses now is held with the guard's name. Shows the plan
/// and asks for `yes` unless `--auto-approve`. Honours the policy's
/// `guardrails.dry_run` unless `--live` is given.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES)]
pub struct Args {
    #[command(flatten)]
    live: Live,
    /// A plan saved by `tidegate plan --out FILE`.
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    auto_approve: bool,
    /// Act even though the policy says `dry_run: true`.
    #[arg(long = "live")]
    force_live: bool,
    /// Print the outcomes as JSON.
    #[arg(long)]
    json: bool,
    /// Print a summary: identical changes and outcomes on one line with
    /// their count; failures, skips and changes under way one by one.
    #[arg(long)]
    compact: bool,
    /// Also write the plan shown before acting as JSON (the whole plan,
    /// whatever `--compact` prints).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// How long this run's resource leases last, in seconds (renewed every
    /// quarter of it while the run acts; a killed run's leases lapse within
    /// it, after which the next run reconciles what it left). Default 120.
    /// Short leases are for tests that kill runs; a lease much shorter than
    /// one AWS call risks losing it to another run mid-change.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u32).range(LEASE_SECS))]
    lease_secs: Option<u32>,
}

/// The bounds of `--lease-secs`: under 2 s a heartbeat every quarter lease
/// is too close to a slow ledger write; over an hour a dead run holds its
/// resources (and its unfinished changes) off for too long.
const LEASE_SECS: std::ops::RangeInclusive<i64> = 2..=3600;

/// Runs `tidegate apply`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let policy = args.live.policy()?;
    let now = chrono::Utc::now();
    let saved = match &args.plan {
        None => None,
        Some(file) => {
            let plan = read_saved(file)?;
            if let Err(why) = check_saved(&plan, &policy, now) {
                eprintln!("error: the saved plan {} is refused: {why}", file.display());
                return Ok(ExitCode::from(EXIT_PLAN_REFUSED));
            }
            Some(plan)
        }
    };
    let mut acting = policy.clone();
    if args.force_live {
        acting.guardrails.dry_run = false;
    }

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let config = runtime.block_on(tidegate::aws::load_config(&args.live.endpoint(&policy)));
    let config = tidegate::aws::with_timeouts(&config, &policy.guardrails.timeouts);
    let ledger = args.live.open_ledger(now, &config)?;
    let adapters = Adapters::new(&config);
    let prices = runtime.block_on(args.live.prices.book(
        &policy,
        &config,
        Some(ledger.cache()),
        now,
    ))?;
    let holder = format!("cli-{}", std::process::id());
    let runner = Runner {
        policy: &acting,
        ports: adapters.ports(),
        ledger: ledger.ledger(),
        notify: None,
        prices: &prices,
        holder: &holder,
        // The CLI waits for a multi-step change and shows each step.
        settings: Settings {
            progress: Some(show_step),
            on_action: Some(show_action),
            lease: args.lease_secs.map_or(Settings::default().lease, |s| {
                chrono::TimeDelta::seconds(i64::from(s))
            }),
            ..Settings::default()
        },
    };

    if let (Some(file), Some(plan)) = (&args.plan, &saved) {
        println!(
            "Saved plan {}: decided {} for this policy, {} change(s) proposed. \
             Decided again now: only what the policy and its guards allow runs.\n",
            file.display(),
            plan.at.format("%Y-%m-%d %H:%M:%S UTC"),
            plan.planned().count()
        );
    }
    let proposed = saved.map(|p| p.planned().cloned().collect::<Vec<_>>());
    let from_file = proposed.is_some();
    let preview =
        runtime.block_on(runner.preview(&Trigger::cli("tidegate apply", proposed), now))?;
    if let Some(out) = &args.out {
        let text = serde_json::to_string_pretty(&preview)?;
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    }
    if args.compact {
        print!(
            "{}",
            tidegate::plan::render_compact(&preview, &policy.estate)
        );
    } else {
        print!("{}", tidegate::plan::render(&preview, &policy.estate));
    }
    // A saved change held now is an approved change that will not run.
    let held_before = if from_file {
        preview.refused().count()
    } else {
        0
    };
    if preview.is_empty() {
        println!("Nothing to apply.");
        if !acting.guardrails.dry_run {
            // Nothing new, but a run that died may have left a change
            // unfinished: the run settles (or carries on) it first.
            let trigger = Trigger::cli("tidegate apply", Some(Vec::new()));
            let report = runtime.block_on(runner.run(&trigger, chrono::Utc::now()))?;
            print_notes(&report, &preview);
        }
        return Ok(exit_code(0, held_before));
    }
    if acting.guardrails.dry_run {
        println!("dry run: nothing was changed (guardrails.dry_run is true; add --live)");
        return Ok(ExitCode::from(EXIT_DRY_RUN));
    }
    if !args.auto_approve && !confirm(preview.planned().count())? {
        println!("Apply cancelled.");
        return Ok(ExitCode::SUCCESS);
    }

    let approved: Vec<Action> = preview.planned().cloned().collect();
    let now = chrono::Utc::now();
    let report = runtime.block_on(runner.run(&Trigger::cli("tidegate apply", Some(approved)), now));
    if let Some(s) = SPINNER.get() {
        s.finish();
    }
    let report = report?;
    let (failed, held) = print_report(&report, &preview, args.json, args.compact)?;
    if failed == 0 && !report.left_to_others.is_empty() {
        return Ok(ExitCode::from(LEFT_TO_ANOTHER_RUN));
    }
    Ok(exit_code(failed, held_before + held))
}

/// The apply's spinner (drawn only when stderr is a terminal): what it
/// does now, and for a multi-step change the step it waits for.
static SPINNER: std::sync::OnceLock<Task> = std::sync::OnceLock::new();

fn spinner() -> &'static Task {
    SPINNER.get_or_init(|| {
        Progress::stderr()
            .with_delay(Duration::ZERO)
            .spinner("applying")
    })
}

/// Each step of a multi-step change as it is recorded: a line (as logs
/// have always had it), and the spinner's message.
fn show_step(line: &str) {
    let s = spinner();
    s.println(&format!("progress: {line}"));
    s.message(&format!("waiting: {line}"));
}

/// Each action as it starts: only the spinner's message (no log line).
fn show_action(n: usize, of: usize, a: &Action) {
    spinner().message(&format!(
        "action {n}/{of}: {} {}: {} → {}",
        a.identifier, a.knob, a.from, a.to
    ));
}

/// 1 when a change failed, [`EXIT_HELD`] when one was held, else 0.
fn exit_code(failed: usize, held: usize) -> ExitCode {
    if failed > 0 {
        ExitCode::FAILURE
    } else if held > 0 {
        ExitCode::from(EXIT_HELD)
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints notes, each outcome and the summary line; returns how many
/// changes failed and how many approved ones were held.
fn print_report(
    report: &RunReport,
    preview: &Plan,
    json: bool,
    compact: bool,
) -> anyhow::Result<(usize, usize)> {
    print_notes(report, preview);
    let reports = &report.outcomes;
    let held: Vec<&Action> = report.plan.iter().flat_map(Plan::refused).collect();
    let failed = count(reports, |o| matches!(o, Outcome::Failed { .. }));
    if json {
        println!("{}", serde_json::to_string_pretty(reports)?);
        print_left(&report.left_to_others, true);
        return Ok((failed, held.len()));
    }
    let what = |a: &Action| format!("{} {}: {} → {}", a.identifier, a.knob, a.from, a.to);
    if compact {
        print_compact(reports, &held);
    }
    for r in reports.iter().filter(|_| !compact) {
        let what = what(&r.action);
        match &r.outcome {
            Outcome::Applied { detail } => println!("applied   {what} ({detail})"),
            Outcome::AlreadyInEffect => println!("no change {what}: already in effect"),
            Outcome::Skipped { why } => println!("skipped   {what}: {why}"),
            Outcome::Failed { error, .. } => println!("FAILED    {what}: {error}"),
            Outcome::InProgress { detail } => println!("under way {what}: {detail}"),
        }
    }
    for a in held.iter().filter(|_| !compact) {
        if let Some(r) = &a.refused {
            println!("held      {}: held by {}: {}", what(a), r.guard, r.why);
        }
    }
    println!(
        "Apply: {} applied, {} already in effect, {} skipped, {failed} failed, {} held.",
        count(reports, |o| matches!(o, Outcome::Applied { .. })),
        count(reports, |o| matches!(o, Outcome::AlreadyInEffect)),
        count(reports, |o| matches!(o, Outcome::Skipped { .. })),
        held.len(),
    );
    print_left(&report.left_to_others, false);
    Ok((failed, held.len()))
}

/// The outcome lines in summary: applied, already in effect and held
/// changes grouped by what changed (`applied   150 × rds_instance
/// instance_class: db.r6g.xlarge → db.r6g.large`); each failure, skip and
/// change under way on its own line, since each wants a look.
fn print_compact(reports: &[tidegate::act::Report], held: &[&Action]) {
    let mut lines: Vec<(String, usize)> = Vec::new();
    let mut add = |line: String| match lines.iter_mut().find(|(l, _)| *l == line) {
        Some((_, n)) => *n += 1,
        None => lines.push((line, 1)),
    };
    let change = |a: &Action| format!("{} {}: {} → {}", a.kind, a.knob, a.from, a.to);
    for r in reports {
        let a = &r.action;
        match &r.outcome {
            Outcome::Applied { .. } => add(format!("applied   {{n}} × {}", change(a))),
            Outcome::AlreadyInEffect => add(format!(
                "no change {{n}} × {}: already in effect",
                change(a)
            )),
            Outcome::Skipped { why } => println!("skipped   {} {}: {why}", a.identifier, change(a)),
            Outcome::Failed { error, .. } => {
                println!("FAILED    {} {}: {error}", a.identifier, change(a));
            }
            Outcome::InProgress { detail } => {
                println!("under way {} {}: {detail}", a.identifier, change(a));
            }
        }
    }
    for a in held {
        if let Some(r) = &a.refused {
            add(format!(
                "held      {{n}} × {}: held by {}",
                change(a),
                r.guard
            ));
        }
    }
    for (line, n) in lines {
        println!("{}", line.replacen("{n}", &n.to_string(), 1));
    }
}

/// Prints (on stderr) the run's notes not shown with the preview, and the
/// unfinished changes of earlier runs it settled.
fn print_notes(report: &RunReport, preview: &Plan) {
    for note in report.notes.iter().filter(|n| !preview.notes.contains(n)) {
        eprintln!("note: {note}");
    }
    for e in &report.reconciled {
        if let Some(o) = &e.outcome {
            eprintln!(
                "reconciled an unfinished change to {}: {}",
                e.action.identifier, o.detail
            );
        }
    }
}

/// The exit code when changes were left to another live run (sysexits'
/// EX_TEMPFAIL: a temporary failure, try again later).
pub const LEFT_TO_ANOTHER_RUN: u8 = 75;

/// Says which resources were left to another live run's lease; on stderr
/// under `--json`, so stdout stays one document.
fn print_left(left: &[String], json: bool) {
    if left.is_empty() {
        return;
    }
    let line = format!(
        "Left undone: {} resource(s) leased by another live run ({}); run again once it has finished.",
        left.len(),
        left.join(", ")
    );
    if json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

fn count(reports: &[tidegate::act::Report], keep: impl Fn(&Outcome) -> bool) -> usize {
    reports.iter().filter(|r| keep(&r.outcome)).count()
}

/// Asks for `yes` on a terminal; refuses to guess without one.
fn confirm(changes: usize) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("no terminal to confirm on: pass --auto-approve to apply without asking");
    }
    print!("Apply these {changes} change(s)? Only 'yes' is accepted: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
