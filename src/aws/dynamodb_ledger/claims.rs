//! Event claims and leases: the writes that Lambdas running at once race
//! for, each a conditional write so exactly one of them wins (an event is
//! handled once; a resource is changed by one run at a time). A claim or
//! a lease that a dead run left behind is taken over once it is stale or
//! lapsed, under the same rules as [`crate::ledger::LedgerState`].

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, TimeDelta, Utc};

use super::DynamoDbLedger;
use super::codec::{Item, Key, epoch_secs_ceil, n, s};
use super::table::Condition;
use crate::ledger::{Claim, LedgerError};

/// How long a lease item outlives its `until`: long enough that a run
/// reading it sees a lapsed lease rather than none, short enough to keep
/// the table small.
const LEASE_AFTERLIFE: TimeDelta = TimeDelta::days(1);

impl DynamoDbLedger {
    pub(super) async fn put_claim(
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

    pub(super) async fn mark_claim_done(
        &self,
        event_id: &str,
        holder: &str,
    ) -> Result<(), LedgerError> {
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

    pub(super) async fn delete_claim(
        &self,
        event_id: &str,
        holder: &str,
    ) -> Result<(), LedgerError> {
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

    pub(super) async fn put_lease(
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

    pub(super) async fn delete_lease(
        &self,
        identifier: &str,
        holder: &str,
    ) -> Result<(), LedgerError> {
        let condition = Condition::new("#holder = :me")
            .name("#holder", "holder")
            .value(":me", s(holder));
        // False: someone else holds it now (ours lapsed), or nobody does.
        self.delete(&Key::lease(identifier), Some(condition))
            .await
            .map(drop)
    }
}
