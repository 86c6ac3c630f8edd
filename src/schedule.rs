//! Which profile is in force at an instant: cron transitions read in the
//! schedule's time zone, with holidays. Pure: the instant is a parameter,
//! never a clock read.
//!
//! # Semantics
//!
//! - **Transitions.** Each transition puts its profile in force from the
//!   instant its cron fires, evaluated on the wall clock of the schedule's
//!   IANA time zone, until the next transition of the same schedule fires.
//!   The profile in force at `now` is the one whose transition fired most
//!   recently at or before `now` (inclusive: at 08:00:00 exactly, the 08:00
//!   transition is in force). When two transitions fire at the same instant,
//!   the one listed first wins.
//! - **Day of week.** Crons are read by croner: `0`/`7` is Sunday, `1-5` is
//!   Monday to Friday (unlike the `cron` crate, whose numbering starts at
//!   Sunday = 1).
//! - **Spring forward (DST gap).** A transition whose wall-clock time does
//!   not exist that day (e.g. 02:30 when clocks jump from 02:00 to 03:00)
//!   fires at the first valid instant after the gap (03:00).
//! - **Fall back (DST overlap).** A transition whose wall-clock time happens
//!   twice (01:30 when clocks go back from 02:00 to 01:00) fires once, at
//!   the first occurrence.
//! - Both rules are croner's for *fixed-time* crons (one hour, one minute),
//!   which is what schedule transitions are in practice. croner treats a
//!   cron with a list, range or step in its hour or minute (`30 2,14 * * *`)
//!   as an interval job: it does not fire at wall-clock times that do not
//!   exist, and fires at both instants of a repeated one.
//! - **Holidays.** On a holiday, a date on the local calendar of the
//!   schedule's zone, the holiday profile is in force for the whole local
//!   day, from its first instant to the first instant of the next local
//!   day. Transitions still fire underneath: after the holiday, the profile
//!   of the latest transition (possibly one that fired during the holiday)
//!   is in force again. A schedule without a holiday profile ignores its
//!   holiday dates.
//! - **Look-back.** Only transitions that fired within [`LOOK_BACK`] before
//!   `now` count; when none did, no profile is in force (`None`).
//!
//! # Cost
//!
//! croner searches backwards field by field (year, month, day, hour,
//! minute, second), not second by second, so one look-up costs about the
//! same however far back the previous firing is: a few microseconds per
//! transition. Two exceptions: while the latest firing of a fixed-time cron
//! is one carried past a DST gap, croner finds the gap's end second by
//! second (about 0.1 ms); and a cron that never matches (`0 0 30 2 *`)
//! walks back to year 1 (about 10 ms), so the validator should refuse it.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::policy::{Schedule, Transition};

/// How far back a transition may have fired and still be in force. A year
/// and a day, so that even a once-a-year cron (`0 0 1 1 *`) always holds;
/// the look-up costs the same whatever the window.
pub const LOOK_BACK: TimeDelta = TimeDelta::days(367);

/// How far ahead [`next_change`] looks for a change of profile.
pub const LOOK_AHEAD: TimeDelta = TimeDelta::days(367);

/// At most this many boundaries are examined by [`next_change`], so that a
/// cron firing every minute into the same profile stays cheap.
const MAX_BOUNDARIES: usize = 1_000;

/// The profile in force at an instant, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    /// The profile's name.
    pub profile: String,
    /// What put it in force.
    pub why: Why,
}

/// What put a profile in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The local date is a holiday.
    Holiday {
        /// The holiday's date, in the schedule's zone.
        date: NaiveDate,
        /// The holiday's name.
        name: String,
    },
    /// A transition fired.
    Transition {
        /// The cron expression as written in the policy.
        expression: String,
        /// When it fired.
        fired_at: DateTime<Utc>,
        /// The schedule's zone, to show `fired_at` on its wall clock.
        timezone: Tz,
    },
}

