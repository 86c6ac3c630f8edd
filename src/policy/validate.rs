//! Pure validation: [`raw::PolicyFile`] → [`Policy`], or every problem found
//! (not just the first), each with its field path, location and what was
//! expected. No filesystem, no network, no clock.
//!
//! Defaults applied here (each documented where it is applied):
//! - `region`: `us-east-1`.
//! - cooldown: the resource's, else `guardrails.default_cooldown`, else
//!   up 15m / down 30m.
//! - ladder floor: the first rung; count floor: `min`; ACU floor: `min_acu`.
//! - count step: 1 (MSK brokers: `az_count`); ACU step: 2.
//! - rules: statistic `Average`, period 5m, 3 evaluation periods, and they
//!   move the kind's first knob ([`default_knob`]).
//! - RDS: `multi_az`, `apply_immediately` and `allow_stop` default to false.
//! - optional count blocks (Aurora `readers`, ElastiCache `shards` and
//!   `replicas`) that are absent are not managed: no knob is built, so the
//!   engine never changes a dimension the policy does not mention.

mod anomaly;
mod custom_metric;
mod owner;
mod predictive;
mod profiles;
mod resources;
mod rules;
mod scales;
mod schedules;
mod spot;
mod warnings;

use std::collections::{BTreeMap, BTreeSet};

use super::locate::{self, Index};
use super::model::{BudgetPeriod, Budgets, Cooldown, Guardrails, Policy, PriceSettings};
use super::{PolicyError, Problem, Span, raw};

pub(crate) use owner::keys_of_kind;
pub use rules::generated_alarm_name;

/// Default region when the policy names none.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Cooldown when neither the resource nor the guardrails set one.
pub const DEFAULT_COOLDOWN: Cooldown = Cooldown {
    up: Span::from_mins(15),
    down: Span::from_mins(30),
};

/// Collects problems while validating.
pub(crate) struct Ctx<'a> {
    index: &'a Index,
    problems: Vec<Problem>,
    /// Parts that validate but can never take effect (see [`warnings`]).
    warnings: Vec<Problem>,
    /// Count positions built so far, against [`scales::MAX_TOTAL_POSITIONS`].
    positions: u64,
}

impl<'a> Ctx<'a> {
    fn new(index: &'a Index) -> Self {
        Ctx {
            index,
            problems: Vec::new(),
            warnings: Vec::new(),
            positions: 0,
        }
    }

    /// Record a problem at `path` (located at the path, or at its nearest
    /// written ancestor when the path itself is absent).
    pub(crate) fn at(
        &mut self,
        path: &str,
        message: impl Into<String>,
        expected: impl Into<String>,
    ) {
        let pos = self.index.nearest_position(path);
        self.problems.push(Problem {
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.column),
            path: path.to_owned(),
            message: clip(message.into()),
            expected: expected.into(),
        });
    }

    /// Record a warning at `path`, located as [`Self::at`] locates problems.
    fn warn(&mut self, path: &str, message: impl Into<String>, expected: impl Into<String>) {
        let before = self.problems.len();
        self.at(path, message, expected);
        if let Some(w) = self.problems.drain(before..).next() {
            self.warnings.push(w);
        }
    }

    fn count(&self) -> usize {
        self.problems.len()
    }

    /// Account for `n` more count positions; false once the policy-wide
    /// budget is spent.
    fn take_positions(&mut self, n: u64) -> bool {
        self.positions = self.positions.saturating_add(n);
        self.positions <= scales::MAX_TOTAL_POSITIONS
    }
}

/// Validate `raw`; `index` locates paths in the file named `file`.
pub(crate) fn validate(
    raw: &raw::PolicyFile,
    index: &Index,
    file: &str,
) -> Result<Policy, PolicyError> {
    let mut cx = Ctx::new(index);
    if raw.version != 1 {
        cx.at(
            "version",
            format!("unsupported version {}", raw.version),
            "`version: 1`",
        );
    }
    if raw.estate.trim().is_empty() {
        cx.at(
            "estate",
            "the estate name is empty",
            "a name such as `production`",
        );
    }
    let region = region(&mut cx, raw.region.as_deref());
    let guardrails = guardrails(&mut cx, &raw.guardrails);
    let default_cooldown = raw
        .guardrails
        .default_cooldown
        .as_ref()
        .map_or(DEFAULT_COOLDOWN, |c| Cooldown {
            up: c.up,
            down: c.down,
        });
    let profiles = profile_names(&mut cx, &raw.profiles);
    let schedules = schedules::check(&mut cx, &raw.schedules, &profiles);
    let spot_mix = spot::check(&mut cx, &raw.spot_mix);
    let budgets = budgets(&mut cx, raw.budgets.as_ref(), &profiles);
    let prices = prices(&mut cx, raw.prices.as_ref());
    let env = resources::Env {
        profiles: &profiles,
        // Declared names, so a schedule with its own problems does not also
        // make every resource that uses it "unknown".
        schedules: raw.schedules.iter().map(|s| s.name.clone()).collect(),
        spot_mix: spot_mix.keys().cloned().collect(),
        default_cooldown,
    };
    let resources = resources::check(&mut cx, &raw.resources, &env);

    if cx.problems.is_empty() {
        let mut policy = Policy {
            estate: raw.estate.clone(),
            region,
            guardrails,
            profiles,
            schedules,
            spot_mix,
            budgets,
            prices,
            resources,
            warnings: Vec::new(),
        };
        warnings::check(&mut cx, &policy);
        policy.warnings = cx.warnings;
        policy
            .warnings
            .sort_by_key(|p| (p.line.unwrap_or(0), p.column.unwrap_or(0)));
        return Ok(policy);
    }
    let mut problems = cx.problems;
    // File order; problems without a location first (they concern the whole
    // document). The sort is stable, so equal positions keep their order.
    problems.sort_by_key(|p| (p.line.unwrap_or(0), p.column.unwrap_or(0)));
    Err(PolicyError {
        file: file.to_owned(),
        problems,
    })
}

