//! The hourly cost of one resource in one configuration. Pure: same resource,
//! settings and prices, same [`Cost`]; a missing price is an [`Unpriced`]
//! error naming it, never a silent 0.
//!
//! The decision core prices an action as `cost(to) − cost(from)`
//! ([`hourly_change`]); the backtest sums [`hourly_cost`] over time. Costs are
//! list prices in USD per hour; a month is [`HOURS_PER_MONTH`] hours, so a
//! `USD/GB-month` price is divided by 730 to make it hourly.
//!
//! # The model, per kind
//!
//! Only what changes with the knobs tidegate turns is priced. Data transfer,
//! I/O, backups, snapshots and support are never in it.
//!
//! - **RDS instance**: the class's price for the engine (`postgres` in the
//!   policy is `postgresql` in the price data) and deployment (`multi-az`
//!   when the configuration is Multi-AZ, else `single-az`). Stopped
//!   (`power: stopped`) costs 0/h for compute. Storage is priced only when a
//!   `storage` setting (GiB) is present, as gp3 `USD/GB-month` ÷ 730, for the
//!   same engine and deployment, running or stopped. That setting is the
//!   storage *ceiling*: AWS bills the allocated storage, which is at most
//!   the ceiling, so the storage line is an upper bound. The volume type is
//!   assumed gp3.
//! - **Aurora cluster**: instances are 1 writer + `readers` (0 readers when
//!   the resource does not manage readers). With a provisioned writer
//!   (`writer_class` set to a class other than `db.serverless`), every
//!   instance is priced at the writer's class (`provisioned-instance`).
//!   Otherwise, with a Serverless v2 range, every instance is priced at
//!   MinCapacity ACU × the `serverless-v2-standard` ACU-hour price: the
//!   floor of what the cluster pays; actual use between min and max ACU can
//!   be higher. Cluster storage and I/O are not priced; the I/O-optimized
//!   configuration is not detected.
//! - **MSK cluster**: brokers × broker-type price, plus brokers × storage GiB
//!   × the `broker-storage` `USD/GB-month` price ÷ 730. Provisioned
//!   throughput is not priced.
//! - **ElastiCache**: shards × (1 + replicas) × node-type price for the
//!   engine (`redis` when the policy names none; `valkey` is its own price).
//!   When the resource does not manage shards, 1 shard; when it does not
//!   manage replicas, 0 replicas; either default is written in the notes.
//! - **Auto Scaling group**: desired × a blended instance price. The
//!   on-demand base is on-demand; above the base, the on-demand percent is
//!   on-demand and the rest spot, split fractionally (AWS launches whole
//!   instances, so the real split differs by at most one instance). The
//!   instance type is the first of the mix's `instance_types`: the others
//!   are assumed to cost about the same. The spot price is the snapshot's
//!   `spot-max-az` (the dearest AZ: conservative); without one it is
//!   estimated as [`SPOT_ESTIMATE_FRACTION`] of on-demand and the quote's
//!   source says so. The mix comes from the `spot_mix` setting when present,
//!   else from the `spot_mix` argument; with neither there is no instance
//!   type and the group is [`Unpriced`].
//!
//! A setting the resource manages (declares a knob for) must be present; a
//! missing one is [`Unpriced::MissingSetting`]. Settings the resource does
//! not manage take the defaults above, or are required when no default is
//! sound (RDS class, MSK brokers, broker type and storage, ElastiCache node
//! type, ASG capacity).

use std::collections::BTreeMap;

use crate::estate::{Power, Setting};
use crate::policy::{KnobName, Resource, ResourceKind, SpotMix};

use super::snapshot::describe_key;
use super::{PriceBook, PriceKey, Quote};

/// Hours in a billing month, as AWS prices a month.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Spot price estimate, as a fraction of on-demand, when the price book has
/// no spot price for the instance type.
pub const SPOT_ESTIMATE_FRACTION: f64 = 0.35;

/// `USD/hour`.
const PER_HOUR: &str = "USD/hour";
/// `USD/ACU-hour`.
const PER_ACU_HOUR: &str = "USD/ACU-hour";
/// `USD/GB-month`.
const PER_GB_MONTH: &str = "USD/GB-month";

/// An hourly amount as a monthly one ([`HOURS_PER_MONTH`] hours).
pub fn monthly(usd_per_hour: f64) -> f64 {
    usd_per_hour * HOURS_PER_MONTH
}

/// The hourly cost of one resource in one configuration, line by line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cost {
    /// Total, USD per hour.
    pub usd_per_hour: f64,
    /// What makes up the total, in the order priced.
    pub lines: Vec<CostLine>,
    /// What an operator should know about the figure: defaults used,
    /// estimates, bounds.
    pub notes: Vec<String>,
}

