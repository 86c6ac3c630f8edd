//! The journal beside a ledger file (`<file>.journal`): one JSON line per
//! change, an [`Op`] with every input it needs. Replaying the lines in
//! order over the base file gives the ledger: each op is a pure function of
//! the state and its own inputs, so every process that replays them ends
//! at the same state. Replaying an op on a state that already holds it
//! changes nothing (a crash between a compaction's rename and its
//! truncation of the journal replays ops the base already holds).

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::ledger::{Claim, LedgerState, LimitEpisode, LogEntry, SpotWarning};
use crate::plan::BudgetLevel;
use crate::pricing::CachedPrices;

/// One change to the ledger, as the journal keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(super) enum Op {
    ClaimEvent {
        id: String,
        holder: String,
        now: DateTime<Utc>,
        stale_after_ms: i64,
        keep_ms: i64,
    },
    FinishEvent {
        id: String,
        holder: String,
    },
    ReleaseEvent {
        id: String,
        holder: String,
    },
    TakeLease {
        identifier: String,
        holder: String,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    ReleaseLease {
        identifier: String,
        holder: String,
    },
    Record {
        entry: Box<LogEntry>,
    },
    SetEmergency {
        since: Option<DateTime<Utc>>,
    },
    SwapBudgetLevel {
        key: String,
        level: BudgetLevel,
    },
    SetLimitEpisode {
        episode: LimitEpisode,
        open: bool,
    },
    SpotWarning {
        warning: SpotWarning,
    },
    StorePrices {
        prices: Box<CachedPrices>,
    },
    TakeAllowance {
        entry: String,
        at: DateTime<Utc>,
        limit: u32,
    },
    ReturnAllowance {
        entry: String,
    },
}

/// What an op answered when it was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// A claim's answer.
    Claim(Claim),
    /// A lease or an allowance share: taken or not.
    Taken(bool),
    /// The budget level recorded before.
    Level(Option<BudgetLevel>),
    /// Nothing to answer.
    Done,
}

impl Op {
    /// Applies the op to `s` (the rules are [`LedgerState`]'s).
    pub(super) fn apply(&self, s: &mut LedgerState) -> Answer {
        match self {
            Op::ClaimEvent {
                id,
                holder,
                now,
                stale_after_ms,
                keep_ms,
            } => Answer::Claim(s.claim_event(
                id,
                holder,
                *now,
                TimeDelta::milliseconds(*stale_after_ms),
                TimeDelta::milliseconds(*keep_ms),
            )),
            Op::FinishEvent { id, holder } => {
                s.finish_event(id, holder);
                Answer::Done
            }
            Op::ReleaseEvent { id, holder } => {
                s.release_event(id, holder);
                Answer::Done
            }
            Op::TakeLease {
                identifier,
                holder,
                now,
                until,
            } => Answer::Taken(s.take_lease(identifier, holder, *now, *until)),
            Op::ReleaseLease { identifier, holder } => {
                s.release_lease(identifier, holder);
                Answer::Done
            }
            Op::Record { entry } => {
                s.record(entry);
                Answer::Done
            }
            Op::SetEmergency { since } => {
                s.emergency_since = *since;
                Answer::Done
            }
            Op::SwapBudgetLevel { key, level } => Answer::Level(s.swap_budget_level(key, *level)),
            Op::SetLimitEpisode { episode, open } => {
                s.set_limit_episode(episode, *open);
                Answer::Done
            }
            Op::SpotWarning { warning } => {
                s.record_spot_warning(warning);
                Answer::Done
            }
            Op::StorePrices { prices } => {
                s.price_caches
                    .insert(prices.region.clone(), (**prices).clone());
                Answer::Done
            }
            Op::TakeAllowance { entry, at, limit } => {
                Answer::Taken(s.take_allowance(entry, *at, *limit))
            }
            Op::ReturnAllowance { entry } => {
                s.return_allowance(entry);
                Answer::Done
            }
        }
    }
}

impl Answer {
    /// The claim answered (`Duplicate` for any other answer, the safe side).
    pub(super) fn claim(self) -> Claim {
        match self {
            Answer::Claim(c) => c,
            _ => Claim::Duplicate,
        }
    }

    /// Taken or not (not, for any other answer).
    pub(super) fn taken(self) -> bool {
        matches!(self, Answer::Taken(true))
    }

    /// The level before (None for any other answer).
    pub(super) fn level(self) -> Option<BudgetLevel> {
        match self {
            Answer::Level(l) => l,
            _ => None,
        }
    }
}

/// The ops in `bytes` up to its last newline, and how many bytes that is;
/// what follows the last newline is a line torn by a crash mid-append and
/// is left out. `shown` names the file in errors.
pub(super) fn parse(bytes: &[u8], shown: &str) -> Result<(Vec<Op>, usize), serde_json::Error> {
    let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let mut ops = Vec::new();
    for line in bytes[..complete].split(|b| *b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        ops.push(serde_json::from_slice(line).inspect_err(|e| {
            tracing::error!(journal = shown, error = %e, "Unreadable journal line.");
        })?);
    }
    Ok((ops, complete))
}
