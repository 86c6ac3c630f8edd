//! The CLI's ledger: a JSON file that several `tidegate` processes may
//! share, as a base file (`<file>`, the whole [`LedgerState`]) and an
//! append-only journal beside it (`<file>.journal`, one line per change,
//! see [`journal`]).
//!
//! A change takes an exclusive lock on `<file>.lock`, reads what other
//! processes appended to the journal since this one last looked (only
//! that: a change's cost does not grow with the ledger), applies the
//! change, appends its line and flushes it to disk, then lets the lock go.
//! So two CLIs racing on one ledger serialise, and neither loses the
//! other's records. When the journal outgrows the base, it is compacted:
//! the whole state is written to the base atomically (temporary file,
//! fsync, rename, fsync of the folder) and the journal emptied; that write
//! is paid for by the appends before it. Reads take the lock shared. A line
//! torn by a crash mid-append is ignored, and cut before the next append.

mod journal;

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use self::journal::{Answer, Op};
use super::{
    Claim, History, Ledger, LedgerError, LedgerState, LimitEpisode, LogEntry, PriceCache,
    SpotWarning,
};
use crate::plan::BudgetLevel;
use crate::pricing::CachedPrices;

/// The journal is compacted once it is longer than the base and than this.
const COMPACT_AFTER_BYTES: u64 = 64 * 1024;

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

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> LedgerFileError + '_ {
    move |source| LedgerFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Reads the base file at `path` alone; an absent file is an empty
/// ledger. Files written by earlier versions (history only) read as
/// ledgers without a log.
fn load_base(path: &Path) -> Result<LedgerState, LedgerFileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|source| LedgerFileError::Parse {
            path: path.display().to_string(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LedgerState::default()),
        Err(source) => Err(io_error(path)(source)),
    }
}

/// Reads the ledger at `path`: the base file with its journal replayed.
/// An absent ledger is an empty one.
pub fn load(path: &Path) -> Result<LedgerState, LedgerFileError> {
    let mut state = load_base(path)?;
    let journal = sidecar(path, "journal");
    let bytes = match std::fs::read(&journal) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(io_error(&journal)(source)),
    };
    let shown = journal.display().to_string();
    let (ops, _) = journal::parse(&bytes, &shown).map_err(|source| LedgerFileError::Parse {
        path: shown,
        source,
    })?;
    for op in &ops {
        op.apply(&mut state);
    }
    Ok(state)
}

/// Writes `state` to `path` atomically and durably: a temporary file
/// beside it, flushed to disk, renamed over it, and the folder flushed so
/// the rename survives a crash. The caller holds the lock (see
/// [`FileLedger`]); without it two writers could interleave.
pub fn save(path: &Path, state: &LedgerState) -> Result<(), LedgerFileError> {
    let io = io_error(path);
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(&io)?;
    }
    let tmp = sidecar(path, "tmp");
    let text = serde_json::to_vec_pretty(state).map_err(|source| LedgerFileError::Parse {
        path: path.display().to_string(),
        source,
    })?;
    let mut file = File::create(&tmp).map_err(&io)?;
    file.write_all(&text).map_err(&io)?;
    file.sync_all().map_err(&io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(&io)?;
    // The rename is durable once the folder's entry is on disk.
    let folder = File::open(dir.unwrap_or_else(|| Path::new("."))).map_err(&io)?;
    folder.sync_all().map_err(&io)
}

/// `<file>.<suffix>` beside `path` (`ledger.json` → `ledger.json.lock`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

/// Which base file was read: a compaction renames a new one into place.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

fn stamp(path: &Path) -> Result<Option<Stamp>, LedgerFileError> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some(Stamp {
            len: m.len(),
            modified: m.modified().ok(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&m),
            #[cfg(not(unix))]
            inode: 0,
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(io_error(path)(source)),
    }
}

/// This process's copy of the ledger, and how much of the files it holds.
#[derive(Debug, Default)]
struct Cache {
    state: LedgerState,
    /// The base file read, once read.
    base: Option<Option<Stamp>>,
    /// Journal bytes applied to `state`.
    offset: u64,
    /// Bytes after `offset` that are a torn line.
    torn: bool,
}

/// A [`Ledger`] kept in a JSON file and its journal, safe to share
/// between processes.
#[derive(Debug)]
pub struct FileLedger {
    path: PathBuf,
    journal: PathBuf,
    lock_path: PathBuf,
    now: DateTime<Utc>,
    keep: TimeDelta,
    cache: Mutex<Cache>,
}

