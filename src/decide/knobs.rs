//! Positions on a knob's scale: where a resource is, which range the
//! profile in force allows, and the setting at a position. Pure.

use crate::estate::Setting;
use crate::policy::{Knob, KnobName, ProfileLimits, Resource, ResourceKind, Scale};

/// The range a knob may occupy right now, as positions on its scale.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Window {
    /// Lowest allowed position (never below the floor).
    pub lo: usize,
    /// Highest allowed position (never below the floor).
    pub hi: usize,
    /// The profile that set `hi`, when one narrowed it.
    pub capped_by: Option<String>,
    /// The profile that set `lo`, when one raised it.
    pub raised_by: Option<String>,
    /// Serverless v2 minimum ACU to hold while in force.
    pub min_acu: Option<f64>,
}

/// The window for `knob`: the whole scale above the floor, narrowed by each
/// profile in `profiles` in turn (the scheduled one, then the emergency one).
pub(crate) fn window(knob: &Knob, resource: &Resource, profiles: &[&str]) -> Window {
    let top = knob.scale.len().saturating_sub(1);
    let mut w = Window {
        lo: knob.floor,
        hi: top.max(knob.floor),
        capped_by: None,
        raised_by: None,
        min_acu: match &knob.scale {
            Scale::Acu { min_acu, .. } => Some(*min_acu),
            _ => None,
        },
    };
    for name in profiles {
        let Some(limits) = resource.profile(name) else {
            continue;
        };
        narrow(&mut w, knob, limits, name);
    }
    w
}

fn narrow(w: &mut Window, knob: &Knob, limits: &ProfileLimits, name: &str) {
    if let Some(&(lo, hi)) = limits.ranges.get(&knob.name) {
        // Never below the floor, whatever a profile says.
        let lo = lo.max(knob.floor);
        let hi = hi.max(knob.floor);
        if lo > w.lo {
            w.lo = lo;
            w.raised_by = Some(name.to_owned());
        }
        if hi < w.hi {
            w.hi = hi;
            w.capped_by = Some(name.to_owned());
        }
        if w.lo > w.hi {
            // A later profile (the emergency) caps below an earlier minimum:
            // the cap wins, the floor still holds.
            w.lo = w.hi;
        }
    }
    if let Some(min) = limits.min_acu {
        w.min_acu = Some(min);
    }
}

/// Where `setting` sits on `knob`'s scale, or None when it is off the scale.
pub(crate) fn position(knob: &Knob, setting: &Setting) -> Option<usize> {
    match (&knob.scale, setting) {
        (Scale::Classes(ladder), Setting::Class(c)) => ladder.iter().position(|x| x == c),
        (Scale::Counts(counts), Setting::Count(n)) => counts.iter().position(|x| x == n),
        (Scale::Counts(counts), Setting::Capacity { desired, .. }) => {
            counts.iter().position(|x| x == desired)
        }
        (Scale::Acu { max_values, .. }, Setting::Acu { max, .. }) => {
            max_values.iter().position(|x| (x - max).abs() < 1e-9)
        }
        _ => None,
    }
}

/// The setting at position `pos`, shaped like `current` (an ASG keeps min
/// and max from the window; Serverless v2 takes the window's minimum ACU).
pub(crate) fn setting_at(knob: &Knob, pos: usize, window: &Window) -> Option<Setting> {
    match &knob.scale {
        Scale::Classes(ladder) => ladder.get(pos).cloned().map(Setting::Class),
        Scale::Counts(counts) => {
            let n = *counts.get(pos)?;
            if knob.name == KnobName::Capacity {
                let min = *counts.get(window.lo)?;
                let max = *counts.get(window.hi)?;
                Some(Setting::Capacity {
                    min: min.min(n),
                    max: max.max(n),
                    desired: n,
                })
            } else {
                Some(Setting::Count(n))
            }
        }
        Scale::Acu {
            max_values,
            min_acu,
        } => {
            let max = *max_values.get(pos)?;
            let min = window.min_acu.unwrap_or(*min_acu).min(max);
            Some(Setting::Acu { min, max })
        }
    }
}