impl Cost {
    /// Total, USD per month.
    pub fn usd_per_month(&self) -> f64 {
        monthly(self.usd_per_hour)
    }

    /// The distinct price quotes used, in the order first used (for a plan
    /// to name its price sources).
    pub fn sources(&self) -> Vec<&Quote> {
        let mut out: Vec<&Quote> = Vec::new();
        for line in &self.lines {
            if !out.contains(&&line.quote) {
                out.push(&line.quote);
            }
        }
        out
    }
}

/// One priced part of a [`Cost`].
#[derive(Debug, Clone, PartialEq)]
pub struct CostLine {
    /// What is priced, e.g. `3 brokers × kafka.m5.xlarge`.
    pub item: String,
    /// How many of the quote's unit: instances (hourly prices), ACU, or GB
    /// (monthly prices). Fractional for an ASG's on-demand/spot split.
    pub quantity: f64,
    /// The price looked up.
    pub key: PriceKey,
    /// The price used.
    pub quote: Quote,
    /// This line's share of the total, USD per hour.
    pub usd_per_hour: f64,
}

/// The cost of a change: the same resource before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct CostChange {
    /// Before the change.
    pub from: Cost,
    /// After the change.
    pub to: Cost,
}

impl CostChange {
    /// `to − from`, USD per hour (negative for a saving).
    pub fn delta_per_hour(&self) -> f64 {
        self.to.usd_per_hour - self.from.usd_per_hour
    }
}

/// Why a configuration could not be priced. Each names what is missing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unpriced {
    /// The price book has no price for this key.
    #[error("no price for {}", describe_key(.key))]
    NoPrice {
        /// The price looked up.
        key: PriceKey,
    },
    /// The price book has the price in another unit than the model needs.
    #[error("price for {} is in {found}, expected {expected}", describe_key(.key))]
    WrongUnit {
        /// The price looked up.
        key: PriceKey,
        /// Unit the model needs.
        expected: &'static str,
        /// Unit the price book has.
        found: String,
    },
    /// A setting the model needs is absent.
    #[error("{resource} ({kind}): no `{knob}` setting to price")]
    MissingSetting {
        /// Policy resource id.
        resource: String,
        /// Its kind.
        kind: ResourceKind,
        /// The knob without a setting.
        knob: KnobName,
    },
    /// A setting has the wrong shape for its knob.
    #[error("{resource} ({kind}): `{knob}` is `{found}`, expected {expected}")]
    WrongSetting {
        /// Policy resource id.
        resource: String,
        /// Its kind.
        kind: ResourceKind,
        /// The knob.
        knob: KnobName,
        /// The setting, as displayed.
        found: String,
        /// What the model reads there.
        expected: &'static str,
    },
    /// The policy names no engine and the kind has no default.
    #[error("{resource} ({kind}): no `engine` in the policy, and prices depend on it")]
    NoEngine {
        /// Policy resource id.
        resource: String,
        /// Its kind.
        kind: ResourceKind,
    },
    /// An Auto Scaling group without a known instance type.
    #[error("{resource} (autoscaling_group): no instance type (no spot mix with instance types)")]
    NoInstanceType {
        /// Policy resource id.
        resource: String,
    },
}

/// The hourly cost of `resource` with these `settings` (one per knob, as
/// observed or as planned), Multi-AZ or not, with this instances
/// distribution (ASG), at `prices`. See the module documentation for the
/// model.
///
/// # Errors
///
/// [`Unpriced`] when a needed setting or price is missing or malformed.
pub fn hourly_cost(
    resource: &Resource,
    settings: &BTreeMap<KnobName, Setting>,
    multi_az: bool,
    spot_mix: Option<&SpotMix>,
    prices: &dyn PriceBook,
) -> Result<Cost, Unpriced> {
    let mut p = Pricer {
        resource,
        settings,
        prices,
        cost: Cost::default(),
    };
    match resource.kind {
        ResourceKind::RdsInstance => p.rds(multi_az)?,
        ResourceKind::AuroraCluster => p.aurora()?,
        ResourceKind::MskCluster => p.msk()?,
        ResourceKind::ElasticacheRedis => p.elasticache()?,
        ResourceKind::AutoscalingGroup => p.asg(spot_mix)?,
    }
    Ok(p.cost)
}

