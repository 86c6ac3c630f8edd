//! Knob scales: instance-class ladders, stepped counts and Serverless v2 ACU
//! ranges, each checked and turned into a [`Knob`] with its floor as an
//! index.

use std::collections::BTreeSet;

use super::{Ctx, finite, hint};
use crate::catalog;
use crate::policy::locate;
use crate::policy::model::{Knob, KnobName, MaxStep, ResourceKind, Scale};
use crate::policy::raw::{AcuSpec, CountSpec, LadderSpec, MaxStepSpec};

/// Most positions one count knob may have (a larger range is a typo).
pub const MAX_POSITIONS: u64 = 10_000;

/// Most count positions in the whole policy (bounds the memory a small file
/// full of wide ranges can claim).
pub const MAX_TOTAL_POSITIONS: u64 = 1_000_000;

/// Highest Aurora Serverless v2 capacity, ACUs. AWS: "The largest value that
/// you can use is 256 for recent Aurora versions, or 128 for older versions"
/// (RDS API Reference, ServerlessV2ScalingConfiguration.MaxCapacity). The
/// policy cannot know the engine version: the cluster's own limit
/// (ServerlessV2FeaturesSupport) is checked when acting.
pub const MAX_ACU: f64 = 256.0;

/// Lowest nonzero Serverless v2 capacity. A minimum of 0 turns auto-pause on
/// ("For Aurora versions that support the Aurora Serverless v2 auto-pause
/// feature, the smallest value that you can use is 0 ... otherwise 0.5",
/// ServerlessV2ScalingConfiguration.MinCapacity).
pub const MIN_ACU: f64 = 0.5;

/// Shortest `seconds_until_auto_pause` AWS accepts (ServerlessV2ScalingConfiguration
/// .SecondsUntilAutoPause: "between 300 seconds (five minutes) and 86,400
/// seconds (one day). The default is 300 seconds").
pub const MIN_AUTO_PAUSE_SECONDS: u32 = 300;

/// Longest `seconds_until_auto_pause` AWS accepts (one day).
pub const MAX_AUTO_PAUSE_SECONDS: u32 = 86_400;

/// Default `step_acu`.
pub const DEFAULT_STEP_ACU: f64 = 2.0;

/// An instance-class ladder for `kind`/`engine`: non-empty, no duplicates,
/// every class known for the kind and engine, strictly increasing in size
/// (vCPUs, then memory, then burstable before fixed-performance), floor on
/// the ladder (default: the first rung).
pub(super) fn ladder(
    cx: &mut Ctx<'_>,
    path: &str,
    spec: &LadderSpec,
    name: KnobName,
    kind: ResourceKind,
    engine: Option<&str>,
) -> Option<Knob> {
    let before = cx.count();
    let lp = locate::key(path, "ladder");
    if spec.ladder.is_empty() {
        cx.at(
            &lp,
            "the ladder is empty",
            "at least one instance class, smallest first",
        );
        return None;
    }
    let mut seen = BTreeSet::new();
    let mut prev: Option<(&str, &catalog::ClassInfo)> = None;
    for (i, class) in spec.ladder.iter().enumerate() {
        let ip = locate::item(&lp, i);
        if !seen.insert(class.as_str()) {
            cx.at(
                &ip,
                format!("`{class}` appears twice in the ladder"),
                "each class once",
            );
            continue;
        }
        let Some(info) =
            catalog::lookup(class).filter(|_| catalog::is_valid_for(kind, engine, class))
        else {
            unknown_class(cx, &ip, class, kind, engine);
            continue;
        };
        if let Some((pname, pinfo)) = prev
            && !pinfo.is_smaller_than(info)
        {
            cx.at(
                &ip,
                format!(
                    "ladder not ordered by size: `{class}` ({}) is not larger than `{pname}` ({})",
                    size(info),
                    size(pinfo)
                ),
                "classes from smallest to largest: vCPUs, then memory, strictly increasing",
            );
        }
        prev = Some((class, info));
    }
    let floor = match &spec.floor {
        None => 0,
        Some(f) => match spec.ladder.iter().position(|c| c == f) {
            Some(i) => i,
            None => {
                cx.at(
                    &locate::key(path, "floor"),
                    format!(
                        "floor `{f}` is not on the ladder{}",
                        hint(f, spec.ladder.iter().map(String::as_str))
                    ),
                    format!("one of the ladder's classes: {}", spec.ladder.join(", ")),
                );
                0
            }
        },
    };
    let max_step = max_step(cx, path, spec.max_step.as_ref());
    (cx.count() == before).then(|| Knob {
        name,
        scale: Scale::Classes(spec.ladder.clone()),
        floor,
        max_step,
    })
}

fn size(info: &catalog::ClassInfo) -> String {
    let burst = if info.burstable { ", burstable" } else { "" };
    format!("{} vCPU, {} GiB{burst}", info.vcpus, info.memory_gib)
}

