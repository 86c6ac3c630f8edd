//! A resource's profile overrides: each names a declared profile, only
//! narrows a knob the resource has, stays on its scale, and never reaches
//! below the protected floor. Turned into [`ProfileLimits`] position ranges.

use std::collections::{BTreeMap, BTreeSet};

use super::owner::{Owner, applies_to};
use super::scales::half_step;
use super::{Ctx, check_profile, finite, hint};
use crate::policy::locate;
use crate::policy::model::{Knob, KnobName, ProfileLimits, ResourceKind, Scale};
use crate::policy::raw::{AcuRangeSpec, ClassRangeSpec, OverridesSpec, RangeSpec};

pub(super) fn check(
    cx: &mut Ctx<'_>,
    owner: &Owner<'_>,
    allow_stop: bool,
    overrides: &BTreeMap<String, OverridesSpec>,
    profiles: &BTreeSet<String>,
) -> BTreeMap<String, ProfileLimits> {
    let kind = owner.kind;
    let mut out = BTreeMap::new();
    let base = locate::key(owner.path, "profiles");
    for (pname, ov) in overrides {
        let pp = locate::key(&base, pname);
        check_profile(cx, &pp, pname, "the resource", profiles);
        let mut limits = ProfileLimits::default();
        let classes: [(KnobName, &Option<ClassRangeSpec>); 4] = [
            (KnobName::InstanceClass, &ov.instance_class),
            (KnobName::WriterClass, &ov.writer_class),
            (KnobName::BrokerType, &ov.broker_type),
            (KnobName::NodeType, &ov.node_type),
        ];
        for (name, spec) in classes {
            let Some(spec) = spec else { continue };
            let path = locate::key(&pp, name.as_str());
            if let Some(knob) = knob_for(cx, &path, name, owner)
                && let Some(range) = class_range(cx, &path, spec, knob)
            {
                limits.ranges.insert(name, range);
            }
        }
        let counts: [(KnobName, &Option<RangeSpec>); 5] = [
            (KnobName::Readers, &ov.readers),
            (KnobName::Brokers, &ov.brokers),
            (KnobName::Shards, &ov.shards),
            (KnobName::Replicas, &ov.replicas),
            (KnobName::Capacity, &ov.capacity),
        ];
        for (name, spec) in counts {
            let Some(spec) = spec else { continue };
            let path = locate::key(&pp, name.as_str());
            if let Some(knob) = knob_for(cx, &path, name, owner)
                && let Some(range) = count_range(cx, &path, spec, knob)
            {
                limits.ranges.insert(name, range);
            }
        }
        if let Some(spec) = &ov.serverless_v2 {
            let path = locate::key(&pp, "serverless_v2");
            if let Some(knob) = knob_for(cx, &path, KnobName::ServerlessV2, owner)
                && let Some(range) = acu_range(cx, &path, spec, knob)
            {
                limits.ranges.insert(KnobName::ServerlessV2, range);
                limits.min_acu = spec.min_acu;
            }
        }
        if let Some(stopped) = ov.stopped {
            let path = locate::key(&pp, "stopped");
            if let Some(why) = cannot_stop(kind) {
                cx.at(
                    &path,
                    format!("`stopped` does not apply to {kind}: {why}"),
                    "`stopped` only on rds_instance and aurora_cluster resources (scale down instead)",
                );
            } else if stopped && !allow_stop {
                cx.at(
                    &path,
                    "`stopped: true` but the resource does not allow stopping",
                    "`allow_stop: true` on the resource (non-production instances only)",
                );
            }
            limits.stopped = Some(stopped);
        }
        out.insert(pname.clone(), limits);
    }
    out
}

/// Why a kind cannot be stopped by a profile, or None when it can (RDS
/// StopDBInstance, Aurora StopDBCluster).
fn cannot_stop(kind: ResourceKind) -> Option<&'static str> {
    match kind {
        ResourceKind::RdsInstance | ResourceKind::AuroraCluster => None,
        // The ElastiCache API has no stop for a replication group or cache
        // cluster (only create, modify, delete); nodes bill until deleted.
        ResourceKind::ElasticacheRedis => {
            Some("ElastiCache has no stop: a replication group bills until it is deleted")
        }
        // The MSK API has no stop for a cluster (only create, update, delete).
        ResourceKind::MskCluster => {
            Some("MSK has no stop: brokers bill until the cluster is deleted")
        }
        ResourceKind::AutoscalingGroup => Some("set its capacity to 0 instead"),
    }
}

