//! Workload classes (`spot_mix`): spot share, allocation strategy,
//! instance types, and how the mix reacts to spot interruption warnings.

use std::collections::{BTreeMap, BTreeSet};

use super::{Ctx, finite, hint};
use crate::catalog;
use crate::policy::locate;
use crate::policy::model::{SpotClass, SpotReaction};
use crate::policy::raw;

/// EC2 spot allocation strategies an Auto Scaling group accepts.
const ALLOCATION_STRATEGIES: &[&str] = &[
    "price-capacity-optimized",
    "capacity-optimized",
    "capacity-optimized-prioritized",
    "lowest-price",
];

/// The workload classes, checked.
pub(super) fn check(
    cx: &mut Ctx<'_>,
    mix: &BTreeMap<String, raw::SpotClassSpec>,
) -> BTreeMap<String, SpotClass> {
    let mut out = BTreeMap::new();
    for (name, spec) in mix {
        let p = locate::key("spot_mix", name);
        let pct = locate::key(&p, "spot_percent");
        if finite(cx, &pct, spec.spot_percent) && !(0.0..=100.0).contains(&spec.spot_percent) {
            cx.at(
                &pct,
                format!("spot percent {} is outside 0–100", spec.spot_percent),
                "a percent from 0 (all on-demand) to 100 (all spot)",
            );
        }
        if !ALLOCATION_STRATEGIES.contains(&spec.allocation_strategy.as_str()) {
            cx.at(
                &locate::key(&p, "allocation_strategy"),
                format!(
                    "unknown allocation strategy `{}`{}",
                    spec.allocation_strategy,
                    hint(
                        &spec.allocation_strategy,
                        ALLOCATION_STRATEGIES.iter().copied()
                    )
                ),
                format!("one of: {}", ALLOCATION_STRATEGIES.join(", ")),
            );
        }
        let mut seen = BTreeSet::new();
        instance_types(
            cx,
            &locate::key(&p, "instance_types"),
            &spec.instance_types,
            &mut seen,
        );
        let interruptions = spec
            .interruptions
            .as_ref()
            .map(|r| reaction(cx, &p, spec, r, &mut seen));
        out.insert(
            name.clone(),
            SpotClass {
                name: name.clone(),
                spot_percent: spec.spot_percent,
                on_demand_base: spec.on_demand_base,
                allocation_strategy: spec.allocation_strategy.clone(),
                instance_types: spec.instance_types.clone(),
                interruptions: interruptions.clone(),
            },
        );
    }
    out
}

/// Each type known to the catalog and listed once (across `seen`).
fn instance_types<'t>(
    cx: &mut Ctx<'_>,
    path: &str,
    types: &'t [String],
    seen: &mut BTreeSet<&'t str>,
) {
    for (i, t) in types.iter().enumerate() {
        let tp = locate::item(path, i);
        if !catalog::is_valid_for(raw::ResourceKind::AutoscalingGroup, None, t) {
            let known = catalog::valid_classes(raw::ResourceKind::AutoscalingGroup, None);
            cx.at(
                &tp,
                format!(
                    "unknown EC2 instance type `{t}`{}",
                    hint(t, known.iter().copied())
                ),
                "an EC2 instance type tidegate knows, e.g. m6i.large, m7g.xlarge, c6i.2xlarge",
            );
        } else if !seen.insert(t.as_str()) {
            cx.at(
                &tp,
                format!("instance type `{t}` is listed twice"),
                "each instance type once",
            );
        }
    }
}

/// The class's reaction to interruption warnings.
fn reaction<'t>(
    cx: &mut Ctx<'_>,
    class: &str,
    spec: &raw::SpotClassSpec,
    r: &'t raw::InterruptionsSpec,
    seen: &mut BTreeSet<&'t str>,
) -> SpotReaction {
    let p = locate::key(class, "interruptions");
    let on_demand = (100.0 - spec.spot_percent).round().clamp(0.0, 100.0) as u32;
    if spec.spot_percent <= 0.0 {
        cx.at(
            &p,
            "the class runs no spot capacity: there is nothing to react to",
            "no `interruptions` on a class with `spot_percent: 0`",
        );
    }
    if r.warnings == 0 {
        cx.at(
            &locate::key(&p, "warnings"),
            "0 warnings would raise the on-demand share on every run",
            "at least 1 warning within the window, e.g. `3`",
        );
    }
    for (key, span) in [("within", r.within), ("quiet_period", r.quiet_period)] {
        if span.as_secs() == 0 {
            cx.at(
                &locate::key(&p, key),
                format!("{key} is 0"),
                "a span such as `10m` or `2h`",
            );
        }
    }
    if !(1..=100).contains(&r.step_percent) {
        cx.at(
            &locate::key(&p, "step_percent"),
            format!("a step of {} percent", r.step_percent),
            "a percent from 1 to 100, e.g. `20`",
        );
    }
    if r.max_on_demand_percent > 100 || r.max_on_demand_percent <= on_demand {
        cx.at(
            &locate::key(&p, "max_on_demand_percent"),
            format!(
                "a ceiling of {}% on-demand, where the class runs {on_demand}% on-demand already",
                r.max_on_demand_percent
            ),
            format!("a percent above {on_demand} and at most 100"),
        );
    }
    instance_types(
        cx,
        &locate::key(&p, "diversify_with"),
        &r.diversify_with,
        seen,
    );
    if let Some(refresh) = &r.instance_refresh
        && refresh.min_healthy_percent > 100
    {
        cx.at(
            &locate::key(&locate::key(&p, "instance_refresh"), "min_healthy_percent"),
            format!("{}% of the group in service", refresh.min_healthy_percent),
            "a percent from 0 to 100, e.g. `90`",
        );
    }
    SpotReaction {
        warnings: r.warnings,
        within: r.within,
        step_percent: r.step_percent,
        max_on_demand_percent: r.max_on_demand_percent,
        quiet_period: r.quiet_period,
        diversify_with: r.diversify_with.clone(),
        instance_refresh: r.instance_refresh.as_ref().map(|i| i.min_healthy_percent),
    }
}
