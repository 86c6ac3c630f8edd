//! The [`CostPort`] adapter on `aws-sdk-costexplorer`: unblended spend of a
//! range of UTC days, from GetCostAndUsage (daily granularity, every page),
//! in total or per day and service; and AWS Cost Anomaly Detection's
//! anomalies (GetAnomalies).
//!
//! Cost Explorer data lags by about a day and each call is billed, so the
//! budget Lambda calls it once per run and adds the estate's live run-rate
//! for today (`crate::budget`).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_costexplorer::Client;
use aws_sdk_costexplorer::operation::get_anomalies::GetAnomaliesOutput;
use aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageOutput;
use aws_sdk_costexplorer::types::{
    AnomalyDateInterval, DateInterval, Dimension, Granularity, GroupDefinition,
    GroupDefinitionType, MetricValue,
};
use chrono::NaiveDate;

use super::AwsError;
use crate::budget::anomaly::DaySpend;
use crate::ports::{CostAnomaly, CostPort};

const SERVICE: &str = "ce";
const OPERATION: &str = "GetCostAndUsage";
const ANOMALIES: &str = "GetAnomalies";
const METRIC: &str = "UnblendedCost";

/// Spend from Cost Explorer.
#[derive(Debug, Clone)]
pub struct CostExplorerAdapter {
    client: Client,
}

impl CostExplorerAdapter {
    /// A client on the shared configuration. Cost Explorer has one endpoint
    /// (us-east-1); the SDK resolves it from any region of the partition.
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        CostExplorerAdapter {
            client: Client::from_conf(
                aws_sdk_costexplorer::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
        }
    }
}

#[async_trait]
impl CostPort for CostExplorerAdapter {
    /// An empty range costs nothing and calls nothing (Cost Explorer
    /// refuses a start that is not before the end).
    async fn spend_usd(&self, start: NaiveDate, end: NaiveDate) -> Result<f64, AwsError> {
        if start >= end {
            return Ok(0.0);
        }
        let range = format!("{start}..{end}");
        let period = interval(start, end)?;
        let mut total = 0.0;
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .get_cost_and_usage()
                .time_period(period.clone())
                .granularity(Granularity::Daily)
                .metrics(METRIC)
                .set_next_page_token(token.clone())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(SERVICE, OPERATION, &range, e))?;
            total += page_total(&page, &range)?;
            token = next_page(token.as_deref(), page.next_page_token(), OPERATION, &range)?;
            if token.is_none() {
                return Ok(total);
            }
        }
    }

    /// One call per page, grouped by service. A day's groups may be split
    /// over pages, so days are merged by date; a day with no group spent
    /// nothing and is kept as $0.
    async fn daily_spend(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<DaySpend>, AwsError> {
        if start >= end {
            return Ok(Vec::new());
        }
        let range = format!("{start}..{end}");
        let period = interval(start, end)?;
        let by_service = GroupDefinition::builder()
            .r#type(GroupDefinitionType::Dimension)
            .key(Dimension::Service.as_str())
            .build();
        let mut days = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .get_cost_and_usage()
                .time_period(period.clone())
                .granularity(Granularity::Daily)
                .metrics(METRIC)
                .group_by(by_service.clone())
                .set_next_page_token(token.clone())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(SERVICE, OPERATION, &range, e))?;
            page_by_service(&page, &range, &mut days)?;
            token = next_page(token.as_deref(), page.next_page_token(), OPERATION, &range)?;
            if token.is_none() {
                return Ok(days.into_values().collect());
            }
        }
    }

    async fn cost_anomalies(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<CostAnomaly>, AwsError> {
        let range = format!("{start}..{end}");
        let when = AnomalyDateInterval::builder()
            .start_date(start.format("%Y-%m-%d").to_string())
            .end_date(end.format("%Y-%m-%d").to_string())
            .build()
            .map_err(|e| AwsError::malformed(SERVICE, ANOMALIES, e.to_string()))?;
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .get_anomalies()
                .date_interval(when.clone())
                .set_next_page_token(token.clone())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(SERVICE, ANOMALIES, &range, e))?;
            found.extend(anomalies_of(&page));
            token = next_page(token.as_deref(), page.next_page_token(), ANOMALIES, &range)?;
            if token.is_none() {
                return Ok(found);
            }
        }
    }
}

