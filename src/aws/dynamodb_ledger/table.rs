//! The table access under the ledger: conditional put and delete, a
//! strongly consistent get and query, and the one place an SDK failure
//! becomes a [`LedgerError`]. What the items mean is the ledger's
//! (`mod.rs`, `claims.rs`, …); how they are spelled is `codec.rs`.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;

use super::codec::{Item, Key, s};
use super::{DynamoDbLedger, SERVICE};
use crate::aws::AwsError;
use crate::ledger::LedgerError;

impl DynamoDbLedger {
    /// Writes `item` at `key`. False when `condition` failed (the only
    /// refusal a caller expects; every other error is an error).
    pub(super) async fn put(
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
    pub(super) async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<bool, LedgerError> {
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
    pub(super) async fn get(&self, key: &Key) -> Result<Option<Item>, LedgerError> {
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
    pub(super) async fn query(
        &self,
        pk: &str,
        from: Option<&str>,
    ) -> Result<Vec<Item>, LedgerError> {
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

    pub(super) fn aws<E>(&self, operation: &'static str, key: &Key, err: SdkError<E>) -> LedgerError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let resource = format!("{}/{}", self.table, key.shown());
        LedgerError::Aws(AwsError::from_sdk(SERVICE, operation, &resource, err))
    }
}

/// A write's condition: the expression with its `#name`s and `:value`s
/// (placeholders throughout, so no attribute name can collide with one of
/// DynamoDB's reserved words: `at`, `until`, `level` are reserved).
pub(super) struct Condition {
    expression: &'static str,
    names: HashMap<String, String>,
    values: Item,
}

impl Condition {
    pub(super) fn new(expression: &'static str) -> Self {
        Condition {
            expression,
            names: HashMap::new(),
            values: Item::new(),
        }
    }

    pub(super) fn name(mut self, placeholder: &str, attribute: &str) -> Self {
        self.names
            .insert(placeholder.to_owned(), attribute.to_owned());
        self
    }

    pub(super) fn value(mut self, placeholder: &str, value: AttributeValue) -> Self {
        self.values.insert(placeholder.to_owned(), value);
        self
    }

    /// The request's three optional fields (DynamoDB refuses empty maps).
    #[allow(clippy::type_complexity)]
    pub(super) fn split(
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
