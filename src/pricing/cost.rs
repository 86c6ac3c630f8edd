//! The hourly cost of one resource in one configuration. Pure: same resource,
//! settings and prices, same [`Cost`]; a missing price is an [`Unpriced`]
//! error naming it, never a silent 0.
//!
//! The decision core prices an action as `cost(to) − cost(from)`
//! (as [`hourly_change`] does); the backtest sums [`hourly_cost`] over time.
//! Both pin a Serverless v2 range at the ACUs it is expected to run at
//! first ([`super::at_running_acu`]; the backtest when its trace gives the
//! demand), so the MinCapacity model below is the floor, not the estimate. Costs are
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
//! - **Aurora cluster**: stopped (`power: stopped`) costs 0/h; paused
//!   (MinCapacity 0 with no demand) too. Instances are 1 writer + `readers` (0 readers when
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
//!   `spot-max-az` (the dearest AZ: conservative, though the built-in spot
//!   data is one window in 2022, see `data/prices/README.md`); without one it is
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
use super::{Origin, PriceBook, PriceKey, Quote};

/// Hours in a billing month, as AWS prices a month.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Spot price estimate, as a fraction of on-demand, when the price book has
/// no spot price for the instance type.
pub const SPOT_ESTIMATE_FRACTION: f64 = 0.35;

const PER_HOUR: &str = "USD/hour";
const PER_ACU_HOUR: &str = "USD/ACU-hour";
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
        key: Box<PriceKey>,
    },
    /// The price book has the price in another unit than the model needs.
    #[error("price for {} is in {found}, expected {expected}", describe_key(.key))]
    WrongUnit {
        /// The price looked up.
        key: Box<PriceKey>,
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

/// One pricing in progress.
struct Pricer<'a> {
    resource: &'a Resource,
    settings: &'a BTreeMap<KnobName, Setting>,
    prices: &'a dyn PriceBook,
    cost: Cost,
}

impl<'a> Pricer<'a> {
    fn rds(&mut self, multi_az: bool) -> Result<(), Unpriced> {
        // The policy says `postgres`; the price data says `postgresql`.
        let engine = match self.engine(None)? {
            "postgres" => "postgresql",
            other => other,
        };
        let deployment = if multi_az { "multi-az" } else { "single-az" };
        let power = self.settings.get(&KnobName::Power);
        if power == Some(&Setting::Power(Power::Stopped)) {
            self.note("stopped: compute is not billed (storage still is)".into());
        } else {
            let class = self.need(
                KnobName::InstanceClass,
                self.class(KnobName::InstanceClass)?,
            )?;
            let key = PriceKey::new("rds", class, engine, deployment);
            self.priced(format!("1 × {class}"), 1.0, key, PER_HOUR)?;
        }
        if let Some(gib) = self.gib(KnobName::Storage)? {
            let key = PriceKey::new("rds", "storage-gp3", engine, deployment);
            let item = format!("{gib} GiB gp3 storage (ceiling)");
            self.priced(item, f64::from(gib), key, PER_GB_MONTH)?;
            self.note(format!(
                "storage priced at its {gib} GiB ceiling: an upper bound, AWS bills allocated storage"
            ));
        }
        Ok(())
    }

    fn aurora(&mut self) -> Result<(), Unpriced> {
        let engine = self.engine(None)?;
        let readers = self.count_or(KnobName::Readers, 0)?;
        let instances = 1.0 + f64::from(readers);
        let who = format!("(writer + {readers} readers)");
        // A stopped cluster bills storage only ("While your DB cluster is
        // stopped, you are charged only for cluster storage", Aurora User
        // Guide, Stopping and starting an Amazon Aurora DB cluster).
        if self.settings.get(&KnobName::Power) == Some(&Setting::Power(Power::Stopped)) {
            self.note("stopped: compute is not billed (cluster storage still is)".into());
            return Ok(());
        }
        let writer = self.class(KnobName::WriterClass)?;
        match (writer, self.acu(KnobName::ServerlessV2)?) {
            (Some(class), acu) if class != "db.serverless" => {
                let key = PriceKey::new("aurora", class, engine, "provisioned-instance");
                self.priced(format!("{who} × {class}"), instances, key, PER_HOUR)?;
                if acu.is_some() {
                    self.note(format!(
                        "provisioned writer {class}: readers priced at its class, serverless_v2 ignored"
                    ));
                }
            }
            (_, Some(0.0)) => {
                // Auto-pause: "You aren't charged for instance capacity while
                // an instance is in the paused state" (Aurora User Guide,
                // Scaling to Zero ACUs); cluster storage still bills.
                self.note(format!(
                    "{who} paused at 0 ACU: compute is not billed (cluster storage still is)"
                ));
            }
            (_, Some(min)) => {
                let acu = "db.serverless(ACU)";
                let key = PriceKey::new("aurora", acu, engine, "serverless-v2-standard");
                let item = format!("{who} × {min} ACU (MinCapacity)");
                self.priced(item, instances * min, key, PER_ACU_HOUR)?;
                self.note(format!(
                    "Serverless v2 priced at MinCapacity {min} ACU: the floor, actual use can be higher"
                ));
            }
            (Some(_), None) => return Err(self.missing(KnobName::ServerlessV2)),
            (None, None) => {
                return Err(
                    self.missing(match self.resource.knob(KnobName::WriterClass) {
                        Some(_) => KnobName::WriterClass,
                        None => KnobName::ServerlessV2,
                    }),
                );
            }
        }
        Ok(())
    }

