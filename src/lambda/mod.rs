//! The four Lambda functions' handlers, as plain async functions over the
//! library (the crates under `lambdas/` are `main`s that hand events to
//! them): [`alarm`], [`scheduler`], [`spot`] (EC2 spot warnings), and
//! `budget` (feature `cost-explorer`).
//!
//! A cold start builds a [`Function`]: the SDK clients, the DynamoDB ledger,
//! the SNS notifier, and the shared policy file read once from S3 and
//! validated. Every invocation then answers one event through
//! [`crate::run::Runner`], logs a JSON line per action, and prints one
//! CloudWatch Embedded Metric Format line ([`emf`]).
//!
//! Why S3 for the policy and not SSM Parameter Store: the reference estate's
//! policy is already 6.7 KB, over the standard tier's 4 KB and close to the
//! advanced tier's 8 KB, while an S3 object has no practical limit; a
//! versioned bucket keeps every policy ever deployed, and Terraform uploads
//! it with `aws_s3_object` from the same file it `yamldecode`s.

pub mod alarm;
#[cfg(feature = "cost-explorer")]
pub mod budget;
pub mod emf;
pub mod events;
pub mod permissions;
mod respond;
pub mod scheduler;
mod serve;
pub mod spot;

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

use crate::act::Pace;
use crate::aws::Adapters;
use crate::aws::PricingAdapter;
use crate::aws::{DynamoDbLedger, S3PolicyStore, SnsNotifier};
use crate::notify;
use crate::observe::{PriceApi, PriceSources};
use crate::policy::Policy;
use crate::ports::{NotifyPort, PolicyStorePort};
use crate::pricing::{LivePriceBook, PriceBook, SnapshotPriceBook};
use crate::run::{Runner, Settings};

pub use respond::HandlerError;
pub use serve::{Error, Handler, serve, start};

/// How long before the Lambda's own deadline a run stops: time to say so,
/// give the event claim and the leases back, and answer with an error
/// (so the event is retried) instead of being killed mid-call.
pub const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(10);

tokio::task_local! {
    /// The deadline of the invocation being answered (see [`within_deadline`]).
    static DEADLINE: std::time::Instant;
}

/// Answers an invocation through `handler` with its runs bounded by the
/// Lambda's deadline (`deadline_ms`, the context's epoch milliseconds)
/// less [`DEADLINE_MARGIN`], besides the policy's `guardrails.timeouts.run`.
pub async fn within_deadline<F: std::future::Future>(deadline_ms: u64, handler: F) -> F::Output {
    let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
    let left = std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms));
    let until = std::time::Instant::now() + left.saturating_sub(DEADLINE_MARGIN);
    DEADLINE.scope(until, handler).await
}

/// The environment variables a function reads at cold start.
pub mod env {
    /// S3 bucket of the policy file.
    pub const POLICY_BUCKET: &str = "TIDEGATE_POLICY_BUCKET";
    /// S3 key of the policy file.
    pub const POLICY_KEY: &str = "TIDEGATE_POLICY_KEY";
    /// DynamoDB table of the ledger.
    pub const LEDGER_TABLE: &str = "TIDEGATE_LEDGER_TABLE";
    /// SNS topic for notices (optional: no notices without it).
    pub const TOPIC_ARN: &str = "TIDEGATE_TOPIC_ARN";
    /// Days the action log is kept (optional, default 30).
    pub const RETENTION_DAYS: &str = "TIDEGATE_RETENTION_DAYS";
    /// Region of the Price List Query API endpoint (optional, default
    /// `us-east-1`; the API is also served from `eu-central-1` and
    /// `ap-south-1`).
    pub const PRICING_REGION: &str = "TIDEGATE_PRICING_REGION";
}

/// The Price List Query API's region when [`env::PRICING_REGION`] is unset.
pub const DEFAULT_PRICING_REGION: &str = "us-east-1";

/// Where a function finds its policy, ledger and topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// S3 bucket of the policy file.
    pub policy_bucket: String,
    /// S3 key of the policy file.
    pub policy_key: String,
    /// DynamoDB table of the ledger.
    pub ledger_table: String,
    /// SNS topic for notices, if any.
    pub topic_arn: Option<String>,
    /// How long log entries and cooldown clocks are kept.
    pub retention: TimeDelta,
    /// Region of the Price List Query API endpoint.
    pub pricing_region: String,
}