impl FileLedger {
    /// Opens (or starts) the ledger at `path` for a run at `now`;
    /// compactions forget what is older than `keep` as of `now`. Reads the
    /// ledger once, so an unreadable one is an error here rather than
    /// midway.
    pub fn open(path: &Path, now: DateTime<Utc>, keep: TimeDelta) -> Result<Self, LedgerFileError> {
        let ledger = FileLedger {
            path: path.to_owned(),
            journal: sidecar(path, "journal"),
            lock_path: sidecar(path, "lock"),
            now,
            keep,
            cache: Mutex::new(Cache::default()),
        };
        let mut cache = ledger.cache();
        let lock = ledger.lock(false)?;
        ledger.sync(&mut cache)?;
        drop(lock);
        drop(cache);
        Ok(ledger)
    }

    /// Everything recorded, as the files hold it now.
    pub fn snapshot(&self) -> Result<LedgerState, LedgerFileError> {
        load(&self.path)
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        // A panic while holding it leaves a copy the next sync corrects.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The lock file, locked (shared or exclusive); dropping it unlocks
    /// (also when the process dies).
    fn lock(&self, exclusive: bool) -> Result<File, LedgerFileError> {
        let io = io_error(&self.lock_path);
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(&io)?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(&io)?;
        // Held for one change or read, never across an await: a few
        // milliseconds, so blocking here is fine.
        if exclusive {
            lock.lock().map_err(&io)?;
        } else {
            lock.lock_shared().map_err(&io)?;
        }
        Ok(lock)
    }

    /// Brings `cache` up to the files: the base again if it was replaced
    /// (a compaction), then the journal lines appended since. The caller
    /// holds the lock.
    fn sync(&self, cache: &mut Cache) -> Result<(), LedgerFileError> {
        let base = stamp(&self.path)?;
        if cache.base.as_ref() != Some(&base) {
            *cache = Cache {
                state: load_base(&self.path)?,
                base: Some(base),
                offset: 0,
                torn: false,
            };
        }
        let io = io_error(&self.journal);
        let mut file = match File::open(&self.journal) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                cache.offset = 0;
                cache.torn = false;
                return Ok(());
            }
            Err(source) => return Err(io(source)),
        };
        if file.metadata().map_err(&io)?.len() < cache.offset {
            // Emptied by a compaction whose base this copy already had.
            cache.offset = 0;
        }
        file.seek(SeekFrom::Start(cache.offset)).map_err(&io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(&io)?;
        let shown = self.journal.display().to_string();
        let (ops, used) =
            journal::parse(&bytes, &shown).map_err(|source| LedgerFileError::Parse {
                path: shown,
                source,
            })?;
        for op in &ops {
            op.apply(&mut cache.state);
        }
        cache.offset += used as u64;
        cache.torn = used < bytes.len();
        Ok(())
    }

    /// Under the exclusive lock: catches up with the files, applies `op`,
    /// appends it to the journal (flushed to disk before the lock goes),
    /// and compacts when the journal has outgrown the base.
    fn change(&self, op: Op) -> Result<Answer, LedgerError> {
        let mut cache = self.cache();
        let lock = self.lock(true)?;
        self.sync(&mut cache)?;
        let io = io_error(&self.journal);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.journal)
            .map_err(&io)?;
        if cache.torn {
            // A crash mid-append left half a line: cut it, so this line
            // starts on its own.
            file.set_len(cache.offset).map_err(&io)?;
            cache.torn = false;
        }
        let mut line = serde_json::to_vec(&op).map_err(|source| LedgerFileError::Parse {
            path: self.journal.display().to_string(),
            source,
        })?;
        line.push(b'\n');
        file.write_all(&line).map_err(&io)?;
        file.sync_data().map_err(&io)?;
        let answer = op.apply(&mut cache.state);
        cache.offset += line.len() as u64;
        let base_len = cache.base.clone().flatten().map_or(0, |s| s.len);
        if cache.offset > base_len.max(COMPACT_AFTER_BYTES) {
            self.compact(&mut cache, &file)?;
        }
        drop(lock);
        Ok(answer)
    }

    /// Writes the whole state to the base and empties the journal (the
    /// lock held). A crash between the two replays ops the base already
    /// holds, which changes nothing.
    fn compact(&self, cache: &mut Cache, journal: &File) -> Result<(), LedgerFileError> {
        cache.state.prune(self.now, self.keep);
        save(&self.path, &cache.state)?;
        let io = io_error(&self.journal);
        journal.set_len(0).map_err(&io)?;
        journal.sync_all().map_err(&io)?;
        cache.base = Some(stamp(&self.path)?);
        cache.offset = 0;
        Ok(())
    }

    /// Under the shared lock: the state, caught up with the files.
    fn read<T>(&self, f: impl FnOnce(&LedgerState) -> T) -> Result<T, LedgerError> {
        let mut cache = self.cache();
        let lock = self.lock(false)?;
        self.sync(&mut cache)?;
        drop(lock);
        Ok(f(&cache.state))
    }
}