/// Longest word "did you mean" looks at (edit distance is quadratic).
const MAX_HINT_WORD: usize = 64;

/// Longest message kept whole; longer ones (echoing a huge value) are cut.
const MAX_MESSAGE: usize = 400;

/// The closest candidate to `word` (edit distance at most a third of its
/// length, at least 1; case ignored), for "did you mean" hints.
fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let w = word.to_lowercase();
    let len = w.chars().count();
    if len > MAX_HINT_WORD {
        return None;
    }
    let limit = (len / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&w, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `s`, or its first [`MAX_MESSAGE`] characters and `...` when longer.
pub(crate) fn clip(s: String) -> String {
    match s.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s,
    }
}

/// ` (did you mean `x`?)`, or nothing.
pub(crate) fn hint<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    did_you_mean(word, candidates)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// `a, b, c`, or `(none)`.
pub(crate) fn list<'c>(items: impl IntoIterator<Item = &'c str>) -> String {
    let v: Vec<&str> = items.into_iter().collect();
    if v.is_empty() {
        "(none declared)".to_owned()
    } else {
        v.join(", ")
    }
}

/// Check that `name` is a declared profile; `what` says who names it.
pub(crate) fn check_profile(
    cx: &mut Ctx<'_>,
    path: &str,
    name: &str,
    what: &str,
    profiles: &BTreeSet<String>,
) {
    if !profiles.contains(name) {
        cx.at(
            path,
            format!(
                "{what} names an unknown profile `{name}`{}",
                hint(name, profiles.iter().map(String::as_str))
            ),
            format!(
                "a profile declared under `profiles`: {}",
                list(profiles.iter().map(String::as_str))
            ),
        );
    }
}

/// A finite number.
pub(crate) fn finite(cx: &mut Ctx<'_>, path: &str, v: f64) -> bool {
    if v.is_finite() {
        true
    } else {
        cx.at(path, format!("{v} is not a finite number"), "a number");
        false
    }
}

fn region(cx: &mut Ctx<'_>, region: Option<&str>) -> String {
    // Default: us-east-1.
    let Some(r) = region else {
        return DEFAULT_REGION.to_owned();
    };
    let parts: Vec<&str> = r.split('-').collect();
    let ok = parts.len() >= 3
        && parts
            .first()
            .is_some_and(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()));
    if !ok {
        cx.at(
            "region",
            format!("`{r}` is not an AWS region name"),
            "a region such as `us-east-1` or `eu-central-1`",
        );
    }
    r.to_owned()
}

fn prices(cx: &mut Ctx<'_>, p: Option<&raw::PricesSpec>) -> PriceSettings {
    let Some(p) = p else {
        return PriceSettings::default();
    };
    let longest = Span::from_secs(30 * 24 * 3600);
    let cache_ttl = p.cache_ttl.unwrap_or(PriceSettings::DEFAULT_CACHE_TTL);
    if cache_ttl.as_secs() == 0 || cache_ttl > longest {
        cx.at(
            "prices.cache_ttl",
            format!("cache_ttl {cache_ttl} is out of range"),
            "a span from `1m` to `30d`, e.g. `24h`",
        );
    }
    if let Some(d) = p.spot_discount_percent
        && !(0.0..100.0).contains(&d)
    {
        cx.at(
            "prices.spot_discount_percent",
            format!("{d} is not a discount"),
            "a percent from 0 up to (not including) 100, e.g. `65`",
        );
    }
    PriceSettings {
        pricing_api: p.pricing_api,
        cache_ttl,
        spot_discount_percent: p.spot_discount_percent,
    }
}

