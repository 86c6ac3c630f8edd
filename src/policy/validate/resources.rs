//! Resources: unique ids, one selector, only the blocks their kind allows,
//! the required ones present, and the knobs, storage rule, profiles and rules
//! each kind carries.

use std::collections::{BTreeMap, BTreeSet};

use super::owner::{Owner, applies_to, kind_keys};
use super::rules::{self, AlarmNames};
use super::scales::{self, CountRules};
use super::{Ctx, finite, hint, list, predictive, profiles};
use crate::catalog;
use crate::policy::locate;
use crate::policy::model::{
    Cooldown, Direction, Knob, KnobName, Resource, ResourceKind, Selector, StorageRule,
};
use crate::policy::raw::{ResourceSpec, StorageSpec};

/// What the rest of the policy declares, for cross-references.
pub(super) struct Env<'a> {
    pub profiles: &'a BTreeSet<String>,
    pub schedules: BTreeSet<String>,
    pub spot_mix: BTreeSet<String>,
    pub default_cooldown: Cooldown,
}

/// Highest RDS storage (gp3), GiB.
const RDS_MAX_GIB: u32 = 65_536;
/// Highest MSK broker storage, GiB.
const MSK_MAX_GIB: u32 = 16_384;

pub(super) fn check(cx: &mut Ctx<'_>, specs: &[ResourceSpec], env: &Env<'_>) -> Vec<Resource> {
    let mut out = Vec::new();
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut names = AlarmNames::default();
    for (i, spec) in specs.iter().enumerate() {
        let p = locate::item("resources", i);
        if spec.id.trim().is_empty() {
            cx.at(
                &locate::key(&p, "id"),
                "the resource id is empty",
                "a unique name such as `orders-db`",
            );
        } else if let Some(first) = ids.get(spec.id.as_str()) {
            cx.at(
                &locate::key(&p, "id"),
                format!(
                    "duplicate resource id `{}` (first used by resources[{first}])",
                    spec.id
                ),
                "a unique id per resource",
            );
        } else {
            ids.insert(&spec.id, i);
        }
        if let Some(r) = resource(cx, &p, spec, env, &mut names) {
            out.push(r);
        }
    }
    out
}

fn resource(
    cx: &mut Ctx<'_>,
    p: &str,
    spec: &ResourceSpec,
    env: &Env<'_>,
    names: &mut AlarmNames,
) -> Option<Resource> {
    let before = cx.count();
    let kind = spec.kind;
    let selector = selector(cx, p, spec);
    blocks(cx, p, spec);
    let engine = engine(cx, p, spec);
    if let Some(s) = &spec.schedule
        && !env.schedules.contains(s)
    {
        cx.at(
            &locate::key(p, "schedule"),
            format!(
                "unknown schedule `{s}`{}",
                hint(s, env.schedules.iter().map(String::as_str))
            ),
            format!(
                "a schedule declared under `schedules`: {}",
                list(env.schedules.iter().map(String::as_str))
            ),
        );
    }
    let cooldown = spec
        .cooldown
        .as_ref()
        .map_or(env.default_cooldown, |c| Cooldown {
            up: c.up,
            down: c.down,
        });
    let knobs = knobs(cx, p, spec, engine.as_deref());
    let storage = spec
        .storage
        .as_ref()
        .filter(|_| matches!(kind, ResourceKind::RdsInstance | ResourceKind::MskCluster))
        .and_then(|s| storage(cx, &locate::key(p, "storage"), s, kind));
    if kind == ResourceKind::AutoscalingGroup {
        match &spec.workload_class {
            None => cx.at(
                &locate::key(p, "workload_class"),
                "missing `workload_class`",
                format!(
                    "a workload class declared under `spot_mix`: {}",
                    list(env.spot_mix.iter().map(String::as_str))
                ),
            ),
            Some(w) if !env.spot_mix.contains(w) => cx.at(
                &locate::key(p, "workload_class"),
                format!(
                    "unknown workload class `{w}`{}",
                    hint(w, env.spot_mix.iter().map(String::as_str))
                ),
                format!(
                    "a workload class declared under `spot_mix`: {}",
                    list(env.spot_mix.iter().map(String::as_str))
                ),
            ),
            Some(_) => {}
        }
    }
    let allow_stop = spec.allow_stop.unwrap_or(false);
    let written: Vec<&str> = written(spec)
        .iter()
        .filter(|(_, w)| *w)
        .map(|(k, _)| *k)
        .collect();
    let owner = Owner {
        path: p,
        id: &spec.id,
        kind,
        knobs: &knobs,
        written: &written,
    };
    let profiles = profiles::check(cx, &owner, allow_stop, &spec.profiles, env.profiles);
    let mut scale_up = rules::check(cx, &owner, "scale_up", Direction::Up, &spec.scale_up, names);
    let mut scale_down = rules::check(
        cx,
        &owner,
        "scale_down",
        Direction::Down,
        &spec.scale_down,
        names,
    );
    rules::default_targets(&mut scale_up, &mut scale_down);
    let predictive = predictive::check(cx, p, spec.predictive.as_ref(), kind, &scale_up);
    if cx.count() > before {
        return None;
    }
    Some(Resource {
        id: spec.id.clone(),
        kind,
        selector: selector?,
        engine,
        multi_az: spec.multi_az.unwrap_or(false),
        schedule: spec.schedule.clone(),
        cooldown,
        scale_up,
        scale_down,
        knobs,
        storage,
        profiles,
        apply_immediately: spec.apply_immediately.unwrap_or(false),
        allow_stop,
        az_count: spec.az_count,
        workload_class: spec.workload_class.clone(),
        auto_pause_seconds: spec
            .serverless_v2
            .as_ref()
            .filter(|a| a.min_acu == 0.0)
            .map(|a| {
                a.seconds_until_auto_pause
                    .unwrap_or(scales::MIN_AUTO_PAUSE_SECONDS)
            }),
        predictive,
    })
}

