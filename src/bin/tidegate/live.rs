//! What `plan` and `apply` share: where the policy, AWS and the ledger are.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tidegate::aws::Endpoint;
use tidegate::ledger::file::FileLedger;
use tidegate::policy::Policy;

use crate::prices::PriceFlags;

/// Policy, endpoint and ledger flags.
#[derive(Debug, clap::Args)]
pub struct Live {
    /// The policy file.
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// Send AWS calls here instead of the standard endpoints (e.g. a moto
    /// server, or any AWS-compatible endpoint). The SDK also reads
    /// `AWS_ENDPOINT_URL`.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS region; defaults to the policy's region, then the standard chain.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Local ledger of past actions (cooldowns, hourly limit) and of the
    /// Pricing API's last answer (the price cache), JSON.
    #[arg(long, value_name = "FILE", default_value = ".tidegate/ledger.json")]
    pub ledger: PathBuf,
    /// Attempts per AWS call, retries of throttling and transient errors
    /// included (SDK standard retry mode).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_attempts: u32,
    #[command(flatten)]
    pub prices: PriceFlags,
}

/// What the CLI's ledger forgets: older than this.
pub const LEDGER_KEEP: chrono::TimeDelta = chrono::TimeDelta::days(30);

impl Live {
    /// Loads and validates the policy.
    pub fn policy(&self) -> anyhow::Result<Policy> {
        tidegate::policy::load_file(&self.policy).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The endpoint settings for `policy`.
    pub fn endpoint(&self, policy: &Policy) -> Endpoint {
        Endpoint {
            region: self.region.clone().or_else(|| Some(policy.region.clone())),
            url: self.endpoint_url.clone(),
            max_attempts: Some(self.max_attempts),
        }
    }

    /// The ledger, opened for a run at `now` (what is older than 30 days
    /// is forgotten).
    pub fn open_ledger(&self, now: DateTime<Utc>) -> anyhow::Result<FileLedger> {
        FileLedger::open(&self.ledger, now, LEDGER_KEEP).context("reading the ledger")
    }
}
