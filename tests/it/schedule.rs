//! Which profile is in force: the estate's `office` schedule hour by hour,
//! holidays, time zones across both DST switches, and the day-of-week
//! numbering that made us pick croner.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use tidegate::policy::{Schedule, Transition};
use tidegate::schedule::{InForce, Why, next_change, profile_at};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid test instant")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn schedule(tz: Tz, transitions: &[(&str, &str)]) -> Schedule {
    Schedule {
        name: "test".into(),
        timezone: tz,
        transitions: transitions
            .iter()
            .map(|(expr, profile)| Transition {
                expression: (*expr).into(),
                cron: croner::Cron::from_str(expr).expect("valid test cron"),
                profile: (*profile).into(),
            })
            .collect(),
        holidays: BTreeMap::new(),
        holiday_profile: None,
    }
}

fn with_holidays(mut s: Schedule, profile: &str, days: &[(NaiveDate, &str)]) -> Schedule {
    s.holiday_profile = Some(profile.into());
    s.holidays = days.iter().map(|(d, n)| (*d, (*n).to_owned())).collect();
    s
}

/// `policies/estate.yaml`'s `office` schedule, as the validator builds it.
fn office() -> Schedule {
    let s = schedule(
        chrono_tz::UTC,
        &[
            ("0 8 * * 1-5", "business_hours"),
            ("0 18 * * 1-5", "evening"),
            ("0 0 * * 6", "weekend"),
        ],
    );
    with_holidays(
        s,
        "weekend",
        &[
            (date(2014, 4, 18), "Good Friday"),
            (date(2014, 5, 26), "Memorial Day"),
            (date(2026, 12, 25), "Christmas Day"),
            (date(2026, 12, 26), "Boxing Day"),
            (date(2027, 1, 1), "New Year's Day"),
        ],
    )
}

fn profile(s: &Schedule, now: DateTime<Utc>) -> Option<String> {
    profile_at(s, now).map(|f| f.profile)
}

fn fired_at(s: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match profile_at(s, now)?.why {
        Why::Transition { fired_at, .. } => Some(fired_at),
        Why::Holiday { .. } => None,
    }
}

/// A table of (instant, expected profile) for one schedule.
fn check(s: &Schedule, cases: &[(DateTime<Utc>, &str)]) {
    for (now, want) in cases {
        assert_eq!(profile(s, *now).as_deref(), Some(*want), "at {now}");
    }
}

// 2026-03-02 is a Monday.

#[test]
fn office_week_hour_by_hour() {
    check(
        &office(),
        &[
            (utc(2026, 3, 2, 7, 0), "weekend"), // Monday before 08:00: still the weekend
            (utc(2026, 3, 2, 8, 0), "business_hours"),
            (utc(2026, 3, 3, 7, 59), "evening"), // Tuesday early: Monday's evening
            (utc(2026, 3, 3, 8, 0), "business_hours"),
            (utc(2026, 3, 3, 17, 59), "business_hours"),
            (utc(2026, 3, 3, 18, 0), "evening"),
            (utc(2026, 3, 3, 18, 5), "evening"),
            (utc(2026, 3, 6, 23, 30), "evening"), // Friday night
            (utc(2026, 3, 6, 23, 59), "evening"),
            (utc(2026, 3, 7, 0, 0), "weekend"), // Saturday
            (utc(2026, 3, 7, 10, 0), "weekend"),
            (utc(2026, 3, 8, 15, 0), "weekend"), // Sunday
            (utc(2026, 3, 9, 7, 0), "weekend"),  // Monday 07:00
            (utc(2026, 3, 9, 7, 59), "weekend"),
            (utc(2026, 3, 9, 8, 0), "business_hours"),
        ],
    );
}

#[test]
fn the_transition_is_in_force_from_its_exact_second() {
    let s = office();
    let eight = utc(2026, 3, 3, 8, 0);
    assert_eq!(
        profile(&s, eight - TimeDelta::milliseconds(1)).as_deref(),
        Some("evening")
    );
    assert_eq!(profile(&s, eight).as_deref(), Some("business_hours"));
    assert_eq!(
        fired_at(&s, eight + TimeDelta::milliseconds(500)),
        Some(eight)
    );
}

