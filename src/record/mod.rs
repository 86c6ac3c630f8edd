//! `tidegate record`: a user's own CloudWatch history, as backtest input.
//!
//! Observes the estate the policy manages (the same describes a plan
//! makes), then reads every managed resource's rule metrics over the last
//! `days` with GetMetricData through [`CloudWatchPort::history`], in calls
//! of at most 500 metric queries (AWS's limit; the adapter paginates each
//! with NextToken). The period is 300 s up to 15 days and 3600 s beyond:
//! CloudWatch keeps 5-minute data for 63 days and hourly data for 455 days
//! (15 months), and a longer window at 5 minutes would be mostly empty
//! pages. What it writes ([`write`]) is a folder `tidegate backtest
//! --metrics DIR` replays as is: one `timestamp,value` CSV per (resource,
//! metric) and a `mapping.yaml` naming, per resource, the first of its rule
//! metrics that has data and the settings it runs at now (the values were
//! measured there).
//!
//! A metric with no data is a warning and no file; nothing recorded at all
//! is an error, as is a policy whose resources AWS does not have.

mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};

use crate::aws::{AwsError, QUERIES_PER_CALL};
use crate::backtest::mapping::watched_metrics;
use crate::observe::{self, Ports};
use crate::policy::Policy;
use crate::ports::{History, MetricQuery};

pub use write::{FileOut, csv_text, mapping_text};

/// Most days `record` reads: CloudWatch keeps hourly data 455 days.
pub const MAX_DAYS: u32 = 455;
/// Most days read at the 5-minute period (beyond, 1 hour).
pub const FIVE_MINUTE_DAYS: u32 = 15;

/// The period (seconds) `days` of history is read at.
pub fn period_secs(days: u32) -> u32 {
    if days <= FIVE_MINUTE_DAYS { 300 } else { 3600 }
}

/// Why nothing could be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// `--days` outside 1..=455.
    #[error(
        "--days {0} is out of range; expected 1 to {MAX_DAYS} (CloudWatch keeps hourly data for 15 months)"
    )]
    Days(u32),
    /// The policy has no resource with a metric rule.
    #[error(
        "the policy has no resource with a metric rule (`scale_up`/`scale_down` on a `metric:`); there is nothing to record"
    )]
    NoMetricRules,
    /// None of the policy's resources was found in AWS.
    #[error("no managed resource was found in AWS{}", notes(.0))]
    NoResources(Vec<String>),
    /// Describing the estate or reading CloudWatch failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// Every metric read came back empty.
    #[error("no metric of any managed resource has data in the last {0} days; nothing was written")]
    NoData(u32),
    /// The mapping written does not load (a bug: say so, keep nothing).
    #[error("the mapping written does not load: {0}")]
    Mapping(String),
    /// A file could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn notes(notes: &[String]) -> String {
    if notes.is_empty() {
        String::new()
    } else {
        format!(": {}", notes.join("; "))
    }
}

/// What was read, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// One trace per (resource, metric) with data.
    pub traces: Vec<FileOut>,
    /// The mapping file's text.
    pub mapping: String,
    /// What the user should know (a metric with no data, a resource
    /// matching several AWS resources, a setting off the policy's scale).
    pub warnings: Vec<String>,
    /// GetMetricData batches made.
    pub batches: usize,
}

