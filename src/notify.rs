//! Notices for the people who run the estate: a subject an inbox shows
//! (naming the resource and the change) and a JSON body that reads as text
//! and parses as data. Pure: built here, published through
//! [`crate::ports::NotifyPort`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::budget::anomaly::{Anomaly, Measure};
use crate::ledger::{EventRef, LogEntry};
use crate::plan::{Action, AtLimit, BudgetLevel, BudgetStanding, Cause};
use crate::policy::Direction;
use crate::ports::CostAnomaly;

/// Who must act on a notice: what an SNS subscription filter policy routes
/// on (message attribute `category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Scaling is blocked or broke: a rule still firing at the ceiling,
    /// scaling disabled by an error (invalid policy), an action failed.
    Critical,
    /// Worth a look soon: a budget at its warn threshold, a guard holding a
    /// change back.
    Warning,
    /// For the record: changes made as planned.
    Info,
    /// Money: a budget emergency and what it shed, a spend anomaly.
    Cost,
}

impl Category {
    /// The attribute value: `critical`, `warning`, `info`, `cost`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Critical => "critical",
            Category::Warning => "warning",
            Category::Info => "info",
            Category::Cost => "cost",
        }
    }
}

/// How urgent, within any category (message attribute `severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing to do.
    Low,
    /// Look today.
    Medium,
    /// Look now.
    High,
}

impl Severity {
    /// The attribute value: `low`, `medium`, `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// What kind: `applied`, `refused`, `failed`, `budget_warning`,
    /// `budget_emergency`, `budget_released`, `spend_anomaly`,
    /// `aws_cost_anomaly`, `policy_invalid`, `at_ceiling`.
    pub kind: &'static str,
    /// Who must act on it (see [`Category`]).
    pub category: Category,
    /// How urgent.
    pub severity: Severity,
    /// The subject line.
    pub subject: String,
    /// The body, a JSON object whose `summary` is the message in one
    /// sentence.
    pub body: serde_json::Value,
}

impl Notice {
    /// The body as the text published (pretty JSON, readable in an inbox).
    pub fn message(&self) -> String {
        serde_json::to_string_pretty(&self.body).unwrap_or_else(|_| self.subject.clone())
    }

    /// The message attributes published with it, for subscription filter
    /// policies: `category`, `severity` and `kind`, each a String.
    pub fn attributes(&self) -> [(&'static str, &'static str); 3] {
        [
            ("category", self.category.as_str()),
            ("severity", self.severity.as_str()),
            ("kind", self.kind),
        ]
    }

    fn new(
        kind: &'static str,
        (category, severity): (Category, Severity),
        subject: String,
        mut body: serde_json::Value,
    ) -> Notice {
        // The body says it too: a subscriber without filters still sees it.
        body["category"] = json!(category);
        body["severity"] = json!(severity);
        Notice {
            kind,
            category,
            severity,
            subject,
            body,
        }
    }
}

/// The change in words: `orders-db instance class: db.r6g.large → db.r6g.xlarge`.
fn change(a: &Action) -> String {
    format!("{} {}: {} → {}", a.identifier, a.knob, a.from, a.to)
}

fn action_body(
    kind: &str,
    estate: &str,
    summary: String,
    a: &Action,
    event: &EventRef,
    at: DateTime<Utc>,
) -> serde_json::Value {
    json!({
        "summary": summary,
        "kind": kind,
        "estate": estate,
        "at": at,
        "resource": a.identifier,
        "policy_id": a.policy_id,
        "knob": a.knob,
        "from": a.from.to_string(),
        "to": a.to.to_string(),
        "direction": a.direction,
        "reason": a.reason,
        "cost_delta_per_hour": a.cost_delta_per_hour,
        "notes": a.notes,
        "event": event,
    })
}

/// An action AWS accepted.
pub fn applied(
    estate: &str,
    a: &Action,
    detail: &str,
    event: &EventRef,
    at: DateTime<Utc>,
) -> Notice {
    let mut body = action_body(
        "applied",
        estate,
        format!("tidegate changed {} ({}).", change(a), a.reason),
        a,
        event,
        at,
    );
    body["detail"] = json!(detail);
    Notice::new(
        "applied",
        applied_category(a),
        format!("[tidegate {estate}] applied: {}", change(a)),
        body,
    )
}

