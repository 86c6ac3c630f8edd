//! Scale rules: an existing alarm or a metric threshold, the knob it moves,
//! and the name of the alarm that fires it.

use std::collections::BTreeMap;

use super::custom_metric::custom_metric;
use super::owner::Owner;
use super::{Ctx, finite, hint};
use crate::observe::metrics::catalog;
use crate::policy::Span;
use crate::policy::locate;
use crate::policy::model::{
    Comparison, Direction, KnobName, MetricThreshold, ResourceKind, Rule, Trigger,
};
use crate::policy::raw::RuleSpec;

/// Statistic of a generated alarm when the rule names none.
pub const DEFAULT_STATISTIC: &str = "Average";
/// Period of a generated alarm when the rule names none.
pub const DEFAULT_PERIOD: Span = Span::from_mins(5);
/// Evaluation periods of a generated alarm when the rule names none.
pub const DEFAULT_EVALUATION_PERIODS: u32 = 3;

const STATISTICS: &[&str] = &["Average", "Sum", "Minimum", "Maximum", "SampleCount"];

/// The name of the CloudWatch alarm that Terraform creates for a metric rule,
/// and that the alarm Lambda looks rules up by.
///
/// `tidegate-{resource id}-{up|down}-{metric}`, lower-cased, with every
/// character other than `a-z`, `0-9`, `.`, `_` and `-` replaced by `-`. When
/// several metric rules of the policy produce the same name (same resource,
/// direction and metric), the `n`-th of them in file order (`occurrence`,
/// 1-based) gets `-{n}` appended from the second on: `...-cpuutilization`,
/// `...-cpuutilization-2`. Deterministic: the same policy always yields the
/// same names, so Terraform (which reads the same file) agrees.
pub fn generated_alarm_name(
    resource_id: &str,
    direction: Direction,
    metric: &str,
    occurrence: usize,
) -> String {
    let raw = format!("tidegate-{resource_id}-{direction}-{metric}").to_lowercase();
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if occurrence >= 2 {
        name.push_str(&format!("-{occurrence}"));
    }
    name
}

/// Counts generated alarm names across the policy, for the `-2` suffixes.
#[derive(Default)]
pub(super) struct AlarmNames {
    seen: BTreeMap<String, usize>,
}

impl AlarmNames {
    fn next(&mut self, id: &str, direction: Direction, metric: &str) -> String {
        let base = generated_alarm_name(id, direction, metric, 1);
        let n = self.seen.entry(base).or_insert(0);
        *n += 1;
        generated_alarm_name(id, direction, metric, *n)
    }
}

pub(super) fn check(
    cx: &mut Ctx<'_>,
    owner: &Owner<'_>,
    key: &str,
    direction: Direction,
    specs: &[RuleSpec],
    names: &mut AlarmNames,
) -> Vec<Rule> {
    let mut out = Vec::new();
    let list = locate::key(owner.path, key);
    for (i, spec) in specs.iter().enumerate() {
        let p = locate::item(&list, i);
        if let Some(rule) = rule(cx, owner, &p, direction, spec, names) {
            out.push(rule);
        }
    }
    out
}

fn rule(
    cx: &mut Ctx<'_>,
    owner: &Owner<'_>,
    p: &str,
    direction: Direction,
    spec: &RuleSpec,
    names: &mut AlarmNames,
) -> Option<Rule> {
    let before = cx.count();
    let knob = knob(cx, owner, p, spec.scales);
    let trigger = match (&spec.alarm, &spec.metric) {
        (Some(_), Some(_)) => {
            cx.at(
                p,
                "the rule has both `alarm` and `metric`",
                "exactly one of `alarm` or `metric`",
            );
            None
        }
        (None, None) => {
            cx.at(
                p,
                "the rule has neither `alarm` nor `metric`",
                "exactly one of `alarm` or `metric`",
            );
            None
        }
        (Some(alarm), None) => {
            alarm_only(cx, p, spec);
            if alarm.trim().is_empty() {
                cx.at(
                    &locate::key(p, "alarm"),
                    "the alarm name is empty",
                    "the name of an existing CloudWatch alarm",
                );
            }
            Some((alarm.clone(), Trigger::Alarm))
        }
        (None, Some(metric)) => metric_threshold(cx, owner, p, metric, spec)
            .map(|m| (names.next(owner.id, direction, metric), Trigger::Metric(m))),
    };
    let (alarm_name, trigger) = trigger?;
    let knob = knob?;
    let target = spec.target.filter(|t| target_ok(cx, p, *t, &trigger));
    (cx.count() == before).then_some(Rule {
        alarm_name,
        trigger,
        direction,
        knob,
        critical: spec.critical,
        target,
    })
}

