//! A rule's own `namespace:` and `dimensions:`: a metric outside the kind's
//! namespace (the application's own, or another AWS service's, such as a
//! target group's `RequestCountPerTarget` in `AWS/ApplicationELB` for an
//! Auto Scaling group), read and alarmed on where it lives.
//!
//! CloudWatch's limits, from the CloudWatch API Reference: a namespace,
//! a dimension name and a dimension value are 1–255 characters
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html>,
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html>),
//! and a metric has at most 30 dimensions
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html>).

use super::Ctx;
use crate::policy::locate;
use crate::policy::model::CustomMetric;
use crate::policy::raw::RuleSpec;

const MAX_CHARS: usize = 255;
const MAX_DIMENSIONS: usize = 30;

/// What the rule at `p` names of where its metric lives: `Some(None)` for
/// the kind's own namespace and dimensions (`own`), `Some(Some(custom))`
/// for its own, `None` when that is wrong (reported in `cx`).
pub(super) fn custom_metric(
    cx: &mut Ctx<'_>,
    p: &str,
    spec: &RuleSpec,
    own: &str,
) -> Option<Option<CustomMetric>> {
    let before = cx.count();
    let Some(namespace) = &spec.namespace else {
        if spec.dimensions.is_some() {
            cx.at(
                &locate::key(p, "dimensions"),
                "`dimensions` says where a custom metric lives, and there is no `namespace`",
                "a `namespace:` beside `dimensions:`, or neither (the resource's own namespace and dimensions)",
            );
            return None;
        }
        return Some(None);
    };
    let np = locate::key(p, "namespace");
    if namespace.trim().is_empty() || namespace.chars().count() > MAX_CHARS {
        cx.at(
            &np,
            format!("namespace `{namespace}` is empty or longer than {MAX_CHARS} characters"),
            "a CloudWatch namespace such as `PgBouncer` or `AWS/ApplicationELB`",
        );
    } else if namespace == own && spec.dimensions.is_none() {
        // Without dimensions this would read the metric summed over the
        // whole namespace, not this resource's: never what was meant.
        cx.at(
            &np,
            format!("`namespace: {own}` is this kind's own namespace, and the rule gives no `dimensions`"),
            "no `namespace:` (the resource's own dimensions are used), or `dimensions:` beside it",
        );
    }
    let dimensions: Vec<(String, String)> = spec
        .dimensions
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let dp = locate::key(p, "dimensions");
    if dimensions.len() > MAX_DIMENSIONS {
        cx.at(
            &dp,
            format!("{} dimensions", dimensions.len()),
            format!("at most {MAX_DIMENSIONS} dimensions (CloudWatch's limit)"),
        );
    }
    for (name, value) in &dimensions {
        let ok = |s: &str| !s.trim().is_empty() && s.chars().count() <= MAX_CHARS;
        if !ok(name) || !ok(value) {
            cx.at(
                &locate::key(&dp, name),
                format!("dimension `{name}: {value}` has an empty or over-long name or value"),
                format!("a name and a value of 1 to {MAX_CHARS} characters"),
            );
        }
    }
    (cx.count() == before).then(|| {
        Some(CustomMetric {
            namespace: namespace.clone(),
            dimensions,
        })
    })
}