/// Reads `days` of history up to `now` for every managed resource's rule
/// metrics. `progress` gets one line per batch.
pub async fn record(
    policy: &Policy,
    ports: Ports<'_>,
    days: u32,
    now: DateTime<Utc>,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<Recording, RecordError> {
    if days == 0 || days > MAX_DAYS {
        return Err(RecordError::Days(days));
    }
    if policy
        .resources
        .iter()
        .all(|r| watched_metrics(r).is_empty())
    {
        return Err(RecordError::NoMetricRules);
    }
    let obs = observe::observe(policy, ports, now).await;
    if let Some(e) = obs.blind() {
        return Err(RecordError::Aws(e.clone()));
    }
    if obs.estate.members.is_empty() {
        return Err(RecordError::NoResources(obs.notes));
    }
    let mut warnings = Vec::new();
    // One AWS resource per policy resource: the backtest replays one.
    let mut chosen = BTreeMap::new();
    for member in &obs.estate.members {
        match chosen.get(&member.policy_id) {
            None => {
                chosen.insert(member.policy_id.clone(), member);
            }
            Some(first) => warnings.push(format!(
                "{}: matches several AWS resources; recorded {} only, not {}",
                member.policy_id, first.identifier, member.identifier
            )),
        }
    }
    let period = period_secs(days);
    let queries: Vec<MetricQuery> = observe::metric_queries(policy, &obs.estate)
        .into_iter()
        .filter(|q| {
            chosen.values().any(|m| {
                m.identifier == q.identifier
                    && policy
                        .resource(&m.policy_id)
                        .is_some_and(|r| watched_metrics(r).contains(&q.metric.as_str()))
            })
        })
        .map(|q| MetricQuery {
            period_secs: period,
            ..q
        })
        .collect();
    // Whole periods, so every call asks the same aligned buckets.
    let step = i64::from(period);
    let end_secs = now.timestamp().div_euclid(step) * step;
    let end = DateTime::<Utc>::from_timestamp(end_secs, 0).unwrap_or(now);
    let start = end - TimeDelta::days(i64::from(days));

    let batches = batches(&queries);
    let mut history = History::new();
    for (i, batch) in batches.iter().enumerate() {
        let read = ports.cloudwatch.history(batch, start, end).await?;
        let points: usize = read.values().map(Vec::len).sum();
        progress(format!(
            "batch {}/{}: {} metrics, {} datapoints",
            i + 1,
            batches.len(),
            batch.len(),
            points
        ));
        history.extend(read);
    }

    let mut traces = Vec::new();
    let mut entries = Vec::new();
    for resource in &policy.resources {
        let Some(member) = chosen.get(&resource.id) else {
            continue;
        };
        let mut recorded = Vec::new();
        for metric in watched_metrics(resource) {
            let key = (member.identifier.clone(), metric.to_owned());
            match history.get(&key) {
                Some(points) if !points.is_empty() => {
                    let (file, fixed) = write::trace(resource, metric, points);
                    if fixed > 0 {
                        warnings.push(format!(
                            "{}: {metric}: {fixed} values outside 0–100% were clamped (a percent metric)",
                            resource.id
                        ));
                    }
                    recorded.push(file);
                }
                _ => warnings.push(format!(
                    "{} ({}): {metric} has no data in the last {days} days; no trace written",
                    resource.id, member.identifier
                )),
            }
        }
        if recorded.is_empty() {
            continue;
        }
        let (entry, off_scale) = write::entry(resource, member, &recorded);
        warnings.extend(off_scale);
        entries.push(entry);
        traces.extend(recorded);
    }
    if traces.is_empty() {
        return Err(RecordError::NoData(days));
    }
    let mapping = mapping_text(policy, &entries, days, period, start, end);
    crate::backtest::mapping::parse("mapping.yaml", &mapping, policy)
        .map_err(|e| RecordError::Mapping(e.to_string()))?;
    Ok(Recording {
        traces,
        mapping,
        warnings,
        batches: batches.len(),
    })
}

/// The queries split into calls of at most [`QUERIES_PER_CALL`] metric
/// queries (one per source), a query never split across calls.
fn batches(queries: &[MetricQuery]) -> Vec<Vec<MetricQuery>> {
    let mut out: Vec<Vec<MetricQuery>> = Vec::new();
    let mut size = 0;
    for q in queries {
        let n = q.sources.len();
        if out.is_empty() || size + n > QUERIES_PER_CALL {
            out.push(Vec::new());
            size = 0;
        }
        size += n;
        if let Some(last) = out.last_mut() {
            last.push(q.clone());
        }
    }
    out
}

impl Recording {
    /// Writes the traces and `mapping.yaml` into `dir` (created if need
    /// be; files of the same names are replaced).
    pub fn write(&self, dir: &Path) -> Result<(), RecordError> {
        let fail = |path: PathBuf| move |source| RecordError::Write { path, source };
        std::fs::create_dir_all(dir).map_err(fail(dir.to_path_buf()))?;
        for t in &self.traces {
            let path = dir.join(&t.file);
            std::fs::write(&path, &t.text).map_err(fail(path.clone()))?;
        }
        let path = dir.join("mapping.yaml");
        std::fs::write(&path, &self.mapping).map_err(fail(path.clone()))
    }
}

#[cfg(test)]
mod tests;
