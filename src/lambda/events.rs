//! The events the Lambdas are invoked with, as AWS delivers them, read into
//! what tidegate needs: which alarm changed to which state, and an id that
//! makes a re-delivery recognisable.
//!
//! An alarm's change reaches the alarm function in one of three shapes:
//! the EventBridge "CloudWatch Alarm State Change" event, the payload
//! CloudWatch sends when the alarm's action is the Lambda itself, and an SNS
//! notification whose message is the alarm. All three name the state
//! change's timestamp, so the id is the change itself
//! (`alarm/NAME/STATE/TIMESTAMP`): the same change delivered twice, or
//! through two routes, is handled once.

use aws_lambda_events::event::cloudwatch_alarms::{CloudWatchAlarm, CloudWatchAlarmStateValue};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::sns::SnsEvent;
use serde::Deserialize;
use serde_json::Value;

use chrono::{DateTime, Utc};

use crate::ledger::SpotWarningKind;
use crate::signals::AlarmState;

/// An event the function cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unrecognised {function} event: {why}")]
pub struct EventError {
    /// The function that received it.
    pub function: &'static str,
    /// What was wrong.
    pub why: String,
}

/// One alarm state change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmChange {
    /// Identifies this state change, whichever route delivered it.
    pub id: String,
    /// The alarm's name.
    pub alarm: String,
    /// Its new state.
    pub state: AlarmState,
    /// CloudWatch's reason, for the log.
    pub reason: String,
    /// The shape it came in: `eventbridge`, `lambda-action` or `sns`.
    pub via: &'static str,
    /// When the alarm entered `state`, as the event says (None when it
    /// says nothing readable): a redelivery can be an hour old.
    pub at: Option<DateTime<Utc>>,
}

/// The detail of an EventBridge "CloudWatch Alarm State Change" event
/// (aws_lambda_events has the envelope, not this detail).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmDetail {
    alarm_name: String,
    state: DetailState,
}

#[derive(Debug, Deserialize)]
struct DetailState {
    value: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    timestamp: Option<String>,
}

/// The message of an SNS notification from a CloudWatch alarm.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsAlarmMessage {
    alarm_name: String,
    new_state_value: String,
    #[serde(default)]
    new_state_reason: String,
    #[serde(default)]
    state_change_time: Option<String>,
}

fn error(function: &'static str, why: impl Into<String>) -> EventError {
    EventError {
        function,
        why: why.into(),
    }
}

fn state(function: &'static str, value: &str) -> Result<AlarmState, EventError> {
    match value {
        "ALARM" => Ok(AlarmState::Alarm),
        "OK" => Ok(AlarmState::Ok),
        "INSUFFICIENT_DATA" => Ok(AlarmState::InsufficientData),
        other => Err(error(function, format!("alarm state `{other}`"))),
    }
}

fn change_id(alarm: &str, state: AlarmState, at: Option<&str>, fallback: &str) -> String {
    match at {
        Some(t) if !t.is_empty() => format!("alarm/{alarm}/{state:?}/{t}"),
        _ => format!("alarm/{alarm}/{state:?}/{fallback}"),
    }
}