impl InForce {
    /// One line for a person, e.g. ``evening since Mon 2026-03-02 18:00
    /// (cron `0 18 * * 1-5`, UTC)`` or `weekend: holiday 2026-12-25
    /// Christmas Day`.
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for InForce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.why {
            Why::Holiday { date, name } => {
                write!(f, "{}: holiday {date} {name}", self.profile)
            }
            Why::Transition {
                expression,
                fired_at,
                timezone,
            } => write!(
                f,
                "{} since {} (cron `{expression}`, {timezone})",
                self.profile,
                fired_at.with_timezone(timezone).format("%a %Y-%m-%d %H:%M"),
            ),
        }
    }
}

/// The profile in force under `schedule` at `now`, or `None` when `now` is
/// not a holiday and no transition fired within [`LOOK_BACK`].
pub fn profile_at(schedule: &Schedule, now: DateTime<Utc>) -> Option<InForce> {
    if let Some(in_force) = holiday_at(schedule, now) {
        return Some(in_force);
    }
    let (transition, fired_at) = last_transition(schedule, now)?;
    Some(InForce {
        profile: transition.profile.clone(),
        why: Why::Transition {
            expression: transition.expression.clone(),
            fired_at,
            timezone: schedule.timezone,
        },
    })
}

/// The first instant after `now` at which the profile in force under
/// `schedule` differs from the one in force at `now` (a transition into
/// another profile, the start or end of a holiday, or the end of the
/// look-back window). Boundaries that leave the profile as it is (a
/// transition firing during a holiday, a transition into the profile
/// already in force) are passed over. `None` when the profile does not
/// change within [`LOOK_AHEAD`].
pub fn next_change(schedule: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let current = profile_name(schedule, now);
    let horizon = now.checked_add_signed(LOOK_AHEAD)?;
    let mut at = now;
    for _ in 0..MAX_BOUNDARIES {
        let boundary = next_boundary(schedule, at)?;
        if boundary > horizon {
            return None;
        }
        if profile_name(schedule, boundary) != current {
            return Some(boundary);
        }
        at = boundary;
    }
    None
}

/// The name of the profile in force, without building its explanation.
fn profile_name(schedule: &Schedule, now: DateTime<Utc>) -> Option<&str> {
    if let Some(profile) = &schedule.holiday_profile {
        let today = now.with_timezone(&schedule.timezone).date_naive();
        if schedule.holidays.contains_key(&today) {
            return Some(profile);
        }
    }
    last_transition(schedule, now).map(|(t, _)| t.profile.as_str())
}

/// The holiday profile, when `now` falls on a holiday in the schedule's
/// zone and the schedule has a holiday profile.
fn holiday_at(schedule: &Schedule, now: DateTime<Utc>) -> Option<InForce> {
    let profile = schedule.holiday_profile.as_ref()?;
    let today = now.with_timezone(&schedule.timezone).date_naive();
    let name = schedule.holidays.get(&today)?;
    Some(InForce {
        profile: profile.clone(),
        why: Why::Holiday {
            date: today,
            name: name.clone(),
        },
    })
}

/// The transition that fired most recently at or before `now`, within the
/// look-back window, and when it fired. Ties go to the one listed first.
fn last_transition(
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Option<(&Transition, DateTime<Utc>)> {
    let local = now.with_timezone(&schedule.timezone);
    let earliest = now.checked_sub_signed(LOOK_BACK)?;
    let mut best: Option<(&Transition, DateTime<Utc>)> = None;
    for transition in &schedule.transitions {
        // An error means no firing at all before `now` (or one before year
        // 1): nothing in force from this transition.
        let Ok(fired) = transition.cron.find_previous_occurrence(&local, true) else {
            continue;
        };
        let fired = fired.to_utc();
        if fired <= earliest {
            continue;
        }
        if best.is_none_or(|(_, at)| fired > at) {
            best = Some((transition, fired));
        }
    }
    best
}

/// The first instant after `at` where the profile in force might change: a
/// transition firing, a holiday starting or ending, or the latest
/// transition leaving the look-back window.
fn next_boundary(schedule: &Schedule, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let tz = schedule.timezone;
    let local = at.with_timezone(&tz);
    let firings = schedule.transitions.iter().filter_map(|t| {
        t.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|dt| dt.to_utc())
    });
    let expiry = last_transition(schedule, at)
        .and_then(|(_, fired)| fired.checked_add_signed(LOOK_BACK))
        .filter(|&end| end > at);
    firings
        .chain(expiry)
        .chain(next_holiday_boundary(schedule, at))
        .min()
}