fn selector(cx: &mut Ctx<'_>, p: &str, spec: &ResourceSpec) -> Option<Selector> {
    match (&spec.identifier, &spec.tags) {
        (Some(_), Some(_)) => {
            cx.at(
                &locate::key(p, "tags"),
                "the resource has both `identifier` and `tags`",
                "exactly one of `identifier` or `tags`",
            );
            None
        }
        (None, None) => {
            cx.at(
                p,
                "the resource has neither `identifier` nor `tags`",
                "exactly one of `identifier` or `tags`",
            );
            None
        }
        (Some(id), None) if id.trim().is_empty() => {
            cx.at(
                &locate::key(p, "identifier"),
                "the identifier is empty",
                "the AWS identifier of the resource",
            );
            None
        }
        (Some(id), None) => Some(Selector::Identifier(id.clone())),
        (None, Some(tags)) if tags.is_empty() => {
            cx.at(
                &locate::key(p, "tags"),
                "the tag selector is empty (it would match every resource of the kind)",
                "at least one `key: value` tag",
            );
            None
        }
        (None, Some(tags)) => Some(Selector::Tags(tags.clone())),
    }
}

/// The kind-specific keys written on the resource, with whether each is.
fn written(spec: &ResourceSpec) -> [(&'static str, bool); 17] {
    [
        ("engine", spec.engine.is_some()),
        ("multi_az", spec.multi_az.is_some()),
        ("instance_class", spec.instance_class.is_some()),
        ("apply_immediately", spec.apply_immediately.is_some()),
        ("allow_stop", spec.allow_stop.is_some()),
        ("storage", spec.storage.is_some()),
        ("serverless_v2", spec.serverless_v2.is_some()),
        ("writer_class", spec.writer_class.is_some()),
        ("readers", spec.readers.is_some()),
        ("az_count", spec.az_count.is_some()),
        ("brokers", spec.brokers.is_some()),
        ("broker_type", spec.broker_type.is_some()),
        ("node_type", spec.node_type.is_some()),
        ("shards", spec.shards.is_some()),
        ("replicas", spec.replicas.is_some()),
        ("capacity", spec.capacity.is_some()),
        ("workload_class", spec.workload_class.is_some()),
    ]
}

/// Only the blocks the kind allows.
fn blocks(cx: &mut Ctx<'_>, p: &str, spec: &ResourceSpec) {
    for (key, is_there) in written(spec) {
        if is_there && !applies_to(spec.kind, key) {
            cx.at(
                &locate::key(p, key),
                format!("`{key}` does not apply to {}", spec.kind),
                format!(
                    "the keys of {}: {}",
                    spec.kind,
                    kind_keys(spec.kind).join(", ")
                ),
            );
        }
    }
}

/// The engine, required for kinds that have one. `None` when absent or
/// unknown (so class checks fall back to any engine of the service).
fn engine(cx: &mut Ctx<'_>, p: &str, spec: &ResourceSpec) -> Option<String> {
    let accepted = catalog::engines_for(spec.kind);
    if !applies_to(spec.kind, "engine") {
        return None;
    }
    let ep = locate::key(p, "engine");
    match &spec.engine {
        None => {
            cx.at(
                &ep,
                format!("missing `engine` for {}", spec.kind),
                format!("one of: {}", accepted.join(", ")),
            );
            None
        }
        Some(e) if !accepted.contains(&e.as_str()) => {
            cx.at(
                &ep,
                format!(
                    "unknown engine `{e}` for {}{}",
                    spec.kind,
                    hint(e, accepted.iter().copied())
                ),
                format!("one of: {}", accepted.join(", ")),
            );
            None
        }
        Some(e) => Some(e.clone()),
    }
}

fn required<'s, T>(
    cx: &mut Ctx<'_>,
    p: &str,
    key: &str,
    v: &'s Option<T>,
    kind: ResourceKind,
    what: &str,
) -> Option<&'s T> {
    if v.is_none() {
        cx.at(
            &locate::key(p, key),
            format!("missing `{key}` for {kind}"),
            what.to_owned(),
        );
    }
    v.as_ref()
}

