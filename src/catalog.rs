//! Instance classes tidegate knows: the services and engines each is valid
//! for, its vCPUs and memory. A static table; lookups never fail loudly.
//!
//! The table covers every class in the shipped price snapshot
//! (`aws-us-east-1.csv`) with AWS's published sizes. RDS and Aurora classes
//! have the vCPUs and memory of the EC2 type of the same name; ElastiCache
//! nodes list the memory ElastiCache publishes (less than the EC2 type's,
//! because part is reserved). Ladders are ordered with [`ClassInfo::size_key`].

use crate::policy::ResourceKind;

/// The AWS service a class is sold under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// RDS DB instances (PostgreSQL, MySQL).
    Rds,
    /// Aurora cluster instances (`db.*` classes Aurora supports).
    Aurora,
    /// ElastiCache nodes (`cache.*`).
    ElastiCache,
    /// MSK brokers (`kafka.*`).
    Msk,
    /// EC2 instance types (Auto Scaling groups).
    Ec2,
}

impl Service {
    /// The service a resource kind's classes come from.
    pub fn for_kind(kind: ResourceKind) -> Service {
        match kind {
            ResourceKind::RdsInstance => Service::Rds,
            ResourceKind::AuroraCluster => Service::Aurora,
            ResourceKind::MskCluster => Service::Msk,
            ResourceKind::ElasticacheRedis => Service::ElastiCache,
            ResourceKind::AutoscalingGroup => Service::Ec2,
        }
    }
}

/// One instance class.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassInfo {
    /// The class name as AWS spells it, e.g. `db.r6g.large`.
    pub name: &'static str,
    /// Services that offer the class (`db.*` classes may be both RDS and
    /// Aurora).
    pub services: &'static [Service],
    /// Engines the class is valid for: `postgres`, `mysql`,
    /// `aurora-postgresql`, `aurora-mysql`, `redis`, `valkey`, `kafka`; EC2
    /// types list none.
    pub engines: &'static [&'static str],
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, GiB (ElastiCache: the memory ElastiCache publishes).
    pub memory_gib: f64,
    /// Burstable (T family: CPU credits, a baseline below a full vCPU).
    pub burstable: bool,
}

impl ClassInfo {
    /// Ordering key for ladders: vCPUs, then memory, then sustained CPU (a
    /// burstable class is smaller than a fixed-performance class of the same
    /// vCPUs and memory). A ladder must be strictly increasing in this key.
    pub fn size_key(&self) -> (u32, f64, bool) {
        (self.vcpus, self.memory_gib, !self.burstable)
    }

    /// True when `other` is strictly larger than `self` by [`Self::size_key`].
    pub fn is_smaller_than(&self, other: &ClassInfo) -> bool {
        self.size_key() < other.size_key()
    }

    /// Is the class offered by `service`?
    pub fn offered_by(&self, service: Service) -> bool {
        self.services.contains(&service)
    }
}

/// The engines each resource kind accepts, as written in a policy.
pub fn engines_for(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::RdsInstance => &["postgres", "mysql"],
        ResourceKind::AuroraCluster => &["aurora-mysql", "aurora-postgresql"],
        ResourceKind::ElasticacheRedis => &["redis", "valkey"],
        ResourceKind::MskCluster => &["kafka"],
        ResourceKind::AutoscalingGroup => &[],
    }
}

/// The class of this name, if tidegate knows it.
pub fn lookup(name: &str) -> Option<&'static ClassInfo> {
    CLASSES.iter().find(|c| c.name == name)
}

/// Every known class, in table order.
pub fn all() -> &'static [ClassInfo] {
    CLASSES
}

/// Is `name` a known class that a resource of `kind` (with `engine`, when
/// given) can run on? An engine the kind does not accept makes every class
/// invalid.
pub fn is_valid_for(kind: ResourceKind, engine: Option<&str>, name: &str) -> bool {
    let Some(info) = lookup(name) else {
        return false;
    };
    if !info.offered_by(Service::for_kind(kind)) {
        return false;
    }
    match engine {
        None => true,
        Some(engine) => engines_for(kind).contains(&engine) && info.engines.contains(&engine),
    }
}

/// Classes valid for `kind`/`engine`, in table order (smallest of a family
/// first). Used to suggest alternatives in error messages.
pub fn valid_classes(kind: ResourceKind, engine: Option<&str>) -> Vec<&'static str> {
    CLASSES
        .iter()
        .filter(|c| is_valid_for(kind, engine, c.name))
        .map(|c| c.name)
        .collect()
}