/// The resource's knob an override narrows, or a problem.
fn knob_for<'k>(
    cx: &mut Ctx<'_>,
    path: &str,
    name: KnobName,
    owner: &Owner<'k>,
) -> Option<&'k Knob> {
    if let Some(k) = owner.knobs.iter().find(|k| k.name == name) {
        return Some(k);
    }
    let kind = owner.kind;
    if owner.written.contains(&name.as_str()) {
        // Written but invalid: already reported.
    } else if applies_to(kind, name.as_str()) {
        cx.at(
            path,
            format!("the resource has no `{name}` range for a profile to narrow"),
            format!("the block `{name}:` on the resource, or no `{name}` override"),
        );
    } else {
        cx.at(
            path,
            format!("`{name}` does not apply to {kind}"),
            format!("overrides of this resource's knobs: {}", owner.knob_names()),
        );
    }
    None
}

fn class_range(
    cx: &mut Ctx<'_>,
    path: &str,
    spec: &ClassRangeSpec,
    knob: &Knob,
) -> Option<(usize, usize)> {
    let Scale::Classes(ladder) = &knob.scale else {
        return None;
    };
    let floor_name = ladder.get(knob.floor).map_or("", String::as_str);
    let mut find = |key: &str, v: &Option<String>| -> Result<Option<usize>, ()> {
        let Some(v) = v else { return Ok(None) };
        match ladder.iter().position(|c| c == v) {
            Some(i) => Ok(Some(i)),
            None => {
                cx.at(
                    &locate::key(path, key),
                    format!(
                        "`{v}` is not on the ladder{}",
                        hint(v, ladder.iter().map(String::as_str))
                    ),
                    format!("one of the ladder's classes: {}", ladder.join(", ")),
                );
                Err(())
            }
        }
    };
    let (min, max) = (find("min", &spec.min), find("max", &spec.max));
    let (Ok(min), Ok(max)) = (min, max) else {
        return None;
    };
    let (lo, hi) = (
        min.unwrap_or(0),
        max.unwrap_or(ladder.len().saturating_sub(1)),
    );
    let name = |i: usize| ladder.get(i).map_or("", String::as_str).to_owned();
    below_floor(
        cx,
        path,
        min,
        max,
        knob.floor,
        &|i| format!("`{}`", name(i)),
        &format!("`{floor_name}`"),
    )?;
    if lo > hi {
        cx.at(
            &locate::key(path, "min"),
            format!("min `{}` is above max `{}`", name(lo), name(hi)),
            "min at or below max on the ladder",
        );
        return None;
    }
    Some((lo, hi))
}

/// Profiles never reach below the protected floor: neither bound may be
/// under it.
fn below_floor(
    cx: &mut Ctx<'_>,
    path: &str,
    min: Option<usize>,
    max: Option<usize>,
    floor: usize,
    show: &dyn Fn(usize) -> String,
    floor_shown: &str,
) -> Option<()> {
    let mut ok = true;
    for (key, v) in [("min", min), ("max", max)] {
        if let Some(i) = v.filter(|i| *i < floor) {
            cx.at(
                &locate::key(path, key),
                format!(
                    "{key} {} is below the protected floor {floor_shown}",
                    show(i)
                ),
                format!("a {key} at or above the floor {floor_shown}"),
            );
            ok = false;
        }
    }
    ok.then_some(())
}