/// A short description of position `pos` for reasons: the class, count or ACU.
pub(crate) fn describe(knob: &Knob, pos: usize) -> String {
    match &knob.scale {
        Scale::Classes(ladder) => ladder.get(pos).cloned().unwrap_or_default(),
        Scale::Counts(counts) => counts.get(pos).map(u32::to_string).unwrap_or_default(),
        Scale::Acu { max_values, .. } => max_values
            .get(pos)
            .map(|m| format!("max {m} ACU"))
            .unwrap_or_default(),
    }
}

/// Resume latency of a paused Serverless v2 instance, for the plan when a
/// change sets the minimum to 0 ACU. AWS (Aurora User Guide, "Scaling to
/// Zero ACUs with automatic pause and resume"): resuming takes about 15
/// seconds (AWS Database Blog, "Introducing scaling to 0 capacity with
/// Amazon Aurora Serverless v2": "up to 15 seconds"), longer after an
/// instance has been paused for more than 24 hours.
pub(crate) fn auto_pause_note(to: &Setting, resource: &Resource) -> Option<String> {
    match to {
        Setting::Acu { min, .. } if *min == 0.0 => Some(format!(
            "min 0 ACU: Aurora pauses each instance after {} s without connections (compute then bills $0, storage still bills); the first connection waits for the resume, about 15 s, longer after more than a day paused",
            resource.auto_pause_seconds.unwrap_or(300)
        )),
        _ => None,
    }
}

/// Operator notes that go with changing `knob` of `resource`.
pub(crate) fn notes(knob: KnobName, resource: &Resource, multi_az: bool) -> Vec<String> {
    let mut notes = Vec::new();
    match knob {
        KnobName::InstanceClass => {
            notes.push(if multi_az {
                "Multi-AZ: the standby is modified first, then RDS fails over to it (typically 60-120 s)".to_owned()
            } else {
                "Single-AZ: the instance is unavailable while its class changes".to_owned()
            });
            if !resource.apply_immediately {
                notes.push("applies in the next maintenance window (apply_immediately: false)".to_owned());
            }
        }
        KnobName::WriterClass => notes.push(
            "writer resize: add a reader of the target class, fail over to it, retire the old writer".to_owned(),
        ),
        KnobName::BrokerType => notes.push("MSK rolls the new broker type one broker at a time".to_owned()),
        KnobName::Brokers => notes.push("MSK cannot remove brokers this way: broker count only grows".to_owned()),
        KnobName::Storage => notes.push("storage only grows; AWS allows one storage change per 6 h".to_owned()),
        KnobName::NodeType => notes.push("ElastiCache scales the node type online".to_owned()),
        KnobName::Shards => notes.push("ElastiCache reshards online (slots move between shards)".to_owned()),
        KnobName::SpotMix => notes.push(crate::spot::REPLACEMENT_NOTE.to_owned()),
        // "You can stop a DB cluster for up to seven days. If you don't
        // manually start your DB cluster after seven days, your DB cluster
        // is automatically started" (Aurora User Guide, Stopping and
        // starting an Amazon Aurora DB cluster; RDS the same for instances).
        KnobName::Power if resource.kind == ResourceKind::AuroraCluster => notes.push(
            "Aurora restarts a stopped cluster by itself after 7 days; tidegate stops it again while the profile says stopped (storage bills while stopped, compute does not)".to_owned(),
        ),
        KnobName::Power => notes.push(
            "RDS restarts a stopped instance by itself after 7 days; tidegate stops it again while the profile says stopped".to_owned(),
        ),
        KnobName::ServerlessV2
        | KnobName::Readers
        | KnobName::Replicas
        | KnobName::Capacity => {}
    }
    notes
}