fn interval(start: NaiveDate, end: NaiveDate) -> Result<DateInterval, AwsError> {
    DateInterval::builder()
        .start(start.format("%Y-%m-%d").to_string())
        .end(end.format("%Y-%m-%d").to_string())
        .build()
        .map_err(|e| AwsError::malformed(SERVICE, OPERATION, e.to_string()))
}

/// Adds one grouped page's days to `days`. As [`page_total`], an amount
/// that cannot be read is an error, not zero; so is a day without a
/// readable start date.
fn page_by_service(
    page: &GetCostAndUsageOutput,
    range: &str,
    days: &mut BTreeMap<NaiveDate, DaySpend>,
) -> Result<(), AwsError> {
    for result in page.results_by_time() {
        let start = result.time_period().map(|p| p.start()).unwrap_or_default();
        let date: NaiveDate = start
            .get(..10)
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| malformed(range, format!("a day starting {start:?}")))?;
        let day = days.entry(date).or_insert_with(|| DaySpend {
            date,
            ..DaySpend::default()
        });
        for group in result.groups() {
            let service = group.keys().first().map_or("(no service)", String::as_str);
            let value = group
                .metrics()
                .and_then(|m| m.get(METRIC))
                .ok_or_else(|| malformed(range, format!("{date} {service}: no {METRIC}")))?;
            let usd = usd_of(value, range, &format!("{date} {service}"))?;
            *day.by_service.entry(service.to_owned()).or_default() += usd;
            day.total_usd += usd;
        }
    }
    Ok(())
}

/// The domain view of a GetAnomalies page. AWS writes dates as
/// `yyyy-MM-dd` (sometimes with a time after): only the day is kept, and a
/// date that does not read is left out rather than failing the anomaly.
fn anomalies_of(page: &GetAnomaliesOutput) -> Vec<CostAnomaly> {
    let day = |d: Option<&str>| d.and_then(|d| d.get(..10)).and_then(|d| d.parse().ok());
    page.anomalies()
        .iter()
        .map(|a| {
            let mut services: Vec<String> = Vec::new();
            for s in a.root_causes().iter().filter_map(|r| r.service()) {
                if !services.iter().any(|known| known == s) {
                    services.push(s.to_owned());
                }
            }
            CostAnomaly {
                id: a.anomaly_id().to_owned(),
                start: day(a.anomaly_start_date()),
                end: day(a.anomaly_end_date()),
                total_impact_usd: a.impact().map_or(0.0, |i| i.total_impact()),
                total_impact_percent: a.impact().and_then(|i| i.total_impact_percentage()),
                services,
            }
        })
        .collect()
}

/// The sum of one page's daily totals. A day without the metric, or with
/// an amount that is not a number or not in USD, is an error: reading it
/// as zero would under-report spend to the budget guard.
fn page_total(page: &GetCostAndUsageOutput, range: &str) -> Result<f64, AwsError> {
    let mut sum = 0.0;
    for day in page.results_by_time() {
        let when = day
            .time_period()
            .map_or_else(|| "a day".to_owned(), |p| p.start().to_owned());
        let value = day
            .total()
            .and_then(|t| t.get(METRIC))
            .ok_or_else(|| malformed(range, format!("{when}: no {METRIC} total")))?;
        sum += usd_of(value, range, &when)?;
    }
    Ok(sum)
}