fn count_range(
    cx: &mut Ctx<'_>,
    path: &str,
    spec: &RangeSpec,
    knob: &Knob,
) -> Option<(usize, usize)> {
    let Scale::Counts(values) = &knob.scale else {
        return None;
    };
    let (first, last) = (*values.first()?, *values.last()?);
    let mut find = |key: &str, v: Option<u32>| -> Result<Option<usize>, ()> {
        let Some(v) = v else { return Ok(None) };
        if v < first || v > last {
            cx.at(
                &locate::key(path, key),
                format!("{key} {v} is outside the resource's range {first}–{last}"),
                format!("a value from {first} to {last} (profiles only narrow the range)"),
            );
            return Err(());
        }
        match values.iter().position(|x| *x == v) {
            Some(i) => Ok(Some(i)),
            None => {
                let shown: Vec<String> = values.iter().map(u32::to_string).collect();
                cx.at(
                    &locate::key(path, key),
                    format!("{key} {v} is not an allowed step of the range"),
                    format!("one of: {}", shown.join(", ")),
                );
                Err(())
            }
        }
    };
    let (min, max) = (find("min", spec.min), find("max", spec.max));
    let (Ok(min), Ok(max)) = (min, max) else {
        return None;
    };
    let show = |i: usize| values.get(i).map_or(String::new(), u32::to_string);
    let floor_shown = show(knob.floor);
    below_floor(cx, path, min, max, knob.floor, &show, &floor_shown)?;
    let (lo, hi) = (min.unwrap_or(0), max.unwrap_or(values.len() - 1));
    if lo > hi {
        cx.at(
            &locate::key(path, "min"),
            format!("min {} is greater than max {}", show(lo), show(hi)),
            "min ≤ max",
        );
        return None;
    }
    Some((lo, hi))
}

fn acu_range(
    cx: &mut Ctx<'_>,
    path: &str,
    spec: &AcuRangeSpec,
    knob: &Knob,
) -> Option<(usize, usize)> {
    let Scale::Acu {
        max_values,
        min_acu,
    } = &knob.scale
    else {
        return None;
    };
    let (rmin, rmax) = (*min_acu, *max_values.last()?);
    let before = cx.count();
    let minp = locate::key(path, "min_acu");
    let maxp = locate::key(path, "max_acu");
    if let Some(m) = spec.min_acu.filter(|m| finite(cx, &minp, *m)) {
        if m < rmin || m > rmax {
            cx.at(
                &minp,
                format!("min_acu {m} is outside the resource's range {rmin}–{rmax}"),
                format!("a value from {rmin} to {rmax} (profiles only narrow the range)"),
            );
        } else if !half_step(m) {
            cx.at(
                &minp,
                format!("min_acu {m} is not a valid capacity"),
                "a multiple of 0.5",
            );
        }
    }
    let mut hi = max_values.len() - 1;
    if let Some(m) = spec.max_acu.filter(|m| finite(cx, &maxp, *m)) {
        let floor = max_values.get(knob.floor).copied().unwrap_or(rmin);
        if m < rmin || m > rmax {
            cx.at(
                &maxp,
                format!("max_acu {m} is outside the resource's range {rmin}–{rmax}"),
                format!("a value from {rmin} to {rmax} (profiles only narrow the range)"),
            );
        } else if m < floor {
            cx.at(
                &maxp,
                format!("max_acu {m} is below the protected floor {floor}"),
                format!("a max_acu at or above the floor {floor}"),
            );
        } else {
            match max_values.iter().position(|x| *x == m) {
                Some(i) => hi = i,
                None => {
                    let shown: Vec<String> = max_values.iter().map(f64::to_string).collect();
                    cx.at(
                        &maxp,
                        format!("max_acu {m} is not one of the resource's ACU steps"),
                        format!("one of: {}", shown.join(", ")),
                    );
                }
            }
        }
    }
    if cx.count() > before {
        return None;
    }
    let low = spec.min_acu.unwrap_or(rmin);
    let top = max_values.get(hi).copied().unwrap_or(rmax);
    if low > top {
        cx.at(
            &minp,
            format!("min_acu {low} is greater than max_acu {top}"),
            "min_acu ≤ max_acu",
        );
        return None;
    }
    // The maximum ACU can never be set below the minimum in force.
    let lo = max_values.iter().position(|x| *x >= low).unwrap_or(hi);
    Some((lo, hi))
}