fn guardrails(cx: &mut Ctx<'_>, g: &raw::Guardrails) -> Guardrails {
    if g.max_actions_per_hour == 0 {
        cx.at(
            "guardrails.max_actions_per_hour",
            "0 actions per hour would refuse every action",
            "at least 1 (use `dry_run: true` to only report)",
        );
    }
    let max_plan_age = g.max_plan_age.unwrap_or(Guardrails::DEFAULT_MAX_PLAN_AGE);
    if max_plan_age < Span::from_mins(1) || max_plan_age > Guardrails::LONGEST_MAX_PLAN_AGE {
        cx.at(
            "guardrails.max_plan_age",
            format!("max_plan_age {max_plan_age} is out of range"),
            "a span from `1m` to `24h`, e.g. `15m`",
        );
    }
    let max_concurrent_actions = g
        .max_concurrent_actions
        .unwrap_or(Guardrails::DEFAULT_MAX_CONCURRENT_ACTIONS);
    if !(1..=Guardrails::MOST_CONCURRENT_ACTIONS).contains(&max_concurrent_actions) {
        cx.at(
            "guardrails.max_concurrent_actions",
            format!("max_concurrent_actions {max_concurrent_actions} is out of range"),
            "a count from 1 (one resource at a time) to 64, e.g. `8`",
        );
    }
    Guardrails {
        max_concurrent_actions,
        max_actions_per_hour: g.max_actions_per_hour,
        oscillation_window: g.oscillation_window,
        dry_run: g.dry_run,
        max_plan_age,
        timeouts: super::timeouts::check(cx, g.timeouts.as_ref()),
    }
}

fn profile_names(
    cx: &mut Ctx<'_>,
    profiles: &BTreeMap<String, raw::ProfileDecl>,
) -> BTreeSet<String> {
    for name in profiles.keys() {
        if name.trim().is_empty() {
            cx.at(
                &locate::key("profiles", name),
                "a profile has an empty name",
                "a name such as `business_hours`",
            );
        }
    }
    profiles.keys().cloned().collect()
}

fn budgets(
    cx: &mut Ctx<'_>,
    b: Option<&raw::BudgetsSpec>,
    profiles: &BTreeSet<String>,
) -> Option<Budgets> {
    let b = b?;
    let mut limits = BTreeMap::new();
    for (period, key, value) in [
        (BudgetPeriod::Daily, "budgets.daily_usd", b.daily_usd),
        (BudgetPeriod::Weekly, "budgets.weekly_usd", b.weekly_usd),
        (BudgetPeriod::Monthly, "budgets.monthly_usd", b.monthly_usd),
    ] {
        let Some(v) = value else { continue };
        if finite(cx, key, v) && v <= 0.0 {
            cx.at(
                key,
                format!("budget limit {v} is not positive"),
                "an amount in USD above 0",
            );
        }
        limits.insert(period, v);
    }
    if limits.is_empty() {
        cx.at(
            "budgets",
            "no budget limit is set",
            "at least one of daily_usd, weekly_usd, monthly_usd",
        );
    }
    let (warn, emergency) = (b.warn_at_percent, b.emergency_at_percent);
    let ok_w = finite(cx, "budgets.warn_at_percent", warn);
    let ok_e = finite(cx, "budgets.emergency_at_percent", emergency);
    if ok_w && warn <= 0.0 {
        cx.at(
            "budgets.warn_at_percent",
            format!("warn_at_percent {warn} is not above 0"),
            "0 < warn_at_percent < emergency_at_percent ≤ 100",
        );
    }
    if ok_e && emergency > 100.0 {
        cx.at(
            "budgets.emergency_at_percent",
            format!("emergency_at_percent {emergency} is above 100"),
            "0 < warn_at_percent < emergency_at_percent ≤ 100",
        );
    }
    if ok_w && ok_e && warn >= emergency {
        cx.at(
            "budgets.warn_at_percent",
            format!("warn ≥ emergency: warn_at_percent {warn} is not below emergency_at_percent {emergency}"),
            "0 < warn_at_percent < emergency_at_percent ≤ 100",
        );
    }
    check_profile(
        cx,
        "budgets.emergency_profile",
        &b.emergency_profile,
        "emergency_profile",
        profiles,
    );
    let anomaly = anomaly::check(cx, b.anomaly.as_ref());
    Some(Budgets {
        limits,
        warn_at_percent: warn,
        emergency_at_percent: emergency,
        emergency_profile: b.emergency_profile.clone(),
        anomaly,
    })
}

/// The knob a rule moves when it names none: the kind's first positional
/// knob that the resource has (RDS `instance_class`; Aurora `serverless_v2`,
/// else `writer_class`; MSK `brokers`; ElastiCache `node_type`; ASG
/// `capacity`).
pub fn default_knob(knobs: &[super::model::Knob]) -> Option<raw::KnobName> {
    knobs.first().map(|k| k.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_matches_only() {
        assert_eq!(did_you_mean("sise", ["name", "size"]), Some("size"));
        assert_eq!(
            did_you_mean("weekend", ["weekends", "evening"]),
            Some("weekends")
        );
        assert_eq!(did_you_mean("zzz", ["name", "size"]), None);
        assert_eq!(did_you_mean("UTC", ["utc"]), Some("utc"));
    }

    #[test]
    fn long_words_get_no_hint_and_long_messages_are_cut() {
        let long = "x".repeat(10_000);
        assert_eq!(did_you_mean(&long, [long.as_str()]), None);
        let cut = clip(format!("unknown `{long}`"));
        assert_eq!(cut.chars().count(), MAX_MESSAGE + 3);
        assert!(cut.ends_with("..."));
        assert_eq!(clip("short".to_owned()), "short");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }
}