    fn msk(&mut self) -> Result<(), Unpriced> {
        let brokers = self.need(KnobName::Brokers, self.count(KnobName::Brokers)?)?;
        let class = self.need(KnobName::BrokerType, self.class(KnobName::BrokerType)?)?;
        let gib = self.need(KnobName::Storage, self.gib(KnobName::Storage)?)?;
        let n = f64::from(brokers);
        let key_broker = PriceKey::new("msk", class, "kafka", "broker");
        self.priced(
            format!("{brokers} brokers × {class}"),
            n,
            key_broker,
            PER_HOUR,
        )?;
        let key_storage = PriceKey::new("msk", "storage-ebs", "kafka", "broker-storage");
        let item = format!("{brokers} brokers × {gib} GiB storage");
        self.priced(item, n * f64::from(gib), key_storage, PER_GB_MONTH)
    }

    fn elasticache(&mut self) -> Result<(), Unpriced> {
        let engine = self.engine(Some("redis"))?;
        let class = self.need(KnobName::NodeType, self.class(KnobName::NodeType)?)?;
        let shards = self.count_or(KnobName::Shards, 1)?;
        let replicas = self.count_or(KnobName::Replicas, 0)?;
        let nodes = f64::from(shards) * (1.0 + f64::from(replicas));
        let key = PriceKey::new("elasticache", class, engine, "node");
        let item = format!("{shards} shards × (1 + {replicas} replicas) × {class}");
        self.priced(item, nodes, key, PER_HOUR)
    }

    fn asg(&mut self, spot_mix: Option<&'a SpotMix>) -> Result<(), Unpriced> {
        let desired = match self.settings.get(&KnobName::Capacity) {
            Some(Setting::Capacity { desired, .. } | Setting::Count(desired)) => *desired,
            Some(other) => return Err(self.wrong(KnobName::Capacity, other, "a capacity")),
            None => return Err(self.missing(KnobName::Capacity)),
        };
        let mix = match self.settings.get(&KnobName::SpotMix) {
            Some(Setting::Mix(mix)) => Some(mix),
            Some(other) => return Err(self.wrong(KnobName::SpotMix, other, "a spot mix")),
            None => spot_mix,
        };
        let Some((mix, itype)) = mix.and_then(|m| Some((m, m.instance_types.first()?))) else {
            return Err(Unpriced::NoInstanceType {
                resource: self.resource.id.clone(),
            });
        };
        let base = desired.min(mix.on_demand_base);
        let above = f64::from(desired - base);
        let on_demand_share = f64::from(mix.on_demand_percent_above_base.min(100)) / 100.0;
        let on_demand = f64::from(base) + above * on_demand_share;
        let spot = above - above * on_demand_share;

        // Looked up at any size, so an unknown type is Unpriced even at 0.
        let od_key = PriceKey::new("ec2", itype, "linux", "on-demand");
        let od = self.quote(&od_key, PER_HOUR)?;
        if on_demand > 0.0 {
            let item = format!("{} on-demand × {itype}", qty(on_demand));
            self.line(item, on_demand, od_key, od.clone());
        }
        if spot > 0.0 {
            let spot_key = PriceKey::new("ec2", itype, "linux", "spot-max-az");
            let quote = match self.prices.quote(&spot_key) {
                Some(q) => check_unit(&spot_key, q, PER_HOUR)?,
                None => {
                    let pct = SPOT_ESTIMATE_FRACTION * 100.0;
                    self.note(format!(
                        "no spot price for {itype}: estimated at {pct}% of on-demand"
                    ));
                    Quote {
                        usd: od.usd * SPOT_ESTIMATE_FRACTION,
                        unit: PER_HOUR.to_string(),
                        origin: Origin::Estimate,
                        source: format!("estimate: {pct}% of on-demand ({})", od.source),
                        as_of: od.as_of,
                    }
                }
            };
            self.line(
                format!("{} spot × {itype}", qty(spot)),
                spot,
                spot_key,
                quote,
            );
        }
        if mix.instance_types.len() > 1 {
            let n = mix.instance_types.len();
            self.note(format!(
                "priced as {itype}, the first of {n} instance types"
            ));
        }
        Ok(())
    }

