//! `tidegate prices`: refresh a price snapshot from the Price List Query
//! API, show the prices the engine would use for an instance type.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::Utc;
use tidegate::aws::{Endpoint, PricingAdapter};
use tidegate::ledger::file::FileLedger;
use tidegate::observe::{PriceApi, PriceSources, price_book_for};
use tidegate::policy::PriceSettings;
use tidegate::ports::PricingPort;
use tidegate::pricing::{
    Origin, PriceBook, PriceKey, ProductSpec, SnapshotPriceBook, Standing, to_csv, wanted_keys,
};

use crate::price_flags::PriceFlags;

/// Prices: refresh a snapshot from the Price List Query API, or show what
/// the engine would price an instance type at, and from where.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Ask the Price List Query API for a region's prices and write them as
    /// a snapshot CSV (the built-in snapshot's columns), for
    /// `--price-snapshot FILE`. Nothing is written if the API cannot be
    /// reached.
    Refresh(RefreshArgs),
    /// Print every price the engine would use for an instance type (each
    /// engine and deployment), with its source and date.
    Show(ShowArgs),
}

/// `tidegate prices refresh`.
#[derive(Debug, clap::Args)]
pub struct RefreshArgs {
    /// The region whose prices to fetch, e.g. `eu-west-1`.
    #[arg(long, value_name = "REGION")]
    region: String,
    /// Where to write the snapshot CSV.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Fetch only what this policy can need (every ladder class, storage,
    /// ACU, instance types); without it, every on-demand price the built-in
    /// snapshot has, for `--region`.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    #[command(flatten)]
    api: ApiFlags,
}

/// `tidegate prices show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Instance type, node type or broker type, e.g. `db.r6g.large`,
    /// `cache.r7g.large`, `kafka.m5.large`, `m6i.large`; or `storage-gp3`,
    /// `storage-ebs`, `db.serverless(ACU)`.
    #[arg(value_name = "TYPE")]
    instance_type: String,
    /// Price as plans of this policy would (its region, its
    /// `prices` settings, the ledger's price cache, spot discount).
    /// Without it: the built-in snapshot's keys for TYPE in `--region`,
    /// asked of the API (no cache).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Region to price in, when no policy says [default: us-east-1].
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// The ledger whose price cache a policy's plans use.
    #[arg(long, value_name = "FILE", default_value = ".tidegate/ledger.json")]
    ledger: PathBuf,
    #[command(flatten)]
    prices: PriceFlags,
    #[command(flatten)]
    api: ApiFlags,
}

/// How to reach the API.
#[derive(Debug, clap::Args)]
struct ApiFlags {
    /// Send the Pricing API calls here instead of AWS (e.g. a test server).
    /// The SDK also reads `AWS_ENDPOINT_URL`.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Attempts per call, retries included.
    #[arg(long, value_name = "N", default_value_t = 3)]
    max_attempts: u32,
}

impl ApiFlags {
    async fn sdk(&self) -> aws_config::SdkConfig {
        tidegate::aws::load_config(&Endpoint {
            region: Some("us-east-1".to_string()),
            url: self.endpoint_url.clone(),
            max_attempts: Some(self.max_attempts),
        })
        .await
    }
}

/// Runs `tidegate prices`.
pub fn exec(args: Args) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match args.command {
        Command::Refresh(a) => runtime.block_on(refresh(a)),
        Command::Show(a) => runtime.block_on(show(a)),
    }
}

