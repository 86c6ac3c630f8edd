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
//! Every SDK failure goes through [`AwsError::from_sdk`] (service
//! `dynamodb`, the operation, `table/pk/sk`); an item this code cannot read
//! is [`LedgerError::Record`]. SDK types never leave this file.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Utc};

use super::AwsError;
use crate::ledger::{Claim, History, Ledger, LedgerError, LogEntry, PastAction, SpotWarning};
use crate::plan::BudgetLevel;
use crate::policy::{Direction, KnobName};

mod allowance;
mod prices;
mod spot;

const SERVICE: &str = "dynamodb";

/// How long a lease item outlives its `until`: long enough that a run
/// reading it sees a lapsed lease rather than none, short enough to keep
/// the table small.
const LEASE_AFTERLIFE: TimeDelta = TimeDelta::days(1);

/// The window of the action log that [`Ledger::history`] reads besides the
/// clocks: the hourly action limit looks back one hour.
const RECENT: TimeDelta = TimeDelta::hours(1);

type Item = HashMap<String, AttributeValue>;

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

    /// Writes `item` at `key`. False when `condition` failed (the only
    /// refusal a caller expects; every other error is an error).
    async fn put(
        &self,
        key: &Key,
        mut item: Item,
        condition: Option<Condition>,
    ) -> Result<bool, LedgerError> {
        item.insert("pk".to_owned(), s(&key.pk));
        item.insert("sk".to_owned(), s(&key.sk));
        let (expression, names, values) = Condition::split(condition);
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(expression)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(PutItemError::is_conditional_check_failed_exception) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.aws("PutItem", key, e)),
        }
    }

    /// Deletes the item at `key`; false when `condition` failed.
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<bool, LedgerError> {
        let (expression, names, values) = Condition::split(condition);
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key.item()))
            .set_condition_expression(expression)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(DeleteItemError::is_conditional_check_failed_exception) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.aws("DeleteItem", key, e)),
        }
    }

    /// The item at `key`, strongly consistent (a run must see what the run
    /// before it wrote).
    async fn get(&self, key: &Key) -> Result<Option<Item>, LedgerError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.item()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.aws("GetItem", key, e))?;
        Ok(out.item)
    }

    /// Every item of partition `pk` (with `sk >= from` when given), all
    /// pages, strongly consistent.
    async fn query(&self, pk: &str, from: Option<&str>) -> Result<Vec<Item>, LedgerError> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_names("#pk", "pk")
            .expression_attribute_values(":pk", s(pk));
        request = match from {
            Some(from) => request
                .key_condition_expression("#pk = :pk AND #sk >= :from")
                .expression_attribute_names("#sk", "sk")
                .expression_attribute_values(":from", s(from)),
            None => request.key_condition_expression("#pk = :pk"),
        };
        let shown = format!("{}/{pk}", self.table);
        let mut items = request.into_paginator().items().send();
        let mut out = Vec::new();
        while let Some(item) = items.next().await {
            out.push(
                item.map_err(|e| {
                    LedgerError::Aws(AwsError::from_sdk(SERVICE, "Query", &shown, e))
                })?,
            );
        }
        Ok(out)
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

    fn aws<E>(&self, operation: &'static str, key: &Key, err: SdkError<E>) -> LedgerError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let resource = format!("{}/{}", self.table, key.shown());
        LedgerError::Aws(AwsError::from_sdk(SERVICE, operation, &resource, err))
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
        let key = Key::event(event_id);
        let item = Item::from([
            ("holder".to_owned(), s(holder)),
            ("at".to_owned(), n(now.timestamp_millis())),
            ("done".to_owned(), AttributeValue::Bool(false)),
            ("expires_at".to_owned(), n(epoch_secs_ceil(now + keep))),
        ]);
        // Absent, or a run that died holding it (unfinished and older than
        // stale_after), or expired but not deleted yet.
        let condition = Condition::new(
            "attribute_not_exists(#pk) OR (#done = :false AND #at <= :stale) OR #exp <= :now",
        )
        .name("#pk", "pk")
        .name("#done", "done")
        .name("#at", "at")
        .name("#exp", "expires_at")
        .value(":false", AttributeValue::Bool(false))
        .value(":stale", n((now - stale_after).timestamp_millis()))
        .value(":now", n(now.timestamp()));
        Ok(if self.put(&key, item, Some(condition)).await? {
            Claim::Claimed
        } else {
            Claim::Duplicate
        })
    }

    async fn finish_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        let key = Key::event(event_id);
        // The condition also keeps UpdateItem from creating an item when
        // the claim is gone.
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.item()))
            .update_expression("SET #done = :true")
            .condition_expression("#holder = :me")
            .expression_attribute_names("#done", "done")
            .expression_attribute_names("#holder", "holder")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":me", s(holder))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            // Another run took the claim over (this one was too slow): its
            // own finish will mark it.
            Err(e)
                if e.as_service_error()
                    .is_some_and(UpdateItemError::is_conditional_check_failed_exception) =>
            {
                Ok(())
            }
            Err(e) => Err(self.aws("UpdateItem", &key, e)),
        }
    }

    async fn release_event(&self, event_id: &str, holder: &str) -> Result<(), LedgerError> {
        // Only this run's unfinished claim: a finished one keeps answering
        // re-deliveries as duplicates, and another run's is its own.
        let condition = Condition::new("#holder = :me AND #done = :false")
            .name("#holder", "holder")
            .name("#done", "done")
            .value(":me", s(holder))
            .value(":false", AttributeValue::Bool(false));
        self.delete(&Key::event(event_id), Some(condition))
            .await
            .map(drop)
    }

    async fn take_lease(
        &self,
        identifier: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        let key = Key::lease(identifier);
        let item = Item::from([
            ("holder".to_owned(), s(holder)),
            ("until".to_owned(), n(until.timestamp_millis())),
            (
                "expires_at".to_owned(),
                n(epoch_secs_ceil(until + LEASE_AFTERLIFE)),
            ),
        ]);
        // Absent, lapsed (`until <= now`, as LedgerState), or already ours.
        let condition =
            Condition::new("attribute_not_exists(#pk) OR #until <= :now OR #holder = :me")
                .name("#pk", "pk")
                .name("#until", "until")
                .name("#holder", "holder")
                .value(":now", n(now.timestamp_millis()))
                .value(":me", s(holder));
        self.put(&key, item, Some(condition)).await
    }

    async fn release_lease(&self, identifier: &str, holder: &str) -> Result<(), LedgerError> {
        let condition = Condition::new("#holder = :me")
            .name("#holder", "holder")
            .value(":me", s(holder));
        // False: someone else holds it now (ours lapsed), or nobody does.
        self.delete(&Key::lease(identifier), Some(condition))
            .await
            .map(drop)
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

const CLOCKS: &str = "CLOCKS";
const STATE: &str = "STATE";

/// An item's primary key.
struct Key {
    pk: String,
    sk: String,
}

impl Key {
    fn clock(a: &PastAction) -> Key {
        Key {
            pk: CLOCKS.to_owned(),
            sk: format!(
                "{}#{}#{}",
                a.identifier,
                a.knob.as_str(),
                direction_name(a.direction)
            ),
        }
    }

    fn log(entry: &LogEntry) -> Key {
        Key {
            pk: log_pk(entry.intent_at.date_naive()),
            sk: entry.id.clone(),
        }
    }

    fn lease(identifier: &str) -> Key {
        Key {
            pk: format!("LEASE#{identifier}"),
            sk: "LEASE".to_owned(),
        }
    }

    fn event(id: &str) -> Key {
        Key {
            pk: format!("EVENT#{id}"),
            sk: "EVENT".to_owned(),
        }
    }

    fn emergency() -> Key {
        Key {
            pk: STATE.to_owned(),
            sk: "EMERGENCY".to_owned(),
        }
    }

    fn budget(key: &str) -> Key {
        Key {
            pk: STATE.to_owned(),
            sk: format!("BUDGET#{key}"),
        }
    }

    fn item(&self) -> Item {
        Item::from([
            ("pk".to_owned(), s(&self.pk)),
            ("sk".to_owned(), s(&self.sk)),
        ])
    }

    fn shown(&self) -> String {
        format!("{}/{}", self.pk, self.sk)
    }
}

/// A write's condition: the expression with its `#name`s and `:value`s
/// (placeholders throughout, so no attribute name can collide with one of
/// DynamoDB's reserved words: `at`, `until`, `level` are reserved).
struct Condition {
    expression: &'static str,
    names: HashMap<String, String>,
    values: Item,
}

impl Condition {
    fn new(expression: &'static str) -> Self {
        Condition {
            expression,
            names: HashMap::new(),
            values: Item::new(),
        }
    }

    fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names
            .insert(placeholder.to_owned(), attribute.to_owned());
        self
    }

    fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_owned(), value);
        self
    }

    /// The request's three optional fields (DynamoDB refuses empty maps).
    #[allow(clippy::type_complexity)]
    fn split(
        condition: Option<Condition>,
    ) -> (
        Option<String>,
        Option<HashMap<String, String>>,
        Option<Item>,
    ) {
        match condition {
            Some(c) => (
                Some(c.expression.to_owned()),
                (!c.names.is_empty()).then_some(c.names),
                (!c.values.is_empty()).then_some(c.values),
            ),
            None => (None, None, None),
        }
    }
}

