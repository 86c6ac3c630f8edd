//! `tidegate backtest`: replay CloudWatch metric traces (and, if given, a
//! trace of spot interruption warnings) through a policy on an in-process
//! estate and report cost, SLO breaches, actions and the spot mix against
//! static peak provisioning. Needs no AWS account.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use tidegate::backtest::{self, DEFAULT_SLO_PERCENT, Files, InterruptionSource, Limits, render};
use tidegate::pricing::LivePriceBook;
use tidegate::progress::Progress;

/// Replay metric traces through a policy and compare with static peak
/// provisioning.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policy file.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// Directory holding the trace CSVs (`timestamp,value`).
    #[arg(long, value_name = "DIR")]
    metrics: PathBuf,
    /// Which trace drives which resource [default: DIR/mapping.yaml].
    #[arg(long, value_name = "FILE")]
    map: Option<PathBuf>,
    /// Spot interruption warnings per workload class
    /// (`timestamp,workload_class,kind`) to drive the reactive spot mix,
    /// instead of the mapping's `interruptions:` file (a path from the
    /// current directory, not moved). Timestamps are instants on the
    /// replay's clock (after the traces' week shifts).
    #[arg(long, value_name = "FILE", conflicts_with = "no_interruptions")]
    interruptions: Option<PathBuf>,
    /// Replay no spot interruption warnings, even if the mapping names a
    /// file: every group keeps its workload class's own mix.
    #[arg(long)]
    no_interruptions: bool,
    /// Utilisation above this percent of capacity counts as an SLO breach.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SLO_PERCENT)]
    slo_percent: f64,
    /// Refuse to replay a window longer than this many days (a mistyped
    /// timestamp stretches a trace); at most 3660.
    #[arg(long, value_name = "DAYS", default_value_t = Limits::DEFAULT_MAX_WINDOW_DAYS)]
    max_window_days: u32,
    /// A gap between two trace points longer than this many minutes is
    /// missing data (not decided, not costed) instead of the last value held.
    #[arg(long, value_name = "MIN", default_value_t = Limits::DEFAULT_MAX_GAP_SECS / 60)]
    max_gap_minutes: i64,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the report as one self-contained HTML page with charts
    /// (no network needed to view it).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Price with this snapshot CSV (e.g. one written by `tidegate prices
    /// refresh --region R`) instead of the built-in us-east-1 snapshot. A
    /// backtest asks no AWS API.
    #[arg(long, value_name = "FILE")]
    price_snapshot: Option<PathBuf>,
}

/// Runs `tidegate backtest`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let files = Files {
        policy: args.policy,
        metrics: args.metrics,
        mapping: args.map,
        interruptions: match (args.interruptions, args.no_interruptions) {
            (Some(file), _) => InterruptionSource::File(file),
            (None, true) => InterruptionSource::Off,
            (None, false) => InterruptionSource::Mapping,
        },
        limits: Limits {
            max_window_days: args.max_window_days,
            max_gap_secs: args.max_gap_minutes.saturating_mul(60),
        },
    };
    if files.mapping.is_none() && !files.mapping_path().exists() {
        anyhow::bail!(
            "no mapping file: {} does not exist; expected a mapping.yaml in the metrics directory, or --map FILE",
            files.mapping_path().display()
        );
    }
    let fallback = crate::snapshot::snapshot(args.price_snapshot.as_deref())?;
    // The policy's own price settings (spot discount) apply as in plans.
    let policy = tidegate::policy::load_file(&files.policy).map_err(|e| anyhow::anyhow!("{e}"))?;
    let prices = LivePriceBook::snapshot_only(
        &policy.region,
        "a backtest asks no AWS API".to_string(),
        false,
        fallback,
    )
    .with_spot_discount(policy.prices.spot_discount_percent);
    let started = std::time::Instant::now();
    let progress = Progress::stderr();
    let mut task = None;
    let report = backtest::run_files_observed(
        &files,
        &prices,
        args.slo_percent,
        &mut |line| eprintln!("{line}"),
        &mut |done, total| {
            let t = task.get_or_insert_with(|| {
                let t = progress.bar("replay", total as u64);
                t.prefix("decisions");
                t
            });
            // Every 64 intervals is plenty for a bar redrawn a few times a second.
            if done % 64 == 0 {
                t.set(done as u64);
            }
        },
    )?;
    if let Some(t) = task {
        t.finish();
    }
    eprintln!(
        "replayed {} decisions in {:.1} s",
        report.period.decisions,
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = &args.html {
        let page = backtest::report::html::page(&report).context("writing the report as HTML")?;
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if args.json {
        let text = serde_json::to_string_pretty(&report).context("writing the report as JSON")?;
        println!("{text}");
    } else {
        print!("{}", render::text(&report));
    }
    Ok(ExitCode::SUCCESS)
}