/// The alarm changes an alarm-function event carries (an SNS event may
/// carry several records).
pub fn alarm_changes(event: &Value) -> Result<Vec<AlarmChange>, EventError> {
    const F: &str = "alarm";
    if event.get("Records").is_some() {
        let sns: SnsEvent = serde_json::from_value(event.clone())
            .map_err(|e| error(F, format!("an SNS event that does not parse: {e}")))?;
        return sns
            .records
            .iter()
            .map(|r| {
                let m: SnsAlarmMessage = serde_json::from_str(&r.sns.message).map_err(|e| {
                    error(
                        F,
                        format!(
                            "SNS message {} is not a CloudWatch alarm: {e}",
                            r.sns.message_id
                        ),
                    )
                })?;
                let s = state(F, &m.new_state_value)?;
                Ok(AlarmChange {
                    id: change_id(
                        &m.alarm_name,
                        s,
                        m.state_change_time.as_deref(),
                        &r.sns.message_id,
                    ),
                    alarm: m.alarm_name,
                    state: s,
                    reason: m.new_state_reason,
                    via: "sns",
                    at: m.state_change_time.as_deref().and_then(alarm_time),
                })
            })
            .collect();
    }
    if event.get("detail-type").is_some() {
        let eb: EventBridgeEvent<Value> = serde_json::from_value(event.clone())
            .map_err(|e| error(F, format!("an EventBridge event that does not parse: {e}")))?;
        if eb.detail_type != "CloudWatch Alarm State Change" {
            return Err(error(
                F,
                format!(
                    "EventBridge detail-type `{}` (expected `CloudWatch Alarm State Change`)",
                    eb.detail_type
                ),
            ));
        }
        let d: AlarmDetail = serde_json::from_value(eb.detail)
            .map_err(|e| error(F, format!("alarm state change detail: {e}")))?;
        let s = state(F, &d.state.value)?;
        let at = d.state.timestamp.as_deref().and_then(alarm_time);
        return Ok(vec![AlarmChange {
            id: change_id(
                &d.alarm_name,
                s,
                d.state.timestamp.as_deref(),
                eb.id.as_deref().unwrap_or_default(),
            ),
            alarm: d.alarm_name,
            state: s,
            reason: d.state.reason,
            via: "eventbridge",
            at,
        }]);
    }
    if event.get("alarmData").is_some() {
        // The timestamps of this payload are `…+0000`, which the typed
        // struct's chrono fields refuse: read the typed parts we need and
        // keep the raw timestamp for the id.
        let raw_time = event
            .pointer("/alarmData/state/timestamp")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut typed = event.clone();
        strip_times(&mut typed);
        let cw: CloudWatchAlarm = serde_json::from_value(typed).map_err(|e| {
            error(
                F,
                format!("an alarm action payload that does not parse: {e}"),
            )
        })?;
        let st = cw
            .alarm_data
            .state
            .ok_or_else(|| error(F, "an alarm action payload without a state"))?;
        let s = match st.value {
            CloudWatchAlarmStateValue::Alarm => AlarmState::Alarm,
            CloudWatchAlarmStateValue::Ok => AlarmState::Ok,
            CloudWatchAlarmStateValue::InsufficientData => AlarmState::InsufficientData,
        };
        let alarm = cw.alarm_data.alarm_name;
        return Ok(vec![AlarmChange {
            id: change_id(
                &alarm,
                s,
                raw_time.as_deref(),
                cw.alarm_arn.as_deref().unwrap_or_default(),
            ),
            alarm,
            state: s,
            reason: st.reason,
            via: "lambda-action",
            at: raw_time.as_deref().and_then(alarm_time),
        }]);
    }
    Err(error(
        F,
        "neither an EventBridge alarm state change, an alarm action payload, nor an SNS notification",
    ))
}

/// An alarm timestamp as CloudWatch writes it (`2026-11-23T09:59:58.000+0000`),
/// or RFC 3339; None when it is neither.
fn alarm_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Replaces the payload's timestamps (which tidegate does not read) with
/// ones chrono parses, so the typed struct accepts AWS's `+0000` offsets.
fn strip_times(v: &mut Value) {
    const EPOCH: &str = "1970-01-01T00:00:00Z";
    if let Some(t) = v.get_mut("time") {
        *t = Value::from(EPOCH);
    }
    for state in ["state", "previousState"] {
        if let Some(t) = v.pointer_mut(&format!("/alarmData/{state}/timestamp")) {
            *t = Value::from(EPOCH);
        }
        // Reason data is a JSON string tidegate does not need.
        if let Some(obj) = v
            .pointer_mut(&format!("/alarmData/{state}"))
            .and_then(Value::as_object_mut)
        {
            obj.remove("reasonData");
        }
    }
}

/// What invoked the budget function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetInvocation {
    /// The event id (EventBridge id, SNS message id), if any.
    pub id: Option<String>,
    /// In words, for the log.
    pub why: String,
}

/// Reads a budget-function event: the hourly EventBridge schedule, or an
/// AWS Budgets notification over SNS (whose text is not parsed: it is a
/// reason to look at spend now, and Cost Explorer says what it is).
pub fn budget_invocation(event: &Value) -> Result<BudgetInvocation, EventError> {
    const F: &str = "budget";
    if event.get("Records").is_some() {
        let sns: SnsEvent = serde_json::from_value(event.clone())
            .map_err(|e| error(F, format!("an SNS event that does not parse: {e}")))?;
        let first = sns
            .records
            .first()
            .ok_or_else(|| error(F, "an SNS event without records"))?;
        return Ok(BudgetInvocation {
            id: Some(format!("sns/{}", first.sns.message_id)),
            why: format!(
                "AWS Budgets notification: {}",
                first.sns.subject.as_deref().unwrap_or("(no subject)")
            ),
        });
    }
    Ok(BudgetInvocation {
        id: scheduled_id(event),
        why: "hourly budget check".to_owned(),
    })
}