/// The kind's knobs, in positional order (the first is the default target
/// of rules). Absent optional count blocks are not managed.
fn knobs(cx: &mut Ctx<'_>, p: &str, spec: &ResourceSpec, engine: Option<&str>) -> Vec<Knob> {
    let kind = spec.kind;
    let mut knobs = Vec::new();
    let mut push = |k: Option<Knob>| knobs.extend(k);
    let ladder =
        |cx: &mut Ctx<'_>, key: &str, name: KnobName, l: &crate::policy::raw::LadderSpec| {
            scales::ladder(cx, &locate::key(p, key), l, name, kind, engine)
        };
    let count =
        |cx: &mut Ctx<'_>,
         key: &str,
         name: KnobName,
         c: &crate::policy::raw::CountSpec,
         rules: CountRules| { scales::counts(cx, &locate::key(p, key), c, name, &rules) };
    let plain = |lo, hi, what| CountRules {
        lo,
        hi,
        multiple_of: None,
        default_step: 1,
        what,
    };
    match kind {
        ResourceKind::RdsInstance => {
            let what = "an `instance_class: { ladder: [...] }` block";
            if let Some(l) = required(cx, p, "instance_class", &spec.instance_class, kind, what) {
                push(ladder(cx, "instance_class", KnobName::InstanceClass, l));
            }
        }
        ResourceKind::AuroraCluster => {
            if spec.serverless_v2.is_none() && spec.writer_class.is_none() {
                cx.at(
                    p,
                    "an aurora_cluster needs `serverless_v2` or `writer_class`",
                    "a `serverless_v2: { min_acu, max_acu }` block, a `writer_class: { ladder }` block, or both",
                );
            }
            if let Some(a) = &spec.serverless_v2 {
                push(scales::acu(cx, &locate::key(p, "serverless_v2"), a));
            }
            if let Some(l) = &spec.writer_class {
                push(ladder(cx, "writer_class", KnobName::WriterClass, l));
            }
            if let Some(c) = &spec.readers {
                push(count(
                    cx,
                    "readers",
                    KnobName::Readers,
                    c,
                    plain(0, Some(15), "readers"),
                ));
            }
        }
        ResourceKind::MskCluster => {
            let az = spec.az_count;
            let azp = locate::key(p, "az_count");
            match az {
                None => cx.at(
                    &azp,
                    "missing `az_count` for msk_cluster",
                    "`az_count: 2` or `az_count: 3`",
                ),
                Some(n) if n != 2 && n != 3 => cx.at(
                    &azp,
                    format!("az_count {n} is not possible"),
                    "2 or 3 availability zones",
                ),
                Some(_) => {}
            }
            let what = "a `brokers: { min, max }` block (multiples of az_count)";
            if let Some(c) = required(cx, p, "brokers", &spec.brokers, kind, what) {
                let az = az.filter(|n| *n == 2 || *n == 3).unwrap_or(1);
                let rules = CountRules {
                    lo: az,
                    hi: None,
                    multiple_of: Some(az),
                    default_step: az,
                    what: "brokers",
                };
                push(count(cx, "brokers", KnobName::Brokers, c, rules));
            }
            let what = "a `broker_type: { ladder: [...] }` block";
            if let Some(l) = required(cx, p, "broker_type", &spec.broker_type, kind, what) {
                push(ladder(cx, "broker_type", KnobName::BrokerType, l));
            }
        }
        ResourceKind::ElasticacheRedis => {
            let what = "a `node_type: { ladder: [...] }` block";
            if let Some(l) = required(cx, p, "node_type", &spec.node_type, kind, what) {
                push(ladder(cx, "node_type", KnobName::NodeType, l));
            }
            if let Some(c) = &spec.shards {
                push(count(
                    cx,
                    "shards",
                    KnobName::Shards,
                    c,
                    plain(1, Some(90), "shards"),
                ));
            }
            if let Some(c) = &spec.replicas {
                push(count(
                    cx,
                    "replicas",
                    KnobName::Replicas,
                    c,
                    plain(0, Some(5), "replicas"),
                ));
            }
        }
        ResourceKind::AutoscalingGroup => {
            let what = "a `capacity: { min, max }` block";
            if let Some(c) = required(cx, p, "capacity", &spec.capacity, kind, what) {
                push(count(
                    cx,
                    "capacity",
                    KnobName::Capacity,
                    c,
                    plain(0, None, "capacity"),
                ));
            }
        }
    }
    knobs
}

