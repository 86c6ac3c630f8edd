//! Tests of `cost.rs`.

use super::*;
use crate::policy::{Cooldown, Knob, Scale, Selector, Span, SpotClass};
use crate::pricing::SnapshotPriceBook;
use KnobName as K;
use ResourceKind as R;

fn resource(kind: ResourceKind, engine: Option<&str>, knobs: &[KnobName]) -> Resource {
    let knob = |&name: &KnobName| Knob {
        name,
        scale: Scale::Counts(vec![0]),
        floor: 0,
        max_step: Default::default(),
    };
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
        knobs: knobs.iter().map(knob).collect(),
        storage: None,
        profiles: BTreeMap::new(),
        apply_immediately: false,
        allow_stop: false,
        az_count: None,
        workload_class: None,
        auto_pause_seconds: None,
        predictive: None,
    }
}

/// `api` from policies/estate.yaml: 30% spot above an on-demand base of 2.
fn api_mix() -> SpotMix {
    let types = vec!["m6i.large".into(), "m5.large".into(), "m7i.large".into()];
    let strategy = "price-capacity-optimized".into();
    SpotClass {
        name: "api".into(),
        spot_percent: 30.0,
        on_demand_base: 2,
        allocation_strategy: strategy,
        instance_types: types,
        interruptions: None,
    }
    .distribution()
}

fn mix(types: &[&str], base: u32, on_demand_percent: u32) -> Setting {
    Setting::Mix(SpotMix {
        on_demand_base: base,
        on_demand_percent_above_base: on_demand_percent,
        allocation_strategy: "price-capacity-optimized".into(),
        instance_types: types.iter().map(|t| t.to_string()).collect(),
    })
}

fn class(c: &str) -> Setting {
    Setting::Class(c.into())
}

struct Case {
    what: &'static str,
    kind: ResourceKind,
    engine: Option<&'static str>,
    knobs: &'static [KnobName],
    settings: Vec<(KnobName, Setting)>,
    multi_az: bool,
    /// USD/hour, or the Unpriced message.
    expected: Result<f64, &'static str>,
}

fn price(case: &Case) -> Result<Cost, Unpriced> {
    let r = resource(case.kind, case.engine, case.knobs);
    let settings = case.settings.iter().cloned().collect();
    let (api, book) = (api_mix(), SnapshotPriceBook::embedded());
    hourly_cost(&r, &settings, case.multi_az, Some(&api), &book)
}

