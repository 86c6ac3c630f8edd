//! Budget periods, forecasts and thresholds. Pure: the instant is a
//! parameter, never a clock read.
//!
//! Periods are counted in UTC, as AWS Budgets counts them: a daily budget
//! runs from 00:00 UTC to the next 00:00 UTC, a weekly one from Sunday 00:00
//! UTC to the next Sunday, a monthly one over the calendar month. Every
//! period is half-open, `[start, end)`.
//!
//! A forecast is the spend so far plus the estate's live run-rate over the
//! hours left in the period. Thresholds compare the forecast with a percent
//! of the limit: at or over `warn_at_percent` warns, at or over
//! `emergency_at_percent` applies the emergency profile.
//!
//! Spend that is not a finite number counts as unknown: it neither raises
//! nor lowers a standing.
//!
//! [`anomaly`] finds days whose spend is unusual for their weekday.

pub mod anomaly;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc};

use crate::plan::{BudgetLevel, BudgetStanding};
use crate::policy::{BudgetPeriod, Budgets};
use crate::signals::PeriodSpend;

/// The period of kind `period` that contains `now`, as `[start, end)` in
/// UTC. At the very edges of chrono's range the bounds saturate.
pub fn period_bounds(period: BudgetPeriod, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.date_naive();
    let (start, end) = match period {
        BudgetPeriod::Daily => (Some(today), today.checked_add_days(Days::new(1))),
        BudgetPeriod::Weekly => {
            let back = u64::from(today.weekday().num_days_from_sunday());
            let start = today.checked_sub_days(Days::new(back));
            (start, start.and_then(|s| s.checked_add_days(Days::new(7))))
        }
        BudgetPeriod::Monthly => {
            let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1);
            (
                first,
                first.and_then(|f| f.checked_add_months(Months::new(1))),
            )
        }
    };
    let midnight = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
    (
        start.map_or(DateTime::<Utc>::MIN_UTC, midnight),
        end.map_or(DateTime::<Utc>::MAX_UTC, midnight),
    )
}

/// Hours from `now` to the end of its period (always more than zero).
pub fn hours_left(period: BudgetPeriod, now: DateTime<Utc>) -> f64 {
    let (_, end) = period_bounds(period, now);
    (end - now).num_milliseconds() as f64 / 3_600_000.0
}

/// The spend of the period containing `now`: `actual_usd` so far, and the
/// forecast at its end, `actual_usd + run_rate_usd_per_hour × hours left`.
/// A negative run-rate counts as zero: spend never goes down.
pub fn forecast(
    period: BudgetPeriod,
    now: DateTime<Utc>,
    actual_usd: f64,
    run_rate_usd_per_hour: f64,
) -> PeriodSpend {
    PeriodSpend {
        actual_usd,
        forecast_usd: actual_usd + run_rate_usd_per_hour.max(0.0) * hours_left(period, now),
    }
}

/// How close `forecast_usd` comes to `limit`: [`BudgetLevel::Emergency`] at
/// or over the emergency percent, [`BudgetLevel::Warn`] at or over the warn
/// percent, else [`BudgetLevel::Ok`]. Compared as `forecast × 100 ≥
/// percent × limit`, so that exactly 80% of $500 ($400) is 80%, not a
/// rounding error short of it.
pub fn level(budgets: &Budgets, forecast_usd: f64, limit: f64) -> BudgetLevel {
    let at_least = |percent: f64| forecast_usd * 100.0 >= percent * limit;
    if at_least(budgets.emergency_at_percent) {
        BudgetLevel::Emergency
    } else if at_least(budgets.warn_at_percent) {
        BudgetLevel::Warn
    } else {
        BudgetLevel::Ok
    }
}

/// Where spend stands against each budget, in period order (daily, weekly,
/// monthly): only periods that have a limit and known spend.
pub fn standings(
    budgets: &Budgets,
    spend: &BTreeMap<BudgetPeriod, PeriodSpend>,
) -> Vec<BudgetStanding> {
    budgets
        .limits
        .iter()
        .filter_map(|(&period, &limit_usd)| {
            let s = known(spend, period)?;
            Some(BudgetStanding {
                period,
                limit_usd,
                actual_usd: s.actual_usd,
                forecast_usd: s.forecast_usd,
                forecast_percent: s.forecast_usd / limit_usd * 100.0,
                level: level(budgets, s.forecast_usd, limit_usd),
                sources: Vec::new(),
            })
        })
        .collect()
}

