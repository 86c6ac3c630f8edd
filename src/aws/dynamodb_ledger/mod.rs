//! The [`Ledger`] on DynamoDB, for the Lambdas: the rules of
//! [`crate::ledger::LedgerState`], written as conditional writes so that
//! Lambdas running at once race safely (a lease or an event claim is won by
//! exactly one of them, a cooldown clock never goes back in time).
//!
//! # Table
//!
//! Terraform creates it; tidegate only reads and writes items.
//!
//! | attribute | type | role |
//! | --- | --- | --- |
//! | `pk` | S | partition key |
//! | `sk` | S | sort key |
//! | `expires_at` | N | TTL attribute, epoch seconds |
//!
//! Billing on demand suits it (a few writes per run). DynamoDB deletes an
//! expired item within about 48 hours, so every read and every condition
//! here treats an item whose `expires_at` has passed as absent.
//!
//! # Items
//!
//! | pk | sk | attributes | written by |
//! | --- | --- | --- | --- |
//! | `CLOCKS` | `{identifier}#{knob}#{up\|down\|none}` | `identifier`, `knob`, `direction`, `at` (RFC 3339, UTC, nanoseconds) | `record_outcome` of an applied entry, only if newer |
//! | `LOG#{YYYY-MM-DD}` (UTC day of the intent) | the entry id | `entry` (the [`LogEntry`] as JSON), `open` (BOOL: no outcome yet) | `record_intent` (only if absent), `record_outcome` (overwrites) |
//! | `LEASE#{identifier}` | `LEASE` | `holder`, `until` (N, epoch ms) | `take_lease`, `release_lease` |
//! | `EVENT#{event id}` | `EVENT` | `holder`, `at` (N, epoch ms), `done` (BOOL) | `claim_event`, `finish_event`, `release_event` (deletes an unfinished claim of a failed run) |
//! | `STATE` | `EMERGENCY` | `since` (RFC 3339) | `set_emergency` |
//! | `STATE` | `BUDGET#{key}` | `level` (`ok`, `warn`, `emergency`) | `swap_budget_level` |
//! | `LIMIT` | `{identifier}#{knob}#{ceiling\|floor}` | `episode` (the [`crate::ledger::LimitEpisode`] as JSON) | `set_limit_episode` (see `limits.rs`; closing deletes it) |
//! | `SPOT#{group}` | `{at}#{instance}` (RFC 3339, nine fraction digits) | `warning` (the [`crate::ledger::SpotWarning`] as JSON) | `record_spot_warning` (see `spot.rs`) |
//! | `STATE` | `PRICES#{region}` | `prices` (the [`crate::pricing::CachedPrices`] as JSON) | `store_prices` (see `prices.rs`) |
//! | `RATE` | `SLOT#{n:05}` (0 ≤ n < `max_actions_per_hour`) | `entry` (log entry id), `at` (N, epoch ms) | `take_allowance` (only if free), `return_allowance` (see `allowance.rs`) |
//!
//! `expires_at` is: a clock's `at` + retention; a log entry's `intent_at` +
//! retention; a lease's `until` + 1 day; a claim's `now` + `keep`; a budget
//! level's write time + `keep`; a price cache's fetch time + `keep`; an
//! allowance slot's `at` + 1 hour + 1 day. The emergency latch never
//! expires.
//!
//! Log entry ids begin with the intent's time
//! (`%Y-%m-%dT%H:%M:%S%.6fZ`, see [`LogEntry::intent`]), so a day's
//! partition sorts by time and "entries since t" is a key condition
//! `sk >= t`. Clock times are RFC 3339 with a fixed nine-digit fraction, so
//! "newer" is a string comparison in the condition.
//!
//! The folder: this file holds the ledger's rules (history, the log,
//! clocks, emergency and budget state); `claims.rs` the event claims and
//! leases; `allowance.rs`, `spot.rs`, `prices.rs` their partitions;
//! `table.rs` the table access; `codec.rs` how records are spelled as items.
//!
//! Every SDK failure goes through [`crate::aws::AwsError::from_sdk`] (service
//! `dynamodb`, the operation, `table/pk/sk`); an item this code cannot read
//! is [`LedgerError::Record`]. SDK types never leave this folder.

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::ledger::{
    Claim, History, Ledger, LedgerError, LimitEpisode, LogEntry, PastAction, SpotWarning,
};
use crate::plan::BudgetLevel;
use codec::{
    CLOCKS, Item, Key, decode_clock, decode_entry, direction_name, epoch_secs_ceil, expired,
    id_prefix, level_name, log_pk, n, record, rfc3339, s, string, time,
};
use table::Condition;