    /// The policy's engine, or `default`, or [`Unpriced::NoEngine`].
    fn engine(&self, default: Option<&'static str>) -> Result<&'a str, Unpriced> {
        self.resource
            .engine
            .as_deref()
            .or(default)
            .ok_or_else(|| Unpriced::NoEngine {
                resource: self.resource.id.clone(),
                kind: self.resource.kind,
            })
    }

    /// The setting of `knob` read by `read`; `None` when absent,
    /// [`Unpriced::WrongSetting`] when `read` does not apply to it.
    fn read<T>(
        &self,
        knob: KnobName,
        expected: &'static str,
        read: fn(&'a Setting) -> Option<T>,
    ) -> Result<Option<T>, Unpriced> {
        match self.settings.get(&knob) {
            None => Ok(None),
            Some(s) => read(s)
                .map(Some)
                .ok_or_else(|| self.wrong(knob, s, expected)),
        }
    }

    fn class(&self, knob: KnobName) -> Result<Option<&'a str>, Unpriced> {
        self.read(knob, "a class", |s| match s {
            Setting::Class(c) => Some(c.as_str()),
            _ => None,
        })
    }

    fn count(&self, knob: KnobName) -> Result<Option<u32>, Unpriced> {
        self.read(knob, "a count", |s| match s {
            Setting::Count(n) => Some(*n),
            _ => None,
        })
    }

    fn gib(&self, knob: KnobName) -> Result<Option<u32>, Unpriced> {
        self.read(knob, "a size in GiB", |s| match s {
            Setting::Gib(g) => Some(*g),
            _ => None,
        })
    }

    /// MinCapacity of an ACU range.
    fn acu(&self, knob: KnobName) -> Result<Option<f64>, Unpriced> {
        self.read(knob, "an ACU range", |s| match s {
            Setting::Acu { min, .. } => Some(*min),
            _ => None,
        })
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

    fn need<T>(&self, knob: KnobName, value: Option<T>) -> Result<T, Unpriced> {
        value.ok_or_else(|| self.missing(knob))
    }

    fn missing(&self, knob: KnobName) -> Unpriced {
        let (resource, kind) = (self.resource.id.clone(), self.resource.kind);
        Unpriced::MissingSetting {
            resource,
            kind,
            knob,
        }
    }

    fn wrong(&self, knob: KnobName, found: &Setting, expected: &'static str) -> Unpriced {
        let (resource, kind, found) = (
            self.resource.id.clone(),
            self.resource.kind,
            found.to_string(),
        );
        Unpriced::WrongSetting {
            resource,
            kind,
            knob,
            found,
            expected,
        }
    }

    fn quote(&self, key: &PriceKey, unit: &'static str) -> Result<Quote, Unpriced> {
        let quote = self.prices.quote(key);
        let quote = quote.ok_or_else(|| Unpriced::NoPrice {
            key: Box::new(key.clone()),
        })?;
        check_unit(key, quote, unit)
    }

    /// Looks up `key` in `unit` and adds `quantity` of it (a `USD/GB-month`
    /// price is made hourly).
    fn priced(
        &mut self,
        item: String,
        quantity: f64,
        key: PriceKey,
        unit: &'static str,
    ) -> Result<(), Unpriced> {
        let quote = self.quote(&key, unit)?;
        self.line(item, quantity, key, quote);
        Ok(())
    }

    fn line(&mut self, item: String, quantity: f64, key: PriceKey, quote: Quote) {
        let per_hour = if quote.unit == PER_GB_MONTH {
            1.0 / HOURS_PER_MONTH
        } else {
            1.0
        };
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

fn check_unit(key: &PriceKey, quote: Quote, unit: &'static str) -> Result<Quote, Unpriced> {
    if quote.unit == unit {
        return Ok(quote);
    }
    let (key, found) = (Box::new(key.clone()), quote.unit);
    Err(Unpriced::WrongUnit {
        key,
        expected: unit,
        found,
    })
}

/// A quantity for a line's label: at most two decimals, no trailing zeros.
fn qty(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
#[path = "cost_tests.rs"]
mod tests;