/// A metric's amount in USD; `what` names it in the error.
fn usd_of(value: &MetricValue, range: &str, what: &str) -> Result<f64, AwsError> {
    let amount = value
        .amount()
        .ok_or_else(|| malformed(range, format!("{what}: {METRIC} without an amount")))?;
    if let Some(unit) = value.unit().filter(|u| *u != "USD") {
        return Err(malformed(
            range,
            format!("{what}: {METRIC} in {unit}, not USD"),
        ));
    }
    amount
        .trim()
        .parse()
        .ok()
        .filter(|a: &f64| a.is_finite())
        .ok_or_else(|| malformed(range, format!("{what}: {METRIC} amount {amount:?}")))
}

/// The token for the next page (None: that was the last page). A service
/// that hands back the token it was given would keep a loop going for
/// ever: that is an error naming the call.
fn next_page(
    sent: Option<&str>,
    next: Option<&str>,
    operation: &'static str,
    range: &str,
) -> Result<Option<String>, AwsError> {
    match next.filter(|t| !t.is_empty()) {
        Some(next) if sent == Some(next) => {
            let mut e = AwsError::malformed(SERVICE, operation, "the same NextPageToken twice");
            e.resource = range.to_owned();
            Err(e)
        }
        next => Ok(next.map(str::to_owned)),
    }
}

fn malformed(range: &str, what: impl Into<String>) -> AwsError {
    let mut e = AwsError::malformed(SERVICE, OPERATION, what);
    e.resource = range.to_owned();
    e
}

#[cfg(test)]
mod tests {
    use aws_sdk_costexplorer::types::{Anomaly, Group, Impact, ResultByTime, RootCause};

    use super::*;

    fn day(start: &str, amount: &str, unit: &str) -> ResultByTime {
        ResultByTime::builder()
            .time_period(
                DateInterval::builder()
                    .start(start)
                    .end(start)
                    .build()
                    .expect("interval"),
            )
            .total(
                METRIC,
                MetricValue::builder().amount(amount).unit(unit).build(),
            )
            .build()
    }

    #[test]
    fn sums_the_days_of_a_page() {
        let page = GetCostAndUsageOutput::builder()
            .results_by_time(day("2026-11-01", "10.25", "USD"))
            .results_by_time(day("2026-11-02", "0.0000001", "USD"))
            .results_by_time(day("2026-11-03", "4.75", "USD"))
            .build();
        let sum = page_total(&page, "r").expect("sums");
        assert!((sum - 15.0000001).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn an_unreadable_amount_a_missing_total_or_another_currency_is_an_error() {
        let bad = GetCostAndUsageOutput::builder()
            .results_by_time(day("2026-11-01", "ten", "USD"))
            .build();
        let e = page_total(&bad, "2026-11-01..2026-11-02").expect_err("not a number");
        assert_eq!(
            (e.operation, e.resource.as_str()),
            (OPERATION, "2026-11-01..2026-11-02")
        );
        assert!(e.message.contains("\"ten\""), "{}", e.message);

        let missing = GetCostAndUsageOutput::builder()
            .results_by_time(ResultByTime::builder().build())
            .build();
        assert!(page_total(&missing, "r").is_err());

        let euros = GetCostAndUsageOutput::builder()
            .results_by_time(day("2026-11-01", "1", "EUR"))
            .build();
        assert!(page_total(&euros, "r").is_err());
    }

    fn grouped(start: &str, groups: &[(&str, &str)]) -> ResultByTime {
        let mut r = ResultByTime::builder().time_period(
            DateInterval::builder()
                .start(start)
                .end(start)
                .build()
                .expect("interval"),
        );
        for (service, amount) in groups {
            r = r.groups(
                Group::builder()
                    .keys(*service)
                    .metrics(
                        METRIC,
                        MetricValue::builder().amount(*amount).unit("USD").build(),
                    )
                    .build(),
            );
        }
        r.build()
    }

    #[test]
    fn grouped_pages_merge_by_day_and_keep_days_without_spend() {
        let mut days = BTreeMap::new();
        let first = GetCostAndUsageOutput::builder()
            .results_by_time(grouped("2026-11-01", &[("EC2", "10"), ("RDS", "2.5")]))
            .results_by_time(grouped("2026-11-02", &[]))
            .build();
        // The next page carries more of the first day's services.
        let second = GetCostAndUsageOutput::builder()
            .results_by_time(grouped("2026-11-01", &[("S3", "0.5")]))
            .build();
        page_by_service(&first, "r", &mut days).expect("page 1");
        page_by_service(&second, "r", &mut days).expect("page 2");
        let got: Vec<DaySpend> = days.into_values().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].total_usd, 13.0);
        assert_eq!(got[0].by_service.len(), 3);
        assert_eq!(got[0].by_service["S3"], 0.5);
        assert_eq!(
            (got[1].date.to_string(), got[1].total_usd),
            ("2026-11-02".to_owned(), 0.0)
        );

        let bad = GetCostAndUsageOutput::builder()
            .results_by_time(grouped("2026-11-01", &[("EC2", "lots")]))
            .build();
        let e = page_by_service(&bad, "r", &mut BTreeMap::new()).expect_err("not a number");
        assert!(e.message.contains("EC2"), "{}", e.message);
        let undated = GetCostAndUsageOutput::builder()
            .results_by_time(grouped("soon", &[]))
            .build();
        assert!(page_by_service(&undated, "r", &mut BTreeMap::new()).is_err());
    }