mod allowance;
mod claims;
mod codec;
mod limits;
mod prices;
mod spot;
mod table;

const SERVICE: &str = "dynamodb";

/// The window of the action log that [`Ledger::history`] reads besides the
/// clocks: the hourly action limit looks back one hour.
const RECENT: TimeDelta = TimeDelta::hours(1);

/// The ledger in one DynamoDB table (see the module documentation for its
/// schema and items).
#[derive(Debug, Clone)]
pub struct DynamoDbLedger {
    client: Client,
    table: String,
    retention: TimeDelta,
}

impl DynamoDbLedger {
    /// The ledger in `table`, through a client on the shared configuration.
    /// Cooldown clocks and log entries expire `retention` after the action
    /// (it must cover the longest cooldown and the audit period wanted).
    pub fn new(
        config: &aws_config::SdkConfig,
        table: impl Into<String>,
        retention: TimeDelta,
    ) -> Self {
        DynamoDbLedger {
            client: Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
            table: table.into(),
            retention,
        }
    }

    /// The log entries written at or after `from`, from the partitions of
    /// the days `first..=last`, decoded; expired ones left out.
    async fn log_entries(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, LedgerError> {
        let from_id = id_prefix(from);
        let mut entries = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            let pk = log_pk(day);
            for item in self.query(&pk, Some(&from_id)).await? {
                if expired(&item, now) {
                    continue;
                }
                let entry = decode_entry(&item, &pk)?;
                // The sort key holds microseconds; the entry the exact time.
                if entry.intent_at >= from {
                    entries.push(entry);
                }
            }
        }
        Ok(entries)
    }
}

#[async_trait]
impl Ledger for DynamoDbLedger {
    /// The clocks (every resource's latest change per knob and direction),
    /// the applied log entries of the hour before `now` (for the hourly
    /// limit), one action each, and the emergency latch.
    async fn history(&self, now: DateTime<Utc>) -> Result<History, LedgerError> {
        let mut actions: Vec<PastAction> = Vec::new();
        for item in self.query(CLOCKS, None).await? {
            if !expired(&item, now) {
                actions.push(decode_clock(&item)?);
            }
        }
        let since = now - RECENT;
        let recent = self
            .log_entries(since.date_naive(), now.date_naive(), since, now)
            .await?;
        for done in recent.iter().filter_map(LogEntry::past_action) {
            // The latest applied change is both a clock and a log entry.
            if !actions.contains(&done) {
                actions.push(done);
            }
        }
        let emergency_since = match self.get(&Key::emergency()).await? {
            Some(item) => Some(time(&item, "since", &Key::emergency().shown())?),
            None => None,
        };
        Ok(History {
            actions,
            emergency_since,
            at_limit: self.query_limit_episodes().await?,
        })
    }

    async fn claim_event(
        &self,
        event_id: &str,
        holder: &str,
        now: DateTime<Utc>,
        stale_after: TimeDelta,
        keep: TimeDelta,
    ) -> Result<Claim, LedgerError> {
        self.put_claim(event_id, holder, now, stale_after, keep)
            .await
    }

