//! The CLI's ledger: one JSON file, rewritten whole (temporary file, then
//! rename) after every change, so an interrupted run never leaves half a
//! ledger. One process at a time: two CLIs sharing a file race.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::{Claim, History, Ledger, LedgerError, LedgerState, LogEntry, PriceCache, SpotWarning};
use crate::plan::BudgetLevel;
use crate::pricing::CachedPrices;

/// Why the ledger file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LedgerFileError {
    /// Reading or writing failed.
    #[error("ledger {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a ledger.
    #[error("ledger {path} is not a valid tidegate ledger: {source}")]
    Parse {
        /// The file.
        path: String,
        /// Where and why.
        source: serde_json::Error,
    },
}

/// Reads the ledger at `path`; an absent file is an empty ledger. Files
/// written by earlier versions (history only) read as ledgers without a log.
pub fn load(path: &Path) -> Result<LedgerState, LedgerFileError> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|source| LedgerFileError::Parse {
            path: shown,
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LedgerState::default()),
        Err(source) => Err(LedgerFileError::Io {
            path: shown,
            source,
        }),
    }
}

/// Writes `state` to `path` atomically.
pub fn save(path: &Path, state: &LedgerState) -> Result<(), LedgerFileError> {
    let io = |source| LedgerFileError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(state).map_err(|source| LedgerFileError::Parse {
        path: path.display().to_string(),
        source,
    })?;
    std::fs::write(&tmp, text).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// A [`Ledger`] kept in a JSON file.
#[derive(Debug)]
pub struct FileLedger {
    path: PathBuf,
    state: Mutex<LedgerState>,
}

impl FileLedger {
    /// Opens (or starts) the ledger at `path`, forgetting what is older
    /// than `keep` as of `now`.
    pub fn open(path: &Path, now: DateTime<Utc>, keep: TimeDelta) -> Result<Self, LedgerFileError> {
        let mut state = load(path)?;
        state.prune(now, keep);
        Ok(FileLedger {
            path: path.to_owned(),
            state: Mutex::new(state),
        })
    }

    /// A copy of everything recorded.
    pub fn snapshot(&self) -> LedgerState {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LedgerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `f` and writes the result; a failed write leaves the file
    /// as it was.
    fn change<T>(&self, f: impl FnOnce(&mut LedgerState) -> T) -> Result<T, LedgerError> {
        let mut state = self.lock();
        let out = f(&mut state);
        save(&self.path, &state)?;
        Ok(out)
    }
}

#[async_trait]
impl Ledger for FileLedger {
    async fn history(&self, _now: DateTime<Utc>) -> Result<History, LedgerError> {
        Ok(self.lock().history())
    }

    async fn claim_event(
        &self,
        event_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        stale_after: TimeDelta,
        keep: TimeDelta,
    ) -> Result<Claim, LedgerError> {
        self.change(|s| s.claim_event(event_id, holder, now, stale_after, keep))
    }

    async fn finish_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.change(|s| s.finish_event(event_id, holder))
    }

    async fn release_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.change(|s| s.release_event(event_id, holder))
    }

    async fn take_lease(
        &self,
        identifier: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        self.change(|s| s.take_lease(identifier, holder, now, until))
    }

    async fn release_lease(&self, identifier: &str, holder: &str) -> Result<(), LedgerError> {
        self.change(|s| s.release_lease(identifier, holder))
    }

    async fn record_intent(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        self.change(|s| s.record(entry))
    }

    async fn record_outcome(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        self.change(|s| s.record(entry))
    }

    async fn log_since(
        &self,
        since: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, LedgerError> {
        Ok(self.lock().log_since(since))
    }

    async fn set_emergency(&self, since: Option<DateTime<Utc>>) -> Result<(), LedgerError> {
        self.change(|s| s.emergency_since = since)
    }

    async fn swap_budget_level(
        &self,
        key: &str,
        level: BudgetLevel,
        _now: DateTime<Utc>,
        _keep: TimeDelta,
    ) -> Result<Option<BudgetLevel>, LedgerError> {
        self.change(|s| s.swap_budget_level(key, level))
    }

    async fn record_spot_warning(
        &self,
        warning: &SpotWarning,
        _keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        self.change(|s| s.record_spot_warning(warning))
    }

    async fn spot_warnings(
        &self,
        group: &str,
        since: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<SpotWarning>, LedgerError> {
        Ok(self.lock().spot_warnings(group, since))
    }
}

#[async_trait]
impl PriceCache for FileLedger {
    async fn cached_prices(&self, region: &str) -> Result<Option<CachedPrices>, LedgerError> {
        Ok(self.lock().price_caches.get(region).cloned())
    }

    /// The file keeps one answer per region until replaced (`keep` is for
    /// DynamoDB's TTL).
    async fn store_prices(
        &self,
        prices: &CachedPrices,
        _keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        self.change(|s| {
            s.price_caches.insert(prices.region.clone(), prices.clone());
        })
    }
}
