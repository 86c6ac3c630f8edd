//! The CLI's ledger: one JSON file that several `tidegate` processes may
//! share. Every change takes an exclusive lock on a sidecar lock file
//! (`<file>.lock`), reads the file afresh, applies the change and writes
//! the whole file atomically (temporary file, fsync, rename, fsync of the
//! folder) before the lock is let go; so two CLIs racing on one ledger
//! serialise, and neither loses the other's records. Reads take no lock:
//! the rename means a reader sees the file before or after a change,
//! never half of one.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

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

/// Writes `state` to `path` atomically and durably: a temporary file
/// beside it, flushed to disk, renamed over it, and the folder flushed so
/// the rename survives a crash. The caller holds the lock (see
/// [`FileLedger`]); without it two writers could interleave.
pub fn save(path: &Path, state: &LedgerState) -> Result<(), LedgerFileError> {
    let io = |source| LedgerFileError::Io {
        path: path.display().to_string(),
        source,
    };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = sidecar(path, "tmp");
    let text = serde_json::to_vec_pretty(state).map_err(|source| LedgerFileError::Parse {
        path: path.display().to_string(),
        source,
    })?;
    let mut file = File::create(&tmp).map_err(io)?;
    file.write_all(&text).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)?;
    // The rename is durable once the folder's entry is on disk.
    let folder = File::open(dir.unwrap_or_else(|| Path::new("."))).map_err(io)?;
    folder.sync_all().map_err(io)
}

/// `<file>.<suffix>` beside `path` (`ledger.json` → `ledger.json.lock`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

/// A [`Ledger`] kept in a JSON file, safe to share between processes.
#[derive(Debug)]
pub struct FileLedger {
    path: PathBuf,
    lock_path: PathBuf,
    now: DateTime<Utc>,
    keep: TimeDelta,
}

impl FileLedger {
    /// Opens (or starts) the ledger at `path` for a run at `now`; each
    /// change forgets what is older than `keep` as of `now`. Reads the file
    /// once, so an unreadable ledger is an error here rather than midway.
    pub fn open(path: &Path, now: DateTime<Utc>, keep: TimeDelta) -> Result<Self, LedgerFileError> {
        load(path)?;
        Ok(FileLedger {
            path: path.to_owned(),
            lock_path: sidecar(path, "lock"),
            now,
            keep,
        })
    }

    /// Everything recorded, as the file holds it now.
    pub fn snapshot(&self) -> Result<LedgerState, LedgerFileError> {
        load(&self.path)
    }

    /// Under the exclusive lock: reads the file, applies `f`, writes the
    /// result. A failed write leaves the file as it was.
    fn change<T>(&self, f: impl FnOnce(&mut LedgerState) -> T) -> Result<T, LedgerError> {
        let io = |source| LedgerFileError::Io {
            path: self.lock_path.display().to_string(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(io)?;
        // Held for one read-modify-write, never across an await: a few
        // milliseconds, so blocking here is fine.
        lock.lock().map_err(io)?;
        let mut state = load(&self.path)?;
        state.prune(self.now, self.keep);
        let out = f(&mut state);
        save(&self.path, &state)?;
        // Dropping the file lets the lock go (also if the process dies).
        drop(lock);
        Ok(out)
    }

    fn read(&self) -> Result<LedgerState, LedgerError> {
        Ok(load(&self.path)?)
    }
}

#[async_trait]
impl Ledger for FileLedger {
    async fn history(&self, _now: DateTime<Utc>) -> Result<History, LedgerError> {
        Ok(self.read()?.history())
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

    async fn take_allowance(
        &self,
        entry: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, LedgerError> {
        self.change(|s| s.take_allowance(entry, at, limit))
    }

    async fn return_allowance(&self, entry: &str) -> Result<(), LedgerError> {
        self.change(|s| s.return_allowance(entry))
    }

    async fn log_since(
        &self,
        since: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, LedgerError> {
        Ok(self.read()?.log_since(since))
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
        Ok(self.read()?.spot_warnings(group, since))
    }
}

#[async_trait]
impl PriceCache for FileLedger {
    async fn cached_prices(&self, region: &str) -> Result<Option<CachedPrices>, LedgerError> {
        Ok(self.read()?.price_caches.get(region).cloned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::Setting;
    use crate::ledger::{EventRef, LoggedOutcome, LoggedStatus};
    use crate::plan::{Action, Cause};
    use crate::policy::{Direction, KnobName, ResourceKind};

    fn entry(identifier: &str, holder: &str, at: DateTime<Utc>) -> LogEntry {
        let action = Action {
            policy_id: identifier.to_owned(),
            identifier: identifier.to_owned(),
            kind: ResourceKind::RdsInstance,
            knob: KnobName::InstanceClass,
            from: Setting::Class("db.r6g.large".to_owned()),
            to: Setting::Class("db.r6g.xlarge".to_owned()),
            direction: Some(Direction::Up),
            cause: Cause::Rule {
                rule: "cpu".to_owned(),
                alarm: "cpu".to_owned(),
                critical: false,
            },
            reason: "cpu high".to_owned(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
            prices: Vec::new(),
        };
        let event = EventRef {
            source: "cli".to_owned(),
            id: None,
            summary: "tidegate apply".to_owned(),
        };
        LogEntry::intent(&action, &event, holder, at)
    }

    /// Eight "processes" (each its own `FileLedger` on one file, as two
    /// `tidegate apply` would be) write at once: every record of every one
    /// is there afterwards, and the file is whole. Before the lock, each
    /// kept its own copy and the last writer's copy won.
    #[test]
    fn concurrent_writers_on_one_file_lose_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("ledger.json");
        let now = Utc::now();
        let (writers, each) = (8, 12);
        std::thread::scope(|scope| {
            for w in 0..writers {
                let path = path.clone();
                scope.spawn(move || {
                    let ledger = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open");
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async {
                        let holder = format!("cli-{w}");
                        for i in 0..each {
                            let id = format!("db-{w}-{i}");
                            let at = now + TimeDelta::milliseconds(i);
                            let until = at + TimeDelta::minutes(1);
                            assert!(
                                ledger
                                    .take_lease(&id, &holder, at, until)
                                    .await
                                    .expect("lease")
                            );
                            let e = entry(&id, &holder, at);
                            ledger.record_intent(&e).await.expect("intent");
                            let done = e.finished(LoggedOutcome {
                                at,
                                status: LoggedStatus::Applied,
                                detail: "ModifyDBInstance".to_owned(),
                                reconciled: false,
                            });
                            ledger.record_outcome(&done).await.expect("outcome");
                            ledger.release_lease(&id, &holder).await.expect("release");
                        }
                    });
                });
            }
        });
        let state = load(&path).expect("the file is a whole ledger");
        assert_eq!(state.log.len(), writers * each as usize, "log entries");
        assert!(state.log.values().all(|e| e.outcome.is_some()));
        assert_eq!(
            state.actions.len(),
            writers * each as usize,
            "cooldown clocks"
        );
        assert!(state.leases.is_empty(), "{:?}", state.leases);
        assert!(!sidecar(&path, "tmp").exists(), "no temporary file left");
    }

    #[test]
    fn a_change_is_written_through_and_read_by_another_opener() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub").join("ledger.json");
        let now = Utc::now();
        let a = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open a");
        let b = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open b");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let until = now + TimeDelta::minutes(2);
            assert!(a.take_lease("db", "a", now, until).await.expect("a"));
            assert!(
                !b.take_lease("db", "b", now, until).await.expect("b"),
                "b sees a's lease"
            );
        });
    }
}