/// The default `max_connections` of an RDS instance of this class, or `None`
/// when tidegate has no formula for the engine.
///
/// AWS's parameter-group defaults:
/// - `postgres`, `aurora-postgresql`: `LEAST(DBInstanceClassMemory/9531392, 5000)`
/// - `mysql`: `DBInstanceClassMemory/12582880`
///
/// `DBInstanceClassMemory` is approximated by the class's nominal memory in
/// bytes (GiB × 2³⁰). AWS subtracts the memory its own processes use, so the
/// real value is a few percent lower; a threshold given as a percent of
/// `max_connections` therefore fires a few percent late at most.
pub fn max_connections(info: &ClassInfo, engine: &str) -> Option<f64> {
    let bytes = info.memory_gib * 1024.0 * 1024.0 * 1024.0;
    match engine {
        "postgres" | "aurora-postgresql" => Some((bytes / 9_531_392.0).floor().min(5_000.0)),
        "mysql" => Some((bytes / 12_582_880.0).floor()),
        _ => None,
    }
}

const RDS: &[Service] = &[Service::Rds];
const RDS_AURORA: &[Service] = &[Service::Rds, Service::Aurora];
const CACHE: &[Service] = &[Service::ElastiCache];
const MSK: &[Service] = &[Service::Msk];
const EC2: &[Service] = &[Service::Ec2];

const RDS_ENGINES: &[&str] = &["postgres", "mysql"];
const ALL_DB_ENGINES: &[&str] = &["postgres", "mysql", "aurora-mysql", "aurora-postgresql"];
const CACHE_ENGINES: &[&str] = &["redis", "valkey"];
const KAFKA: &[&str] = &["kafka"];

macro_rules! classes {
    ($( $name:literal, $services:ident, $engines:expr, $vcpus:literal, $mem:literal, $burst:literal; )*) => {
        &[ $( ClassInfo {
            name: $name,
            services: $services,
            engines: $engines,
            vcpus: $vcpus,
            memory_gib: $mem,
            burstable: $burst,
        }, )* ]
    };
}

