//! The budget run's anomaly check: reads each day's spend per service and
//! AWS Cost Anomaly Detection's anomalies through the [`CostPort`], judges
//! them (`crate::budget::anomaly`), and returns one `cost` notice per
//! anomalous day or AWS anomaly not yet notified at that severity.
//!
//! Repeats are kept out as budget warnings are: the ledger's budget-level
//! record per day (`anomaly#2026-11-25`, shared by today's run-rate and the
//! complete day, so a day is notified once) or per AWS anomaly
//! (`anomaly#aws#ID`) holds the severity last notified; a run notifies
//! only when it finds a higher one.
//!
//! Nothing here fails the budget run: it has already guarded the budgets,
//! and a spend breakdown that cannot be read is a note in the answer.
//!
//! What it costs: two more Cost Explorer requests per run (GetCostAndUsage
//! by service, GetAnomalies), billed at $0.01 each, so about $15 a month on
//! the hourly schedule; `budgets.anomaly.aws_anomalies: false` halves it,
//! `enabled: false` saves it.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use crate::budget::anomaly::{self, RECENT_DAYS, Verdict};
use crate::ledger::Ledger;
use crate::notify::{self, Notice, Severity};
use crate::plan::BudgetLevel;
use crate::policy::AnomalySettings;
use crate::ports::ErrorKind;
use crate::ports::{CostAnomaly, CostPort, NOT_AVAILABLE};

/// How long a day's notified severity is kept: past the last run that
/// judges the day, with a day to spare.
const KEEP: TimeDelta = TimeDelta::days(RECENT_DAYS as i64 + 2);

/// How long an AWS anomaly's is kept: it may go on for weeks.
const KEEP_AWS: TimeDelta = TimeDelta::days(60);

/// One day judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judged {
    /// The UTC day.
    pub date: NaiveDate,
    /// What was found.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What one run's check found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnomalyCheck {
    /// The days judged, oldest first (today's run-rate last).
    pub days: Vec<Judged>,
    /// AWS Cost Anomaly Detection's anomalies of the recent days.
    pub aws: Vec<CostAnomaly>,
    /// The notices to send: new anomalies, or ones grown more severe.
    #[serde(skip)]
    pub notices: Vec<Notice>,
    /// What could not be read or recorded.
    pub notes: Vec<String>,
}

/// Runs the check for the estate `estate` at `now`.
pub async fn check(
    cost: &dyn CostPort,
    ledger: &dyn Ledger,
    estate: &str,
    settings: &AnomalySettings,
    now: DateTime<Utc>,
) -> AnomalyCheck {
    let mut out = AnomalyCheck::default();
    if !settings.enabled {
        return out;
    }
    let today = now.date_naive();
    // The judged days and, before the oldest, `weeks` weeks of baseline.
    let back = u64::from(settings.weeks) * 7 + RECENT_DAYS;
    let start = today.checked_sub_days(Days::new(back)).unwrap_or(today);
    let end = today.checked_add_days(Days::new(1)).unwrap_or(today);
    match cost.daily_spend(start, end).await {
        Ok(history) => {
            for (date, verdict) in anomaly::detect(&history, now, settings) {
                if let Verdict::Anomalous(a) = &verdict {
                    let notice = notify::spend_anomaly(estate, a, now);
                    let key = format!("anomaly#{date}");
                    notify_once(ledger, &key, notice, KEEP, now, &mut out).await;
                }
                out.days.push(Judged { date, verdict });
            }
        }
        Err(e) => out.notes.push(format!("spend by service not read: {e}")),
    }
    if settings.aws_anomalies {
        let since = today
            .checked_sub_days(Days::new(RECENT_DAYS))
            .unwrap_or(today);
        match cost.cost_anomalies(since, today).await {
            Ok(found) => {
                for a in &found {
                    let notice = notify::aws_cost_anomaly(estate, a, now);
                    let key = format!("anomaly#aws#{}", a.id);
                    notify_once(ledger, &key, notice, KEEP_AWS, now, &mut out).await;
                }
                out.aws = found;
            }
            // A cost source without Cost Anomaly Detection is no news.
            Err(e) if e.code.as_deref() == Some(NOT_AVAILABLE) => {}
            Err(e) if e.kind == ErrorKind::AccessDenied => out.notes.push(format!(
                "AWS Cost Anomaly Detection not read (the role needs ce:GetAnomalies): {e}"
            )),
            Err(e) => out
                .notes
                .push(format!("AWS Cost Anomaly Detection not read: {e}")),
        }
    }
    out
}

/// The ledger level that stands for a notice's severity.
fn level(severity: Severity) -> BudgetLevel {
    match severity {
        Severity::Low => BudgetLevel::Ok,
        Severity::Medium => BudgetLevel::Warn,
        Severity::High => BudgetLevel::Emergency,
    }
}

/// Adds `notice` to `out` unless `key` was notified at its severity or a
/// higher one.
async fn notify_once(
    ledger: &dyn Ledger,
    key: &str,
    notice: Notice,
    keep: TimeDelta,
    now: DateTime<Utc>,
    out: &mut AnomalyCheck,
) {
    let now_level = level(notice.severity);
    match ledger.swap_budget_level(key, now_level, now, keep).await {
        Ok(before) if before.is_some_and(|b| b >= now_level) => {
            // Put a higher severity back, so that a smaller reading in
            // between does not make the same one news again.
            if before.is_some_and(|b| b > now_level)
                && let Some(b) = before
                && let Err(e) = ledger.swap_budget_level(key, b, now, keep).await
            {
                out.notes.push(format!("{key}: level not restored: {e}"));
            }
        }
        Ok(_) => out.notices.push(notice),
        // Not knowing whether it was sent, send nothing: a missed run is
        // followed by the next, a repeated notice every hour is noise.
        Err(e) => out
            .notes
            .push(format!("{key}: not notified, the ledger failed: {e}")),
    }
}

#[cfg(test)]
#[path = "anomaly_tests.rs"]
mod tests;