fn unknown_class(
    cx: &mut Ctx<'_>,
    path: &str,
    class: &str,
    kind: ResourceKind,
    engine: Option<&str>,
) {
    let valid = catalog::valid_classes(kind, engine);
    let for_what = match engine {
        Some(e) => format!("{kind} with engine {e}"),
        None => kind.to_string(),
    };
    let message = if catalog::lookup(class).is_some() {
        format!("`{class}` is not available for {for_what}")
    } else {
        format!(
            "unknown instance class `{class}`{}",
            hint(class, valid.iter().copied())
        )
    };
    // Examples of the same size (`large`, `xlarge`, ...) read best.
    let size = class.rsplit('.').next().unwrap_or("");
    let mut examples: Vec<&str> = valid
        .iter()
        .copied()
        .filter(|c| c.rsplit('.').next() == Some(size))
        .take(6)
        .collect();
    if examples.is_empty() {
        examples = valid.iter().copied().take(6).collect();
    }
    cx.at(
        path,
        message,
        format!("a class valid for {for_what}, e.g. {}", examples.join(", ")),
    );
}

/// Limits of one count dimension.
pub(super) struct CountRules {
    /// Lowest allowed `min`.
    pub lo: u32,
    /// Highest allowed `max`, if AWS caps it.
    pub hi: Option<u32>,
    /// `min`, `max` and `step` must be multiples of this (MSK: `az_count`).
    pub multiple_of: Option<u32>,
    /// Step when none is written.
    pub default_step: u32,
    /// What the count is, for messages ("readers", "brokers", ...).
    pub what: &'static str,
}

/// A stepped count range: `min ≤ max`, within the dimension's limits,
/// `max − min` and `floor − min` whole steps, floor (default `min`) within
/// `[min, max]`. Positions are `min, min + step, ..., max`.
pub(super) fn counts(
    cx: &mut Ctx<'_>,
    path: &str,
    spec: &CountSpec,
    name: KnobName,
    rules: &CountRules,
) -> Option<Knob> {
    let before = cx.count();
    let (min, max) = (spec.min, spec.max);
    let what = rules.what;
    if min > max {
        cx.at(
            &locate::key(path, "min"),
            format!("min {min} is greater than max {max}"),
            "min ≤ max",
        );
    }
    if min < rules.lo {
        cx.at(
            &locate::key(path, "min"),
            format!(
                "min {min} is below the lowest possible {what} ({})",
                rules.lo
            ),
            format!("min ≥ {}", rules.lo),
        );
    }
    if let Some(hi) = rules.hi
        && max > hi
    {
        cx.at(
            &locate::key(path, "max"),
            format!("max {max} is above the highest possible {what} ({hi})"),
            format!("max ≤ {hi}"),
        );
    }
    let step = spec.step.unwrap_or(rules.default_step);
    if step == 0 {
        cx.at(
            &locate::key(path, "step"),
            "step 0 never moves",
            "a step of 1 or more",
        );
    }
    if let Some(m) = rules.multiple_of.filter(|m| *m > 0) {
        for (key, v) in [("min", min), ("max", max), ("step", step)] {
            if v % m != 0 {
                cx.at(
                    &locate::key(path, key),
                    format!("{what} {key} {v} is not a multiple of the AZ count {m}"),
                    format!("a multiple of {m} (brokers are added one per AZ)"),
                );
            }
        }
    }
    if cx.count() > before {
        return None;
    }
    if (max - min) % step != 0 {
        cx.at(
            &locate::key(path, "max"),
            format!("max {max} is not a whole number of steps of {step} above min {min}"),
            format!("max = min + n × {step}, e.g. {}", max - (max - min) % step),
        );
        return None;
    }
    let positions = u64::from((max - min) / step) + 1;
    if positions > MAX_POSITIONS {
        cx.at(
            path,
            format!("the range {min}–{max} has {positions} positions"),
            format!("at most {MAX_POSITIONS} positions (raise `step` or narrow the range)"),
        );
        return None;
    }
    if !cx.take_positions(positions) {
        cx.at(
            path,
            format!(
                "the policy's count ranges have more than {MAX_TOTAL_POSITIONS} positions in all"
            ),
            "fewer or narrower count ranges",
        );
        return None;
    }
    let values: Vec<u32> = (min..=max).step_by(step as usize).collect();
    let floor = spec.floor.unwrap_or(min);
    let fp = locate::key(path, "floor");
    if floor < min || floor > max {
        cx.at(
            &fp,
            format!("floor {floor} is outside the range {min}–{max}"),
            format!("a floor from {min} to {max}"),
        );
        return None;
    }
    let Some(floor_idx) = values.iter().position(|v| *v == floor) else {
        cx.at(
            &fp,
            format!("floor {floor} is not a whole number of steps of {step} above min {min}"),
            format!("one of: {}", join(&values)),
        );
        return None;
    };
    Some(Knob {
        name,
        scale: Scale::Counts(values),
        floor: floor_idx,
        max_step: max_step(cx, path, spec.max_step.as_ref()),
    })
}