/// The id of an EventBridge scheduled event, if the event is one.
pub fn scheduled_id(event: &Value) -> Option<String> {
    let eb: EventBridgeEvent<Value> = serde_json::from_value(event.clone()).ok()?;
    eb.id.map(|id| format!("schedule/{id}"))
}

/// One EC2 spot warning event (EventBridge, source `aws.ec2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotEvent {
    /// `spot/<EventBridge event id>`: a re-delivery has the same.
    pub id: String,
    /// The instance (`detail.instance-id`).
    pub instance: String,
    /// Interruption warning or rebalance recommendation.
    pub kind: SpotWarningKind,
    /// When EC2 sent it (`time`).
    pub at: DateTime<Utc>,
}

/// The `detail-type` of each spot warning.
pub const SPOT_DETAIL_TYPES: [(&str, SpotWarningKind); 2] = [
    (
        "EC2 Spot Instance Interruption Warning",
        SpotWarningKind::Interruption,
    ),
    (
        "EC2 Instance Rebalance Recommendation",
        SpotWarningKind::Rebalance,
    ),
];

/// Reads a spot-function event. The instance is `detail.instance-id` (the
/// interruption warning's `resources` ARN is not reliable: AWS's own
/// sample puts the zone where the region goes).
pub fn spot_event(event: &Value) -> Result<SpotEvent, EventError> {
    let err = |why: String| error("spot", why);
    let field = |name: &str| event.get(name).and_then(Value::as_str);
    if field("source") != Some("aws.ec2") {
        return Err(err(format!(
            "source {:?}, expected \"aws.ec2\"",
            field("source").unwrap_or("")
        )));
    }
    let detail_type = field("detail-type").unwrap_or("");
    let kind = SPOT_DETAIL_TYPES
        .iter()
        .find(|(t, _)| *t == detail_type)
        .map(|(_, k)| *k)
        .ok_or_else(|| {
            err(format!(
                "detail-type {detail_type:?} is neither \"{}\" nor \"{}\"",
                SPOT_DETAIL_TYPES[0].0, SPOT_DETAIL_TYPES[1].0
            ))
        })?;
    let instance = event
        .pointer("/detail/instance-id")
        .and_then(Value::as_str)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| err("no detail.instance-id".to_owned()))?;
    let time = field("time").unwrap_or("");
    let at = DateTime::parse_from_rfc3339(time)
        .map_err(|e| err(format!("time {time:?} is not an RFC 3339 instant: {e}")))?
        .with_timezone(&Utc);
    let id = field("id")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| err("no event id".to_owned()))?;
    Ok(SpotEvent {
        id: format!("spot/{id}"),
        instance: instance.to_owned(),
        kind,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    #[test]
    fn the_three_alarm_shapes_read_alike() {
        let eb = alarm_changes(&event(include_str!(
            "../../tests/events/alarm-eventbridge.json"
        )));
        let action = alarm_changes(&event(include_str!(
            "../../tests/events/alarm-lambda-action.json"
        )));
        let sns = alarm_changes(&event(include_str!("../../tests/events/alarm-sns.json")));
        let one = |r: Result<Vec<AlarmChange>, EventError>| match r {
            Ok(mut v) if v.len() == 1 => v.remove(0),
            other => panic!("expected one change, got {other:?}"),
        };
        let eb = one(eb);
        assert_eq!(
            (eb.alarm.as_str(), eb.state, eb.via),
            ("ServerCpuTooHigh", AlarmState::Alarm, "eventbridge")
        );
        assert_eq!(
            eb.id,
            "alarm/ServerCpuTooHigh/Alarm/2019-10-02T17:04:40.989+0000"
        );
        assert!(eb.reason.starts_with("Threshold Crossed"));
        let action = one(action);
        assert_eq!(
            (action.alarm.as_str(), action.state, action.via),
            (
                "lambda-demo-metric-alarm",
                AlarmState::Alarm,
                "lambda-action"
            )
        );
        assert_eq!(
            action.id,
            "alarm/lambda-demo-metric-alarm/Alarm/2023-08-04T12:36:15.490+0000"
        );
        let sns = one(sns);
        assert_eq!(
            (sns.alarm.as_str(), sns.state, sns.via),
            ("EXAMPLE", AlarmState::Alarm, "sns")
        );
        assert_eq!(sns.id, "alarm/EXAMPLE/Alarm/2015-06-03T17:43:27.123+0000");
        // Each shape says when the alarm entered its state, to the millisecond.
        let ms = |t: &str| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .ok()
        };
        assert_eq!(eb.at, ms("2019-10-02T17:04:40.989Z"));
        assert_eq!(action.at, ms("2023-08-04T12:36:15.490Z"));
        assert_eq!(sns.at, ms("2015-06-03T17:43:27.123Z"));
    }

    #[test]
    fn alarm_times_read_cloudwatchs_offset_and_rfc_3339_and_nothing_else() {
        let want = DateTime::parse_from_rfc3339("2026-11-23T09:59:58.250Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        assert_eq!(alarm_time("2026-11-23T09:59:58.250+0000"), want);
        assert_eq!(alarm_time("2026-11-23T10:59:58.250+01:00"), want);
        assert_eq!(alarm_time("2026-11-23T09:59:58.250Z"), want);
        assert_eq!(alarm_time("yesterday"), None);
        assert_eq!(alarm_time(""), None);
    }

    #[test]
    fn one_state_change_has_one_id_whichever_route_delivered_it() {
        // The same change, as EventBridge and as the alarm's own action.
        let mut eb = event(include_str!("../../tests/events/alarm-eventbridge.json"));
        let mut action = event(include_str!("../../tests/events/alarm-lambda-action.json"));
        eb["detail"]["alarmName"] = Value::from("db-cpu-high");
        eb["detail"]["state"]["timestamp"] = Value::from("2026-11-23T10:00:00.000+0000");
        action["alarmData"]["alarmName"] = Value::from("db-cpu-high");
        action["alarmData"]["state"]["timestamp"] = Value::from("2026-11-23T10:00:00.000+0000");
        let id = |v: &Value| {
            alarm_changes(v)
                .ok()
                .and_then(|c| c.first().map(|c| c.id.clone()))
        };
        assert!(id(&eb).is_some());
        assert_eq!(id(&eb), id(&action));
    }

    #[test]
    fn other_events_are_refused_with_what_was_expected() {
        let scheduled = event(include_str!("../../tests/events/schedule-eventbridge.json"));
        let err = alarm_changes(&scheduled).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "unrecognised alarm event: EventBridge detail-type `Scheduled Event` \
                 (expected `CloudWatch Alarm State Change`)"
            )
        );
        let err = alarm_changes(&serde_json::json!({"hello": 1}))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("neither an EventBridge")));
        let mut bad_state = event(include_str!("../../tests/events/alarm-eventbridge.json"));
        bad_state["detail"]["state"]["value"] = Value::from("PANIC");
        let err = alarm_changes(&bad_state).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("unrecognised alarm event: alarm state `PANIC`")
        );
        let mut not_alarm = event(include_str!("../../tests/events/alarm-sns.json"));
        not_alarm["Records"][0]["Sns"]["Message"] = Value::from("plain text");
        let err = alarm_changes(&not_alarm).err().map(|e| e.to_string());
        assert!(
            err.is_some_and(|e| e.contains("is not a CloudWatch alarm")),
            "SNS without an alarm message"
        );
    }

    #[test]
    fn budget_events_carry_their_ids() {
        let sns = budget_invocation(&event(include_str!("../../tests/events/budget-sns.json")));
        let sns = sns.ok();
        assert_eq!(
            sns.as_ref().and_then(|b| b.id.as_deref()),
            Some("sns/6f1d3c0e-8a4b-5c2d-9e7f-1a2b3c4d5e6f")
        );
        assert!(sns.is_some_and(|b| b.why.contains("daily-estate has exceeded")));
        let scheduled = budget_invocation(&event(include_str!(
            "../../tests/events/schedule-eventbridge.json"
        )));
        assert_eq!(
            scheduled.ok().and_then(|b| b.id),
            Some("schedule/53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa".to_owned())
        );
    }
}
