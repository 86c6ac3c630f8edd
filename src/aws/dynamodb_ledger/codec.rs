//! How the ledger's records are spelled in the table: item keys, the
//! fixed-width times and TTLs, attribute values, and decoding an item back
//! into a record (an item this code cannot read is [`LedgerError::Record`],
//! naming its key).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::ledger::{LedgerError, LogEntry, PastAction};
use crate::plan::BudgetLevel;
use crate::policy::{Direction, KnobName};

/// One item's attributes.
pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) const CLOCKS: &str = "CLOCKS";
pub(super) const STATE: &str = "STATE";

/// An item's primary key.
pub(super) struct Key {
    pub(super) pk: String,
    pub(super) sk: String,
}

impl Key {
    pub(super) fn clock(a: &PastAction) -> Key {
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

    pub(super) fn log(entry: &LogEntry) -> Key {
        Key {
            pk: log_pk(entry.intent_at.date_naive()),
            sk: entry.id.clone(),
        }
    }

    pub(super) fn lease(identifier: &str) -> Key {
        Key {
            pk: format!("LEASE#{identifier}"),
            sk: "LEASE".to_owned(),
        }
    }

    pub(super) fn event(id: &str) -> Key {
        Key {
            pk: format!("EVENT#{id}"),
            sk: "EVENT".to_owned(),
        }
    }

    pub(super) fn emergency() -> Key {
        Key {
            pk: STATE.to_owned(),
            sk: "EMERGENCY".to_owned(),
        }
    }

    pub(super) fn budget(key: &str) -> Key {
        Key {
            pk: STATE.to_owned(),
            sk: format!("BUDGET#{key}"),
        }
    }

    pub(super) fn item(&self) -> Item {
        Item::from([
            ("pk".to_owned(), s(&self.pk)),
            ("sk".to_owned(), s(&self.sk)),
        ])
    }

    pub(super) fn shown(&self) -> String {
        format!("{}/{}", self.pk, self.sk)
    }
}

pub(super) fn log_pk(day: NaiveDate) -> String {
    format!("LOG#{}", day.format("%Y-%m-%d"))
}

/// The start of a log entry id written at `t` ([`LogEntry::intent`]).
pub(super) fn id_prefix(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Fixed width (nine fraction digits, `Z`), so string order is time order
/// and a clock keeps the exact instant of its log entry.
pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Rounded up: a TTL never ends a record before its time.
pub(super) fn epoch_secs_ceil(t: DateTime<Utc>) -> i64 {
    let secs = t.timestamp();
    if t.timestamp_subsec_nanos() > 0 {
        secs + 1
    } else {
        secs
    }
}

/// True when the item's TTL has passed: DynamoDB may not have deleted it
/// yet, but it is gone as far as the ledger is concerned.
pub(super) fn expired(item: &Item, now: DateTime<Utc>) -> bool {
    item.get("expires_at")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .is_some_and(|at| at <= now.timestamp())
}

pub(super) fn direction_name(direction: Option<Direction>) -> &'static str {
    match direction {
        Some(Direction::Up) => "up",
        Some(Direction::Down) => "down",
        None => "none",
    }
}

pub(super) fn level_name(level: BudgetLevel) -> &'static str {
    match level {
        BudgetLevel::Ok => "ok",
        BudgetLevel::Warn => "warn",
        BudgetLevel::Emergency => "emergency",
    }
}

pub(super) fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn record(key: &str, why: impl Into<String>) -> LedgerError {
    LedgerError::Record {
        key: key.to_owned(),
        why: why.into(),
    }
}

pub(super) fn string<'a>(item: &'a Item, name: &str, key: &str) -> Result<&'a str, LedgerError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        Some(other) => Err(record(key, format!("{name} is not a string: {other:?}"))),
        None => Err(record(key, format!("no {name}"))),
    }
}

pub(super) fn time(item: &Item, name: &str, key: &str) -> Result<DateTime<Utc>, LedgerError> {
    let v = string(item, name, key)?;
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| record(key, format!("{name} {v:?}: {e}")))
}

pub(super) fn item_key(item: &Item) -> String {
    let part = |k: &str| match item.get(k) {
        Some(AttributeValue::S(v)) => v.as_str(),
        _ => "?",
    };
    format!("{}/{}", part("pk"), part("sk"))
}

pub(super) fn decode_clock(item: &Item) -> Result<PastAction, LedgerError> {
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

pub(super) fn decode_entry(item: &Item, pk: &str) -> Result<LogEntry, LedgerError> {
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