impl Config {
    /// Reads the [`env`] variables through `var` (`std::env::var` in a
    /// Lambda; a map in tests).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, HandlerError> {
        let need = |name: &str| {
            var(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| HandlerError::Config(format!("{name} is not set")))
        };
        let retention = match var(env::RETENTION_DAYS) {
            None => 30,
            Some(v) => v.trim().parse::<u16>().map_err(|_| {
                HandlerError::Config(format!(
                    "{} must be a whole number of days, not `{v}`",
                    env::RETENTION_DAYS
                ))
            })?,
        };
        Ok(Config {
            policy_bucket: need(env::POLICY_BUCKET)?,
            policy_key: need(env::POLICY_KEY)?,
            ledger_table: need(env::LEDGER_TABLE)?,
            topic_arn: var(env::TOPIC_ARN).filter(|v| !v.trim().is_empty()),
            retention: TimeDelta::days(i64::from(retention)),
            pricing_region: var(env::PRICING_REGION)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| DEFAULT_PRICING_REGION.to_string()),
        })
    }

    /// `s3://bucket/key`.
    pub fn policy_source(&self) -> String {
        format!("s3://{}/{}", self.policy_bucket, self.policy_key)
    }
}

/// How long one invocation may wait on a multi-step change (the function
/// timeout is 900 s): the rest is carried on by a later run.
const INVOCATION_WAITS: std::time::Duration = std::time::Duration::from_secs(12 * 60);

/// What a cold start builds, shared by every invocation of the function.
pub struct Function {
    /// `alarm`, `scheduler` or `budget`.
    pub name: &'static str,
    /// The validated policy, or why there is none (every invocation then
    /// refuses to act).
    pub policy: Result<Policy, String>,
    /// Where the policy came from.
    pub policy_source: String,
    sdk: aws_config::SdkConfig,
    adapters: Adapters,
    ledger: DynamoDbLedger,
    notifier: Option<SnsNotifier>,
    pricing: PricingAdapter,
    prices: SnapshotPriceBook,
    settings: Settings,
    told_invalid: AtomicBool,
}

impl Function {
    /// Builds the function: clients from `sdk`, the policy read from S3
    /// and validated. A policy that cannot be read or is invalid is kept as
    /// its error (logged here), not a failed start: the function then
    /// answers every event by refusing to act, and says why.
    pub async fn cold_start(
        name: &'static str,
        config: &Config,
        sdk: &aws_config::SdkConfig,
    ) -> Self {
        let source = config.policy_source();
        let store = S3PolicyStore::new(sdk);
        let policy = match store.read(&config.policy_bucket, &config.policy_key).await {
            Ok(text) => crate::policy::load_str(&text, &source).map_err(|e| e.to_string()),
            Err(e) => Err(format!("reading {source}: {e}")),
        };
        let policy = policy.and_then(|p| same_region(p, sdk.region().map(|r| r.as_ref())));
        match &policy {
            Ok(p) => tracing::info!(
                function = name,
                policy = %source,
                estate = %p.estate,
                resources = p.resources.len(),
                dry_run = p.guardrails.dry_run,
                "policy loaded"
            ),
            Err(e) => tracing::error!(
                function = name,
                policy = %source,
                error = %e,
                "policy invalid: refusing to act on any event until it is fixed"
            ),
        }
        // The policy's own timeouts on every client from here on (the
        // policy itself was read under the defaults).
        let sdk = match &policy {
            Ok(p) => crate::aws::with_timeouts(sdk, &p.guardrails.timeouts),
            Err(_) => crate::aws::with_timeouts(sdk, &crate::policy::Timeouts::default()),
        };
        let sdk = &sdk;
        Function {
            name,
            policy,
            policy_source: source,
            sdk: sdk.clone(),
            adapters: Adapters::new(sdk),
            ledger: DynamoDbLedger::new(sdk, config.ledger_table.clone(), config.retention),
            notifier: config
                .topic_arn
                .as_ref()
                .map(|arn| SnsNotifier::new(sdk, arn.clone())),
            pricing: PricingAdapter::new(&crate::aws::pricing_config(sdk, &config.pricing_region)),
            prices: SnapshotPriceBook::embedded(),
            settings: Settings {
                // A Lambda lives 15 minutes at most: a multi-step change
                // that needs longer is left to the next run, which finds
                // it under way and waits.
                pace: Pace {
                    poll: std::time::Duration::from_secs(15),
                    timeout: std::time::Duration::from_secs(10 * 60),
                    // Set per invocation (`runner`).
                    deadline: None,
                },
                ..Settings::default()
            },
            told_invalid: AtomicBool::new(false),
        }
    }

    /// Changes the run settings (tests shorten the polling pace).
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The SDK configuration the function was built with (for clients of
    /// its own, e.g. the budget function's Cost Explorer).
    pub fn sdk_config(&self) -> &aws_config::SdkConfig {
        &self.sdk
    }

    /// The AWS services the function observes and acts through.
    pub fn ports(&self) -> crate::observe::Ports<'_> {
        self.adapters.ports()
    }

    /// The ledger, for inspection.
    pub fn ledger(&self) -> &DynamoDbLedger {
        &self.ledger
    }

