//! Which list prices a policy can need: every class on every ladder, the
//! classes the estate runs now (a member can be off its ladder), storage,
//! Serverless v2 ACU and the on-demand price of every instance type a
//! workload class names. The keys are the ones `cost` looks up, so asking
//! the Price List API for these is asking for everything a plan prices.
//! Spot prices are left out: the API has none.

use std::collections::BTreeSet;

use crate::estate::{Estate, Setting};
use crate::policy::{KnobName, Policy, Resource, ResourceKind, Scale};

use super::PriceKey;

/// The keys `policy` (and, when given, the observed `estate`) can price.
pub fn wanted_keys(policy: &Policy, estate: Option<&Estate>) -> Vec<PriceKey> {
    let mut keys = BTreeSet::new();
    for resource in &policy.resources {
        let mut classes: BTreeSet<&str> = BTreeSet::new();
        let mut types: BTreeSet<&str> = BTreeSet::new();
        let mut multi_az = BTreeSet::from([resource.multi_az]);
        for knob in &resource.knobs {
            if let Scale::Classes(ladder) = &knob.scale {
                classes.extend(ladder.iter().map(String::as_str));
            }
        }
        if let Some(class) = resource
            .workload_class
            .as_ref()
            .and_then(|c| policy.spot_mix.get(c))
        {
            types.extend(class.instance_types.iter().map(String::as_str));
        }
        let members = estate.into_iter().flat_map(|e| e.members_of(&resource.id));
        for member in members {
            multi_az.insert(member.multi_az);
            for setting in member.settings.values() {
                match setting {
                    Setting::Class(c) => {
                        classes.insert(c);
                    }
                    Setting::Mix(mix) => {
                        types.extend(mix.instance_types.iter().map(String::as_str))
                    }
                    _ => {}
                }
            }
            if let Some(mix) = &member.spot_mix {
                types.extend(mix.instance_types.iter().map(String::as_str));
            }
        }
        resource_keys(resource, &classes, &types, &multi_az, &mut keys);
    }
    keys.into_iter().collect()
}