/// The cost before and after setting `knob` to `to`, everything else as in
/// `settings`.
///
/// # Errors
///
/// [`Unpriced`] when either side cannot be priced.
pub fn hourly_change(
    resource: &Resource,
    settings: &BTreeMap<KnobName, Setting>,
    knob: KnobName,
    to: &Setting,
    multi_az: bool,
    spot_mix: Option<&SpotMix>,
    prices: &dyn PriceBook,
) -> Result<CostChange, Unpriced> {
    let from = hourly_cost(resource, settings, multi_az, spot_mix, prices)?;
    let mut after = settings.clone();
    after.insert(knob, to.clone());
    let to = hourly_cost(resource, &after, multi_az, spot_mix, prices)?;
    Ok(CostChange { from, to })
}

/// The engine as the price data spells it.
fn price_engine(engine: &str) -> &str {
    match engine {
        "postgres" => "postgresql",
        other => other,
    }
}

/// One pricing in progress.
struct Pricer<'a> {
    resource: &'a Resource,
    settings: &'a BTreeMap<KnobName, Setting>,
    prices: &'a dyn PriceBook,
    cost: Cost,
}

impl<'a> Pricer<'a> {
    fn rds(&mut self, multi_az: bool) -> Result<(), Unpriced> {
        let engine = price_engine(self.engine(None)?);
        let deployment = if multi_az { "multi-az" } else { "single-az" };
        let stopped = matches!(
            self.settings.get(&KnobName::Power),
            Some(Setting::Power(Power::Stopped))
        );
        if stopped {
            self.note("stopped: compute is not billed (storage still is)".into());
        } else {
            let class = self.class(KnobName::InstanceClass)?;
            let class = self.required(KnobName::InstanceClass, class)?;
            let key = key("rds", class, engine, deployment);
            self.hourly(format!("1 × {class} {deployment}"), 1.0, key)?;
        }
        if let Some(gib) = self.gib(KnobName::Storage)? {
            let key = key("rds", "storage-gp3", engine, deployment);
            self.monthly(format!("{gib} GiB gp3 storage (ceiling)"), f64::from(gib), key)?;
            self.note(format!(
                "storage priced at its {gib} GiB ceiling: an upper bound, AWS bills allocated storage"
            ));
        }
        Ok(())
    }

    fn aurora(&mut self) -> Result<(), Unpriced> {
        let engine = self.engine(None)?;
        let readers = self.count_or(KnobName::Readers, 0)?;
        let instances = 1 + u64::from(readers);
        let who = match readers {
            0 => "writer".to_string(),
            1 => "writer + 1 reader".to_string(),
            n => format!("writer + {n} readers"),
        };
        let writer = self.class(KnobName::WriterClass)?;
        let acu = self.acu(KnobName::ServerlessV2)?;
        match (writer, acu) {
            (Some(class), acu) if class != "db.serverless" => {
                let key = key("aurora", class, engine, "provisioned-instance");
                self.hourly(format!("{who} × {class}"), instances as f64, key)?;
                if acu.is_some() {
                    self.note(format!(
                        "the writer is provisioned ({class}): readers priced at its class, the serverless_v2 range ignored"
                    ));
                }
            }
            (_, Some((min, _))) => {
                let key = key(
                    "aurora",
                    "db.serverless(ACU)",
                    engine,
                    "serverless-v2-standard",
                );
                let quantity = instances as f64 * min;
                self.priced(
                    format!("{who} × {min} ACU (MinCapacity)"),
                    quantity,
                    key,
                    PER_ACU_HOUR,
                    1.0,
                )?;
                self.note(format!(
                    "Serverless v2 priced at MinCapacity {min} ACU: the floor, actual use can be higher"
                ));
            }
            (Some(_), None) => return Err(self.missing(KnobName::ServerlessV2)),
            (None, None) => {
                let knob = if self.resource.knob(KnobName::WriterClass).is_some() {
                    KnobName::WriterClass
                } else {
                    KnobName::ServerlessV2
                };
                return Err(self.missing(knob));
            }
        }
        Ok(())
    }

    fn msk(&mut self) -> Result<(), Unpriced> {
        let brokers = self.count(KnobName::Brokers)?;
        let brokers = self.required(KnobName::Brokers, brokers)?;
        let class = self.class(KnobName::BrokerType)?;
        let class = self.required(KnobName::BrokerType, class)?;
        let gib = self.gib(KnobName::Storage)?;
        let gib = self.required(KnobName::Storage, gib)?;
        let key_broker = key("msk", class, "kafka", "broker");
        self.hourly(
            format!("{brokers} brokers × {class}"),
            f64::from(brokers),
            key_broker,
        )?;
        let key_storage = key("msk", "storage-ebs", "kafka", "broker-storage");
        self.monthly(
            format!("{brokers} brokers × {gib} GiB storage"),
            f64::from(brokers) * f64::from(gib),
            key_storage,
        )
    }

