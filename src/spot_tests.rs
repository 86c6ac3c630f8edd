use chrono::TimeDelta;

use super::*;
use crate::policy::Span;

/// A class at 70% spot (30% on-demand), steps of 20 points up to 70%.
fn class() -> SpotClass {
    SpotClass {
        name: "api".into(),
        spot_percent: 70.0,
        on_demand_base: 1,
        allocation_strategy: "price-capacity-optimized".into(),
        instance_types: vec!["m6i.large".into(), "m5.large".into()],
        interruptions: Some(SpotReaction {
            warnings: 3,
            within: Span::from_mins(10),
            step_percent: 20,
            max_on_demand_percent: 70,
            quiet_period: Span::from_mins(120),
            diversify_with: vec!["m7i.large".into(), "c6i.large".into()],
            instance_refresh: None,
        }),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("time")
}

fn minutes(t: DateTime<Utc>, m: &[i64]) -> Vec<DateTime<Utc>> {
    m.iter().map(|m| t + TimeDelta::minutes(*m)).collect()
}

#[test]
fn levels_add_on_demand_and_types_up_to_the_ceiling() {
    let c = class();
    assert_eq!(max_level(&c), 2);
    let l0 = level_mix(&c, 0);
    assert_eq!(l0, c.distribution());
    assert_eq!(l0.on_demand_percent_above_base, 30);
    let l1 = level_mix(&c, 1);
    assert_eq!(l1.on_demand_percent_above_base, 50);
    assert_eq!(l1.instance_types, ["m6i.large", "m5.large", "m7i.large"]);
    let l2 = level_mix(&c, 2);
    assert_eq!(l2.on_demand_percent_above_base, 70);
    assert_eq!(
        l2.instance_types,
        ["m6i.large", "m5.large", "m7i.large", "c6i.large"]
    );
    assert_eq!(level_of(&c, &l0), 0);
    assert_eq!(level_of(&c, &l1), 1);
    assert_eq!(level_of(&c, &l2), 2);
    // A share off the grid counts as the level that reaches it.
    let mut odd = l0.clone();
    odd.on_demand_percent_above_base = 41;
    assert_eq!(level_of(&c, &odd), 1);
    odd.on_demand_percent_above_base = 100;
    assert_eq!(level_of(&c, &odd), 2);
}

#[test]
fn three_warnings_in_the_window_raise_one_step_and_add_a_type() {
    let c = class();
    let t0 = at("2026-11-23T10:00:00Z");
    let base = level_mix(&c, 0);
    let warnings = minutes(t0, &[0, 3, 6]);
    let w = wanted(
        &c,
        Some(&base),
        Some(&warnings),
        None,
        t0 + TimeDelta::minutes(7),
    )
    .expect("a raise");
    assert_eq!(w.direction, Some(Direction::Up));
    assert_eq!(w.mix, level_mix(&c, 1));
    assert!(
        w.reason.starts_with("3 spot interruption warnings within 10m for workload class api: on-demand share 30% → 50% (step 1 of 2); adds m7i.large"),
        "{}",
        w.reason
    );

    // Two are not enough; three spread wider than the window neither.
    let two = minutes(t0, &[0, 3]);
    assert_eq!(
        wanted(
            &c,
            Some(&base),
            Some(&two),
            None,
            t0 + TimeDelta::minutes(4)
        ),
        None
    );
    let spread = minutes(t0, &[0, 8, 16]);
    assert_eq!(
        wanted(
            &c,
            Some(&base),
            Some(&spread),
            None,
            t0 + TimeDelta::minutes(17)
        ),
        None
    );
}

#[test]
fn warnings_before_the_last_raise_do_not_count_again() {
    let c = class();
    let t0 = at("2026-11-23T10:00:00Z");
    let raised = level_mix(&c, 1);
    let raise_at = t0 + TimeDelta::minutes(7);
    // The three that caused the raise and a fourth after it.
    let warnings = minutes(t0, &[0, 3, 6, 8]);
    assert_eq!(
        wanted(
            &c,
            Some(&raised),
            Some(&warnings),
            Some(raise_at),
            t0 + TimeDelta::minutes(9)
        ),
        None
    );
    // Three more after the raise: the next step.
    let more = minutes(t0, &[0, 3, 6, 8, 9, 10]);
    let w = wanted(
        &c,
        Some(&raised),
        Some(&more),
        Some(raise_at),
        t0 + TimeDelta::minutes(11),
    )
    .expect("second step");
    assert_eq!(w.mix, level_mix(&c, 2));
    // At the ceiling, more warnings change nothing.
    let top = level_mix(&c, 2);
    assert_eq!(
        wanted(
            &c,
            Some(&top),
            Some(&more),
            None,
            t0 + TimeDelta::minutes(11)
        ),
        None
    );
}

#[test]
fn after_the_quiet_period_one_step_back_never_below_the_class_mix() {
    let c = class();
    let t0 = at("2026-11-23T10:00:00Z");
    let top = level_mix(&c, 2);
    let warnings = minutes(t0, &[0, 3, 6]);
    // Within the quiet period: hold.
    assert_eq!(
        wanted(
            &c,
            Some(&top),
            Some(&warnings),
            Some(t0),
            t0 + TimeDelta::minutes(100)
        ),
        None
    );
    let later = t0 + TimeDelta::minutes(6 + 120);
    let w = wanted(&c, Some(&top), Some(&warnings), Some(t0), later).expect("a step back");
    assert_eq!(w.direction, Some(Direction::Down));
    assert_eq!(w.mix, level_mix(&c, 1));
    assert!(w.reason.contains("70% → 50% (step 1 of 2)"), "{}", w.reason);
    let w = wanted(&c, Some(&level_mix(&c, 1)), Some(&[]), None, later).expect("step back");
    assert_eq!(w.mix, level_mix(&c, 0));
    assert_eq!(
        wanted(&c, Some(&level_mix(&c, 0)), Some(&[]), None, later),
        None
    );
}

#[test]
fn unknown_warnings_hold_a_raised_level() {
    let c = class();
    let now = at("2026-11-23T10:00:00Z");
    assert_eq!(wanted(&c, Some(&level_mix(&c, 1)), None, None, now), None);
}

#[test]
fn a_class_without_a_reaction_or_a_group_without_a_mix_converges_to_the_class_mix() {
    let mut c = class();
    let now = at("2026-11-23T10:00:00Z");
    let w = wanted(&c, None, Some(&[]), None, now).expect("converge");
    assert_eq!((w.mix.clone(), w.direction), (c.distribution(), None));
    c.interruptions = None;
    let raised = SpotMix {
        on_demand_percent_above_base: 90,
        ..c.distribution()
    };
    let w = wanted(
        &c,
        Some(&raised),
        Some(&minutes(now, &[0, 0, 0])),
        None,
        now,
    )
    .expect("converge");
    assert_eq!((w.mix, w.direction), (c.distribution(), None));
}
