//! `tidegate record`: read the managed resources' rule metrics from
//! CloudWatch into a folder `tidegate backtest --metrics DIR` replays.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use tidegate::aws::Adapters;

/// Read the last DAYS of every managed resource's rule metrics from
/// CloudWatch (GetMetricData, 500 queries a call, paginated; 5-minute
/// period up to 15 days, else 1 hour) and write one trace per metric plus a
/// `mapping.yaml` into DIR, for `tidegate backtest --metrics DIR`. Run it
/// before turning `dry_run` off: the backtest then replays your own load.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy file.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// How many days of history to read, up to now (1 to 455).
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    days: u32,
    /// The folder to write the traces and mapping.yaml into (created if
    /// need be; files of the same names are replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Send AWS calls here instead of the standard endpoints (e.g. a moto
    /// server). The SDK also reads `AWS_ENDPOINT_URL`.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// AWS region; defaults to the policy's region, then the standard chain.
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
}

/// Runs `tidegate record`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let policy = tidegate::policy::load_file(&args.policy).map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = chrono::Utc::now();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let recording = runtime.block_on(async {
        let endpoint = tidegate::aws::Endpoint {
            region: args.region.clone().or_else(|| Some(policy.region.clone())),
            url: args.endpoint_url.clone(),
            max_attempts: None,
        };
        let config = tidegate::aws::load_config(&endpoint).await;
        let config = tidegate::aws::with_timeouts(&config, &policy.guardrails.timeouts);
        let adapters = Adapters::new(&config);
        tidegate::record::record(&policy, adapters.ports(), args.days, now, &mut |line| {
            eprintln!("{line}");
        })
        .await
    })?;
    for w in &recording.warnings {
        eprintln!("warning: {w}");
    }
    recording.write(&args.out)?;
    for t in &recording.traces {
        eprintln!(
            "wrote {} ({} {}, {} points)",
            args.out.join(&t.file).display(),
            t.resource,
            t.metric,
            t.points
        );
    }
    eprintln!(
        "wrote {}; replay with: tidegate backtest --policy {} --metrics {}",
        args.out.join("mapping.yaml").display(),
        args.policy.display(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