    fn elasticache(&mut self) -> Result<(), Unpriced> {
        let engine = self.engine(Some("redis"))?;
        let class = self.class(KnobName::NodeType)?;
        let class = self.required(KnobName::NodeType, class)?;
        let shards = self.count_or(KnobName::Shards, 1)?;
        let replicas = self.count_or(KnobName::Replicas, 0)?;
        let nodes = u64::from(shards) * (1 + u64::from(replicas));
        let key = key("elasticache", class, engine, "node");
        self.hourly(
            format!("{shards} shards × (1 + {replicas} replicas) × {class}"),
            nodes as f64,
            key,
        )
    }

    fn asg(&mut self, spot_mix: Option<&SpotMix>) -> Result<(), Unpriced> {
        let desired = match self.settings.get(&KnobName::Capacity) {
            Some(Setting::Capacity { desired, .. }) | Some(Setting::Count(desired)) => *desired,
            Some(other) => return Err(self.wrong(KnobName::Capacity, other, "a capacity")),
            None => return Err(self.missing(KnobName::Capacity)),
        };
        let mix = match self.settings.get(&KnobName::SpotMix) {
            Some(Setting::Mix(mix)) => Some(mix),
            Some(other) => return Err(self.wrong(KnobName::SpotMix, other, "a spot mix")),
            None => spot_mix,
        };
        let no_type = || Unpriced::NoInstanceType {
            resource: self.resource.id.clone(),
        };
        let mix = mix.ok_or_else(no_type)?;
        let itype = mix.instance_types.first().ok_or_else(no_type)?;

        let base = desired.min(mix.on_demand_base);
        let above = f64::from(desired - base);
        let on_demand_share = f64::from(mix.on_demand_percent_above_base.min(100)) / 100.0;
        let on_demand = f64::from(base) + above * on_demand_share;
        let spot = above - above * on_demand_share;

        // Always looked up, so an unknown type is Unpriced at any size.
        let od_key = key("ec2", itype, "linux", "on-demand");
        let od = self.quote(&od_key, PER_HOUR)?;
        if on_demand > 0.0 {
            self.line(
                format!("{} on-demand × {itype}", qty(on_demand)),
                on_demand,
                od_key,
                od.clone(),
                1.0,
            );
        }
        if spot > 0.0 {
            let spot_key = key("ec2", itype, "linux", "spot-max-az");
            let quote = match self.prices.quote(&spot_key) {
                Some(q) => {
                    check_unit(&spot_key, &q, PER_HOUR)?;
                    q
                }
                None => {
                    self.note(format!(
                        "no spot price for {itype}: estimated at {}% of on-demand",
                        SPOT_ESTIMATE_FRACTION * 100.0
                    ));
                    Quote {
                        usd: od.usd * SPOT_ESTIMATE_FRACTION,
                        unit: PER_HOUR.to_string(),
                        source: format!(
                            "estimate: {}% of on-demand ({})",
                            SPOT_ESTIMATE_FRACTION * 100.0,
                            od.source
                        ),
                        as_of: od.as_of.clone(),
                    }
                }
            };
            self.line(format!("{} spot × {itype}", qty(spot)), spot, spot_key, quote, 1.0);
        }
        if mix.instance_types.len() > 1 {
            self.note(format!(
                "priced as {itype}, the first of {} instance types",
                mix.instance_types.len()
            ));
        }
        Ok(())
    }

    // --- settings ---

    /// The policy's engine, or `default`, or [`Unpriced::NoEngine`].
    fn engine(&self, default: Option<&'static str>) -> Result<&'a str, Unpriced> {
        match (&self.resource.engine, default) {
            (Some(e), _) => Ok(e.as_str()),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(Unpriced::NoEngine {
                resource: self.resource.id.clone(),
                kind: self.resource.kind,
            }),
        }
    }

    fn class(&self, knob: KnobName) -> Result<Option<&'a str>, Unpriced> {
        match self.settings.get(&knob) {
            None => Ok(None),
            Some(Setting::Class(c)) => Ok(Some(c.as_str())),
            Some(other) => Err(self.wrong(knob, other, "a class")),
        }
    }

    fn count(&self, knob: KnobName) -> Result<Option<u32>, Unpriced> {
        match self.settings.get(&knob) {
            None => Ok(None),
            Some(Setting::Count(n)) => Ok(Some(*n)),
            Some(other) => Err(self.wrong(knob, other, "a count")),
        }
    }

