//! Schedules: unique names, IANA time zones, 5-field cron transitions into
//! declared profiles, `YYYY-MM-DD` holidays with a holiday profile.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};

use super::{Ctx, check_profile, hint};
use crate::policy::locate;
use crate::policy::model::{Schedule, Transition};
use crate::policy::raw::{HolidaySpec, ScheduleSpec};

/// Name given to a holiday written as a bare date.
pub const UNNAMED_HOLIDAY: &str = "holiday";

/// True when `cron` fires at least once in the 8 years after a fixed
/// instant (covering every leap-year cycle). A cron that never fires would
/// also make each profile look-up search back for centuries. Pure: the
/// instant is fixed, not read from a clock.
fn fires(cron: &croner::Cron) -> bool {
    let Some(from) = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
    else {
        return false;
    };
    cron.find_next_occurrence(&from, true)
        .is_ok_and(|next| next < from + chrono::TimeDelta::days(8 * 366))
}

/// The cron dialect of transitions: exactly 5 fields (no seconds, no year),
/// Sunday = 0 or 7, day-of-month and day-of-week OR-ed as in Vixie cron.
pub fn cron_parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
}

pub(super) fn check(
    cx: &mut Ctx<'_>,
    specs: &[ScheduleSpec],
    profiles: &BTreeSet<String>,
) -> BTreeMap<String, Schedule> {
    let parser = cron_parser();
    let mut out = BTreeMap::new();
    let mut names = BTreeSet::new();
    for (i, s) in specs.iter().enumerate() {
        let p = locate::item("schedules", i);
        if s.name.trim().is_empty() {
            cx.at(
                &locate::key(&p, "name"),
                "the schedule name is empty",
                "a name such as `office`",
            );
        } else if !names.insert(s.name.as_str()) {
            cx.at(
                &locate::key(&p, "name"),
                format!("duplicate schedule name `{}`", s.name),
                "each schedule name once",
            );
        }
        let timezone = timezone(cx, &locate::key(&p, "timezone"), &s.timezone);

        let tp = locate::key(&p, "transitions");
        if s.transitions.is_empty() {
            cx.at(
                &tp,
                "the schedule has no transitions",
                "at least one `{ cron: ..., profile: ... }`",
            );
        }
        let mut transitions = Vec::new();
        for (j, t) in s.transitions.iter().enumerate() {
            let item = locate::item(&tp, j);
            check_profile(
                cx,
                &locate::key(&item, "profile"),
                &t.profile,
                "the schedule",
                profiles,
            );
            match parser.parse(&t.cron) {
                Ok(cron) if !fires(&cron) => cx.at(
                    &locate::key(&item, "cron"),
                    format!("cron expression `{}` never fires (no such date)", t.cron),
                    "a day and month that exist, e.g. `0 0 29 2 *` fires on leap days",
                ),
                Ok(cron) => transitions.push(Transition {
                    expression: t.cron.clone(),
                    cron,
                    profile: t.profile.clone(),
                }),
                Err(e) => cx.at(
                    &locate::key(&item, "cron"),
                    format!("invalid cron expression `{}`: {e}", t.cron),
                    "5 fields `minute hour day-of-month month day-of-week`, e.g. `0 8 * * 1-5`",
                ),
            }
        }

        let hp = locate::key(&p, "holidays");
        let mut holidays = BTreeMap::new();
        for (j, h) in s.holidays.iter().enumerate() {
            let item = locate::item(&hp, j);
            let at = match h {
                HolidaySpec::Date(_) => item.clone(),
                HolidaySpec::Named { .. } => locate::key(&item, "date"),
            };
            let Some(date) = parse_date(h.date()) else {
                cx.at(
                    &at,
                    format!("`{}` is not a date", h.date()),
                    "a date written `YYYY-MM-DD`, e.g. `2026-12-25`",
                );
                continue;
            };
            let name = match h {
                HolidaySpec::Date(_) => UNNAMED_HOLIDAY.to_owned(),
                HolidaySpec::Named { name, .. } => name.clone(),
            };
            if holidays.insert(date, name).is_some() {
                cx.at(
                    &at,
                    format!("holiday {date} is listed twice"),
                    "each date once",
                );
            }
        }
        let hpp = locate::key(&p, "holiday_profile");
        match &s.holiday_profile {
            Some(hprof) => check_profile(cx, &hpp, hprof, "holiday_profile", profiles),
            None if !s.holidays.is_empty() => cx.at(
                &hpp,
                "the schedule has holidays but no `holiday_profile`",
                "`holiday_profile:` naming the profile in force on holidays",
            ),
            None => {}
        }

        if let Some(timezone) = timezone {
            out.entry(s.name.clone()).or_insert(Schedule {
                name: s.name.clone(),
                timezone,
                transitions,
                holidays,
                holiday_profile: s.holiday_profile.clone(),
            });
        }
    }
    out
}

fn timezone(cx: &mut Ctx<'_>, path: &str, name: &str) -> Option<Tz> {
    match Tz::from_str(name) {
        Ok(tz) => Some(tz),
        Err(_) => {
            let names = || chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
            let suggestion = match names().find(|n| n.eq_ignore_ascii_case(name)) {
                Some(n) => format!(" (did you mean `{n}`?)"),
                None => hint(name, names()),
            };
            cx.at(
                path,
                format!("unknown time zone `{name}`{suggestion}"),
                "an IANA time zone name such as `UTC`, `Europe/Berlin` or `America/New_York`",
            );
            None
        }
    }
}

/// Strict `YYYY-MM-DD` (chrono alone would accept `2026-1-5`).
fn parse_date(s: &str) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    (d.format("%Y-%m-%d").to_string() == s).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_is_five_fields() {
        let p = cron_parser();
        assert!(p.parse("0 8 * * 1-5").is_ok());
        assert!(p.parse("0 0 8 * * 1-5").is_err());
        assert!(p.parse("0 25 * * *").is_err());
        assert!(p.parse("0 8 * *").is_err());
    }

    #[test]
    fn dates_are_strict() {
        assert!(parse_date("2026-12-25").is_some());
        assert!(parse_date("2026-2-5").is_none());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("25.12.2026").is_none());
    }
}