    /// The prices for one invocation: the Pricing API's answer from the
    /// ledger's cache while fresh, else asked again (see
    /// [`crate::observe::price_book`]); the built-in snapshot for the rest.
    /// Without a valid policy there is nothing to price: the snapshot alone.
    pub async fn price_book(&self, now: DateTime<Utc>) -> LivePriceBook {
        let Ok(policy) = &self.policy else {
            let why = "no valid policy".to_string();
            return LivePriceBook::snapshot_only("", why, false, self.prices.clone());
        };
        let sources = PriceSources {
            api: PriceApi::for_policy(policy, &self.pricing),
            cache: Some(&self.ledger),
            fallback: self.prices.clone(),
        };
        crate::observe::price_book(policy, None, sources, now).await
    }

    /// The prices for one event: the Pricing API's (see
    /// [`Function::price_book`]) only when `has_work` says the policy has
    /// something to do for the event; an event the policy does not answer
    /// (an alarm that drives no rule, a policy without budgets) is priced
    /// on the snapshot alone, without a call.
    pub(super) async fn prices_for(
        &self,
        now: DateTime<Utc>,
        has_work: impl FnOnce(&Policy) -> bool,
    ) -> LivePriceBook {
        match &self.policy {
            Ok(policy) if has_work(policy) => self.price_book(now).await,
            _ => LivePriceBook::snapshot_only(
                "",
                "nothing to price for this event".to_string(),
                false,
                self.prices.clone(),
            ),
        }
    }

    /// The answer of a function whose policy is invalid: it refuses to act.
    pub(super) fn refusal(&self) -> serde_json::Value {
        respond::refused_invalid_policy(
            self.name,
            &self.policy_source,
            self.policy.as_ref().err().map_or("", String::as_str),
        )
    }

    /// A runner for one invocation priced by `prices`, or None when the
    /// policy is invalid (logged, and notified once per cold start).
    async fn runner<'a>(
        &'a self,
        holder: &'a str,
        prices: &'a dyn PriceBook,
        now: DateTime<Utc>,
    ) -> Option<Runner<'a>> {
        match &self.policy {
            Ok(policy) => {
                let mut settings = Settings {
                    deadline: DEADLINE.try_with(|d| *d).ok().or(self.settings.deadline),
                    ..self.settings
                };
                // A Lambda lives 900 s at most: a multi-step change stops
                // waiting well before, leaving time to record and answer.
                if settings.pace.deadline.is_none() {
                    let waits = std::time::Instant::now() + INVOCATION_WAITS;
                    settings.pace.deadline =
                        Some(settings.deadline.map_or(waits, |end| end.min(waits)));
                }
                Some(Runner {
                    policy,
                    ports: self.adapters.ports(),
                    ledger: &self.ledger,
                    notify: self.notifier.as_ref().map(|n| n as &dyn NotifyPort),
                    prices,
                    holder,
                    settings,
                })
            }
            Err(error) => {
                tracing::error!(
                    function = self.name,
                    policy = %self.policy_source,
                    error = %error,
                    "policy invalid: refusing to act"
                );
                if !self.told_invalid.swap(true, Ordering::SeqCst)
                    && let Some(n) = &self.notifier
                {
                    let notice = notify::policy_invalid(self.name, &self.policy_source, error, now);
                    if let Err(e) = n.publish_notice(&notice).await {
                        tracing::warn!(error = %e, "policy-invalid notice not sent");
                    }
                }
                None
            }
        }
    }
}

/// The policy, unless it is for another region than the one this function
/// runs in: its clients observe and act in their own region, so a policy
/// for `eu-west-1` run from `us-east-1` would decide on the wrong estate
/// (and price it wrongly). Refused like an invalid policy, naming both.
fn same_region(policy: Policy, running_in: Option<&str>) -> Result<Policy, String> {
    match running_in {
        Some(here) if here != policy.region => Err(format!(
            "the policy is for region {} (`region:`, us-east-1 when unset) but this function runs in {here}: deploy it in {} or set `region: {here}`",
            policy.region, policy.region
        )),
        _ => Ok(policy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn an_invocation_runs_under_its_lambda_deadline_less_the_margin() {
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        let before = Instant::now();
        // 12 s left on the Lambda's clock: the runs get 2 s of it.
        let seen = within_deadline(now_ms + 12_000, async { DEADLINE.try_with(|d| *d) }).await;
        let Ok(until) = seen else {
            panic!("no deadline inside the invocation");
        };
        let left = until.saturating_duration_since(before);
        assert!(
            left > Duration::from_millis(1500) && left < Duration::from_millis(2100),
            "{left:?}"
        );
        // Outside an invocation there is none (the policy's run limit applies).
        assert!(DEADLINE.try_with(|d| *d).is_err());
        // A deadline already past leaves no time rather than panicking.
        let seen = within_deadline(0, async { DEADLINE.try_with(|d| *d) }).await;
        assert!(seen.is_ok_and(|d| d <= Instant::now()));
    }
}