    fn gib(&self, knob: KnobName) -> Result<Option<u32>, Unpriced> {
        match self.settings.get(&knob) {
            None => Ok(None),
            Some(Setting::Gib(g)) => Ok(Some(*g)),
            Some(other) => Err(self.wrong(knob, other, "a size in GiB")),
        }
    }

    fn acu(&self, knob: KnobName) -> Result<Option<(f64, f64)>, Unpriced> {
        match self.settings.get(&knob) {
            None => Ok(None),
            Some(Setting::Acu { min, max }) => Ok(Some((*min, *max))),
            Some(other) => Err(self.wrong(knob, other, "an ACU range")),
        }
    }

    /// A count, or `default` (noted) when the resource does not manage the
    /// knob; [`Unpriced::MissingSetting`] when it does.
    fn count_or(&mut self, knob: KnobName, default: u32) -> Result<u32, Unpriced> {
        match self.count(knob)? {
            Some(n) => Ok(n),
            None if self.resource.knob(knob).is_some() => Err(self.missing(knob)),
            None => {
                self.note(format!("no `{knob}` setting: priced as {default}"));
                Ok(default)
            }
        }
    }

    fn required<T>(&self, knob: KnobName, value: Option<T>) -> Result<T, Unpriced> {
        value.ok_or_else(|| self.missing(knob))
    }

    fn missing(&self, knob: KnobName) -> Unpriced {
        Unpriced::MissingSetting {
            resource: self.resource.id.clone(),
            kind: self.resource.kind,
            knob,
        }
    }

    fn wrong(&self, knob: KnobName, found: &Setting, expected: &'static str) -> Unpriced {
        Unpriced::WrongSetting {
            resource: self.resource.id.clone(),
            kind: self.resource.kind,
            knob,
            found: found.to_string(),
            expected,
        }
    }

    // --- prices ---

    fn quote(&self, key: &PriceKey, unit: &'static str) -> Result<Quote, Unpriced> {
        let quote = self
            .prices
            .quote(key)
            .ok_or_else(|| Unpriced::NoPrice { key: key.clone() })?;
        check_unit(key, &quote, unit)?;
        Ok(quote)
    }

    /// `quantity` instances at a `USD/hour` price.
    fn hourly(&mut self, item: String, quantity: f64, key: PriceKey) -> Result<(), Unpriced> {
        self.priced(item, quantity, key, PER_HOUR, 1.0)
    }

    /// `gb` GB at a `USD/GB-month` price, made hourly.
    fn monthly(&mut self, item: String, gb: f64, key: PriceKey) -> Result<(), Unpriced> {
        self.priced(item, gb, key, PER_GB_MONTH, 1.0 / HOURS_PER_MONTH)
    }

    /// Looks up `key` in `unit` and adds `quantity × price × per_hour`.
    fn priced(
        &mut self,
        item: String,
        quantity: f64,
        key: PriceKey,
        unit: &'static str,
        per_hour: f64,
    ) -> Result<(), Unpriced> {
        let quote = self.quote(&key, unit)?;
        self.line(item, quantity, key, quote, per_hour);
        Ok(())
    }

    fn line(&mut self, item: String, quantity: f64, key: PriceKey, quote: Quote, per_hour: f64) {
        let usd_per_hour = quantity * quote.usd * per_hour;
        self.cost.usd_per_hour += usd_per_hour;
        self.cost.lines.push(CostLine {
            item,
            quantity,
            key,
            quote,
            usd_per_hour,
        });
    }

    fn note(&mut self, note: String) {
        self.cost.notes.push(note);
    }
}

fn check_unit(key: &PriceKey, quote: &Quote, unit: &'static str) -> Result<(), Unpriced> {
    if quote.unit == unit {
        Ok(())
    } else {
        Err(Unpriced::WrongUnit {
            key: key.clone(),
            expected: unit,
            found: quote.unit.clone(),
        })
    }
}