#[test]
fn why_names_the_transition_and_when_it_fired() {
    let f = profile_at(&office(), utc(2026, 3, 3, 18, 5)).expect("in force");
    assert_eq!(
        f,
        InForce {
            profile: "evening".into(),
            why: Why::Transition {
                expression: "0 18 * * 1-5".into(),
                fired_at: utc(2026, 3, 3, 18, 0),
                timezone: chrono_tz::UTC,
            },
        }
    );
    assert_eq!(
        f.describe(),
        "evening since Tue 2026-03-03 18:00 (cron `0 18 * * 1-5`, UTC)"
    );
}

#[test]
fn a_weekday_holiday_is_the_holiday_profile_all_day() {
    let s = office();
    // 2026-12-25 is a Friday; 12-26 a Saturday; 2027-01-01 a Friday.
    check(
        &s,
        &[
            (utc(2026, 12, 24, 17, 0), "business_hours"),
            (utc(2026, 12, 24, 23, 59), "evening"),
            (utc(2026, 12, 25, 0, 0), "weekend"),
            (utc(2026, 12, 25, 10, 0), "weekend"),
            (utc(2026, 12, 25, 23, 59), "weekend"),
            (utc(2026, 12, 28, 8, 0), "business_hours"),
            (utc(2026, 12, 31, 12, 0), "business_hours"),
            (utc(2027, 1, 1, 12, 0), "weekend"),
        ],
    );
    let f = profile_at(&s, utc(2026, 12, 25, 10, 0)).expect("in force");
    assert_eq!(
        f.why,
        Why::Holiday {
            date: date(2026, 12, 25),
            name: "Christmas Day".into()
        }
    );
    assert_eq!(f.describe(), "weekend: holiday 2026-12-25 Christmas Day");
}

#[test]
fn after_a_holiday_the_latest_transition_is_back_in_force() {
    // Monday 2026-03-02 is a holiday: its 08:00 and 18:00 transitions
    // fire underneath, so Tuesday begins in Monday's evening.
    let s = with_holidays(office(), "weekend", &[(date(2026, 3, 2), "Closed")]);
    assert_eq!(
        profile(&s, utc(2026, 3, 2, 12, 0)).as_deref(),
        Some("weekend")
    );
    assert_eq!(
        profile(&s, utc(2026, 3, 3, 0, 0)).as_deref(),
        Some("evening")
    );
    assert_eq!(
        fired_at(&s, utc(2026, 3, 3, 0, 0)),
        Some(utc(2026, 3, 2, 18, 0))
    );
}

#[test]
fn holidays_without_a_holiday_profile_are_ignored() {
    let mut s = office();
    s.holiday_profile = None;
    assert_eq!(
        profile(&s, utc(2026, 12, 25, 10, 0)).as_deref(),
        Some("business_hours")
    );
}

#[test]
fn one_to_five_means_monday_to_friday() {
    // croner: 0 and 7 are Sunday, 1 Monday. The `cron` crate counts from
    // Sunday = 1, where `1-5` would be Sunday to Thursday.
    let s = schedule(
        chrono_tz::UTC,
        &[("0 8 * * 1-5", "business_hours"), ("0 18 * * *", "night")],
    );
    check(
        &s,
        &[
            (utc(2026, 3, 1, 9, 0), "night"),          // Sunday
            (utc(2026, 3, 2, 9, 0), "business_hours"), // Monday
            (utc(2026, 3, 6, 9, 0), "business_hours"), // Friday
            (utc(2026, 3, 7, 9, 0), "night"),          // Saturday
        ],
    );
    let from = utc(2026, 2, 28, 12, 0); // Saturday
    let next = |expr: &str| {
        croner::Cron::from_str(expr)
            .expect("valid cron")
            .find_next_occurrence(&from, false)
            .expect("fires")
    };
    assert_eq!(next("0 8 * * 1"), utc(2026, 3, 2, 8, 0));
    assert_eq!(next("0 8 * * 0"), utc(2026, 3, 1, 8, 0));
    assert_eq!(next("0 8 * * 7"), utc(2026, 3, 1, 8, 0));
    assert_eq!(next("0 8 * * 5"), utc(2026, 3, 6, 8, 0));
}

#[test]
fn first_listed_wins_a_tie() {
    let first = schedule(chrono_tz::UTC, &[("0 8 * * *", "a"), ("0 8 * * 1-5", "b")]);
    let second = schedule(chrono_tz::UTC, &[("0 8 * * 1-5", "b"), ("0 8 * * *", "a")]);
    let monday = utc(2026, 3, 2, 9, 0);
    assert_eq!(profile(&first, monday).as_deref(), Some("a"));
    assert_eq!(profile(&second, monday).as_deref(), Some("b"));
}