/// Whether the emergency profile is in force, with hysteresis.
///
/// It enters when any forecast reaches the emergency threshold. Once in
/// force (`already_since` is the ledger's latch), it stays until every
/// budgeted period is known to forecast under the *warn* threshold; a
/// period whose spend is unknown holds it. Why: the emergency profile cuts
/// the run-rate, which pulls the forecast back under the emergency
/// threshold at once; releasing there would scale the estate back up, push
/// the forecast over again, and flap (each flap a resize, some a failover).
/// The band between warn and emergency absorbs that.
pub fn emergency_in_force(
    budgets: &Budgets,
    standings: &[BudgetStanding],
    already_since: Option<DateTime<Utc>>,
) -> bool {
    if standings.iter().any(|s| s.level == BudgetLevel::Emergency) {
        return true;
    }
    if already_since.is_none() {
        return false;
    }
    let all_under_warn = budgets.limits.keys().all(|period| {
        standings
            .iter()
            .any(|s| s.period == *period && s.level == BudgetLevel::Ok)
    });
    !all_under_warn
}

/// Refuses a cost increase that would push a budget to its emergency
/// threshold: `Some((period, why))` for the first period (daily, weekly,
/// monthly) whose forecast plus `cost_delta_per_hour` over the hours left
/// in it reaches the emergency percent of its limit. `why` shows the sum,
/// e.g. `daily forecast $468.20 + $0.96/h × 10.0 h = $477.80 ≥ 95% of
/// $500`. `None` when the delta is not a cost increase or every period has
/// room; periods with unknown spend are not judged.
pub fn headroom_refusal(
    budgets: &Budgets,
    spend: &BTreeMap<BudgetPeriod, PeriodSpend>,
    now: DateTime<Utc>,
    cost_delta_per_hour: f64,
) -> Option<(BudgetPeriod, String)> {
    if cost_delta_per_hour.is_nan() || cost_delta_per_hour <= 0.0 {
        return None;
    }
    budgets.limits.iter().find_map(|(&period, &limit)| {
        let s = known(spend, period)?;
        let hours = hours_left(period, now);
        let projected = s.forecast_usd + cost_delta_per_hour * hours;
        if level(budgets, projected, limit) != BudgetLevel::Emergency {
            return None;
        }
        let why = format!(
            "{period} forecast ${:.2} + ${:.2}/h × {:.1} h = ${:.2} ≥ {}% of ${}",
            s.forecast_usd,
            cost_delta_per_hour,
            hours,
            projected,
            budgets.emergency_at_percent,
            usd(limit),
        );
        Some((period, why))
    })
}

/// The spend of `period`, when known and made of finite numbers.
fn known(spend: &BTreeMap<BudgetPeriod, PeriodSpend>, period: BudgetPeriod) -> Option<PeriodSpend> {
    spend
        .get(&period)
        .copied()
        .filter(|s| s.actual_usd.is_finite() && s.forecast_usd.is_finite())
}