/// A change made is routine (info), but two are worth a look: a budget
/// emergency shedding capacity is money (cost), and spot warnings raising
/// the on-demand share mean spot capacity is getting scarce (warning).
fn applied_category(a: &Action) -> (Category, Severity) {
    match &a.cause {
        Cause::Budget { .. } => (Category::Cost, Severity::Medium),
        Cause::SpotMix { .. } if a.direction == Some(Direction::Up) => {
            (Category::Warning, Severity::Medium)
        }
        _ => (Category::Info, Severity::Low),
    }
}

/// An action a guard held back.
pub fn refused(estate: &str, a: &Action, event: &EventRef, at: DateTime<Utc>) -> Notice {
    let (guard, why) = a
        .refused
        .as_ref()
        .map_or(("", ""), |r| (r.guard.as_str(), r.why.as_str()));
    let mut body = action_body(
        "refused",
        estate,
        format!(
            "tidegate did not change {}: the {guard} guard held it back ({why}).",
            change(a)
        ),
        a,
        event,
        at,
    );
    body["guard"] = json!(guard);
    body["why"] = json!(why);
    Notice::new(
        "refused",
        (Category::Warning, Severity::Medium),
        format!("[tidegate {estate}] refused by {guard}: {}", change(a)),
        body,
    )
}

/// An action that failed (AWS refused it or the call broke).
pub fn failed(
    estate: &str,
    a: &Action,
    error: &str,
    event: &EventRef,
    at: DateTime<Utc>,
) -> Notice {
    let mut body = action_body(
        "failed",
        estate,
        format!("tidegate could not change {}: {error}", change(a)),
        a,
        event,
        at,
    );
    body["error"] = json!(error);
    Notice::new(
        "failed",
        (Category::Critical, Severity::High),
        format!("[tidegate {estate}] FAILED: {}", change(a)),
        body,
    )
}

fn standing_line(s: &BudgetStanding) -> String {
    format!(
        "{} budget ${:.0}: spent ${:.2}, forecast ${:.2} ({:.0}%)",
        s.period, s.limit_usd, s.actual_usd, s.forecast_usd, s.forecast_percent
    )
}

/// A budget reached its warn or emergency threshold, or fell back.
/// `actions` are what the emergency profile changed (empty for a warning).
pub fn budget(
    estate: &str,
    standing: &BudgetStanding,
    previous: Option<BudgetLevel>,
    actions: &[&Action],
    at: DateTime<Utc>,
) -> Notice {
    let line = standing_line(standing);
    let (kind, routed, subject, summary) = match standing.level {
        BudgetLevel::Emergency => (
            "budget_emergency",
            (Category::Cost, Severity::High),
            format!(
                "[tidegate {estate}] BUDGET EMERGENCY: {} forecast {:.0}% of ${:.0}",
                standing.period, standing.forecast_percent, standing.limit_usd
            ),
            format!(
                "{line}. The emergency profile is in force: {} scale-down(s), never below protected floors.",
                actions.len()
            ),
        ),
        BudgetLevel::Warn => (
            "budget_warning",
            (Category::Warning, Severity::Medium),
            format!(
                "[tidegate {estate}] budget warning: {} forecast {:.0}% of ${:.0}",
                standing.period, standing.forecast_percent, standing.limit_usd
            ),
            format!("{line}. Nothing changed; the emergency profile applies at its threshold."),
        ),
        BudgetLevel::Ok => (
            "budget_released",
            (Category::Info, Severity::Low),
            format!(
                "[tidegate {estate}] budget back under warn: {} forecast {:.0}% of ${:.0}",
                standing.period, standing.forecast_percent, standing.limit_usd
            ),
            format!("{line}. The budget emergency profile is released."),
        ),
    };
    Notice::new(
        kind,
        routed,
        subject,
        json!({
            "summary": summary,
            "kind": kind,
            "estate": estate,
            "at": at,
            "period": standing.period,
            "limit_usd": standing.limit_usd,
            "actual_usd": standing.actual_usd,
            "forecast_usd": standing.forecast_usd,
            "forecast_percent": standing.forecast_percent,
            "level": standing.level,
            "previous_level": previous,
            "changes": actions.iter().map(|a| change(a)).collect::<Vec<_>>(),
        }),
    )
}