    async fn finish_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.mark_claim_done(event_id, holder).await
    }

    async fn release_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        self.delete_claim(event_id, holder).await
    }

    async fn take_lease(
        &self,
        identifier: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        self.put_lease(identifier, holder, now, until).await
    }

    async fn release_lease(&self, identifier: &str, holder: &str) -> Result<(), LedgerError> {
        self.delete_lease(identifier, holder).await
    }

    async fn take_allowance(
        &self,
        entry: &str,
        at: DateTime<Utc>,
        limit: u32,
    ) -> Result<bool, LedgerError> {
        self.take_slot(entry, at, limit).await
    }

    async fn return_allowance(&self, entry: &str) -> Result<(), LedgerError> {
        self.return_slot(entry).await
    }

    /// Only if absent: a retried write of the same intent must not clobber
    /// an outcome written meanwhile.
    async fn record_intent(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        let (key, item) = self.log_item(entry)?;
        let condition = Condition::new("attribute_not_exists(#pk)").name("#pk", "pk");
        if !self.put(&key, item, Some(condition)).await? {
            tracing::debug!(entry = %entry.id, "Intent already in the ledger; kept.");
        }
        Ok(())
    }

    async fn record_outcome(&self, entry: &LogEntry) -> Result<(), LedgerError> {
        let (key, item) = self.log_item(entry)?;
        self.put(&key, item, None).await?;
        if let Some(done) = entry.past_action() {
            let key = Key::clock(&done);
            let at = rfc3339(done.at);
            let item = Item::from([
                ("identifier".to_owned(), s(&done.identifier)),
                ("knob".to_owned(), s(done.knob.as_str())),
                ("direction".to_owned(), s(direction_name(done.direction))),
                ("at".to_owned(), s(&at)),
                (
                    "expires_at".to_owned(),
                    n(epoch_secs_ceil(done.at + self.retention)),
                ),
            ]);
            // Only if newer: a late outcome of an older action must not
            // move the clock back. Refused means a newer one is there.
            let condition = Condition::new("attribute_not_exists(#pk) OR #at < :at")
                .name("#pk", "pk")
                .name("#at", "at")
                .value(":at", s(&at));
            self.put(&key, item, Some(condition)).await?;
        }
        Ok(())
    }

    /// Reads the day partitions from `since`'s UTC day to today's. The port
    /// has no `now`; the wall clock only bounds which partitions can exist
    /// (nothing is written in the future), and entries older than the
    /// retention have expired, so the scan starts no earlier than that.
    async fn log_since(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, LedgerError> {
        let first = since.max(now - self.retention).date_naive();
        let last = since.max(now).date_naive();
        let mut entries = self.log_entries(first, last, since, now).await?;
        entries.sort_by(|a, b| a.intent_at.cmp(&b.intent_at).then(a.id.cmp(&b.id)));
        Ok(entries)
    }

    async fn set_emergency(&self, since: Option<DateTime<Utc>>) -> Result<(), LedgerError> {
        let key = Key::emergency();
        match since {
            Some(since) => {
                let item = Item::from([("since".to_owned(), s(&rfc3339(since)))]);
                self.put(&key, item, None).await?;
            }
            None => {
                self.delete(&key, None).await?;
            }
        }
        Ok(())
    }

    async fn set_limit_episode(
        &self,
        episode: &LimitEpisode,
        open: bool,
    ) -> Result<(), LedgerError> {
        self.put_limit_episode(episode, open).await
    }

    async fn swap_budget_level(
        &self,
        key: &str,
        level: BudgetLevel,
        now: DateTime<Utc>,
        keep: TimeDelta,
    ) -> Result<Option<BudgetLevel>, LedgerError> {
        let key = Key::budget(key);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.item()))
            .update_expression("SET #level = :level, #exp = :exp")
            .expression_attribute_names("#level", "level")
            .expression_attribute_names("#exp", "expires_at")
            .expression_attribute_values(":level", s(level_name(level)))
            .expression_attribute_values(":exp", n(epoch_secs_ceil(now + keep)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| self.aws("UpdateItem", &key, e))?;
        match out.attributes {
            Some(old) if !old.is_empty() && !expired(&old, now) => {
                let name = string(&old, "level", &key.shown())?;
                let level = serde_json::from_value(serde_json::Value::String(name.to_owned()))
                    .map_err(|e| record(&key.shown(), format!("level {name:?}: {e}")))?;
                Ok(Some(level))
            }
            _ => Ok(None),
        }
    }

    async fn record_spot_warning(
        &self,
        warning: &SpotWarning,
        keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        self.put_spot_warning(warning, keep).await
    }

    async fn spot_warnings(
        &self,
        group: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SpotWarning>, LedgerError> {
        self.query_spot_warnings(group, since, now).await
    }
}

impl DynamoDbLedger {
    /// The log item of `entry`.
    fn log_item(&self, entry: &LogEntry) -> Result<(Key, Item), LedgerError> {
        let key = Key::log(entry);
        let json = serde_json::to_string(entry).map_err(|e| record(&key.shown(), e.to_string()))?;
        let item = Item::from([
            ("entry".to_owned(), s(&json)),
            (
                "open".to_owned(),
                AttributeValue::Bool(entry.outcome.is_none()),
            ),
            (
                "expires_at".to_owned(),
                n(epoch_secs_ceil(entry.intent_at + self.retention)),
            ),
        ]);
        Ok((key, item))
    }
}