/// A limit as written: `500`, or `500.50` when it has cents.
fn usd(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid test instant")
    }

    fn budgets() -> Budgets {
        Budgets {
            limits: BTreeMap::from([
                (BudgetPeriod::Daily, 500.0),
                (BudgetPeriod::Weekly, 3000.0),
                (BudgetPeriod::Monthly, 12000.0),
            ]),
            warn_at_percent: 80.0,
            emergency_at_percent: 95.0,
            emergency_profile: "emergency".into(),
            anomaly: Default::default(),
        }
    }

    fn spend(entries: &[(BudgetPeriod, f64, f64)]) -> BTreeMap<BudgetPeriod, PeriodSpend> {
        entries
            .iter()
            .map(|&(p, actual_usd, forecast_usd)| {
                (
                    p,
                    PeriodSpend {
                        actual_usd,
                        forecast_usd,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn period_bounds_table() {
        use BudgetPeriod::*;
        let midnight = |(y, m, d)| utc(y, m, d, 0, 0);
        // (period, now, first day, first day of the next period)
        let cases = [
            // Daily: a UTC day, whatever the hour; year end; leap day.
            (Daily, utc(2026, 3, 4, 0, 0), (2026, 3, 4), (2026, 3, 5)),
            (Daily, utc(2026, 3, 4, 23, 59), (2026, 3, 4), (2026, 3, 5)),
            (
                Daily,
                utc(2026, 12, 31, 12, 0),
                (2026, 12, 31),
                (2027, 1, 1),
            ),
            (Daily, utc(2028, 2, 29, 6, 0), (2028, 2, 29), (2028, 3, 1)),
            // Weekly: from Sunday 00:00 UTC. 2026-03-01 is a Sunday.
            (Weekly, utc(2026, 3, 1, 0, 0), (2026, 3, 1), (2026, 3, 8)),
            (
                Weekly,
                utc(2026, 2, 28, 23, 59),
                (2026, 2, 22),
                (2026, 3, 1),
            ),
            (Weekly, utc(2026, 3, 4, 12, 0), (2026, 3, 1), (2026, 3, 8)),
            (Weekly, utc(2027, 1, 1, 9, 0), (2026, 12, 27), (2027, 1, 3)),
            (Weekly, utc(2028, 3, 1, 0, 0), (2028, 2, 27), (2028, 3, 5)),
            // Monthly: calendar months, leap February, year end.
            (
                Monthly,
                utc(2026, 1, 31, 23, 59),
                (2026, 1, 1),
                (2026, 2, 1),
            ),
            (Monthly, utc(2026, 2, 15, 0, 0), (2026, 2, 1), (2026, 3, 1)),
            (Monthly, utc(2028, 2, 29, 23, 0), (2028, 2, 1), (2028, 3, 1)),
            (Monthly, utc(2026, 4, 30, 12, 0), (2026, 4, 1), (2026, 5, 1)),
            (
                Monthly,
                utc(2026, 12, 31, 23, 59),
                (2026, 12, 1),
                (2027, 1, 1),
            ),
            (Monthly, utc(2027, 1, 1, 0, 0), (2027, 1, 1), (2027, 2, 1)),
        ];
        for (period, now, start, end) in cases {
            assert_eq!(
                period_bounds(period, now),
                (midnight(start), midnight(end)),
                "{period} at {now}"
            );
        }
    }

    #[test]
    fn every_instant_lies_in_its_period() {
        let mut now = utc(2027, 12, 25, 0, 0);
        while now < utc(2028, 3, 5, 0, 0) {
            for p in [
                BudgetPeriod::Daily,
                BudgetPeriod::Weekly,
                BudgetPeriod::Monthly,
            ] {
                let (start, end) = period_bounds(p, now);
                assert!(start <= now && now < end, "{p} at {now}: [{start}, {end})");
            }
            now += TimeDelta::minutes(97);
        }
    }

    #[test]
    fn bounds_saturate_at_the_end_of_time() {
        let (start, end) = period_bounds(BudgetPeriod::Monthly, DateTime::<Utc>::MAX_UTC);
        assert!(start < DateTime::<Utc>::MAX_UTC);
        assert_eq!(end, DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn hours_left_counts_to_the_period_end() {
        assert_eq!(
            hours_left(BudgetPeriod::Daily, utc(2026, 3, 4, 14, 0)),
            10.0
        );
        assert_eq!(
            hours_left(BudgetPeriod::Daily, utc(2026, 3, 4, 23, 30)),
            0.5
        );
        // Wednesday 12:00 → Sunday 00:00 is 3.5 days.
        assert_eq!(
            hours_left(BudgetPeriod::Weekly, utc(2026, 3, 4, 12, 0)),
            84.0
        );
        // 2028-02-29 00:00 → 2028-03-01 00:00.
        assert_eq!(
            hours_left(BudgetPeriod::Monthly, utc(2028, 2, 29, 0, 0)),
            24.0
        );
    }

    #[test]
    fn forecast_adds_the_run_rate_over_the_hours_left() {
        let s = forecast(BudgetPeriod::Daily, utc(2026, 3, 4, 14, 0), 300.0, 12.5);
        assert_eq!(s.actual_usd, 300.0);
        assert_eq!(s.forecast_usd, 425.0);
        // Half a day left in March's last day; 31 days in the month.
        let m = forecast(BudgetPeriod::Monthly, utc(2026, 3, 31, 12, 0), 9000.0, 10.0);
        assert_eq!(m.forecast_usd, 9120.0);
        // A negative run-rate does not un-spend money.
        let n = forecast(BudgetPeriod::Daily, utc(2026, 3, 4, 14, 0), 300.0, -5.0);
        assert_eq!(n.forecast_usd, 300.0);
    }

    #[test]
    fn levels_switch_exactly_at_the_thresholds() {
        let b = budgets();
        assert_eq!(level(&b, 399.99, 500.0), BudgetLevel::Ok);
        assert_eq!(level(&b, 400.0, 500.0), BudgetLevel::Warn);
        assert_eq!(level(&b, 474.99, 500.0), BudgetLevel::Warn);
        assert_eq!(level(&b, 475.0, 500.0), BudgetLevel::Emergency);
        assert_eq!(level(&b, 9600.0, 12000.0), BudgetLevel::Warn);
        assert_eq!(level(&b, 11400.0, 12000.0), BudgetLevel::Emergency);
        assert_eq!(level(&b, 700.0, 500.0), BudgetLevel::Emergency);
        assert_eq!(level(&b, f64::NAN, 500.0), BudgetLevel::Ok);
    }

    #[test]
    fn standings_cover_limited_periods_with_known_spend() {
        let mut b = budgets();
        b.limits.remove(&BudgetPeriod::Weekly);
        let s = spend(&[
            (BudgetPeriod::Daily, 200.0, 450.0),
            (BudgetPeriod::Weekly, 1000.0, 2000.0), // no weekly limit
            (BudgetPeriod::Monthly, f64::NAN, 1.0), // unknown
        ]);
        let got = standings(&b, &s);
        assert_eq!(
            got,
            vec![BudgetStanding {
                period: BudgetPeriod::Daily,
                limit_usd: 500.0,
                actual_usd: 200.0,
                forecast_usd: 450.0,
                forecast_percent: 90.0,
                level: BudgetLevel::Warn,
                sources: Vec::new(),
            }]
        );
    }

    #[test]
    fn emergency_hysteresis_enters_stays_and_releases() {
        let b = budgets();
        let since = Some(utc(2026, 3, 4, 9, 0));
        let at = |daily: f64| {
            standings(
                &b,
                &spend(&[
                    (BudgetPeriod::Daily, 100.0, daily),
                    (BudgetPeriod::Weekly, 500.0, 1000.0),
                    (BudgetPeriod::Monthly, 2000.0, 5000.0),
                ]),
            )
        };
        // Not latched: enters only at the emergency threshold.
        assert!(!emergency_in_force(&b, &at(474.0), None));
        assert!(emergency_in_force(&b, &at(475.0), None));
        // Latched: stays while any forecast is at or over warn...
        assert!(emergency_in_force(&b, &at(474.0), since));
        assert!(emergency_in_force(&b, &at(400.0), since));
        // ...and releases once every forecast is under it.
        assert!(!emergency_in_force(&b, &at(399.0), since));
    }

    #[test]
    fn unknown_spend_holds_the_latch_but_never_enters() {
        let b = budgets();
        let only_daily = standings(&b, &spend(&[(BudgetPeriod::Daily, 10.0, 20.0)]));
        assert_eq!(only_daily.len(), 1);
        assert!(emergency_in_force(
            &b,
            &only_daily,
            Some(utc(2026, 3, 4, 9, 0))
        ));
        assert!(!emergency_in_force(&b, &only_daily, None));
        assert!(!emergency_in_force(&b, &[], None));
    }

    #[test]
    fn headroom_refuses_with_the_sum_spelled_out() {
        let b = budgets();
        let s = spend(&[(BudgetPeriod::Daily, 300.0, 468.2)]);
        let now = utc(2026, 3, 4, 14, 0); // 10 h left in the day
        assert_eq!(
            headroom_refusal(&b, &s, now, 0.96),
            Some((
                BudgetPeriod::Daily,
                "daily forecast $468.20 + $0.96/h × 10.0 h = $477.80 ≥ 95% of $500".to_owned()
            ))
        );
        // $0.60/h × 10 h = $6 → $474.20, under $475.
        assert_eq!(headroom_refusal(&b, &s, now, 0.6), None);
        // Exactly at the threshold refuses: $467.50 + $0.75/h × 10 h = $475
        // (all exact in binary), and a cent less an hour does not.
        let edge = spend(&[(BudgetPeriod::Daily, 300.0, 467.5)]);
        assert!(headroom_refusal(&b, &edge, now, 0.75).is_some());
        assert_eq!(headroom_refusal(&b, &edge, now, 0.74), None);
    }

    #[test]
    fn headroom_counts_each_periods_own_hours() {
        let b = budgets();
        // Daily has room; the week has 84 h left, which $1/h fills.
        let s = spend(&[
            (BudgetPeriod::Daily, 100.0, 200.0),
            (BudgetPeriod::Weekly, 2000.0, 2800.0),
        ]);
        let now = utc(2026, 3, 4, 12, 0);
        let (period, why) = headroom_refusal(&b, &s, now, 1.0).expect("weekly refuses");
        assert_eq!(period, BudgetPeriod::Weekly);
        assert_eq!(
            why,
            "weekly forecast $2800.00 + $1.00/h × 84.0 h = $2884.00 ≥ 95% of $3000"
        );
    }

    #[test]
    fn headroom_ignores_savings_and_unknown_spend() {
        let mut b = budgets();
        b.limits.insert(BudgetPeriod::Daily, 500.5);
        let s = spend(&[(BudgetPeriod::Daily, 480.0, 490.0)]);
        let now = utc(2026, 3, 4, 14, 0);
        assert_eq!(headroom_refusal(&b, &s, now, 0.0), None);
        assert_eq!(headroom_refusal(&b, &s, now, -3.0), None);
        assert_eq!(headroom_refusal(&b, &s, now, f64::NAN), None);
        let (_, why) = headroom_refusal(&b, &s, now, 0.01).expect("over already");
        assert!(why.ends_with("≥ 95% of $500.50"), "{why}");
        let unknown = spend(&[(BudgetPeriod::Daily, f64::NAN, f64::NAN)]);
        assert_eq!(headroom_refusal(&b, &unknown, now, 100.0), None);
    }
}
