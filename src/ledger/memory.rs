//! A ledger in memory: for tests and one-shot runs.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::{
    Claim, History, Ledger, LedgerError, LedgerState, LimitEpisode, LogEntry, PriceCache,
    SpotWarning,
};
use crate::plan::BudgetLevel;
use crate::pricing::CachedPrices;

/// A [`Ledger`] that lives as long as the process.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    state: Mutex<LedgerState>,
}

impl MemoryLedger {
    /// A ledger starting from `state`.
    pub fn new(state: LedgerState) -> Self {
        MemoryLedger {
            state: Mutex::new(state),
        }
    }

    /// A copy of everything recorded.
    pub fn snapshot(&self) -> LedgerState {
        self.with(|s| s.clone())
    }

    fn with<T>(&self, f: impl FnOnce(&mut LedgerState) -> T) -> T {
        // A panic while holding the lock leaves a state that is still
        // whole (every mutation is a single insert or remove): keep using it.
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

#[async_trait]
impl Ledger for MemoryLedger {
    async fn history(&self, _now: DateTime<Utc>) -> Result<History, LedgerError> {
        Ok(self.with(|s| s.history()))
    }

    async fn claim_event(
        &self,
        event_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        stale_after: TimeDelta,
        keep: TimeDelta,
    ) -> Result<Claim, LedgerError> {
        Ok(self.with(|s| s.claim_event(event_id, holder, now, stale_after, keep)))
    }

    async fn finish_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.with(|s| s.finish_event(event_id, holder));
        Ok(())
    }

    async fn release_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.with(|s| s.release_event(event_id, holder));
        Ok(())
    }

    async fn take_lease(
        &self,
        identifier: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        Ok(self.with(|s| s.take_lease(identifier, holder, now, until)))
    }

    async fn release_lease(&self, identifier: &str, holder: &str) -> Result<(), LedgerError> {
        self.with(|s| s.release_lease(identifier, holder));
        Ok(())
    }

    async fn record_intent(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        self.with(|s| s.record(entry));
        Ok(())
    }

    async fn record_outcome(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        self.with(|s| s.record(entry));
        Ok(())
    }

    async fn take_allowance(
        &self,
        entry: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, LedgerError> {
        Ok(self.with(|s| s.take_allowance(entry, at, limit)))
    }

    async fn return_allowance(&self, entry: &str) -> Result<(), LedgerError> {
        self.with(|s| s.return_allowance(entry));
        Ok(())
    }

    async fn log_since(
        &self,
        since: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, LedgerError> {
        Ok(self.with(|s| s.log_since(since)))
    }

    async fn set_emergency(&self, since: Option<DateTime<Utc>>) -> Result<(), LedgerError> {
        self.with(|s| s.emergency_since = since);
        Ok(())
    }

    async fn set_limit_episode(
        &self,
        episode: &LimitEpisode,
        open: bool,
    ) -> Result<(), LedgerError> {
        self.with(|s| s.set_limit_episode(episode, open));
        Ok(())
    }

    async fn swap_budget_level(
        &self,
        key: &str,
        level: BudgetLevel,
        _now: DateTime<Utc>,
        _keep: TimeDelta,
    ) -> Result<Option<BudgetLevel>, LedgerError> {
        Ok(self.with(|s| s.swap_budget_level(key, level)))
    }

    async fn record_spot_warning(
        &self,
        warning: &SpotWarning,
        _keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        self.with(|s| s.record_spot_warning(warning));
        Ok(())
    }

    async fn spot_warnings(
        &self,
        group: &str,
        since: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<SpotWarning>, LedgerError> {
        Ok(self.with(|s| s.spot_warnings(group, since)))
    }
}

#[async_trait]
impl PriceCache for MemoryLedger {
    async fn cached_prices(&self, region: &str) -> Result<Option<CachedPrices>, LedgerError> {
        Ok(self.with(|s| s.price_caches.get(region).cloned()))
    }

    async fn store_prices(
        &self,
        prices: &CachedPrices,
        _keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        self.with(|s| s.price_caches.insert(prices.region.clone(), prices.clone()));
        Ok(())
    }
}
