//! Spot interruption warnings as the ledger keeps them: one record per
//! warning, per Auto Scaling group, so the decision can count them in a
//! sliding window (`crate::spot`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One EC2 spot warning for an instance of a group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SpotWarning {
    /// The Auto Scaling group the instance belongs to.
    pub group: String,
    /// The instance.
    pub instance: String,
    /// Which warning.
    pub kind: SpotWarningKind,
    /// When EC2 sent it (the event's `time`).
    pub at: DateTime<Utc>,
}

/// The two EC2 events that say spot capacity is getting scarce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpotWarningKind {
    /// `EC2 Spot Instance Interruption Warning`: the instance is reclaimed
    /// in two minutes.
    Interruption,
    /// `EC2 Instance Rebalance Recommendation`: the instance is at
    /// elevated risk of interruption.
    Rebalance,
}

impl SpotWarning {
    /// Its key in a group's log: the instant, then the instance, so keys
    /// sort by time and the same warning delivered twice is one record.
    pub fn key(&self) -> String {
        format!(
            "{}#{}",
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            self.instance
        )
    }
}