/// A rule still fires on a knob already at the top of its range: capacity
/// can grow no further until someone raises the ladder or the profile's
/// maximum, or looks at the load. Sent once per episode.
pub fn at_ceiling(estate: &str, a: &AtLimit, event: &EventRef, at: DateTime<Utc>) -> Notice {
    let summary = format!(
        "{} {} is at ceiling ({}, {}) and {} still fires: {}. tidegate cannot scale it further.",
        a.identifier, a.knob, a.setting, a.bound, a.rule, a.evidence
    );
    Notice::new(
        "at_ceiling",
        (Category::Critical, Severity::High),
        format!(
            "[tidegate {estate}] AT CEILING: {} {} at {} ({} still firing)",
            a.identifier, a.knob, a.setting, a.rule
        ),
        json!({
            "summary": summary,
            "kind": "at_ceiling",
            "estate": estate,
            "resource": a.identifier,
            "policy_id": a.policy_id,
            "knob": a.knob,
            "setting": a.setting.to_string(),
            "bound": a.bound,
            "rule": a.rule,
            "evidence": a.evidence,
            "since": a.since,
            "event": event,
            "at": at,
        }),
    )
}

/// A run died between writing its intent and recording the outcome (a
/// Lambda timeout, a crash): scaling of that resource was blind until this
/// run settled the change from the resource's real state. Critical: the
/// dead run may have left other work undone, and it should not happen.
pub fn dead_run(estate: &str, entry: &LogEntry, at: DateTime<Utc>) -> Notice {
    let a = &entry.action;
    let (status, detail) = entry
        .outcome
        .as_ref()
        .map_or(("unknown".to_owned(), String::new()), |o| {
            (format!("{:?}", o.status).to_lowercase(), o.detail.clone())
        });
    Notice::new(
        "dead_run",
        (Category::Critical, Severity::High),
        format!(
            "[tidegate {estate}] a run died mid-change: {} (settled as {status})",
            change(a)
        ),
        json!({
            "summary": format!(
                "Run {} wrote the intent {} at {} and never recorded its outcome; this run settled it as {status} from what AWS shows.",
                entry.holder, change(a), entry.intent_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            "kind": "dead_run",
            "estate": estate,
            "resource": a.identifier,
            "policy_id": a.policy_id,
            "knob": a.knob,
            "from": a.from.to_string(),
            "to": a.to.to_string(),
            "dead_run": entry.holder,
            "intent_at": entry.intent_at,
            "entry": entry.id,
            "settled_as": status,
            "detail": detail,
            "at": at,
        }),
    )
}

/// How urgent a spend anomaly is by its size: [`Severity::High`] at twice
/// the usual spend or more (or spend where there was none), else
/// [`Severity::Medium`].
pub fn anomaly_severity(excess_percent: Option<f64>) -> Severity {
    match excess_percent {
        Some(p) if p < 100.0 => Severity::Medium,
        _ => Severity::High,
    }
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "from nothing".to_owned(), |p| format!("{p:+.0}%"))
}

/// tidegate found a day (or today's run-rate) spending more than its
/// weekday usually does.
pub fn spend_anomaly(estate: &str, a: &Anomaly, at: DateTime<Utc>) -> Notice {
    let weekday = a.date.format("%A");
    let what = match a.measure {
        Measure::Day => format!("{} spent ${:.2}", a.date, a.spend_usd),
        Measure::RunRate { counted_hours } => format!(
            "today ({}) runs at ${:.2}/day (from {counted_hours:.0} h counted)",
            a.date, a.spend_usd
        ),
    };
    let services = a
        .services
        .iter()
        .map(|m| format!("{} +${:.2}", m.service, m.excess_usd))
        .collect::<Vec<_>>()
        .join(", ");
    let summary = format!(
        "{what}: ${:.2} ({}) over the median of the last {} {weekday}s (${:.2}, threshold ${:.2}). Moved most: {}.",
        a.excess_usd,
        percent(a.excess_percent),
        a.baseline.days,
        a.baseline.median_usd,
        a.threshold_usd,
        if services.is_empty() {
            "no single service"
        } else {
            services.as_str()
        },
    );
    let mut body = json!({
        "summary": summary,
        "kind": "spend_anomaly",
        "source": "tidegate",
        "estate": estate,
        "at": at,
    });
    if let (Some(b), Ok(Value::Object(fields))) = (body.as_object_mut(), serde_json::to_value(a)) {
        b.extend(fields);
    }
    Notice::new(
        "spend_anomaly",
        (Category::Cost, anomaly_severity(a.excess_percent)),
        format!(
            "[tidegate {estate}] spend anomaly: {} +${:.2} ({}) over a usual {weekday}",
            a.date,
            a.excess_usd,
            percent(a.excess_percent)
        ),
        body,
    )
}