    #[test]
    fn anomalies_map_to_their_days_impact_and_root_cause_services() {
        let cause = |service: &str| {
            RootCause::builder()
                .service(service)
                .region("us-east-1")
                .build()
        };
        let page = GetAnomaliesOutput::builder()
            .anomalies(
                Anomaly::builder()
                    .anomaly_id("a-1")
                    .monitor_arn("arn:aws:ce::123456789012:anomalymonitor/m")
                    .anomaly_start_date("2026-11-20")
                    .impact(
                        Impact::builder()
                            .max_impact(90.0)
                            .total_impact(120.5)
                            .total_impact_percentage(64.0)
                            .build(),
                    )
                    .root_causes(cause("Amazon Relational Database Service"))
                    .root_causes(cause("Amazon Relational Database Service"))
                    .root_causes(cause("AWS Lambda"))
                    .build()
                    .expect("anomaly"),
            )
            .anomalies(
                Anomaly::builder()
                    .anomaly_id("a-2")
                    .monitor_arn("arn:aws:ce::123456789012:anomalymonitor/m")
                    .anomaly_start_date("2026-11-18T00:00:00Z")
                    .anomaly_end_date("someday")
                    .build()
                    .expect("anomaly"),
            )
            .build()
            .expect("page");
        let got = anomalies_of(&page);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, "a-1");
        assert_eq!(got[0].start, NaiveDate::from_ymd_opt(2026, 11, 20));
        assert_eq!(got[0].end, None);
        assert_eq!(
            (got[0].total_impact_usd, got[0].total_impact_percent),
            (120.5, Some(64.0))
        );
        assert_eq!(
            got[0].services,
            ["Amazon Relational Database Service", "AWS Lambda"]
        );
        assert_eq!(got[1].start, NaiveDate::from_ymd_opt(2026, 11, 18));
        assert_eq!((got[1].end, got[1].total_impact_usd), (None, 0.0));
        assert!(got[1].services.is_empty());
    }

    #[test]
    fn a_page_token_handed_back_is_an_error_and_no_token_ends_the_pages() {
        assert_eq!(
            next_page(None, Some("a"), OPERATION, "r"),
            Ok(Some("a".into()))
        );
        assert_eq!(next_page(Some("a"), Some(""), OPERATION, "r"), Ok(None));
        assert_eq!(next_page(Some("a"), None, ANOMALIES, "r"), Ok(None));
        let e = next_page(Some("a"), Some("a"), ANOMALIES, "2026-12-01..2026-12-04")
            .expect_err("the same token twice");
        assert_eq!(e.operation, ANOMALIES);
        assert_eq!(e.resource, "2026-12-01..2026-12-04");
    }
}
