//! What Aurora Serverless v2 is expected to bill: the ACUs its instances run
//! at, not its MinCapacity. Pure. The backtest's cost model and the decision
//! core's prices both pin the ACU range with [`at_running_acu`], so a change
//! of the maximum ACU is priced by the ACU-hours it lets the cluster use.

use std::collections::BTreeMap;

use crate::estate::Setting;
use crate::policy::{KnobName, Resource, ResourceKind};

/// The ACUs each instance runs at for `demand` ACUs across the cluster
/// (`instances` = writer + readers): demand ÷ instances rounded up to the
/// 0.5-ACU step Aurora scales in, held within `min`–`max`. An unbounded
/// demand (`f64::INFINITY`: saturated or unknown) runs at `max`.
pub fn running_acu(min: f64, max: f64, instances: f64, demand: f64) -> f64 {
    let per_instance = demand / instances.max(1.0);
    if per_instance.is_nan() {
        return max;
    }
    ((per_instance * 2.0).ceil() / 2.0).clamp(min, max.max(min))
}

/// For a Serverless v2 Aurora cluster, `settings` with the ACU range pinned
/// at what each instance runs at for `demand` ACUs (see [`running_acu`]);
/// None for anything else (a provisioned writer, another kind).
pub fn at_running_acu(
    resource: &Resource,
    settings: &BTreeMap<KnobName, Setting>,
    demand: f64,
) -> Option<BTreeMap<KnobName, Setting>> {
    if resource.kind != ResourceKind::AuroraCluster {
        return None;
    }
    if let Some(Setting::Class(class)) = settings.get(&KnobName::WriterClass)
        && class != "db.serverless"
    {
        return None;
    }
    let Some(Setting::Acu { min, max }) = settings.get(&KnobName::ServerlessV2) else {
        return None;
    };
    let running = running_acu(*min, *max, 1.0 + readers(settings), demand);
    let mut pinned = settings.clone();
    pinned.insert(
        KnobName::ServerlessV2,
        Setting::Acu {
            min: running,
            max: running,
        },
    );
    Some(pinned)
}

/// Readers in `settings` (0 when the resource does not manage them).
pub fn readers(settings: &BTreeMap<KnobName, Setting>) -> f64 {
    match settings.get(&KnobName::Readers) {
        Some(Setting::Count(n)) => f64::from(*n),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_at_demand_in_half_acu_steps_within_the_range() {
        assert_eq!(running_acu(2.0, 16.0, 2.0, 7.2), 4.0);
        assert_eq!(running_acu(2.0, 16.0, 1.0, 0.3), 2.0);
        assert_eq!(running_acu(2.0, 16.0, 1.0, 40.0), 16.0);
        assert_eq!(running_acu(2.0, 16.0, 1.0, f64::INFINITY), 16.0);
        assert_eq!(running_acu(2.0, 16.0, 1.0, f64::NAN), 16.0);
    }
}