/// An explicit `target` lies on the quiet side of the rule's threshold: a
/// move sized to it must not fire the same rule again.
fn target_ok(cx: &mut Ctx<'_>, p: &str, target: f64, trigger: &Trigger) -> bool {
    let tp = locate::key(p, "target");
    if !finite(cx, &tp, target) {
        return false;
    }
    let Trigger::Metric(m) = trigger else {
        return true;
    };
    let (ok, want) = match m.comparison {
        Comparison::Above(v) => (target > 0.0 && target < v, format!("above 0 and below {v}")),
        Comparison::Below(v) => (target > v, format!("above {v}")),
        Comparison::AbovePercentOfMaxConnections(_) => (
            false,
            "no target: connections do not scale with capacity units".to_owned(),
        ),
    };
    if !ok {
        cx.at(
            &tp,
            format!("target {target} would fire the rule again"),
            want,
        );
    }
    ok
}

/// Default targets (see `RuleSpec::target`): a rule without one gets the
/// midpoint of its threshold and the opposite-direction rule's on the same
/// metric and knob. Without such a pair the metric is not known to fall as
/// capacity grows, so the rule keeps moving one position.
pub(super) fn default_targets(up: &mut [Rule], down: &mut [Rule]) {
    let threshold = |r: &Rule| match &r.trigger {
        Trigger::Metric(m) => match m.comparison {
            Comparison::Above(v) | Comparison::Below(v) => Some((m.metric.clone(), v)),
            Comparison::AbovePercentOfMaxConnections(_) => None,
        },
        Trigger::Alarm => None,
    };
    let pair = |a: &Rule, others: &[Rule]| {
        let (metric, v) = threshold(a)?;
        let (_, w) = others
            .iter()
            .filter(|o| o.knob == a.knob)
            .filter_map(&threshold)
            .find(|(m, _)| *m == metric)?;
        Some((v + w) / 2.0)
    };
    let up_targets: Vec<Option<f64>> = up.iter().map(|r| pair(r, down)).collect();
    let down_targets: Vec<Option<f64>> = down.iter().map(|r| pair(r, up)).collect();
    for (r, t) in up.iter_mut().zip(up_targets) {
        r.target = r.target.or(t);
    }
    for (r, t) in down.iter_mut().zip(down_targets) {
        r.target = r.target.or(t);
    }
}

/// Fields that only make sense for a metric rule.
fn alarm_only(cx: &mut Ctx<'_>, p: &str, spec: &RuleSpec) {
    let metric_fields = [
        ("above", spec.above.is_some()),
        ("below", spec.below.is_some()),
        (
            "above_percent_of_max_connections",
            spec.above_percent_of_max_connections.is_some(),
        ),
        ("statistic", spec.statistic.is_some()),
        ("period", spec.period.is_some()),
        ("evaluation_periods", spec.evaluation_periods.is_some()),
        ("target", spec.target.is_some()),
        ("namespace", spec.namespace.is_some()),
        ("dimensions", spec.dimensions.is_some()),
    ];
    for (field, present) in metric_fields {
        if present {
            cx.at(
                &locate::key(p, field),
                format!("`{field}` only applies to metric rules; an `alarm` rule fires on the alarm's own state"),
                "no threshold settings on an `alarm` rule",
            );
        }
    }
}

