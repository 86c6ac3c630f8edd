//! What `plan` and `apply` share: where the policy, AWS and the ledger are.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use tidegate::aws::{DynamoDbLedger, Endpoint};
use tidegate::ledger::file::FileLedger;
use tidegate::ledger::{Ledger, PriceCache};
use tidegate::policy::Policy;

use crate::price_flags::PriceFlags;

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
    /// The ledger of past actions (cooldowns, hourly limit, leases, the
    /// action log) and of the Pricing API's last answer: a JSON file (safe
    /// to share between concurrent `tidegate` processes), or
    /// `dynamodb:TABLE` for the Lambdas' DynamoDB table, so the CLI and the
    /// Lambdas keep one set of leases, cooldowns and hourly limit.
    #[arg(
        long,
        value_name = "FILE|dynamodb:TABLE",
        default_value = ".tidegate/ledger.json"
    )]
    pub ledger: String,
    /// Attempts per AWS call, retries of throttling and transient errors
    /// included (SDK adaptive retry mode).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_attempts: u32,
    #[command(flatten)]
    pub prices: PriceFlags,
}

/// What the CLI's ledger forgets: older than this.
pub const LEDGER_KEEP: chrono::TimeDelta = chrono::TimeDelta::days(30);

impl Live {
    /// Loads and validates the policy; its warnings (parts that can never
    /// take effect) go to stderr as `validate` prints them, so a policy that
    /// quietly does nothing says so where it is used.
    pub fn policy(&self) -> anyhow::Result<Policy> {
        let policy =
            tidegate::policy::load_file(&self.policy).map_err(|e| anyhow::anyhow!("{e}"))?;
        let name = self.policy.display().to_string();
        for w in &policy.warnings {
            eprintln!("{}", crate::validate::warning(&name, w));
        }
        Ok(policy)
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
    /// is forgotten); a DynamoDB one goes through `sdk`.
    pub fn open_ledger(
        &self,
        now: DateTime<Utc>,
        sdk: &aws_config::SdkConfig,
    ) -> anyhow::Result<CliLedger> {
        if let Some(table) = self.ledger.strip_prefix(DYNAMODB_PREFIX) {
            if table.trim().is_empty() {
                bail!(
                    "--ledger {}: name the table after `{DYNAMODB_PREFIX}`",
                    self.ledger
                );
            }
            return Ok(CliLedger::DynamoDb(DynamoDbLedger::new(
                sdk,
                table,
                LEDGER_KEEP,
            )));
        }
        let file = FileLedger::open(&PathBuf::from(&self.ledger), now, LEDGER_KEEP)
            .context("reading the ledger")?;
        Ok(CliLedger::File(Box::new(file)))
    }
}

/// How `--ledger` names the Lambdas' DynamoDB table.
const DYNAMODB_PREFIX: &str = "dynamodb:";

/// The ledger `--ledger` names.
pub enum CliLedger {
    /// A local JSON file.
    File(Box<FileLedger>),
    /// The Lambdas' table (same items, see `tidegate::aws::DynamoDbLedger`).
    DynamoDb(DynamoDbLedger),
}

impl CliLedger {
    /// The ledger port.
    pub fn ledger(&self) -> &dyn Ledger {
        match self {
            CliLedger::File(l) => l.as_ref(),
            CliLedger::DynamoDb(l) => l,
        }
    }

    /// The price cache kept beside it.
    pub fn cache(&self) -> &dyn PriceCache {
        match self {
            CliLedger::File(l) => l.as_ref(),
            CliLedger::DynamoDb(l) => l,
        }
    }
}
