//! The [`CostPort`] adapter on `aws-sdk-costexplorer`: unblended spend of a
//! range of UTC days, from GetCostAndUsage (daily granularity, every page).
//!
//! Cost Explorer data lags by about a day and each call is billed, so the
//! budget Lambda calls it once per run and adds the estate's live run-rate
//! for today (`crate::budget`).

use async_trait::async_trait;
use aws_sdk_costexplorer::Client;
use aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageOutput;
use aws_sdk_costexplorer::types::{DateInterval, Granularity};
use chrono::NaiveDate;

use super::AwsError;
use crate::ports::CostPort;

const SERVICE: &str = "ce";
const OPERATION: &str = "GetCostAndUsage";
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
        let period = DateInterval::builder()
            .start(start.format("%Y-%m-%d").to_string())
            .end(end.format("%Y-%m-%d").to_string())
            .build()
            .map_err(|e| AwsError::malformed(SERVICE, OPERATION, e.to_string()))?;
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
            match page.next_page_token().filter(|t| !t.is_empty()) {
                // A service that hands back the token it was given would
                // keep this loop going for ever.
                Some(next) if token.as_deref() == Some(next) => {
                    return Err(malformed(&range, "the same NextPageToken twice"));
                }
                Some(next) => token = Some(next.to_owned()),
                None => return Ok(total),
            }
        }
    }
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
        let amount = value
            .amount()
            .ok_or_else(|| malformed(range, format!("{when}: {METRIC} without an amount")))?;
        if let Some(unit) = value.unit().filter(|u| *u != "USD") {
            return Err(malformed(
                range,
                format!("{when}: {METRIC} in {unit}, not USD"),
            ));
        }
        let amount: f64 = amount
            .trim()
            .parse()
            .ok()
            .filter(|a: &f64| a.is_finite())
            .ok_or_else(|| malformed(range, format!("{when}: {METRIC} amount {amount:?}")))?;
        sum += amount;
    }
    Ok(sum)
}

fn malformed(range: &str, what: impl Into<String>) -> AwsError {
    let mut e = AwsError::malformed(SERVICE, OPERATION, what);
    e.resource = range.to_owned();
    e
}

#[cfg(test)]
mod tests {
    use aws_sdk_costexplorer::types::{MetricValue, ResultByTime};

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
}