fn metric_threshold(
    cx: &mut Ctx<'_>,
    owner: &Owner<'_>,
    p: &str,
    metric: &str,
    spec: &RuleSpec,
) -> Option<MetricThreshold> {
    let before = cx.count();
    let ns = catalog::kind_namespace(owner.kind);
    let custom = custom_metric(cx, p, spec, ns);
    // A metric of another namespace is the operator's to name: only the
    // kind's own namespace has a list to check it against.
    // (When `namespace:`/`dimensions:` are wrong, that is the problem
    // said; the name is checked only against a namespace it is meant for.)
    let own_namespace = match &custom {
        Some(Some(c)) => c.namespace == ns,
        Some(None) => true,
        None => spec.namespace.as_deref() == Some(ns),
    };
    if metric.trim().is_empty() {
        cx.at(
            &locate::key(p, "metric"),
            "the metric name is empty",
            "a CloudWatch metric name such as `CPUUtilization`",
        );
    } else if own_namespace && !catalog::is_known(owner.kind, metric) {
        // A generated alarm on a name the namespace never publishes stays
        // INSUFFICIENT_DATA forever: the rule could never fire. (A metric
        // of the operator's own is named with `namespace:`.)
        cx.at(
            &locate::key(p, "metric"),
            format!(
                "`{metric}` is not a metric {ns} publishes for an {}{}",
                owner.kind,
                hint(metric, catalog::known_metrics(owner.kind))
            ),
            format!(
                "a metric name of {ns} (case-sensitive), e.g. {}; or, for a metric of your own, its `namespace:` and `dimensions:`",
                example_metrics(owner.kind)
            ),
        );
    }
    let thresholds: Vec<(&str, f64)> = [
        ("above", spec.above),
        ("below", spec.below),
        (
            "above_percent_of_max_connections",
            spec.above_percent_of_max_connections,
        ),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    const ONE_OF: &str = "exactly one of above, below, above_percent_of_max_connections";
    let comparison = match thresholds.as_slice() {
        [] => {
            cx.at(p, "the metric rule has no threshold", ONE_OF);
            None
        }
        [(key, v)] => {
            let kp = locate::key(p, key);
            finite(cx, &kp, *v).then_some(())?;
            match *key {
                "above" => Some(Comparison::Above(*v)),
                "below" => Some(Comparison::Below(*v)),
                _ => {
                    if owner.kind != ResourceKind::RdsInstance || metric != "DatabaseConnections" {
                        cx.at(
                            &kp,
                            format!("`above_percent_of_max_connections` does not apply to {} metric `{metric}`", owner.kind),
                            "an rds_instance rule on metric `DatabaseConnections`",
                        );
                    } else if !(*v > 0.0 && *v <= 100.0) {
                        cx.at(
                            &kp,
                            format!("{v} percent is outside (0, 100]"),
                            "a percent above 0, at most 100",
                        );
                    }
                    Some(Comparison::AbovePercentOfMaxConnections(*v))
                }
            }
        }
        many => {
            let keys: Vec<&str> = many.iter().map(|(k, _)| *k).collect();
            cx.at(
                p,
                format!(
                    "the metric rule has more than one threshold: {}",
                    keys.join(", ")
                ),
                ONE_OF,
            );
            None
        }
    };
    let statistic = spec
        .statistic
        .clone()
        .unwrap_or_else(|| DEFAULT_STATISTIC.to_owned());
    if !valid_statistic(&statistic) {
        cx.at(
            &locate::key(p, "statistic"),
            format!(
                "unknown statistic `{statistic}`{}",
                hint(&statistic, STATISTICS.iter().copied())
            ),
            "one of Average, Sum, Minimum, Maximum, SampleCount, or a percentile such as p99",
        );
    }
    let period = spec.period.unwrap_or(DEFAULT_PERIOD);
    let secs = period.as_secs();
    if !(secs == 10 || secs == 30 || (secs > 0 && secs.is_multiple_of(60))) {
        cx.at(
            &locate::key(p, "period"),
            format!("period {period} is not a CloudWatch alarm period"),
            "10s, 30s, or a whole number of minutes",
        );
    }
    let evaluation_periods = spec
        .evaluation_periods
        .unwrap_or(DEFAULT_EVALUATION_PERIODS);
    if evaluation_periods == 0 {
        cx.at(
            &locate::key(p, "evaluation_periods"),
            "0 evaluation periods",
            "1 or more consecutive periods",
        );
    }
    let comparison = comparison?;
    let custom = custom?;
    (cx.count() == before).then(|| MetricThreshold {
        metric: metric.to_owned(),
        comparison,
        statistic,
        period,
        evaluation_periods,
        custom,
    })
}

/// A few metrics of the kind, for the expected-value text.
fn example_metrics(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::RdsInstance => "CPUUtilization, DatabaseConnections, FreeableMemory",
        ResourceKind::AuroraCluster => {
            "CPUUtilization, ACUUtilization, ServerlessDatabaseCapacity, DatabaseConnections"
        }
        ResourceKind::MskCluster => "CpuUser, KafkaDataLogsDiskUsed, BytesInPerSec",
        ResourceKind::ElasticacheRedis => {
            "EngineCPUUtilization, DatabaseMemoryUsagePercentage, CurrConnections"
        }
        ResourceKind::AutoscalingGroup => "CPUUtilization, NetworkIn, NetworkOut",
    }
}

