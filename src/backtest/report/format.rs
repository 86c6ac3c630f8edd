//! How settings and figures are written in the report: change texts,
//! short settings, and the rounding of money and percentages.

use std::collections::BTreeMap;

use crate::estate::Setting;
use crate::policy::{Knob, KnobName, Scale};

/// `db.r6g.large → db.r6g.2xlarge`, `readers 1 → 3 (+2)`, `desired 8 → 3 (−5)`.
pub fn change_text(knob: KnobName, from: &Setting, to: &Setting) -> String {
    match (from, to) {
        (Setting::Count(a), Setting::Count(b))
        | (Setting::Capacity { desired: a, .. }, Setting::Capacity { desired: b, .. }) => {
            let label = if knob == KnobName::Capacity {
                "desired".to_owned()
            } else {
                knob.to_string()
            };
            let d = i64::from(*b) - i64::from(*a);
            let sign = if d >= 0 { "+" } else { "-" };
            format!("{label} {a} → {b} ({sign}{})", d.unsigned_abs())
        }
        (Setting::Acu { max: a, .. }, Setting::Acu { max: b, .. }) => {
            format!("max ACU {a} → {b}")
        }
        _ => format!("{from} → {to}"),
    }
}

/// One knob's setting in a few words.
pub fn short(knob: KnobName, s: &Setting) -> String {
    match s {
        Setting::Class(c) => c.clone(),
        Setting::Count(n) => count_of(*n, knob),
        Setting::Capacity { desired, .. } => format!("desired {desired}"),
        Setting::Acu { min, max } => format!("{min}–{max} ACU"),
        Setting::Gib(g) => format!("{g} GiB {knob}"),
        other => other.to_string(),
    }
}

/// Every sized setting in a few words, knob order (power and spot mix left out).
pub fn summary(settings: &BTreeMap<KnobName, Setting>) -> String {
    settings
        .iter()
        .filter(|(k, _)| !matches!(k, KnobName::Power | KnobName::SpotMix))
        .map(|(k, s)| short(*k, s))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn at_position(knob: &Knob, pos: usize) -> String {
    match &knob.scale {
        Scale::Classes(l) => l.get(pos).cloned().unwrap_or_default(),
        Scale::Counts(c) => c
            .get(pos)
            .map(|n| {
                if knob.name == KnobName::Capacity {
                    format!("desired {n}")
                } else {
                    count_of(*n, knob.name)
                }
            })
            .unwrap_or_default(),
        Scale::Acu { max_values, .. } => max_values
            .get(pos)
            .map(|m| format!("max {m} ACU"))
            .unwrap_or_default(),
    }
}

/// `1 reader`, `3 readers`.
fn count_of(n: u32, knob: KnobName) -> String {
    let name = knob.as_str();
    match (n, name.strip_suffix('s')) {
        (1, Some(one)) => format!("1 {one}"),
        _ => format!("{n} {name}"),
    }
}

/// Rounded to cents.
pub fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Rounded to one decimal place.
pub fn tenths(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
