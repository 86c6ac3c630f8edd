//! What tidegate did before: the history the guards read (cooldown clocks,
//! the hourly action count, oscillation, storage waiting periods, the budget
//! emergency latch).
//!
//! [`History`] is the decision core's read-only view. Persistent backends
//! (DynamoDB for the Lambdas, a file for the CLI) load it and record into it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::policy::{Direction, KnobName};

/// Past actions and latches, as the guards need them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Actions carried out (not refused, not failed), any order.
    pub actions: Vec<PastAction>,
    /// When the budget emergency profile came into force, while it is.
    pub emergency_since: Option<DateTime<Utc>>,
}

/// One action carried out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastAction {
    /// AWS identifier of the resource.
    pub identifier: String,
    /// Which knob moved.
    pub knob: KnobName,
    /// Which way; None for a reconfiguration (spot mix, ASG min/max,
    /// Serverless v2 minimum) that counts toward the hourly limit only.
    pub direction: Option<Direction>,
    /// When it was carried out.
    pub at: DateTime<Utc>,
}

impl History {
    /// The latest action on `identifier`, optionally only in `direction`.
    pub fn last_change(
        &self,
        identifier: &str,
        direction: Option<Direction>,
    ) -> Option<&PastAction> {
        self.actions
            .iter()
            .filter(|a| a.identifier == identifier)
            .filter(|a| direction.is_none_or(|d| a.direction == Some(d)))
            .max_by_key(|a| a.at)
    }

    /// The latest action on `identifier`'s `knob`.
    pub fn last_knob_change(&self, identifier: &str, knob: KnobName) -> Option<&PastAction> {
        self.actions
            .iter()
            .filter(|a| a.identifier == identifier && a.knob == knob)
            .max_by_key(|a| a.at)
    }

    /// Actions carried out in the hour up to `now` (exclusive of the future).
    pub fn actions_in_hour_before(&self, now: DateTime<Utc>) -> usize {
        let since = now - chrono::TimeDelta::hours(1);
        self.actions
            .iter()
            .filter(|a| a.at > since && a.at <= now)
            .count()
    }

    /// Forgets actions older than `keep` before `now` (they no longer
    /// matter to any guard).
    pub fn prune(&mut self, now: DateTime<Utc>, keep: chrono::TimeDelta) {
        let since = now - keep;
        self.actions.retain(|a| a.at >= since);
    }
}

/// Loading and saving [`History`] as a local JSON file (the CLI's ledger).
pub mod file {
    use std::path::Path;

    use super::History;

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
        #[error("ledger {path} is not valid JSON history: {source}")]
        Parse {
            /// The file.
            path: String,
            /// Where and why.
            source: serde_json::Error,
        },
    }

    /// Reads the history at `path`; an absent file is an empty history.
    pub fn load(path: &Path) -> Result<History, LedgerFileError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|source| LedgerFileError::Parse {
                path: shown,
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(History::default()),
            Err(source) => Err(LedgerFileError::Io {
                path: shown,
                source,
            }),
        }
    }

    /// Writes `history` to `path` atomically (temporary file, then rename),
    /// so an interrupted run never leaves half a ledger.
    pub fn save(path: &Path, history: &History) -> Result<(), LedgerFileError> {
        let io = |source| LedgerFileError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let text =
            serde_json::to_string_pretty(history).map_err(|source| LedgerFileError::Parse {
                path: path.display().to_string(),
                source,
            })?;
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}