#[async_trait]
impl Ledger for FileLedger {
    async fn history(&self, _now: DateTime<Utc>) -> Result<History, LedgerError> {
        self.read(LedgerState::history)
    }

    async fn claim_event(
        &self,
        event_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        stale_after: TimeDelta,
        keep: TimeDelta,
    ) -> Result<Claim, LedgerError> {
        let op = Op::ClaimEvent {
            id: event_id.to_owned(),
            holder: holder.to_owned(),
            now,
            stale_after_ms: stale_after.num_milliseconds(),
            keep_ms: keep.num_milliseconds(),
        };
        Ok(self.change(op)?.claim())
    }

    async fn finish_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.change(Op::FinishEvent {
            id: event_id.to_owned(),
            holder: holder.to_owned(),
        })
        .map(drop)
    }

    async fn release_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.change(Op::ReleaseEvent {
            id: event_id.to_owned(),
            holder: holder.to_owned(),
        })
        .map(drop)
    }

    async fn take_lease(
        &self,
        identifier: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        let op = Op::TakeLease {
            identifier: identifier.to_owned(),
            holder: holder.to_owned(),
            now,
            until,
        };
        Ok(self.change(op)?.taken())
    }

    async fn release_lease(&self, identifier: &str, holder: &str) -> Result<(), LedgerError> {
        self.change(Op::ReleaseLease {
            identifier: identifier.to_owned(),
            holder: holder.to_owned(),
        })
        .map(drop)
    }

    async fn record_intent(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        self.change(Op::Record {
            entry: Box::new(entry.clone()),
        })
        .map(drop)
    }

    async fn record_outcome(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        self.change(Op::Record {
            entry: Box::new(entry.clone()),
        })
        .map(drop)
    }

    async fn take_allowance(
        &self,
        entry: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, LedgerError> {
        let op = Op::TakeAllowance {
            entry: entry.to_owned(),
            at,
            limit,
        };
        Ok(self.change(op)?.taken())
    }

    async fn return_allowance(&self, entry: &str) -> Result<(), LedgerError> {
        self.change(Op::ReturnAllowance {
            entry: entry.to_owned(),
        })
        .map(drop)
    }

    async fn log_since(
        &self,
        since: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, LedgerError> {
        self.read(|s| s.log_since(since))
    }

    async fn set_emergency(&self, since: Option<DateTime<Utc>>) -> Result<(), LedgerError> {
        self.change(Op::SetEmergency { since }).map(drop)
    }

    async fn set_limit_episode(
        &self,
        episode: &LimitEpisode,
        open: bool,
    ) -> Result<(), LedgerError> {
        let op = Op::SetLimitEpisode {
            episode: episode.clone(),
            open,
        };
        self.change(op).map(drop)
    }

    async fn swap_budget_level(
        &self,
        key: &str,
        level: BudgetLevel,
        _now: DateTime<Utc>,
        _keep: TimeDelta,
    ) -> Result<Option<BudgetLevel>, LedgerError> {
        let op = Op::SwapBudgetLevel {
            key: key.to_owned(),
            level,
        };
        Ok(self.change(op)?.level())
    }

    async fn record_spot_warning(
        &self,
        warning: &SpotWarning,
        _keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        self.change(Op::SpotWarning {
            warning: warning.clone(),
        })
        .map(drop)
    }

    async fn spot_warnings(
        &self,
        group: &str,
        since: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> Result<Vec<SpotWarning>, LedgerError> {
        self.read(|s| s.spot_warnings(group, since))
    }
}

#[async_trait]
impl PriceCache for FileLedger {
    async fn cached_prices(&self, region: &str) -> Result<Option<CachedPrices>, LedgerError> {
        self.read(|s| s.price_caches.get(region).cloned())
    }

    /// The file keeps one answer per region until replaced (`keep` is for
    /// DynamoDB's TTL).
    async fn store_prices(
        &self,
        prices: &CachedPrices,
        _keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        self.change(Op::StorePrices {
            prices: Box::new(prices.clone()),
        })
        .map(drop)
    }
}

#[cfg(test)]
mod tests;
