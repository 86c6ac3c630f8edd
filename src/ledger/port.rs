//! The ledger's port: what a run reads and records, whatever keeps it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{History, LimitEpisode, LogEntry, SpotWarning};
use crate::plan::BudgetLevel;
use crate::ports::AwsError;
use crate::pricing::CachedPrices;

/// Why the ledger could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The DynamoDB call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The local ledger file could not be used.
    #[error(transparent)]
    File(#[from] super::file::LedgerFileError),
    /// A stored record is not what this version of tidegate wrote.
    #[error("ledger record {key} is unreadable: {why}")]
    Record {
        /// The record's key.
        key: String,
        /// What is wrong with it.
        why: String,
    },
}

/// The answer to claiming an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This run owns the event: go on.
    Claimed,
    /// Another run handled it, or is handling it now: do nothing.
    Duplicate,
}

/// Where cooldown clocks, the action log, leases, idempotency records and
/// budget latches are kept. Every write that two runs could race on is
/// conditional: a lease or a claim is won by exactly one of them.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// The history the guards read: every resource's latest change per knob
    /// and direction, every change of the last hour (for the hourly limit),
    /// and the budget emergency latch.
    async fn history(&self, now: DateTime<Utc>) -> Result<History, LedgerError>;

    /// Claims event `event_id` for `holder`. The first claim wins; a claim
    /// that finished, or is younger than `stale_after`, makes this one a
    /// [`Claim::Duplicate`]. A claim older than that whose run never
    /// finished (it died) is taken over. The record expires after `keep`.
    async fn claim_event(
        &self,
        event_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        stale_after: chrono::TimeDelta,
        keep: chrono::TimeDelta,
    ) -> Result<Claim, LedgerError>;

    /// Marks `event_id` handled, so a re-delivery is a duplicate until the
    /// record expires.
    async fn finish_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError>;

    /// Gives up `holder`'s unfinished claim on `event_id` (its run failed),
    /// so the retry that follows is claimed and run again rather than
    /// answered as a duplicate. A finished claim, or another holder's, is
    /// left as it is.
    async fn release_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError>;

    /// Takes the lease on the resource `identifier` for `holder` until
    /// `until`. False when another holder's lease is still live. Taking a
    /// lease one already holds extends it.
    async fn take_lease(
        &self,
        identifier: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, LedgerError>;

    /// Gives the lease back, if `holder` still holds it.
    async fn release_lease(&self, identifier: &str, holder: &str) -> Result<(), LedgerError>;

    /// Writes an intent (an entry without an outcome) before its AWS call.
    async fn record_intent(&self, entry: &LogEntry) -> Result<(), LedgerError>;

    /// Writes `entry`'s outcome over its intent; an applied one also sets
    /// the resource's cooldown clock.
    async fn record_outcome(&self, entry: &LogEntry) -> Result<(), LedgerError>;

    /// Takes one action's share of the hourly allowance for the log entry
    /// `entry` (its intent time `at`): true when fewer than `limit` shares
    /// were taken in the hour before `at`, by this run or any other. The
    /// allowance is `limit` slots, each taken by a conditional write and
    /// free again an hour after, so runs racing for it never take more
    /// than `limit` between them in any rolling hour. Taking again for an
    /// `entry` that holds a share keeps it (true).
    async fn take_allowance(
        &self,
        entry: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, LedgerError>;

    /// Gives back the share `entry` took: its change was not carried out
    /// (skipped, already in effect, failed), so the hourly count follows
    /// what AWS did.
    async fn return_allowance(&self, entry: &str) -> Result<(), LedgerError>;

    /// Entries written at or after `since` (up to `now`), oldest first.
    async fn log_since(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, LedgerError>;

    /// Sets (Some) or clears (None) the budget emergency latch.
    async fn set_emergency(&self, since: Option<DateTime<Utc>>) -> Result<(), LedgerError>;

    /// Opens (`open`) or closes an at-ceiling / at-floor episode, so that
    /// [`Ledger::history`] lists the open ones with when each began.
    async fn set_limit_episode(
        &self,
        episode: &LimitEpisode,
        open: bool,
    ) -> Result<(), LedgerError>;

    /// Records that budget `key` (a period and its start, e.g.
    /// `daily#2026-11-23`) stands at `level`, and returns the level
    /// recorded before (None the first time), so a warning is sent once
    /// per period and level, not every hour. The record expires `keep`
    /// after `now`.
    async fn swap_budget_level(
        &self,
        key: &str,
        level: BudgetLevel,
        now: DateTime<Utc>,
        keep: chrono::TimeDelta,
    ) -> Result<Option<BudgetLevel>, LedgerError>;

    /// Records a spot warning for its group; the same warning again (same
    /// group, instance and instant) is one record. It may be forgotten
    /// `keep` after it was sent.
    async fn record_spot_warning(
        &self,
        warning: &SpotWarning,
        keep: chrono::TimeDelta,
    ) -> Result<(), LedgerError>;

    /// The warnings for `group` sent at or after `since` (and not expired
    /// at `now`), oldest first.
    async fn spot_warnings(
        &self,
        group: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SpotWarning>, LedgerError>;
}

/// Where the Price List API's last answer per region is kept between runs
/// (beside the ledger's records: the same table, the same file), so a run
/// asks the API only when that answer is older than the policy's
/// `prices.cache_ttl`, and has it to fall back on when the API cannot be
/// reached.
#[async_trait]
pub trait PriceCache: Send + Sync {
    /// The answer kept for `region`, if any (of any age: the caller judges
    /// freshness).
    async fn cached_prices(&self, region: &str) -> Result<Option<CachedPrices>, LedgerError>;

    /// Replaces the answer kept for `prices.region`. The record may be
    /// deleted `keep` after it was fetched.
    async fn store_prices(
        &self,
        prices: &CachedPrices,
        keep: chrono::TimeDelta,
    ) -> Result<(), LedgerError>;
}