/// An anomaly AWS Cost Anomaly Detection found, passed on under its name.
pub fn aws_cost_anomaly(estate: &str, a: &CostAnomaly, at: DateTime<Utc>) -> Notice {
    let since = a
        .start
        .map_or_else(|| "an unknown day".to_owned(), |d| d.to_string());
    let services = if a.services.is_empty() {
        "no root cause named".to_owned()
    } else {
        a.services.join(", ")
    };
    let pct = a
        .total_impact_percent
        .map_or_else(String::new, |p| format!(" ({p:+.0}%)"));
    Notice::new(
        "aws_cost_anomaly",
        (Category::Cost, anomaly_severity(a.total_impact_percent)),
        format!(
            "[tidegate {estate}] AWS Cost Anomaly Detection: ${:.2}{pct} over expected since {since}",
            a.total_impact_usd
        ),
        json!({
            "summary": format!(
                "AWS Cost Anomaly Detection reports ${:.2}{pct} over expected spend since {since}{}; root cause: {services}.",
                a.total_impact_usd,
                a.end.map_or_else(|| ", still going on".to_owned(), |d| format!(" until {d}")),
            ),
            "kind": "aws_cost_anomaly",
            "source": "AWS Cost Anomaly Detection",
            "estate": estate,
            "at": at,
            "anomaly_id": a.id,
            "start": a.start,
            "end": a.end,
            "total_impact_usd": a.total_impact_usd,
            "total_impact_percent": a.total_impact_percent,
            "services": a.services,
        }),
    )
}

/// The policy file could not be loaded: nothing will be acted on.
pub fn policy_invalid(function: &str, source: &str, error: &str, at: DateTime<Utc>) -> Notice {
    // Scaling is disabled until someone fixes the file.
    Notice::new(
        "policy_invalid",
        (Category::Critical, Severity::High),
        format!("[tidegate] policy invalid: {function} acts on nothing"),
        json!({
            "summary": format!("The policy {source} is invalid; the {function} function refuses to act until it is fixed."),
            "kind": "policy_invalid",
            "function": function,
            "policy": source,
            "error": error,
            "at": at,
        }),
    )
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::estate::Setting;
    use crate::policy::{BudgetPeriod, KnobName, ResourceKind};

    fn action(cause: Cause, direction: Option<Direction>) -> Action {
        Action {
            policy_id: "workers".into(),
            identifier: "workers".into(),
            kind: ResourceKind::AutoscalingGroup,
            knob: KnobName::SpotMix,
            from: Setting::Count(1),
            to: Setting::Count(2),
            direction,
            cause,
            reason: "because".into(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
            prices: Vec::new(),
        }
    }

    #[test]
    fn an_applied_change_is_routed_by_what_asked_for_it() {
        let event = EventRef {
            source: "schedule".into(),
            id: None,
            summary: "the scheduler's run".into(),
        };
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap();
        let routed = |cause, direction| {
            let n = applied("prod", &action(cause, direction), "done", &event, at);
            (n.category, n.severity)
        };
        let spot = || Cause::SpotMix {
            class: "batch".into(),
        };
        assert_eq!(
            routed(spot(), Some(Direction::Up)),
            (Category::Warning, Severity::Medium),
            "spot warnings raised the on-demand share"
        );
        assert_eq!(
            routed(spot(), Some(Direction::Down)),
            (Category::Info, Severity::Low)
        );
        let budget = Cause::Budget {
            profile: "emergency".into(),
            period: BudgetPeriod::Daily,
        };
        assert_eq!(
            routed(budget, Some(Direction::Down)),
            (Category::Cost, Severity::Medium)
        );
        let schedule = Cause::Schedule {
            schedule: "office".into(),
            profile: "evening".into(),
        };
        assert_eq!(
            routed(schedule, Some(Direction::Down)),
            (Category::Info, Severity::Low)
        );
    }
}