/// The first start or end of a holiday after `at`, if the schedule has a
/// holiday profile.
fn next_holiday_boundary(schedule: &Schedule, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule.holiday_profile.as_ref()?;
    let tz = schedule.timezone;
    let today = at.with_timezone(&tz).date_naive();
    // The first holiday on or after today holds the nearest boundary: its
    // start if that is still ahead, else its end (it is today).
    let (&date, _) = schedule.holidays.range(today..).next()?;
    let start = day_start(tz, date)?;
    if start > at {
        return Some(start);
    }
    day_start(tz, date.succ_opt()?).filter(|&end| end > at)
}

/// The first instant of the local calendar day `date` in `tz`: local
/// midnight, or, where midnight falls in a DST gap, the first minute after
/// it that exists. `None` only at the edges of chrono's range.
fn day_start(tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    let mut local = date.and_time(NaiveTime::MIN);
    // Gaps last an hour or less in today's zones; a day covers the rest
    // (Samoa skipped 2011-12-30 whole: that day starts when the next does).
    for _ in 0..=24 * 60 {
        if let Some(dt) = tz.from_local_datetime(&local).earliest() {
            return Some(dt.to_utc());
        }
        local = local.checked_add_signed(TimeDelta::minutes(1))?;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::str::FromStr;

    use super::*;

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

    #[test]
    fn day_start_is_local_midnight_in_utc() {
        assert_eq!(
            day_start(chrono_tz::Asia::Tokyo, date(2026, 1, 1)),
            Some(utc(2025, 12, 31, 15, 0))
        );
        assert_eq!(
            day_start(chrono_tz::Asia::Kolkata, date(2026, 1, 1)),
            Some(utc(2025, 12, 31, 18, 30))
        );
    }

    #[test]
    fn day_start_in_a_midnight_gap_is_the_first_instant_after_it() {
        // Chile springs forward at local midnight: 2025-09-07 00:00 -04
        // became 01:00 -03, so the day began at 04:00 UTC.
        assert_eq!(
            day_start(chrono_tz::America::Santiago, date(2025, 9, 7)),
            Some(utc(2025, 9, 7, 4, 0))
        );
    }

    #[test]
    fn day_start_of_a_skipped_day_is_the_start_of_the_next() {
        // Samoa skipped 2011-12-30 when it crossed the date line.
        let skipped = day_start(chrono_tz::Pacific::Apia, date(2011, 12, 30));
        let next = day_start(chrono_tz::Pacific::Apia, date(2011, 12, 31));
        assert!(next.is_some());
        assert_eq!(skipped, next);
    }

    #[test]
    fn a_firing_exactly_at_the_window_edge_has_expired() {
        // Fires once: 2026-01-01 00:00 (seven fields, the last a year).
        let s = schedule(chrono_tz::UTC, &[("0 0 0 1 1 * 2026", "new_year")]);
        let fired = utc(2026, 1, 1, 0, 0);
        let edge = fired + LOOK_BACK;
        assert!(last_transition(&s, edge - TimeDelta::seconds(1)).is_some());
        assert!(last_transition(&s, edge).is_none());
    }

    #[test]
    fn describe_shows_the_wall_clock_of_the_zone() {
        let in_force = InForce {
            profile: "business_hours".into(),
            why: Why::Transition {
                expression: "0 8 * * 1-5".into(),
                fired_at: utc(2026, 3, 2, 7, 0),
                timezone: chrono_tz::Europe::Berlin,
            },
        };
        assert_eq!(
            in_force.describe(),
            "business_hours since Mon 2026-03-02 08:00 (cron `0 8 * * 1-5`, Europe/Berlin)"
        );
    }

    #[test]
    fn describe_names_the_holiday() {
        let in_force = InForce {
            profile: "weekend".into(),
            why: Why::Holiday {
                date: date(2026, 12, 25),
                name: "Christmas Day".into(),
            },
        };
        assert_eq!(
            in_force.describe(),
            "weekend: holiday 2026-12-25 Christmas Day"
        );
    }
}