/// CloudWatch statistics, and extended statistics `pNN` / `pNN.NN`.
fn valid_statistic(s: &str) -> bool {
    if STATISTICS.contains(&s) {
        return true;
    }
    let Some(n) = s.strip_prefix('p') else {
        return false;
    };
    let digits_ok = !n.is_empty()
        && n.chars().all(|c| c.is_ascii_digit() || c == '.')
        && n.split('.').count() <= 2;
    digits_ok && n.parse::<f64>().is_ok_and(|v| (0.0..=100.0).contains(&v))
}

/// The knob a rule moves: the one it names, else the resource's first.
fn knob(
    cx: &mut Ctx<'_>,
    owner: &Owner<'_>,
    p: &str,
    scales: Option<KnobName>,
) -> Option<KnobName> {
    let have = owner.knob_names();
    let Some(name) = scales else {
        return super::default_knob(owner.knobs);
    };
    let sp = locate::key(p, "scales");
    let why = match name {
        KnobName::Storage => {
            Some("a rule may not scale `storage`: storage only grows, by its own `storage:` rule")
        }
        KnobName::Power => Some("`power` is set by a profile's `stopped`, never by a rule"),
        KnobName::SpotMix => Some("`spot_mix` follows the workload class, never a rule"),
        KnobName::InstanceClass
        | KnobName::ServerlessV2
        | KnobName::WriterClass
        | KnobName::Readers
        | KnobName::Brokers
        | KnobName::BrokerType
        | KnobName::NodeType
        | KnobName::Shards
        | KnobName::Replicas
        | KnobName::Capacity => None,
    };
    if let Some(why) = why {
        cx.at(&sp, why, format!("one of this resource's knobs: {have}"));
        return None;
    }
    if owner.knobs.iter().any(|k| k.name == name) {
        Some(name)
    } else if owner.written.contains(&name.as_str()) {
        None
    } else {
        cx.at(
            &sp,
            format!("`{name}` is not a knob of this {}", owner.kind),
            format!("one of this resource's knobs: {have}"),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_names_are_lower_case_and_suffixed() {
        assert_eq!(
            generated_alarm_name("billing-db", Direction::Up, "CPUUtilization", 1),
            "tidegate-billing-db-up-cpuutilization"
        );
        assert_eq!(
            generated_alarm_name("Billing DB", Direction::Down, "CPUUtilization", 2),
            "tidegate-billing-db-down-cpuutilization-2"
        );
        let mut names = AlarmNames::default();
        assert_eq!(names.next("a", Direction::Up, "X"), "tidegate-a-up-x");
        assert_eq!(names.next("a", Direction::Up, "X"), "tidegate-a-up-x-2");
        assert_eq!(names.next("a", Direction::Down, "X"), "tidegate-a-down-x");
    }

    #[test]
    fn statistics() {
        for ok in ["Average", "Maximum", "p99", "p99.9", "p50"] {
            assert!(valid_statistic(ok), "{ok}");
        }
        for bad in ["average", "p", "p101", "p9.9.9", "Mean"] {
            assert!(!valid_statistic(bad), "{bad}");
        }
    }
}
