//! Property: whatever the sequence of spot warnings and runs, a reacting
//! group's on-demand share stays between its class's own share and the
//! class's ceiling, and its instance types are the class's own plus those
//! it diversifies with. Each run applies what `tidegate::spot::wanted` asks
//! (no guard holds anything back: the strongest case).

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use tidegate::policy::{Direction, Span, SpotClass, SpotMix, SpotReaction};
use tidegate::spot::{level_mix, max_level, wanted};

/// One thing that happens: minutes later, a warning (or not) then a run.
#[derive(Debug, Clone)]
struct Step {
    minutes: i64,
    warning: bool,
    known: bool,
}

fn class_strategy() -> impl Strategy<Value = SpotClass> {
    (
        1u32..=100,
        1u32..=60,
        1u32..=6,
        1u64..=60,
        1u64..=300,
        0usize..=3,
    )
        .prop_flat_map(|(spot, step, warnings, within, quiet, extra)| {
            let base = 100 - spot;
            (
                (base + 1).min(100)..=100,
                Just((spot, step, warnings, within, quiet, extra)),
            )
        })
        .prop_map(
            |(ceiling, (spot, step, warnings, within, quiet, extra))| SpotClass {
                name: "c".into(),
                spot_percent: f64::from(spot),
                on_demand_base: 1,
                allocation_strategy: "price-capacity-optimized".into(),
                instance_types: vec!["m6i.large".into(), "m5.large".into()],
                interruptions: Some(SpotReaction {
                    warnings,
                    within: Span::from_mins(within),
                    step_percent: step,
                    max_on_demand_percent: ceiling,
                    quiet_period: Span::from_mins(quiet),
                    diversify_with: ["m7i.large", "c6i.large", "c7i.large"][..extra]
                        .iter()
                        .map(|t| (*t).to_owned())
                        .collect(),
                    instance_refresh: None,
                }),
            },
        )
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (0i64..=240, any::<bool>(), prop::bool::weighted(0.9)).prop_map(
            |(minutes, warning, known)| Step {
                minutes,
                warning,
                known,
            },
        ),
        1..60,
    )
}

fn within_bounds(class: &SpotClass, mix: &SpotMix) -> Result<(), TestCaseError> {
    let base = class.distribution().on_demand_percent_above_base;
    let r = class.interruptions.as_ref().expect("a reaction");
    prop_assert!(
        base <= mix.on_demand_percent_above_base
            && mix.on_demand_percent_above_base <= r.max_on_demand_percent.max(base),
        "share {} outside {base}..={}",
        mix.on_demand_percent_above_base,
        r.max_on_demand_percent
    );
    for t in &mix.instance_types {
        prop_assert!(
            class.instance_types.contains(t) || r.diversify_with.contains(t),
            "type {t} is not the class's"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn the_on_demand_share_stays_between_the_class_mix_and_its_ceiling(
        class in class_strategy(),
        start in 0usize..=8,
        steps in steps(),
    ) {
        let mut mix = level_mix(&class, start.min(max_level(&class)));
        within_bounds(&class, &mix)?;
        let mut now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().expect("time");
        let mut warnings = Vec::new();
        let mut last_raise = None;
        for step in steps {
            now += TimeDelta::minutes(step.minutes);
            if step.warning {
                warnings.push(now);
            }
            let seen = step.known.then_some(warnings.as_slice());
            if let Some(w) = wanted(&class, Some(&mix), seen, last_raise, now) {
                if w.direction == Some(Direction::Up) {
                    prop_assert!(seen.is_some(), "a raise without known warnings");
                    last_raise = Some(now);
                }
                if !step.known {
                    prop_assert!(w.direction.is_none(), "a step without known warnings: {w:?}");
                }
                mix = w.mix;
            }
            within_bounds(&class, &mix)?;
        }
    }

    #[test]
    fn from_any_mix_one_run_lands_within_the_bounds(
        class in class_strategy(),
        on_demand in 0u32..=100,
        known in any::<bool>(),
    ) {
        let mut mix = class.distribution();
        mix.on_demand_percent_above_base = on_demand;
        let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().expect("time");
        let seen: Option<&[DateTime<Utc>]> = known.then_some(&[]);
        let after = wanted(&class, Some(&mix), seen, None, now).map_or(mix, |w| w.mix);
        within_bounds(&class, &after)?;
    }
}