fn log_pk(day: NaiveDate) -> String {
    format!("LOG#{}", day.format("%Y-%m-%d"))
}

/// The start of a log entry id written at `t` ([`LogEntry::intent`]).
fn id_prefix(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Fixed width (nine fraction digits, `Z`), so string order is time order
/// and a clock keeps the exact instant of its log entry.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Rounded up: a TTL never ends a record before its time.
fn epoch_secs_ceil(t: DateTime<Utc>) -> i64 {
    let secs = t.timestamp();
    if t.timestamp_subsec_nanos() > 0 {
        secs + 1
    } else {
        secs
    }
}

/// True when the item's TTL has passed: DynamoDB may not have deleted it
/// yet, but it is gone as far as the ledger is concerned.
fn expired(item: &Item, now: DateTime<Utc>) -> bool {
    item.get("expires_at")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|at| at <= now.timestamp())
}

fn direction_name(direction: Option<Direction>) -> &'static str {
    match direction {
        Some(Direction::Up) => "up",
        Some(Direction::Down) => "down",
        None => "none",
    }
}

fn level_name(level: BudgetLevel) -> &'static str {
    match level {
        BudgetLevel::Ok => "ok",
        BudgetLevel::Warn => "warn",
        BudgetLevel::Emergency => "emergency",
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn record(key: &str, why: impl Into<String>) -> LedgerError {
    LedgerError::Record {
        key: key.to_owned(),
        why: why.into(),
    }
}

fn string<'a>(item: &'a Item, name: &str, key: &str) -> Result<&'a str, LedgerError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        Some(other) => Err(record(key, format!("{name} is not a string: {other:?}"))),
        None => Err(record(key, format!("no {name}"))),
    }
}