/// A grow-only storage rule: grows by more than 0 percent (RDS: at least
/// 10, the smallest increase RDS accepts) when used storage passes a percent
/// in (0, 100], up to a ceiling within the service's limit. `min_grow_gib`
/// defaults to 0 (the percent alone decides).
fn storage(cx: &mut Ctx<'_>, p: &str, s: &StorageSpec, kind: ResourceKind) -> Option<StorageRule> {
    let before = cx.count();
    let wp = locate::key(p, "grow_when_used_percent");
    if finite(cx, &wp, s.grow_when_used_percent)
        && !(s.grow_when_used_percent > 0.0 && s.grow_when_used_percent <= 100.0)
    {
        cx.at(
            &wp,
            format!(
                "used percent {} is outside (0, 100]",
                s.grow_when_used_percent
            ),
            "a percent above 0, at most 100",
        );
    }
    let gp = locate::key(p, "grow_by_percent");
    if finite(cx, &gp, s.grow_by_percent) {
        if s.grow_by_percent <= 0.0 {
            cx.at(
                &gp,
                format!(
                    "grow_by_percent {} does not grow the storage (storage never shrinks)",
                    s.grow_by_percent
                ),
                "a percent above 0",
            );
        } else if kind == ResourceKind::RdsInstance && s.grow_by_percent < 10.0 {
            cx.at(
                &gp,
                format!(
                    "grow_by_percent {} is below RDS's minimum increase of 10%",
                    s.grow_by_percent
                ),
                "10 percent or more",
            );
        }
    }
    let ceiling = if kind == ResourceKind::MskCluster {
        MSK_MAX_GIB
    } else {
        RDS_MAX_GIB
    };
    let mp = locate::key(p, "max_gib");
    if s.max_gib == 0 {
        cx.at(
            &mp,
            "max_gib 0 leaves no room to grow",
            "a ceiling above 0 GiB",
        );
    } else if s.max_gib > ceiling {
        cx.at(
            &mp,
            format!(
                "max_gib {} is above the {kind} limit of {ceiling} GiB",
                s.max_gib
            ),
            format!("at most {ceiling}"),
        );
    }
    (cx.count() == before).then_some(StorageRule {
        grow_when_used_percent: s.grow_when_used_percent,
        grow_by_percent: s.grow_by_percent,
        min_grow_gib: s.min_grow_gib.unwrap_or(0),
        max_gib: s.max_gib,
    })
}
