//! `tidegate plan`: observe the estate, decide, print the plan.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use tidegate::engine::{self, Adapters};

use crate::live::Live;

/// Observe the managed resources through the AWS API and print what would
/// change and why, like `terraform plan`. Exit code 0 when nothing would
/// change, 2 when changes are planned, 1 on error.
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
}

/// Runs `tidegate plan`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let policy = args.live.policy()?;
    let now = chrono::Utc::now();
    // Opened (not only read) to keep the Pricing API's answer in it.
    let ledger = args.live.open_ledger(now)?;
    let history = ledger.snapshot().history();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let plan = runtime.block_on(async {
        let config = tidegate::aws::load_config(&args.live.endpoint(&policy)).await;
        let config = tidegate::aws::with_timeouts(&config, &policy.guardrails.timeouts);
        let adapters = Adapters::new(&config);
        let prices = args
            .live
            .prices
            .book(&policy, &config, Some(&ledger), now)
            .await?;
        engine::plan(&policy, adapters.ports(), &prices, &history, now)
            .await
            .map(|(plan, _)| plan)
            .map_err(anyhow::Error::from)
    })?;
    if let Some(out) = &args.out {
        let text = serde_json::to_string_pretty(&plan)?;
        std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", tidegate::plan::render(&plan, &policy.estate));
    }
    Ok(if plan.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