#[test]
fn nothing_in_force_when_nothing_fired() {
    let now = utc(2026, 3, 3, 12, 0);
    assert_eq!(profile_at(&schedule(chrono_tz::UTC, &[]), now), None);
    // Fired only in 2020 (seven fields: seconds ... year): long past the
    // look-back window.
    let past = schedule(chrono_tz::UTC, &[("0 0 0 1 1 * 2020", "launch")]);
    assert_eq!(profile_at(&past, now), None);
    // Fires only in the future.
    let future = schedule(chrono_tz::UTC, &[("0 0 0 1 1 * 2030", "launch")]);
    assert_eq!(profile_at(&future, now), None);
    // ...further ahead than next_change looks; a nearer one is found.
    assert_eq!(next_change(&future, now), None);
    let soon = schedule(chrono_tz::UTC, &[("0 0 0 1 1 * 2027", "launch")]);
    assert_eq!(next_change(&soon, now), Some(utc(2027, 1, 1, 0, 0)));
    // A leap-day transition last fired on 2024-02-29: out of the window.
    let leap = schedule(chrono_tz::UTC, &[("0 0 29 2 *", "leap")]);
    assert_eq!(profile_at(&leap, now), None);
    assert_eq!(
        profile(&leap, utc(2028, 3, 1, 0, 0)).as_deref(),
        Some("leap")
    );
    // A yearly transition still holds eleven months on.
    let yearly = schedule(chrono_tz::UTC, &[("0 0 1 1 *", "year")]);
    assert_eq!(
        profile(&yearly, utc(2026, 12, 31, 23, 0)).as_deref(),
        Some("year")
    );
}

#[test]
fn new_york_spring_forward_fires_at_the_first_instant_after_the_gap() {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist.
    let s = schedule(
        chrono_tz::America::New_York,
        &[("30 2 * * *", "night"), ("0 12 * * *", "day")],
    );
    // The day before, 02:30 EST is 07:30 UTC.
    assert_eq!(
        fired_at(&s, utc(2026, 3, 7, 8, 0)),
        Some(utc(2026, 3, 7, 7, 30))
    );
    // On the day, it fires at 03:00 EDT = 07:00 UTC.
    assert_eq!(profile(&s, utc(2026, 3, 8, 6, 59)).as_deref(), Some("day"));
    assert_eq!(profile(&s, utc(2026, 3, 8, 7, 0)).as_deref(), Some("night"));
    assert_eq!(
        fired_at(&s, utc(2026, 3, 8, 7, 40)),
        Some(utc(2026, 3, 8, 7, 0))
    );
    assert_eq!(
        next_change(&s, utc(2026, 3, 8, 0, 0)),
        Some(utc(2026, 3, 8, 7, 0))
    );
    // The day after, 02:30 EDT is 06:30 UTC.
    assert_eq!(
        fired_at(&s, utc(2026, 3, 9, 7, 0)),
        Some(utc(2026, 3, 9, 6, 30))
    );
}

#[test]
fn new_york_fall_back_fires_once_at_the_first_occurrence() {
    // 2026-11-01: 02:00 EDT goes back to 01:00 EST; 01:00–01:59 happens
    // twice. 01:30 EDT = 05:30 UTC, 01:30 EST = 06:30 UTC.
    let s = schedule(
        chrono_tz::America::New_York,
        &[
            ("30 1 * * *", "night"),
            ("45 1 * * *", "late"),
            ("0 12 * * *", "day"),
        ],
    );
    assert_eq!(profile(&s, utc(2026, 11, 1, 5, 29)).as_deref(), Some("day"));
    assert_eq!(
        fired_at(&s, utc(2026, 11, 1, 5, 30)),
        Some(utc(2026, 11, 1, 5, 30))
    );
    assert_eq!(
        fired_at(&s, utc(2026, 11, 1, 5, 50)),
        Some(utc(2026, 11, 1, 5, 45))
    );
    // In the repeated hour, neither fires again: `late` holds.
    for minute in [30, 35, 45, 50] {
        let now = utc(2026, 11, 1, 6, minute);
        assert_eq!(profile(&s, now).as_deref(), Some("late"), "at {now}");
        assert_eq!(fired_at(&s, now), Some(utc(2026, 11, 1, 5, 45)), "at {now}");
    }
    assert_eq!(
        next_change(&s, utc(2026, 11, 1, 5, 50)),
        Some(utc(2026, 11, 1, 17, 0))
    );
}