/// A quantity for a line's label: at most two decimals, no trailing zeros.
fn qty(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn key(service: &'static str, instance_type: &str, engine: &str, deployment: &str) -> PriceKey {
    PriceKey {
        service,
        instance_type: instance_type.to_string(),
        engine: engine.to_string(),
        deployment: deployment.to_string(),
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Cooldown, Knob, Scale, Selector, Span, SpotClass};
    use crate::pricing::SnapshotPriceBook;

    use KnobName as K;

    fn resource(kind: ResourceKind, engine: Option<&str>, knobs: &[KnobName]) -> Resource {
        Resource {
            id: "r1".into(),
            kind,
            selector: Selector::Identifier("r1".into()),
            engine: engine.map(String::from),
            multi_az: false,
            schedule: None,
            cooldown: Cooldown {
                up: Span::from_mins(15),
                down: Span::from_mins(30),
            },
            scale_up: Vec::new(),
            scale_down: Vec::new(),
            knobs: knobs
                .iter()
                .map(|&name| Knob {
                    name,
                    scale: Scale::Counts(vec![0]),
                    floor: 0,
                })
                .collect(),
            storage: None,
            profiles: BTreeMap::new(),
            apply_immediately: false,
            allow_stop: false,
            az_count: None,
            workload_class: None,
        }
    }

    fn cost(r: &Resource, s: &[(KnobName, Setting)], multi_az: bool) -> Result<Cost, Unpriced> {
        let book = SnapshotPriceBook::embedded();
        hourly_cost(r, &s.iter().cloned().collect(), multi_az, None, &book)
    }

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "expected {expected}, got {actual}"
        );
    }

    fn class(c: &str) -> Setting {
        Setting::Class(c.into())
    }

    #[test]
    fn rds_class_price_by_engine_and_deployment() {
        let r = resource(ResourceKind::RdsInstance, Some("postgres"), &[K::InstanceClass]);
        let s = [(K::InstanceClass, class("db.r6g.xlarge"))];
        // rds,db.r6g.xlarge,postgresql,multi-az,...,0.899 / single-az 0.45
        let multi = cost(&r, &s, true).expect("priced");
        close(multi.usd_per_hour, 0.899);
        assert_eq!(multi.lines[0].key.engine, "postgresql");
        assert_eq!(multi.lines[0].key.deployment, "multi-az");
        close(cost(&r, &s, false).expect("priced").usd_per_hour, 0.45);
        close(multi.usd_per_month(), 0.899 * 730.0);
    }

    #[test]
    fn rds_storage_ceiling_is_an_upper_bound_and_stopped_is_storage_only() {
        let r = resource(ResourceKind::RdsInstance, Some("mysql"), &[K::InstanceClass]);
        let running = [
            (K::InstanceClass, class("db.r6g.large")),
            (K::Storage, Setting::Gib(500)),
        ];
        // 0.43 (db.r6g.large mysql multi-az) + 500 GB × 0.23 USD/GB-month / 730
        let c = cost(&r, &running, true).expect("priced");
        close(c.usd_per_hour, 0.43 + 500.0 * 0.23 / 730.0);
        assert!(c.notes.iter().any(|n| n.contains("upper bound")), "{:?}", c.notes);

        let stopped = [
            (K::InstanceClass, class("db.r6g.large")),
            (K::Storage, Setting::Gib(500)),
            (K::Power, Setting::Power(Power::Stopped)),
        ];
        let c = cost(&r, &stopped, true).expect("priced");
        close(c.usd_per_hour, 500.0 * 0.23 / 730.0);
        assert_eq!(c.lines.len(), 1);

        let no_storage = [(K::Power, Setting::Power(Power::Stopped))];
        close(cost(&r, &no_storage, false).expect("priced").usd_per_hour, 0.0);
    }

    #[test]
    fn aurora_serverless_is_instances_times_min_acu() {
        let r = resource(
            ResourceKind::AuroraCluster,
            Some("aurora-mysql"),
            &[K::ServerlessV2, K::Readers],
        );
        let s = [
            (K::ServerlessV2, Setting::Acu { min: 4.0, max: 16.0 }),
            (K::Readers, Setting::Count(2)),
        ];
        // (1 writer + 2 readers) × 4 ACU × 0.12 USD/ACU-hour
        let c = cost(&r, &s, false).expect("priced");
        close(c.usd_per_hour, 3.0 * 4.0 * 0.12);
        close(c.lines[0].quantity, 12.0);
        assert_eq!(c.lines[0].quote.unit, "USD/ACU-hour");
        assert!(c.notes.iter().any(|n| n.contains("the floor")), "{:?}", c.notes);
    }

    #[test]
    fn aurora_provisioned_readers_at_the_writer_class() {
        let r = resource(
            ResourceKind::AuroraCluster,
            Some("aurora-postgresql"),
            &[K::WriterClass, K::Readers],
        );
        let s = [
            (K::WriterClass, class("db.r6g.large")),
            (K::Readers, Setting::Count(2)),
            (K::ServerlessV2, Setting::Acu { min: 0.5, max: 8.0 }),
        ];
        // 3 × 0.26 (aurora db.r6g.large provisioned-instance)
        let c = cost(&r, &s, false).expect("priced");
        close(c.usd_per_hour, 0.78);
        assert_eq!(c.sources().len(), 1);
    }

    #[test]
    fn aurora_postgresql_serverless_is_unpriced_by_name() {
        let r = resource(
            ResourceKind::AuroraCluster,
            Some("aurora-postgresql"),
            &[K::ServerlessV2],
        );
        let s = [(K::ServerlessV2, Setting::Acu { min: 2.0, max: 8.0 })];
        let e = cost(&r, &s, false).expect_err("no aurora-postgresql ACU price");
        assert_eq!(
            e.to_string(),
            "no price for aurora db.serverless(ACU) aurora-postgresql serverless-v2-standard"
        );
    }

    #[test]
    fn aurora_managed_readers_must_be_present_unmanaged_default_to_zero() {
        let s = [(K::ServerlessV2, Setting::Acu { min: 2.0, max: 8.0 })];
        let managed = resource(
            ResourceKind::AuroraCluster,
            Some("aurora-mysql"),
            &[K::ServerlessV2, K::Readers],
        );
        assert_eq!(
            cost(&managed, &s, false).expect_err("readers managed but absent"),
            Unpriced::MissingSetting {
                resource: "r1".into(),
                kind: ResourceKind::AuroraCluster,
                knob: K::Readers
            }
        );
        let unmanaged = resource(
            ResourceKind::AuroraCluster,
            Some("aurora-mysql"),
            &[K::ServerlessV2],
        );
        let c = cost(&unmanaged, &s, false).expect("writer only");
        close(c.usd_per_hour, 2.0 * 0.12);
        assert!(c.notes.iter().any(|n| n.contains("no `readers` setting")));
    }

    #[test]
    fn msk_brokers_and_per_broker_storage() {
        let r = resource(
            ResourceKind::MskCluster,
            None,
            &[K::Brokers, K::BrokerType, K::Storage],
        );
        let s = [
            (K::Brokers, Setting::Count(3)),
            (K::BrokerType, class("kafka.m5.xlarge")),
            (K::Storage, Setting::Gib(1000)),
        ];
        // 3 × 0.42 + 3 × 1000 GB × 0.10 USD/GB-month / 730
        let c = cost(&r, &s, false).expect("priced");
        close(c.usd_per_hour, 1.26 + 300.0 / 730.0);
        assert_eq!(c.sources().len(), 2);

        let e = cost(&r, &s[..2], false).expect_err("storage is required");
        assert_eq!(e.to_string(), "r1 (msk_cluster): no `storage` setting to price");
    }

    #[test]
    fn elasticache_shards_times_nodes_per_shard() {
        let knobs = [K::NodeType, K::Shards, K::Replicas];
        let s = [
            (K::NodeType, class("cache.r6g.large")),
            (K::Shards, Setting::Count(3)),
            (K::Replicas, Setting::Count(2)),
        ];
        // 3 shards × 3 nodes × 0.206 (redis) / 0.1648 (valkey)
        let redis = resource(ResourceKind::ElasticacheRedis, Some("redis"), &knobs);
        close(cost(&redis, &s, false).expect("priced").usd_per_hour, 9.0 * 0.206);
        let valkey = resource(ResourceKind::ElasticacheRedis, Some("valkey"), &knobs);
        close(cost(&valkey, &s, false).expect("priced").usd_per_hour, 9.0 * 0.1648);
        let unnamed = resource(ResourceKind::ElasticacheRedis, None, &knobs);
        close(cost(&unnamed, &s, false).expect("priced").usd_per_hour, 9.0 * 0.206);
    }

    #[test]
    fn asg_blends_on_demand_base_percent_and_spot() {
        let r = resource(ResourceKind::AutoscalingGroup, None, &[K::Capacity]);
        let api = SpotClass {
            name: "api".into(),
            spot_percent: 30.0,
            on_demand_base: 2,
            allocation_strategy: "price-capacity-optimized".into(),
            instance_types: vec!["m6i.large".into(), "m5.large".into()],
        }
        .distribution();
        let s: BTreeMap<_, _> = [(
            K::Capacity,
            Setting::Capacity {
                min: 2,
                max: 30,
                desired: 10,
            },
        )]
        .into();
        let book = SnapshotPriceBook::embedded();
        // base 2 + 70% of 8 = 7.6 on-demand at 0.096; 2.4 spot at 0.036 (spot-max-az)
        let c = hourly_cost(&r, &s, false, Some(&api), &book).expect("priced");
        close(c.usd_per_hour, 7.6 * 0.096 + 2.4 * 0.036);
        assert_eq!(c.lines[0].item, "7.6 on-demand × m6i.large");
        assert_eq!(c.lines[1].key.deployment, "spot-max-az");

        // The mix in the settings wins over the argument: all on-demand.
        let mut all_od = api.clone();
        all_od.on_demand_percent_above_base = 100;
        let mut s2 = s.clone();
        s2.insert(K::SpotMix, Setting::Mix(all_od));
        let c = hourly_cost(&r, &s2, false, Some(&api), &book).expect("priced");
        close(c.usd_per_hour, 10.0 * 0.096);

        let e = hourly_cost(&r, &s, false, None, &book).expect_err("no instance type");
        assert_eq!(e, Unpriced::NoInstanceType { resource: "r1".into() });
    }

    #[test]
    fn asg_spot_without_a_price_is_an_estimate_and_says_so() {
        let r = resource(ResourceKind::AutoscalingGroup, None, &[K::Capacity]);
        let mix = SpotMix {
            on_demand_base: 0,
            on_demand_percent_above_base: 0,
            allocation_strategy: "price-capacity-optimized".into(),
            instance_types: vec!["m6g.large".into()],
        };
        let s: BTreeMap<_, _> = [(K::Capacity, Setting::Count(4))].into();
        let book = SnapshotPriceBook::embedded();
        // m6g.large has no spot row: 4 × 0.077 × 0.35
        let c = hourly_cost(&r, &s, false, Some(&mix), &book).expect("estimated");
        close(c.usd_per_hour, 4.0 * 0.077 * 0.35);
        assert_eq!(c.lines.len(), 1);
        assert!(c.lines[0].quote.source.starts_with("estimate: 35% of on-demand (github:"));
    }

    #[test]
    fn change_prices_the_delta() {
        let r = resource(ResourceKind::RdsInstance, Some("postgres"), &[K::InstanceClass]);
        let s: BTreeMap<_, _> = [(K::InstanceClass, class("db.r6g.xlarge"))].into();
        let book = SnapshotPriceBook::embedded();
        let up = hourly_change(&r, &s, K::InstanceClass, &class("db.r6g.2xlarge"), true, None, &book)
            .expect("priced");
        // 1.798 − 0.899 (postgresql multi-az)
        close(up.delta_per_hour(), 0.899);
        let stop = hourly_change(&r, &s, K::Power, &Setting::Power(Power::Stopped), true, None, &book)
            .expect("priced");
        close(stop.delta_per_hour(), -0.899);
        let missing = hourly_change(&r, &s, K::InstanceClass, &class("db.r9x.huge"), true, None, &book)
            .expect_err("unknown class");
        assert_eq!(
            missing.to_string(),
            "no price for rds db.r9x.huge postgresql multi-az"
        );
    }

    #[test]
    fn settings_of_the_wrong_shape_or_absent_are_unpriced() {
        let r = resource(ResourceKind::RdsInstance, Some("postgres"), &[K::InstanceClass]);
        let e = cost(&r, &[(K::InstanceClass, Setting::Count(3))], false).expect_err("a count");
        assert_eq!(
            e.to_string(),
            "r1 (rds_instance): `instance_class` is `3`, expected a class"
        );
        let e = cost(&r, &[], false).expect_err("no class");
        assert_eq!(e.to_string(), "r1 (rds_instance): no `instance_class` setting to price");
        let no_engine = resource(ResourceKind::RdsInstance, None, &[K::InstanceClass]);
        let e = cost(&no_engine, &[(K::InstanceClass, class("db.r6g.large"))], false)
            .expect_err("no engine");
        assert!(matches!(e, Unpriced::NoEngine { .. }), "{e}");
    }

    #[test]
    fn a_price_in_the_wrong_unit_is_refused() {
        let csv = "service,instance_type,engine,deployment,region,usd_per_hour,unit,source,as_of\n\
                   rds,db.r6g.large,postgresql,single-az,us-east-1,160,USD/month,s,2024-09-28\n";
        let book = SnapshotPriceBook::from_csv(csv, "t.csv").expect("parses");
        let r = resource(ResourceKind::RdsInstance, Some("postgres"), &[K::InstanceClass]);
        let s: BTreeMap<_, _> = [(K::InstanceClass, class("db.r6g.large"))].into();
        let e = hourly_cost(&r, &s, false, None, &book).expect_err("wrong unit");
        assert_eq!(
            e.to_string(),
            "price for rds db.r6g.large postgresql single-az is in USD/month, expected USD/hour"
        );
    }

    #[test]
    fn monthly_is_730_hours() {
        assert_eq!(monthly(1.0), 730.0);
        close(monthly(0.899), 656.27);
        assert_eq!(qty(7.6000000000000005), "7.6");
        assert_eq!(qty(3.0), "3");
    }
}
