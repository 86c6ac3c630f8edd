//! The hourly allowance in the ledger's table: partition `RATE`, one item
//! per slot (`SLOT#00000` … one less than `max_actions_per_hour`), each
//! holding the log entry id of the action that took it (`entry`) and its
//! intent time (`at`, N, epoch ms). A slot is taken with a conditional
//! `PutItem` (absent, or taken an hour or more ago), so of the runs racing
//! for the last slot exactly one wins: the limit holds across concurrent
//! runs, which the history's count alone (read before acting) cannot
//! promise. Items expire a day after their hour.

use chrono::{DateTime, TimeDelta, Utc};

use super::DynamoDbLedger;
use super::codec::{Item, Key, epoch_secs_ceil, expired, n, s};
use super::table::Condition;
use crate::ledger::{ALLOWANCE_WINDOW, LedgerError};

const RATE: &str = "RATE";

impl Key {
    fn slot(i: u32) -> Key {
        Key {
            pk: RATE.to_owned(),
            sk: format!("SLOT#{i:05}"),
        }
    }
}

fn slot_number(item: &Item) -> Option<u32> {
    match item.get("sk") {
        Some(aws_sdk_dynamodb::types::AttributeValue::S(sk)) => {
            sk.strip_prefix("SLOT#")?.parse().ok()
        }
        _ => None,
    }
}

fn millis(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

fn entry_of(item: &Item) -> Option<&str> {
    item.get("entry")?.as_s().ok().map(String::as_str)
}

impl DynamoDbLedger {
    /// See [`crate::ledger::Ledger::take_allowance`]: one consistent read
    /// of the slots, then a conditional write on each that looked free
    /// until one succeeds.
    pub(super) async fn take_slot(
        &self,
        entry: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, LedgerError> {
        let since = (at - ALLOWANCE_WINDOW).timestamp_millis();
        let mut taken = std::collections::BTreeSet::new();
        for item in self.query(RATE, None).await? {
            if expired(&item, at) {
                continue;
            }
            if entry_of(&item) == Some(entry) {
                return Ok(true);
            }
            if let Some(i) = slot_number(&item)
                && millis(&item, "at").is_some_and(|t| t > since)
            {
                taken.insert(i);
            }
        }
        for i in (0..limit).filter(|i| !taken.contains(i)) {
            let item = Item::from([
                ("entry".to_owned(), s(entry)),
                ("at".to_owned(), n(at.timestamp_millis())),
                (
                    "expires_at".to_owned(),
                    n(epoch_secs_ceil(at + ALLOWANCE_WINDOW + TimeDelta::days(1))),
                ),
            ]);
            let condition = Condition::new("attribute_not_exists(#pk) OR #at <= :since")
                .name("#pk", "pk")
                .name("#at", "at")
                .value(":since", n(since));
            if self.put(&Key::slot(i), item, Some(condition)).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// See [`crate::ledger::Ledger::return_allowance`].
    pub(super) async fn return_slot(&self, entry: &str) -> Result<(), LedgerError> {
        for item in self.query(RATE, None).await? {
            if entry_of(&item) != Some(entry) {
                continue;
            }
            if let Some(i) = slot_number(&item) {
                let condition = Condition::new("#entry = :me")
                    .name("#entry", "entry")
                    .value(":me", s(entry));
                // False: the slot lapsed and another action took it.
                self.delete(&Key::slot(i), Some(condition)).await?;
            }
        }
        Ok(())
    }
}