#[test]
fn berlin_across_both_switches() {
    let s = schedule(
        chrono_tz::Europe::Berlin,
        &[
            ("30 2 * * *", "night"),
            ("45 2 * * *", "late"),
            ("0 12 * * *", "day"),
        ],
    );
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 and 02:45 both
    // fire at 03:00 CEST = 01:00 UTC, and the one listed first wins.
    assert_eq!(profile(&s, utc(2026, 3, 29, 0, 59)).as_deref(), Some("day"));
    assert_eq!(
        profile(&s, utc(2026, 3, 29, 1, 0)).as_deref(),
        Some("night")
    );
    assert_eq!(
        fired_at(&s, utc(2026, 3, 29, 1, 10)),
        Some(utc(2026, 3, 29, 1, 0))
    );
    // 2026-10-25: 03:00 CEST goes back to 02:00 CET. 02:30 CEST = 00:30
    // UTC, 02:45 CEST = 00:45 UTC; the CET repeats do not fire.
    assert_eq!(
        profile(&s, utc(2026, 10, 25, 0, 40)).as_deref(),
        Some("night")
    );
    assert_eq!(
        profile(&s, utc(2026, 10, 25, 0, 50)).as_deref(),
        Some("late")
    );
    assert_eq!(
        profile(&s, utc(2026, 10, 25, 1, 35)).as_deref(),
        Some("late")
    );
    assert_eq!(
        fired_at(&s, utc(2026, 10, 25, 1, 50)),
        Some(utc(2026, 10, 25, 0, 45))
    );
}

#[test]
fn berlin_business_hours_follow_the_local_clock() {
    let s = schedule(
        chrono_tz::Europe::Berlin,
        &[
            ("0 8 * * 1-5", "business_hours"),
            ("0 18 * * 1-5", "evening"),
        ],
    );
    // Friday 2026-03-27, CET (+1): 08:00 is 07:00 UTC.
    assert_eq!(
        profile(&s, utc(2026, 3, 27, 6, 59)).as_deref(),
        Some("evening")
    );
    assert_eq!(
        profile(&s, utc(2026, 3, 27, 7, 0)).as_deref(),
        Some("business_hours")
    );
    // Monday 2026-03-30, CEST (+2): 08:00 is 06:00 UTC.
    assert_eq!(
        profile(&s, utc(2026, 3, 30, 5, 59)).as_deref(),
        Some("evening")
    );
    assert_eq!(
        profile(&s, utc(2026, 3, 30, 6, 0)).as_deref(),
        Some("business_hours")
    );
}

#[test]
fn kolkata_half_hour_offset() {
    // IST is UTC+05:30, no DST.
    let s = schedule(
        chrono_tz::Asia::Kolkata,
        &[
            ("0 9 * * 1-5", "business_hours"),
            ("0 18 * * 1-5", "evening"),
            ("0 0 * * 6", "weekend"),
        ],
    );
    check(
        &s,
        &[
            (utc(2026, 3, 3, 3, 29), "evening"), // Tue 08:59 IST
            (utc(2026, 3, 3, 3, 30), "business_hours"),
            (utc(2026, 3, 3, 12, 29), "business_hours"),
            (utc(2026, 3, 3, 12, 30), "evening"),
            (utc(2026, 3, 6, 18, 29), "evening"), // Fri 23:59 IST
            (utc(2026, 3, 6, 18, 30), "weekend"), // Sat 00:00 IST
        ],
    );
    assert_eq!(
        fired_at(&s, utc(2026, 3, 3, 4, 0)),
        Some(utc(2026, 3, 3, 3, 30))
    );
}

