//! `tidegate plan`: observe the estate, decide, print the plan.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use tidegate::aws::Adapters;
use tidegate::run::{Runner, Settings, Trigger};

use crate::live::Live;

/// Observe the managed resources through the AWS API and print what would
/// change and why, like `terraform plan`. Exit code 0 when nothing would
/// change, 2 when changes are planned, 1 on error. A plan saved with
/// `--out` carries the hash of this policy; `tidegate apply --plan` decides
/// it again and refuses it whole once older than `guardrails.max_plan_age`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    live: Live,
    /// Also write the plan as JSON, for `tidegate apply --plan FILE`.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print the plan as JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Print a summary: identical changes on one line with their count
    /// (the whole plan is still written by `--out`).
    #[arg(long, conflicts_with = "json")]
    compact: bool,
}

/// Runs `tidegate plan`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let policy = args.live.policy()?;
    let now = chrono::Utc::now();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let mut plan = runtime.block_on(async {
        let config = tidegate::aws::load_config(&args.live.endpoint(&policy)).await;
        let config = tidegate::aws::with_timeouts(&config, &policy.guardrails.timeouts);
        // Opened (not only read) to keep the Pricing API's answer in it.
        let ledger = args.live.open_ledger(now, &config)?;
        let adapters = Adapters::new(&config);
        let prices = args
            .live
            .prices
            .book(&policy, &config, Some(ledger.cache()), now)
            .await?;
        let holder = format!("cli-{}", std::process::id());
        // The run's own decision path, acted on by nothing.
        let runner = Runner {
            policy: &policy,
            ports: adapters.ports(),
            ledger: ledger.ledger(),
            notify: None,
            prices: &prices,
            holder: &holder,
            settings: Settings::default(),
        };
        runner
            .preview(&Trigger::cli("tidegate plan", None), now)
            .await
            .map_err(anyhow::Error::from)
    })?;
    plan.policy_hash = tidegate::plan::policy_hash(&policy);
    if let Some(out) = &args.out {
        let text = serde_json::to_string_pretty(&plan)?;
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else if args.compact {
        print!("{}", tidegate::plan::render_compact(&plan, &policy.estate));
    } else {
        print!("{}", tidegate::plan::render(&plan, &policy.estate));
    }
    Ok(if plan.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