async fn refresh(args: RefreshArgs) -> anyhow::Result<ExitCode> {
    let keys: Vec<PriceKey> = match &args.policy {
        Some(path) => {
            let policy = tidegate::policy::load_file(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            wanted_keys(&policy, None)
        }
        None => SnapshotPriceBook::embedded()
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| ProductSpec::for_key(k, &args.region).is_ok())
            .collect(),
    };
    let sdk = args.api.sdk().await;
    let api = PricingAdapter::new(&sdk);

    // One service at a time, so a long refresh shows where it is.
    let mut by_service: BTreeMap<&str, Vec<PriceKey>> = BTreeMap::new();
    for k in keys {
        by_service.entry(k.service).or_default().push(k);
    }
    let total: usize = by_service.values().map(Vec::len).sum();
    eprintln!(
        "asking the Price List Query API for {total} prices in {} ...",
        args.region
    );
    let mut quotes = BTreeMap::new();
    let mut unpriced = BTreeMap::new();
    let bar = tidegate::progress::Progress::stderr().bar("prices", by_service.len() as u64);
    bar.prefix("services");
    for (service, keys) in by_service {
        bar.message(&format!("asking for {} {service} prices", keys.len()));
        let answer = api.quotes(&args.region, &keys).await.with_context(|| {
            format!(
                "{service} prices: nothing written to {}",
                args.out.display()
            )
        })?;
        bar.println(&format!(
            "  {service}: {} of {} priced",
            answer.quotes.len(),
            keys.len()
        ));
        bar.inc();
        quotes.extend(answer.quotes);
        unpriced.extend(answer.unpriced);
    }
    bar.finish();
    if quotes.is_empty() {
        bail!(
            "the Pricing API priced none of the {total} prices asked in {}: nothing written",
            args.region
        );
    }
    for (k, why) in &unpriced {
        eprintln!(
            "  not priced: {} {} {} {}: {why}",
            k.service, k.instance_type, k.engine, k.deployment
        );
    }
    let text = to_csv(&args.region, quotes.iter());
    write_whole(&args.out, &text)?;
    eprintln!(
        "wrote {}: {} prices for {} ({} not priced). Spot prices are not in the Price List API: use the policy's prices.spot_discount_percent.",
        args.out.display(),
        quotes.len(),
        args.region,
        unpriced.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to `path` through a temporary file, so a failed write
/// never leaves half a snapshot.
fn write_whole(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("csv.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

async fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let sdk = args.api.sdk().await;
    let fallback = args.prices.fallback()?;
    let (book, mut keys) = match &args.policy {
        Some(path) => {
            let policy = tidegate::policy::load_file(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            let ledger = FileLedger::open(&args.ledger, now, crate::live::LEDGER_KEEP)
                .context("reading the ledger")?;
            let book = args.prices.book(&policy, &sdk, Some(&ledger), now).await?;
            (book, wanted_keys(&policy, None))
        }
        None => {
            let region = args
                .region
                .clone()
                .unwrap_or_else(|| "us-east-1".to_string());
            let keys: Vec<PriceKey> = fallback
                .iter()
                .map(|(k, _)| k.clone())
                .filter(|k| k.instance_type == args.instance_type)
                .collect();
            let adapter = PricingAdapter::new(&tidegate::aws::pricing_config(
                &sdk,
                &args.prices.pricing_region,
            ));
            // No policy, no ledger: the API (or the snapshot), nothing cached.
            let sources = PriceSources {
                api: if args.prices.offline {
                    PriceApi::offline()
                } else {
                    PriceApi::Ask(&adapter)
                },
                cache: None,
                fallback: fallback.clone(),
            };
            let book =
                price_book_for(&region, &keys, &PriceSettings::default(), sources, now).await;
            eprintln!("prices: {}", book.describe());
            (book, keys)
        }
    };
    // The snapshot's keys for the type too (spot rows among them).
    keys.extend(fallback.iter().map(|(k, _)| k.clone()));
    keys.retain(|k| k.instance_type == args.instance_type);
    keys.sort();
    keys.dedup();
    let found: Vec<_> = keys
        .iter()
        .filter_map(|k| Some((k, book.quote(k)?)))
        .collect();
    if found.is_empty() {
        bail!(
            "no price for `{}` in the Pricing API's answer or the fallback snapshot ({} prices); \
             instance types are written as AWS spells them, e.g. db.r6g.large, cache.r7g.large, kafka.m5.large, m6i.large",
            args.instance_type,
            fallback.len()
        );
    }
    println!("{} in {}:", args.instance_type, book.region());
    for (k, q) in found {
        println!(
            "  {:<11} {:<14} {:<26} {:>10} {:<14} {}, as of {}",
            k.service, k.engine, k.deployment, q.usd, q.unit, q.origin, q.as_of
        );
        println!("      source: {}", q.source);
        // Per price only when the API answered: otherwise the reason is
        // the same for every price and the note below says it once.
        let answered = !matches!(book.standing(), Standing::SnapshotOnly { .. });
        if let Some(why) = book.why_not_primary(k).filter(|_| answered)
            && matches!(q.origin, Origin::Snapshot | Origin::Estimate)
        {
            println!("      not from the Pricing API: {why}");
        }
    }
    for w in book.warnings() {
        println!("note: {w}");
    }
    Ok(ExitCode::SUCCESS)
}