/// Expectations computed by hand from the rows of data/prices/aws-us-east-1.csv.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let (n, gib, cls) = (Setting::Count, Setting::Gib, class);
    let acu = |min, max| Setting::Acu { min, max };
    let cap = |desired| Setting::Capacity { min: 0, max: 40, desired };
    let stopped = || Setting::Power(Power::Stopped);
    let rds: &[KnobName] = &[K::InstanceClass];
    let aurora: &[KnobName] = &[K::ServerlessV2, K::Readers];
    let msk: &[KnobName] = &[K::Brokers, K::BrokerType, K::Storage];
    let cache: &[KnobName] = &[K::NodeType, K::Shards, K::Replicas];
    let three_shards = || vec![(K::NodeType, cls("cache.r6g.large")), (K::Shards, n(3)), (K::Replicas, n(2))];
    let c = |what, kind, engine, knobs, settings: Vec<(KnobName, Setting)>, multi_az, expected| Case {
        what, kind, engine, knobs, settings, multi_az, expected,
    };
    vec![
        c("rds: db.r6g.xlarge postgresql multi-az", R::RdsInstance, Some("postgres"), rds,
          vec![(K::InstanceClass, cls("db.r6g.xlarge"))], true, Ok(0.899)),
        c("rds: db.r6g.xlarge postgresql single-az", R::RdsInstance, Some("postgres"), rds,
          vec![(K::InstanceClass, cls("db.r6g.xlarge"))], false, Ok(0.45)),
        c("rds + 500 GiB gp3, mysql multi-az: 0.43 + 500 × 0.23 / 730", R::RdsInstance, Some("mysql"), rds,
          vec![(K::InstanceClass, cls("db.r6g.large")), (K::Storage, gib(500))], true,
          Ok(0.43 + 500.0 * 0.23 / 730.0)),
        c("rds stopped: storage only", R::RdsInstance, Some("mysql"), rds,
          vec![(K::InstanceClass, cls("db.r6g.large")), (K::Storage, gib(500)), (K::Power, stopped())], true,
          Ok(500.0 * 0.23 / 730.0)),
        c("rds stopped, no storage setting", R::RdsInstance, Some("mysql"), rds,
          vec![(K::Power, stopped())], false, Ok(0.0)),
        c("aurora serverless: (1 + 2) × 4 ACU × 0.12", R::AuroraCluster, Some("aurora-mysql"), aurora,
          vec![(K::ServerlessV2, acu(4.0, 16.0)), (K::Readers, n(2))], false, Ok(3.0 * 4.0 * 0.12)),
        c("aurora serverless, readers unmanaged: writer only", R::AuroraCluster, Some("aurora-mysql"),
          &[K::ServerlessV2], vec![(K::ServerlessV2, acu(2.0, 8.0))], false, Ok(2.0 * 0.12)),
        c("aurora writer db.serverless: Serverless v2, 0.5 ACU × 0.12", R::AuroraCluster, Some("aurora-mysql"),
          &[K::WriterClass, K::ServerlessV2],
          vec![(K::WriterClass, cls("db.serverless")), (K::ServerlessV2, acu(0.5, 8.0))], false, Ok(0.06)),
        c("aurora provisioned: 3 × db.r6g.large 0.26", R::AuroraCluster, Some("aurora-postgresql"),
          &[K::WriterClass, K::Readers],
          vec![(K::WriterClass, cls("db.r6g.large")), (K::Readers, n(2)), (K::ServerlessV2, acu(0.5, 8.0))],
          false, Ok(0.78)),
        c("msk: 3 × 0.42 + 3 × 1000 GB × 0.10 / 730", R::MskCluster, None, msk,
          vec![(K::Brokers, n(3)), (K::BrokerType, cls("kafka.m5.xlarge")), (K::Storage, gib(1000))],
          false, Ok(1.26 + 300.0 / 730.0)),
        c("redis: 3 shards × 3 nodes × 0.206", R::ElasticacheRedis, Some("redis"), cache,
          three_shards(), false, Ok(9.0 * 0.206)),
        c("valkey: 9 × 0.1648", R::ElasticacheRedis, Some("valkey"), cache,
          three_shards(), false, Ok(9.0 * 0.1648)),
        c("elasticache, no engine, shards and replicas unmanaged", R::ElasticacheRedis, None, &[K::NodeType],
          vec![(K::NodeType, cls("cache.r6g.large"))], false, Ok(0.206)),
        c("asg api: (2 + 0.7 × 8) × 0.096 + 0.3 × 8 × 0.036", R::AutoscalingGroup, None, &[K::Capacity],
          vec![(K::Capacity, cap(10))], false, Ok(7.6 * 0.096 + 2.4 * 0.036)),
        c("asg, the setting's mix wins: 10 × 0.096", R::AutoscalingGroup, None, &[K::Capacity],
          vec![(K::Capacity, cap(10)), (K::SpotMix, mix(&["m6i.large"], 0, 100))], false, Ok(0.96)),
        c("asg, no spot row for m6g.large: 4 × 0.077 × 0.35", R::AutoscalingGroup, None, &[K::Capacity],
          vec![(K::Capacity, n(4)), (K::SpotMix, mix(&["m6g.large"], 0, 0))], false,
          Ok(4.0 * 0.077 * 0.35)),
        // Unpriced, by name.
        c("aurora-postgresql serverless", R::AuroraCluster, Some("aurora-postgresql"), &[K::ServerlessV2],
          vec![(K::ServerlessV2, acu(2.0, 8.0))], false,
          Err("no price for aurora db.serverless(ACU) aurora-postgresql serverless-v2-standard")),
        c("aurora, readers managed but absent", R::AuroraCluster, Some("aurora-mysql"), aurora,
          vec![(K::ServerlessV2, acu(2.0, 8.0))], false,
          Err("r1 (aurora_cluster): no `readers` setting to price")),
        c("msk without storage", R::MskCluster, None, msk,
          vec![(K::Brokers, n(3)), (K::BrokerType, cls("kafka.m5.xlarge"))], false,
          Err("r1 (msk_cluster): no `storage` setting to price")),
        c("rds class of the wrong shape", R::RdsInstance, Some("postgres"), rds,
          vec![(K::InstanceClass, n(3))], false,
          Err("r1 (rds_instance): `instance_class` is `3`, expected a class")),
        c("rds without engine", R::RdsInstance, None, rds,
          vec![(K::InstanceClass, cls("db.r6g.large"))], false,
          Err("r1 (rds_instance): no `engine` in the policy, and prices depend on it")),
        c("asg with an empty mix", R::AutoscalingGroup, None, &[K::Capacity],
          vec![(K::Capacity, cap(2)), (K::SpotMix, mix(&[], 0, 100))], false,
          Err("r1 (autoscaling_group): no instance type (no spot mix with instance types)")),
    ]
}