fn join<T: std::fmt::Display>(v: &[T]) -> String {
    let shown: Vec<String> = v.iter().take(12).map(|x| x.to_string()).collect();
    if v.len() > 12 {
        format!("{}, ...", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A multiple of 0.5.
pub(super) fn half_step(v: f64) -> bool {
    (v * 2.0).fract() == 0.0
}

/// Serverless v2 capacity: min_acu 0 (auto-pause, with an optional
/// `seconds_until_auto_pause` of 300–86,400) or 0.5 ≤ min_acu, min_acu ≤
/// max_acu ≤ 256 in 0.5 steps, the floor (for the maximum ACU; default the
/// first position) within, step (default 2) a positive multiple of 0.5.
/// Positions are the maximum ACU values `min_acu, min_acu + step, ...`
/// (from `step` when min_acu is 0), always ending at `max_acu`.
pub(super) fn acu(cx: &mut Ctx<'_>, path: &str, spec: &AcuSpec) -> Option<Knob> {
    let before = cx.count();
    let minp = locate::key(path, "min_acu");
    let maxp = locate::key(path, "max_acu");
    let (min, max) = (spec.min_acu, spec.max_acu);
    let ok_min = finite(cx, &minp, min);
    let ok_max = finite(cx, &maxp, max);
    // 0 is auto-pause; otherwise at least 0.5.
    if ok_min && min != 0.0 && (min < MIN_ACU || !half_step(min)) {
        cx.at(
            &minp,
            format!("min_acu {min} is not a valid capacity"),
            "0 (auto-pause), or 0.5 or more, in steps of 0.5",
        );
    }
    if let Some(secs) = spec.seconds_until_auto_pause {
        let pp = locate::key(path, "seconds_until_auto_pause");
        if ok_min && min != 0.0 {
            cx.at(
                &pp,
                format!(
                    "seconds_until_auto_pause is set but min_acu is {min}: the cluster never pauses"
                ),
                "min_acu: 0, or no seconds_until_auto_pause",
            );
        } else if !(MIN_AUTO_PAUSE_SECONDS..=MAX_AUTO_PAUSE_SECONDS).contains(&secs) {
            cx.at(
                &pp,
                format!("seconds_until_auto_pause {secs} is outside what AWS accepts"),
                "300 to 86400 seconds (AWS's limits)",
            );
        }
    }
    if ok_max && (max > MAX_ACU || !half_step(max) || max < MIN_ACU) {
        cx.at(
            &maxp,
            format!("max_acu {max} is not a valid capacity"),
            "at most 256, in steps of 0.5",
        );
    }
    if ok_min && ok_max && min > max {
        cx.at(
            &minp,
            format!("min_acu {min} is greater than max_acu {max}"),
            "min_acu ≤ max_acu",
        );
    }
    let step = spec.step_acu.unwrap_or(DEFAULT_STEP_ACU);
    let sp = locate::key(path, "step_acu");
    if finite(cx, &sp, step) && (step <= 0.0 || !half_step(step)) {
        cx.at(
            &sp,
            format!("step_acu {step} is not a valid step"),
            "a positive multiple of 0.5",
        );
    }
    if cx.count() > before {
        return None;
    }
    let mut values = Vec::new();
    // A maximum of 0 ACU is no capacity at all: with auto-pause (min 0) the
    // first maximum is one step up.
    let mut v = if min == 0.0 { step.min(max) } else { min };
    while v < max {
        values.push(v);
        v += step;
    }
    values.push(max);
    let floor = spec.floor_acu.unwrap_or(values[0]);
    let fp = locate::key(path, "floor_acu");
    if !finite(cx, &fp, floor) {
        return None;
    }
    if floor < min || floor > max {
        cx.at(
            &fp,
            format!("floor_acu {floor} is outside the range {min}–{max}"),
            format!("a floor from {min} to {max}"),
        );
        return None;
    }
    let Some(floor_idx) = values.iter().position(|x| *x == floor) else {
        cx.at(
            &fp,
            format!("floor_acu {floor} is not one of the ACU positions"),
            format!("one of: {}", join(&values)),
        );
        return None;
    };
    Some(Knob {
        name: KnobName::ServerlessV2,
        scale: Scale::Acu {
            max_values: values,
            min_acu: min,
        },
        floor: floor_idx,
        max_step: max_step(cx, path, spec.max_step.as_ref()),
    })
}

/// A knob's `max_step`: each given cap at least 1 (a cap of 0 would stop a
/// firing rule from ever moving the knob).
fn max_step(cx: &mut Ctx<'_>, path: &str, spec: Option<&MaxStepSpec>) -> MaxStep {
    let mut out = MaxStep::default();
    let Some(spec) = spec else {
        return out;
    };
    let p = locate::key(path, "max_step");
    for (key, v) in [("up", spec.up), ("down", spec.down)] {
        if v == Some(0) {
            cx.at(
                &locate::key(&p, key),
                format!("max_step {key} 0 never moves"),
                "1 or more positions",
            );
        }
    }
    let positions = |v: u32| usize::try_from(v.max(1)).unwrap_or(usize::MAX);
    out.up = spec.up.map(positions);
    if let Some(d) = spec.down {
        out.down = positions(d);
    }
    out
}
