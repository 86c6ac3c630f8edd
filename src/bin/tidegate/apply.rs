//! `tidegate apply`: carry a plan out and report each action's outcome.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use tidegate::act::Outcome;
use tidegate::engine::{self, Adapters};
use tidegate::ledger::EventRef;
use tidegate::plan::Plan;
use tidegate::run::{Runner, Settings};

use crate::live::Live;

/// Carry out a plan: the one saved by `tidegate plan --out`, or a fresh
/// one. Shows the plan and asks for `yes` unless `--auto-approve`. Each
/// action is checked against the resource just before it runs: a change
/// that already took effect is reported and not made again. Honours the
/// policy's `guardrails.dry_run` unless `--live` is given.
#[derive(Debug, clap::Args)]
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
}

/// Runs `tidegate apply`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let policy = args.live.policy()?;
    let now = chrono::Utc::now();
    let ledger = args.live.open_ledger(now)?;
    let history = ledger.snapshot().history();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let config = runtime.block_on(tidegate::aws::load_config(&args.live.endpoint(&policy)));
    let config = tidegate::aws::with_timeouts(&config, &policy.guardrails.timeouts);
    let adapters = Adapters::new(&config);
    let prices = runtime.block_on(args.live.prices.book(&policy, &config, Some(&ledger), now))?;

    let plan: Plan = match &args.plan {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a plan saved by `tidegate plan --out`",
                    file.display()
                )
            })?
        }
        None => {
            runtime
                .block_on(engine::plan(
                    &policy,
                    adapters.ports(),
                    &prices,
                    &history,
                    now,
                ))?
                .0
        }
    };
    print!("{}", tidegate::plan::render(&plan, &policy.estate));
    if plan.is_empty() {
        println!("Nothing to apply.");
        return Ok(ExitCode::SUCCESS);
    }
    if policy.guardrails.dry_run && !args.force_live {
        println!(
            "The policy is in dry-run mode (guardrails.dry_run: true): nothing applied. \
             Set dry_run: false, or pass --live to act anyway."
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !args.auto_approve && !confirm(plan.planned().count())? {
        println!("Apply cancelled.");
        return Ok(ExitCode::SUCCESS);
    }

    let holder = format!("cli-{}", std::process::id());
    let runner = Runner {
        policy: &policy,
        ports: adapters.ports(),
        ledger: &ledger,
        notify: None,
        prices: &prices,
        holder: &holder,
        settings: Settings::default(),
    };
    let event = EventRef {
        source: "cli".to_owned(),
        id: None,
        summary: "tidegate apply".to_owned(),
    };
    let report = runtime.block_on(runner.apply_plan(&plan, &event, now))?;
    for note in &report.notes {
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
    let reports = report.outcomes;

    let failed = reports
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed { .. }))
        .count();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            let a = &r.action;
            let what = format!("{} {}: {} → {}", a.identifier, a.knob, a.from, a.to);
            match &r.outcome {
                Outcome::Applied { detail } => println!("applied   {what} ({detail})"),
                Outcome::AlreadyInEffect => println!("no change {what}: already in effect"),
                Outcome::Skipped { why } => println!("skipped   {what}: {why}"),
                Outcome::Failed { error, .. } => println!("FAILED    {what}: {error}"),
            }
        }
        println!(
            "Apply: {} applied, {} already in effect, {} skipped, {failed} failed.",
            count(&reports, |o| matches!(o, Outcome::Applied { .. })),
            count(&reports, |o| matches!(o, Outcome::AlreadyInEffect)),
            count(&reports, |o| matches!(o, Outcome::Skipped { .. })),
        );
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
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