static CLASSES: &[ClassInfo] = classes![
    // RDS burstable. Aurora offers db.t4g and db.t3 only as medium and large.
    "db.t4g.micro", RDS, RDS_ENGINES, 2, 1.0, true;
    "db.t4g.small", RDS, RDS_ENGINES, 2, 2.0, true;
    "db.t4g.medium", RDS_AURORA, ALL_DB_ENGINES, 2, 4.0, true;
    "db.t4g.large", RDS_AURORA, ALL_DB_ENGINES, 2, 8.0, true;
    "db.t4g.xlarge", RDS, RDS_ENGINES, 4, 16.0, true;
    "db.t4g.2xlarge", RDS, RDS_ENGINES, 8, 32.0, true;
    "db.t3.medium", RDS_AURORA, ALL_DB_ENGINES, 2, 4.0, true;
    "db.t3.large", RDS_AURORA, ALL_DB_ENGINES, 2, 8.0, true;
    // RDS general purpose (Aurora has no db.m6g).
    "db.m6g.large", RDS, RDS_ENGINES, 2, 8.0, false;
    "db.m6g.xlarge", RDS, RDS_ENGINES, 4, 16.0, false;
    "db.m6g.2xlarge", RDS, RDS_ENGINES, 8, 32.0, false;
    "db.m6g.4xlarge", RDS, RDS_ENGINES, 16, 64.0, false;
    "db.m6g.8xlarge", RDS, RDS_ENGINES, 32, 128.0, false;
    "db.m6g.12xlarge", RDS, RDS_ENGINES, 48, 192.0, false;
    "db.m6g.16xlarge", RDS, RDS_ENGINES, 64, 256.0, false;
    // Memory optimized, RDS and Aurora.
    "db.r6g.large", RDS_AURORA, ALL_DB_ENGINES, 2, 16.0, false;
    "db.r6g.xlarge", RDS_AURORA, ALL_DB_ENGINES, 4, 32.0, false;
    "db.r6g.2xlarge", RDS_AURORA, ALL_DB_ENGINES, 8, 64.0, false;
    "db.r6g.4xlarge", RDS_AURORA, ALL_DB_ENGINES, 16, 128.0, false;
    "db.r6g.8xlarge", RDS_AURORA, ALL_DB_ENGINES, 32, 256.0, false;
    "db.r6g.12xlarge", RDS_AURORA, ALL_DB_ENGINES, 48, 384.0, false;
    "db.r6g.16xlarge", RDS_AURORA, ALL_DB_ENGINES, 64, 512.0, false;
    "db.r7g.large", RDS_AURORA, ALL_DB_ENGINES, 2, 16.0, false;
    "db.r7g.xlarge", RDS_AURORA, ALL_DB_ENGINES, 4, 32.0, false;
    "db.r7g.2xlarge", RDS_AURORA, ALL_DB_ENGINES, 8, 64.0, false;
    "db.r7g.4xlarge", RDS_AURORA, ALL_DB_ENGINES, 16, 128.0, false;
    "db.r7g.8xlarge", RDS_AURORA, ALL_DB_ENGINES, 32, 256.0, false;
    "db.r7g.12xlarge", RDS_AURORA, ALL_DB_ENGINES, 48, 384.0, false;
    "db.r7g.16xlarge", RDS_AURORA, ALL_DB_ENGINES, 64, 512.0, false;
    // ElastiCache (Redis OSS and Valkey); memory as ElastiCache publishes it.
    "cache.t4g.micro", CACHE, CACHE_ENGINES, 2, 0.5, true;
    "cache.t4g.small", CACHE, CACHE_ENGINES, 2, 1.37, true;
    "cache.t4g.medium", CACHE, CACHE_ENGINES, 2, 3.09, true;
    "cache.m6g.large", CACHE, CACHE_ENGINES, 2, 6.38, false;
    "cache.m6g.xlarge", CACHE, CACHE_ENGINES, 4, 12.93, false;
    "cache.m6g.2xlarge", CACHE, CACHE_ENGINES, 8, 26.04, false;
    "cache.m6g.4xlarge", CACHE, CACHE_ENGINES, 16, 52.26, false;
    "cache.m6g.8xlarge", CACHE, CACHE_ENGINES, 32, 103.68, false;
    "cache.m6g.12xlarge", CACHE, CACHE_ENGINES, 48, 157.12, false;
    "cache.m6g.16xlarge", CACHE, CACHE_ENGINES, 64, 209.55, false;
    "cache.r6g.large", CACHE, CACHE_ENGINES, 2, 13.07, false;
    "cache.r6g.xlarge", CACHE, CACHE_ENGINES, 4, 26.32, false;
    "cache.r6g.2xlarge", CACHE, CACHE_ENGINES, 8, 52.82, false;
    "cache.r6g.4xlarge", CACHE, CACHE_ENGINES, 16, 105.81, false;
    "cache.r6g.8xlarge", CACHE, CACHE_ENGINES, 32, 209.55, false;
    "cache.r6g.12xlarge", CACHE, CACHE_ENGINES, 48, 317.77, false;
    "cache.r6g.16xlarge", CACHE, CACHE_ENGINES, 64, 419.09, false;
    // MSK brokers.
    "kafka.t3.small", MSK, KAFKA, 2, 2.0, true;
    "kafka.m5.large", MSK, KAFKA, 2, 8.0, false;
    "kafka.m5.xlarge", MSK, KAFKA, 4, 16.0, false;
    "kafka.m5.2xlarge", MSK, KAFKA, 8, 32.0, false;
    "kafka.m5.4xlarge", MSK, KAFKA, 16, 64.0, false;
    "kafka.m5.8xlarge", MSK, KAFKA, 32, 128.0, false;
    "kafka.m5.12xlarge", MSK, KAFKA, 48, 192.0, false;
    "kafka.m5.16xlarge", MSK, KAFKA, 64, 256.0, false;
    "kafka.m5.24xlarge", MSK, KAFKA, 96, 384.0, false;
    "kafka.m7g.large", MSK, KAFKA, 2, 8.0, false;
    "kafka.m7g.xlarge", MSK, KAFKA, 4, 16.0, false;
    "kafka.m7g.2xlarge", MSK, KAFKA, 8, 32.0, false;
    "kafka.m7g.4xlarge", MSK, KAFKA, 16, 64.0, false;
    "kafka.m7g.8xlarge", MSK, KAFKA, 32, 128.0, false;
    "kafka.m7g.12xlarge", MSK, KAFKA, 48, 192.0, false;
    "kafka.m7g.16xlarge", MSK, KAFKA, 64, 256.0, false;
    // EC2, large to 4xlarge.
    "m5.large", EC2, &[], 2, 8.0, false;
    "m5.xlarge", EC2, &[], 4, 16.0, false;
    "m5.2xlarge", EC2, &[], 8, 32.0, false;
    "m5.4xlarge", EC2, &[], 16, 64.0, false;
    "m6i.large", EC2, &[], 2, 8.0, false;
    "m6i.xlarge", EC2, &[], 4, 16.0, false;
    "m6i.2xlarge", EC2, &[], 8, 32.0, false;
    "m6i.4xlarge", EC2, &[], 16, 64.0, false;
    "m6g.large", EC2, &[], 2, 8.0, false;
    "m6g.xlarge", EC2, &[], 4, 16.0, false;
    "m6g.2xlarge", EC2, &[], 8, 32.0, false;
    "m6g.4xlarge", EC2, &[], 16, 64.0, false;
    "m7g.large", EC2, &[], 2, 8.0, false;
    "m7g.xlarge", EC2, &[], 4, 16.0, false;
    "m7g.2xlarge", EC2, &[], 8, 32.0, false;
    "m7g.4xlarge", EC2, &[], 16, 64.0, false;
    "m7i.large", EC2, &[], 2, 8.0, false;
    "m7i.xlarge", EC2, &[], 4, 16.0, false;
    "m7i.2xlarge", EC2, &[], 8, 32.0, false;
    "m7i.4xlarge", EC2, &[], 16, 64.0, false;
    "c6i.large", EC2, &[], 2, 4.0, false;
    "c6i.xlarge", EC2, &[], 4, 8.0, false;
    "c6i.2xlarge", EC2, &[], 8, 16.0, false;
    "c6i.4xlarge", EC2, &[], 16, 32.0, false;
    "c6g.large", EC2, &[], 2, 4.0, false;
    "c6g.xlarge", EC2, &[], 4, 8.0, false;
    "c6g.2xlarge", EC2, &[], 8, 16.0, false;
    "c6g.4xlarge", EC2, &[], 16, 32.0, false;
    "c7g.large", EC2, &[], 2, 4.0, false;
    "c7g.xlarge", EC2, &[], 4, 8.0, false;
    "c7g.2xlarge", EC2, &[], 8, 16.0, false;
    "c7g.4xlarge", EC2, &[], 16, 32.0, false;
    "c7i.large", EC2, &[], 2, 4.0, false;
    "c7i.xlarge", EC2, &[], 4, 8.0, false;
    "c7i.2xlarge", EC2, &[], 8, 16.0, false;
    "c7i.4xlarge", EC2, &[], 16, 32.0, false;
    "r6g.large", EC2, &[], 2, 16.0, false;
    "r6g.xlarge", EC2, &[], 4, 32.0, false;
    "r6g.2xlarge", EC2, &[], 8, 64.0, false;
    "r6g.4xlarge", EC2, &[], 16, 128.0, false;
    "r7g.large", EC2, &[], 2, 16.0, false;
    "r7g.xlarge", EC2, &[], 4, 32.0, false;
    "r7g.2xlarge", EC2, &[], 8, 64.0, false;
    "r7g.4xlarge", EC2, &[], 16, 128.0, false;
];

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str) -> &'static ClassInfo {
        match lookup(name) {
            Some(c) => c,
            None => panic!("{name} should be in the catalog"),
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = CLASSES.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn rds_classes_have_the_ec2_size_of_the_same_name() {
        for c in CLASSES.iter().filter(|c| c.name.starts_with("db.")) {
            let ec2 = c.name.trim_start_matches("db.");
            if let Some(e) = lookup(ec2) {
                assert_eq!(
                    (c.vcpus, c.memory_gib),
                    (e.vcpus, e.memory_gib),
                    "{}",
                    c.name
                );
            }
        }
        assert_eq!(
            (
                class("db.r6g.large").vcpus,
                class("db.r6g.large").memory_gib
            ),
            (2, 16.0)
        );
        assert_eq!(class("db.m6g.4xlarge").memory_gib, 64.0);
    }

    #[test]
    fn known_specs() {
        let k = class("kafka.m5.xlarge");
        assert_eq!((k.vcpus, k.memory_gib), (4, 16.0));
        let t = class("cache.t4g.small");
        assert_eq!((t.vcpus, t.memory_gib, t.burstable), (2, 1.37, true));
        assert_eq!(class("c6i.2xlarge").memory_gib, 16.0);
    }

    #[test]
    fn aurora_has_no_m6g_but_has_r6g_and_t4g_medium() {
        let aurora = ResourceKind::AuroraCluster;
        assert!(!is_valid_for(aurora, Some("aurora-mysql"), "db.m6g.large"));
        assert!(is_valid_for(aurora, Some("aurora-mysql"), "db.r6g.large"));
        assert!(is_valid_for(
            aurora,
            Some("aurora-postgresql"),
            "db.r7g.2xlarge"
        ));
        assert!(is_valid_for(
            aurora,
            Some("aurora-postgresql"),
            "db.t4g.medium"
        ));
        assert!(!is_valid_for(
            aurora,
            Some("aurora-postgresql"),
            "db.t4g.micro"
        ));
        assert!(is_valid_for(
            ResourceKind::RdsInstance,
            Some("postgres"),
            "db.m6g.large"
        ));
    }

    #[test]
    fn engine_and_service_must_match() {
        let rds = ResourceKind::RdsInstance;
        assert!(!is_valid_for(rds, Some("aurora-mysql"), "db.r6g.large"));
        assert!(!is_valid_for(rds, Some("postgres"), "cache.r6g.large"));
        assert!(!is_valid_for(rds, Some("postgres"), "db.x9.huge"));
        assert!(is_valid_for(
            ResourceKind::ElasticacheRedis,
            Some("valkey"),
            "cache.m6g.large"
        ));
        assert!(is_valid_for(
            ResourceKind::MskCluster,
            None,
            "kafka.t3.small"
        ));
        assert!(is_valid_for(
            ResourceKind::AutoscalingGroup,
            None,
            "m7i.large"
        ));
        assert!(!is_valid_for(
            ResourceKind::AutoscalingGroup,
            None,
            "db.r6g.large"
        ));
    }

    #[test]
    fn every_priced_class_is_known() {
        // Every hourly-priced class of the shipped price snapshot.
        let csv = include_str!("../data/prices/aws-us-east-1.csv");
        let mut checked = 0;
        for row in csv.lines().skip(1) {
            let cols: Vec<&str> = row.split(',').collect();
            let [service, name, engine, _, _, _, unit, ..] = cols.as_slice() else {
                panic!("short row {row}");
            };
            if *unit != "USD/hour" {
                continue; // ACU-hours, storage, throughput
            }
            let info =
                lookup(name).unwrap_or_else(|| panic!("{name} ({service}) is not in the catalog"));
            let kind = match *service {
                "rds" => ResourceKind::RdsInstance,
                "aurora" => ResourceKind::AuroraCluster,
                "elasticache" => ResourceKind::ElasticacheRedis,
                "msk" => ResourceKind::MskCluster,
                _ => ResourceKind::AutoscalingGroup,
            };
            let engine = match *engine {
                "postgresql" => Some("postgres"),
                "memcached" | "kafka" | "linux" => None,
                e => Some(e),
            };
            assert!(
                is_valid_for(kind, engine, name),
                "{name} for {kind} {engine:?}"
            );
            assert!(info.vcpus > 0 && info.memory_gib > 0.0);
            checked += 1;
        }
        assert!(checked > 200, "only {checked} priced classes");
    }

    #[test]
    fn size_order_puts_burstable_below_fixed_of_equal_size() {
        assert!(class("db.t4g.large").is_smaller_than(class("db.m6g.large")));
        assert!(!class("db.m6g.large").is_smaller_than(class("db.t4g.large")));
        assert!(!class("db.r6g.large").is_smaller_than(class("db.r7g.large")));
        assert!(class("db.m6g.xlarge").is_smaller_than(class("db.r6g.xlarge")));
        assert!(class("db.r6g.large").is_smaller_than(class("db.m6g.xlarge")));
    }

    #[test]
    fn max_connections_follows_the_parameter_group_formulas() {
        // 16 GiB: 17179869184 / 9531392 = 1802.44 → 1802.
        assert_eq!(
            max_connections(class("db.r6g.large"), "postgres"),
            Some(1802.0)
        );
        // Capped at 5000 for PostgreSQL.
        assert_eq!(
            max_connections(class("db.r6g.4xlarge"), "postgres"),
            Some(5000.0)
        );
        // MySQL: 17179869184 / 12582880 = 1365.3 → 1365.
        assert_eq!(
            max_connections(class("db.r6g.large"), "mysql"),
            Some(1365.0)
        );
        assert_eq!(max_connections(class("cache.r6g.large"), "redis"), None);
    }
}