#[test]
fn holidays_are_read_on_the_local_calendar() {
    // 2026-01-01 00:00 JST is 2025-12-31 15:00 UTC.
    let s = with_holidays(
        schedule(
            chrono_tz::Asia::Tokyo,
            &[("0 9 * * *", "open"), ("0 21 * * *", "closed")],
        ),
        "holiday",
        &[(date(2026, 1, 1), "Ganjitsu")],
    );
    check(
        &s,
        &[
            (utc(2025, 12, 31, 14, 59), "closed"), // Dec 31 23:59 JST
            (utc(2025, 12, 31, 15, 0), "holiday"), // Jan 1 00:00 JST, still Dec 31 in UTC
            (utc(2026, 1, 1, 14, 59), "holiday"),  // Jan 1 23:59 JST
            (utc(2026, 1, 1, 15, 0), "closed"),    // Jan 2 00:00 JST, still Jan 1 in UTC
            (utc(2026, 1, 2, 0, 0), "open"),       // Jan 2 09:00 JST
        ],
    );
    assert_eq!(
        next_change(&s, utc(2025, 12, 31, 13, 0)),
        Some(utc(2025, 12, 31, 15, 0))
    );
    assert_eq!(
        next_change(&s, utc(2026, 1, 1, 3, 0)),
        Some(utc(2026, 1, 1, 15, 0))
    );
}

#[test]
fn next_change_skips_boundaries_that_change_nothing() {
    let s = office();
    let cases = [
        (utc(2026, 3, 3, 10, 0), utc(2026, 3, 3, 18, 0)),
        (utc(2026, 3, 3, 18, 0), utc(2026, 3, 4, 8, 0)),
        (utc(2026, 3, 6, 19, 0), utc(2026, 3, 7, 0, 0)),
        (utc(2026, 3, 7, 10, 0), utc(2026, 3, 9, 8, 0)),
        // Evening before Christmas → the holiday at midnight.
        (utc(2026, 12, 24, 19, 0), utc(2026, 12, 25, 0, 0)),
        // Christmas (Fri), Boxing Day (Sat), Sunday: weekend until Monday.
        (utc(2026, 12, 25, 10, 0), utc(2026, 12, 28, 8, 0)),
    ];
    for (now, want) in cases {
        assert_eq!(next_change(&s, now), Some(want), "from {now}");
    }
    let constant = schedule(chrono_tz::UTC, &[("0 8 * * *", "a"), ("0 18 * * *", "a")]);
    assert_eq!(next_change(&constant, utc(2026, 3, 3, 10, 0)), None);
}

proptest! {
    /// The profile holds from `now` up to `next_change`, and differs there.
    #[test]
    fn next_change_is_where_the_profile_changes(
        minutes in 0i64..(366 * 24 * 60),
        zone in prop::sample::select(vec![
            chrono_tz::UTC,
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Kolkata,
        ]),
    ) {
        let mut s = office();
        s.timezone = zone;
        let now = utc(2026, 1, 1, 0, 0) + TimeDelta::minutes(minutes);
        let here = profile(&s, now);
        let change = next_change(&s, now).expect("the office changes every week");
        prop_assert!(change > now);
        prop_assert!(change - now <= TimeDelta::days(4));
        prop_assert_eq!(profile(&s, change - TimeDelta::seconds(1)), here.clone());
        prop_assert_ne!(profile(&s, change), here);
    }
}

#[test]
fn crons_with_lists_skip_the_gap_and_repeat_in_the_overlap() {
    // Only fixed-time crons (one hour, one minute) are carried past a gap
    // and fire once in an overlap; croner treats a list, range or step as
    // an interval. Pinned so that a croner upgrade that changes it shows.
    let s = schedule(
        chrono_tz::America::New_York,
        &[("30 2,11 * * *", "night"), ("0 12 * * *", "day")],
    );
    // Spring forward: no 02:30 on 2026-03-08, so `day` (since 12:00 EST
    // the day before) holds until 11:30 EDT.
    assert_eq!(profile(&s, utc(2026, 3, 8, 9, 0)).as_deref(), Some("day"));
    assert_eq!(
        fired_at(&s, utc(2026, 3, 8, 9, 0)),
        Some(utc(2026, 3, 7, 17, 0))
    );
    // Fall back: `30 1,13` fires at 01:30 EDT and again at 01:30 EST.
    let s = schedule(
        chrono_tz::America::New_York,
        &[("30 1,13 * * *", "night"), ("45 1 * * *", "late")],
    );
    assert_eq!(
        profile(&s, utc(2026, 11, 1, 6, 35)).as_deref(),
        Some("night")
    );
    assert_eq!(
        fired_at(&s, utc(2026, 11, 1, 6, 35)),
        Some(utc(2026, 11, 1, 6, 30))
    );
}