#[test]
fn each_kind_priced_against_the_embedded_snapshot() {
    for case in cases() {
        match (price(&case), case.expected) {
            (Ok(cost), Ok(usd)) => {
                assert!(
                    (cost.usd_per_hour - usd).abs() < 1e-9,
                    "{}: got {}",
                    case.what,
                    cost.usd_per_hour
                );
                let sum: f64 = cost.lines.iter().map(|l| l.usd_per_hour).sum();
                assert!(
                    (sum - usd).abs() < 1e-9,
                    "{}: lines sum to {sum}",
                    case.what
                );
            }
            (Err(e), Err(msg)) => assert_eq!(e.to_string(), msg, "{}", case.what),
            (got, _) => panic!("{}: got {got:?}", case.what),
        }
    }
}

fn priced(what: &str) -> Cost {
    let case = cases().into_iter().find(|c| c.what.starts_with(what));
    match case.as_ref().map(price) {
        Some(Ok(cost)) => cost,
        other => panic!("{what}: {other:?}"),
    }
}

fn noted(cost: &Cost, needle: &str) -> bool {
    cost.notes.iter().any(|n| n.contains(needle))
}

#[test]
fn lines_name_their_prices_and_notes_say_what_is_assumed() {
    let asg = priced("asg api");
    assert_eq!(asg.lines[0].item, "7.6 on-demand × m6i.large");
    assert_eq!(asg.lines[1].key.deployment, "spot-max-az");
    assert!(noted(&asg, "first of 3 instance types"), "{:?}", asg.notes);
    let estimate = &priced("asg, no spot row").lines[0].quote;
    assert!(
        estimate
            .source
            .starts_with("estimate: 35% of on-demand (github:")
    );
    let rds = priced("rds + 500");
    assert_eq!(
        (rds.lines[0].key.engine.as_str(), rds.sources().len()),
        ("mysql", 2)
    );
    assert!(noted(&rds, "upper bound"), "{:?}", rds.notes);
    let serverless = priced("aurora serverless:");
    assert!(noted(&serverless, "the floor"), "{:?}", serverless.notes);
    assert_eq!(priced("aurora provisioned").sources().len(), 1);
}

#[test]
fn change_prices_the_delta() {
    let r = resource(R::RdsInstance, Some("postgres"), &[K::InstanceClass]);
    let s: BTreeMap<_, _> = [(K::InstanceClass, class("db.r6g.xlarge"))].into();
    let book = SnapshotPriceBook::embedded();
    let change = |knob, to: Setting| hourly_change(&r, &s, knob, &to, true, None, &book);
    // 1.798 − 0.899, postgresql multi-az; stopping saves the class price.
    let up = change(K::InstanceClass, class("db.r6g.2xlarge")).map(|c| c.delta_per_hour());
    assert!(
        up.as_ref().is_ok_and(|d| (d - 0.899).abs() < 1e-9),
        "{up:?}"
    );
    let stop = change(K::Power, Setting::Power(Power::Stopped)).map(|c| c.delta_per_hour());
    assert!(
        stop.as_ref().is_ok_and(|d| (d + 0.899).abs() < 1e-9),
        "{stop:?}"
    );
    let e = change(K::InstanceClass, class("db.r9x.huge")).expect_err("unknown class");
    assert_eq!(
        e.to_string(),
        "no price for rds db.r9x.huge postgresql multi-az"
    );
}

#[test]
fn a_price_in_another_unit_is_refused() {
    let csv = "service,instance_type,engine,deployment,region,usd_per_hour,unit,source,as_of\n\
               rds,db.r6g.large,postgresql,single-az,us-east-1,160,USD/month,s,2024-09-28\n";
    let book = SnapshotPriceBook::from_csv(csv, "t.csv").expect("parses");
    let r = resource(R::RdsInstance, Some("postgres"), &[K::InstanceClass]);
    let s: BTreeMap<_, _> = [(K::InstanceClass, class("db.r6g.large"))].into();
    let e = hourly_cost(&r, &s, false, None, &book).expect_err("wrong unit");
    let msg = "price for rds db.r6g.large postgresql single-az is in USD/month, expected USD/hour";
    assert_eq!(e.to_string(), msg);
}

#[test]
fn monthly_is_730_hours() {
    assert_eq!(monthly(1.0), 730.0);
    assert!((monthly(0.899) - 656.27).abs() < 1e-9);
    let labels = [qty(2.0 + 8.0 * 0.7), qty(10.0), qty(2.4), qty(0.0)];
    assert_eq!(labels, ["7.6", "10", "2.4", "0"]);
}