fn resource_keys(
    resource: &Resource,
    classes: &BTreeSet<&str>,
    types: &BTreeSet<&str>,
    multi_az: &BTreeSet<bool>,
    keys: &mut BTreeSet<PriceKey>,
) {
    let engine = resource.engine.as_deref();
    let has = |k: KnobName| resource.knob(k).is_some();
    match resource.kind {
        ResourceKind::RdsInstance => {
            let Some(engine) = engine else { return };
            // The policy says `postgres`; the price data says `postgresql`.
            let engine = if engine == "postgres" {
                "postgresql"
            } else {
                engine
            };
            for &m in multi_az {
                let deployment = if m { "multi-az" } else { "single-az" };
                for class in classes {
                    keys.insert(PriceKey::new("rds", class, engine, deployment));
                }
                keys.insert(PriceKey::new("rds", "storage-gp3", engine, deployment));
            }
        }
        ResourceKind::AuroraCluster => {
            let Some(engine) = engine else { return };
            for class in classes.iter().filter(|c| **c != "db.serverless") {
                keys.insert(PriceKey::new(
                    "aurora",
                    class,
                    engine,
                    "provisioned-instance",
                ));
            }
            if has(KnobName::ServerlessV2) || !has(KnobName::WriterClass) {
                let acu = "db.serverless(ACU)";
                keys.insert(PriceKey::new(
                    "aurora",
                    acu,
                    engine,
                    "serverless-v2-standard",
                ));
            }
        }
        ResourceKind::MskCluster => {
            for class in classes {
                keys.insert(PriceKey::new("msk", class, "kafka", "broker"));
            }
            keys.insert(PriceKey::new(
                "msk",
                "storage-ebs",
                "kafka",
                "broker-storage",
            ));
        }
        ResourceKind::ElasticacheRedis => {
            let engine = engine.unwrap_or("redis");
            for class in classes {
                keys.insert(PriceKey::new("elasticache", class, engine, "node"));
            }
        }
        ResourceKind::AutoscalingGroup => {
            for t in types {
                keys.insert(PriceKey::new("ec2", t, "linux", "on-demand"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::*;
    use crate::pricing::{PriceBook, Quote, SnapshotPriceBook, hourly_cost};

    /// Answers from the snapshot and remembers every key asked.
    struct Recorder {
        inner: SnapshotPriceBook,
        asked: RefCell<BTreeSet<PriceKey>>,
    }

    impl PriceBook for Recorder {
        fn quote(&self, key: &PriceKey) -> Option<Quote> {
            self.asked.borrow_mut().insert(key.clone());
            self.inner.quote(key)
        }
        fn describe(&self) -> String {
            "recorder".into()
        }
    }

    /// Every setting a knob can take at its ladder ends and the estate's
    /// own positions: enough to make `hourly_cost` ask each key it can.
    fn settings_of(resource: &Resource, policy: &Policy) -> Vec<BTreeMap<KnobName, Setting>> {
        let mut out = Vec::new();
        let positions = resource
            .knobs
            .iter()
            .map(|k| k.scale.len())
            .max()
            .unwrap_or(1);
        for i in 0..positions {
            let mut s = BTreeMap::new();
            for knob in &resource.knobs {
                let at = i.min(knob.scale.len().saturating_sub(1));
                let setting = match (&knob.scale, knob.name) {
                    (Scale::Classes(v), _) => Setting::Class(v[at].clone()),
                    (Scale::Counts(v), KnobName::Capacity) => Setting::Capacity {
                        min: 0,
                        max: v[at],
                        desired: v[at],
                    },
                    (Scale::Counts(v), KnobName::Storage) => Setting::Gib(v[at]),
                    (Scale::Counts(v), _) => Setting::Count(v[at]),
                    (
                        Scale::Acu {
                            max_values,
                            min_acu,
                        },
                        _,
                    ) => Setting::Acu {
                        min: *min_acu,
                        max: max_values[at],
                    },
                };
                s.insert(knob.name, setting);
            }
            if let Some(class) = resource
                .workload_class
                .as_ref()
                .and_then(|c| policy.spot_mix.get(c))
            {
                for t in 0..class.instance_types.len() {
                    let mut mix = class.distribution();
                    mix.instance_types.rotate_left(t);
                    let mut with = s.clone();
                    with.insert(KnobName::SpotMix, Setting::Mix(mix));
                    out.push(with);
                }
            }
            out.push(s);
        }
        out
    }

    #[test]
    fn every_on_demand_key_the_cost_model_asks_for_is_wanted() {
        let policy = crate::policy::load_str(
            include_str!("../../policies/estate.yaml"),
            "policies/estate.yaml",
        )
        .expect("policy");
        let wanted: BTreeSet<PriceKey> = wanted_keys(&policy, None).into_iter().collect();
        let recorder = Recorder {
            inner: SnapshotPriceBook::embedded(),
            asked: RefCell::default(),
        };
        for resource in &policy.resources {
            for settings in settings_of(resource, &policy) {
                let _ = hourly_cost(resource, &settings, resource.multi_az, None, &recorder);
            }
        }
        let asked = recorder.asked.into_inner();
        let on_demand: Vec<&PriceKey> = asked
            .iter()
            .filter(|k| !k.deployment.starts_with("spot"))
            .collect();
        assert!(on_demand.len() > 10, "{on_demand:?}");
        let missing: Vec<_> = on_demand
            .into_iter()
            .filter(|k| !wanted.contains(*k))
            .collect();
        assert!(missing.is_empty(), "asked but not wanted: {missing:?}");
    }

    #[test]
    fn classes_the_estate_runs_off_the_ladder_are_wanted_too() {
        let policy = crate::policy::load_str(
            include_str!("../../policies/estate.yaml"),
            "policies/estate.yaml",
        )
        .expect("policy");
        let rds = policy
            .resources
            .iter()
            .find(|r| r.kind == ResourceKind::RdsInstance)
            .expect("an RDS resource");
        let member = crate::estate::Member {
            policy_id: rds.id.clone(),
            identifier: "db-1".into(),
            kind: rds.kind,
            status: crate::estate::Status::Available,
            pending_changes: false,
            settings: BTreeMap::from([(
                KnobName::InstanceClass,
                Setting::Class("db.x2g.16xlarge".into()),
            )]),
            multi_az: !rds.multi_az,
            spot_mix: None,
            storage_used_percent: None,
            storage: None,
            tags: BTreeMap::new(),
            parts: Vec::new(),
        };
        let estate = Estate {
            members: vec![member],
        };
        let keys = wanted_keys(&policy, Some(&estate));
        let deployment = if rds.multi_az {
            "single-az"
        } else {
            "multi-az"
        };
        assert!(
            keys.iter()
                .any(|k| k.instance_type == "db.x2g.16xlarge" && k.deployment == deployment),
            "{keys:?}"
        );
        assert!(wanted_keys(&policy, None).len() < keys.len());
    }
}