fn time(item: &Item, name: &str, key: &str) -> Result<DateTime<Utc>, LedgerError> {
    let v = string(item, name, key)?;
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| record(key, format!("{name} {v:?}: {e}")))
}

fn item_key(item: &Item) -> String {
    let part = |k: &str| match item.get(k) {
        Some(AttributeValue::S(v)) => v.as_str(),
        _ => "?",
    };
    format!("{}/{}", part("pk"), part("sk"))
}

fn decode_clock(item: &Item) -> Result<PastAction, LedgerError> {
    let key = item_key(item);
    let knob = string(item, "knob", &key)?;
    let knob: KnobName = serde_json::from_value(serde_json::Value::String(knob.to_owned()))
        .map_err(|e| record(&key, format!("knob {knob:?}: {e}")))?;
    let direction = match string(item, "direction", &key)? {
        "up" => Some(Direction::Up),
        "down" => Some(Direction::Down),
        "none" => None,
        other => return Err(record(&key, format!("direction {other:?}"))),
    };
    Ok(PastAction {
        identifier: string(item, "identifier", &key)?.to_owned(),
        knob,
        direction,
        at: time(item, "at", &key)?,
    })
}

fn decode_entry(item: &Item, pk: &str) -> Result<LogEntry, LedgerError> {
    let key = match item.get("sk") {
        Some(AttributeValue::S(sk)) => format!("{pk}/{sk}"),
        _ => pk.to_owned(),
    };
    let json = string(item, "entry", &key)?;
    serde_json::from_str(json).map_err(|e| record(&key, format!("entry: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn clock_times_are_fixed_width_so_string_order_is_time_order() {
        let a = rfc3339(at("2026-11-23T12:00:00Z"));
        let b = rfc3339(at("2026-11-23T12:00:00.5Z"));
        let c = rfc3339(at("2026-11-23T12:00:01.000000001Z"));
        assert_eq!(a, "2026-11-23T12:00:00.000000000Z");
        assert!(a < b && b < c, "{a} {b} {c}");
        assert_eq!(
            time(&Item::from([("at".into(), s(&c))]), "at", "k").ok(),
            Some(at("2026-11-23T12:00:01.000000001Z"))
        );
    }

    #[test]
    fn ttl_rounds_up_and_expiry_is_inclusive() {
        assert_eq!(epoch_secs_ceil(at("1970-01-01T00:00:10Z")), 10);
        assert_eq!(epoch_secs_ceil(at("1970-01-01T00:00:10.001Z")), 11);
        let item = Item::from([("expires_at".into(), n(10))]);
        assert!(!expired(&item, at("1970-01-01T00:00:09.999Z")));
        assert!(expired(&item, at("1970-01-01T00:00:10Z")));
        assert!(!expired(&Item::new(), at("2100-01-01T00:00:00Z")));
    }

    #[test]
    fn a_clock_item_decodes_and_a_bad_one_names_its_key() {
        let mut item = Item::from([
            ("pk".into(), s(CLOCKS)),
            ("sk".into(), s("db#instance_class#up")),
            ("identifier".into(), s("db")),
            ("knob".into(), s("instance_class")),
            ("direction".into(), s("up")),
            ("at".into(), s("2026-11-23T12:00:00.000000000Z")),
        ]);
        let a = decode_clock(&item).expect("decodes");
        assert_eq!(
            (a.identifier.as_str(), a.knob, a.direction),
            ("db", KnobName::InstanceClass, Some(Direction::Up))
        );
        item.insert("knob".into(), s("warp_drive"));
        match decode_clock(&item) {
            Err(LedgerError::Record { key, why }) => {
                assert_eq!(key, "CLOCKS/db#instance_class#up");
                assert!(why.contains("warp_drive"), "{why}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn budget_level_names_are_the_serde_names() {
        for level in [BudgetLevel::Ok, BudgetLevel::Warn, BudgetLevel::Emergency] {
            assert_eq!(
                serde_json::to_value(level).expect("serialises"),
                serde_json::Value::String(level_name(level).to_owned())
            );
        }
    }
}
