use chrono::{Datelike, TimeZone, Weekday};

use super::*;

const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
const RDS: &str = "Amazon Relational Database Service";
const S3: &str = "Amazon Simple Storage Service";
const MSK: &str = "Amazon Managed Streaming for Apache Kafka";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).expect("valid hour"))
}

fn day(d: NaiveDate, services: &[(&str, f64)]) -> DaySpend {
    DaySpend {
        date: d,
        total_usd: services.iter().map(|(_, usd)| usd).sum(),
        by_service: services
            .iter()
            .map(|(s, usd)| ((*s).to_owned(), *usd))
            .collect(),
    }
}

/// Deterministic noise in [-1, 1) (a linear congruential generator: the
/// same series on every run).
fn noise(seed: &mut u64) -> f64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

/// `days` days up to and including `last`: weekdays about $300 (EC2 $200,
/// RDS $80, S3 $20), weekends about $150 (EC2 $60 and RDS $70 scaled down
/// at night and weekends), Mondays about $700 (a weekly batch on EC2),
/// each service with ±5% noise.
fn weekly_cycle(last: NaiveDate, days: u64) -> Vec<DaySpend> {
    let mut seed = 7;
    (0..days)
        .rev()
        .map(|back| {
            let d = last - Days::new(back);
            let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
            let (ec2, rds) = match d.weekday() {
                _ if weekend => (60.0, 70.0),
                Weekday::Mon => (600.0, 80.0),
                _ => (200.0, 80.0),
            };
            let mut jitter = |usd: f64| usd * (1.0 + 0.05 * noise(&mut seed));
            day(
                d,
                &[(EC2, jitter(ec2)), (RDS, jitter(rds)), (S3, jitter(20.0))],
            )
        })
        .collect()
}

fn settings() -> AnomalySettings {
    AnomalySettings::default()
}

fn anomalies(verdicts: &[(NaiveDate, Verdict)]) -> Vec<&Anomaly> {
    verdicts
        .iter()
        .filter_map(|(_, v)| match v {
            Verdict::Anomalous(a) => Some(a),
            _ => None,
        })
        .collect()
}

#[test]
fn median_of_odd_and_even_counts_ignoring_non_finite_values() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    assert_eq!(median(&[5.0, f64::NAN, 1.0, f64::INFINITY, 3.0]), Some(3.0));
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[f64::NAN]), None);
}

#[test]
fn mad_is_the_scaled_median_deviation_and_shrugs_off_one_outlier() {
    // Median 3; deviations 2, 1, 0, 1, 97 → median 1 → × 1.4826.
    let m = mad(&[1.0, 2.0, 3.0, 4.0, 100.0]).expect("a MAD");
    assert!((m - 1.4826).abs() < 1e-12, "{m}");
    assert_eq!(mad(&[7.0, 7.0, 7.0]), Some(0.0));
    assert_eq!(mad(&[]), None);
}

#[test]
fn a_baseline_needs_three_days() {
    assert_eq!(baseline(&[1.0, 2.0]), None);
    assert_eq!(baseline(&[1.0, 2.0, f64::NAN]), None);
    let b = baseline(&[10.0, 12.0, 11.0]).expect("three days");
    assert_eq!((b.median_usd, b.days), (11.0, 3));
    assert!((b.mad_usd - MAD_SCALE).abs() < 1e-12, "{}", b.mad_usd);
}

#[test]
fn the_threshold_is_the_median_plus_the_largest_of_spread_and_floors() {
    let s = settings(); // 3 MADs, $1, 20%
    let b = |median_usd, mad_usd| Baseline {
        median_usd,
        mad_usd,
        days: 4,
    };
    // Spread wins: 3 × $40 = $120 > 20% of $300 = $60 > $1.
    assert_eq!(threshold_usd(&s, &b(300.0, 40.0)), 420.0);
    // The percent floor wins: 3 × $5 = $15 < $60.
    assert_eq!(threshold_usd(&s, &b(300.0, 5.0)), 360.0);
    // The dollar floor wins on a small bill: 20% of $2 is $0.40 < $1.
    assert_eq!(threshold_usd(&s, &b(2.0, 0.0)), 3.0);
    let loose = AnomalySettings {
        threshold_mads: 5.0,
        ..s
    };
    assert_eq!(threshold_usd(&loose, &b(300.0, 40.0)), 500.0);
}

#[test]
fn a_planted_spike_is_found_with_its_size_and_the_services_that_moved() {
    // 2026-11-25 is a Wednesday; the spike is on it, judged the next day.
    let spike = date(2026, 11, 25);
    assert_eq!(spike.weekday(), Weekday::Wed);
    let mut series = weekly_cycle(spike, 8 * 7);
    let last = series.last_mut().expect("the spike day");
    *last.by_service.get_mut(EC2).expect("EC2") += 150.0;
    last.by_service.insert(MSK.to_owned(), 40.0);
    *last.by_service.get_mut(S3).expect("S3") += 15.0;
    last.total_usd = last.by_service.values().sum();

    let verdicts = detect(&series, at(spike + Days::new(1), 0), &settings());
    let found = anomalies(&verdicts);
    assert_eq!(found.len(), 1, "{verdicts:#?}");
    let a = found[0];
    assert_eq!((a.date, a.measure), (spike, Measure::Day));
    assert_eq!(a.baseline.days, 4);
    // About $300 + $205 against a median of about $300.
    assert!(
        (180.0..230.0).contains(&a.excess_usd),
        "excess {}",
        a.excess_usd
    );
    let pct = a.excess_percent.expect("a median above 0");
    assert!((58.0..78.0).contains(&pct), "{pct}%");
    assert!(a.robust_z.is_some_and(|z| z > 3.0), "{:?}", a.robust_z);
    let names: Vec<&str> = a.services.iter().map(|m| m.service.as_str()).collect();
    assert_eq!(names, [EC2, MSK, S3], "{:#?}", a.services);
    assert_eq!(a.services[1].baseline_usd, 0.0);
    assert_eq!(a.services[1].excess_usd, 40.0);
}

#[test]
fn a_weekly_cycle_raises_no_false_alarm() {
    let last = date(2026, 11, 29);
    let series = weekly_cycle(last, 9 * 7);
    // The cycle is real: a baseline of the four days before a Monday
    // (Thursday to Sunday) would call every Monday's batch an anomaly.
    let monday = series
        .iter()
        .rposition(|d| d.date.weekday() == Weekday::Mon)
        .expect("a Monday");
    let before: Vec<f64> = series[monday - 4..monday]
        .iter()
        .map(|d| d.total_usd)
        .collect();
    let naive = baseline(&before).expect("four days");
    assert!(series[monday].total_usd > threshold_usd(&settings(), &naive));
    let mut judged = 0;
    // Every day of the last four weeks, judged as the run at 18:00 would:
    // today's figure then covers 18 of its 24 hours.
    for back in 0..28 {
        let today = last - Days::new(back);
        let mut seen: Vec<DaySpend> = series.iter().filter(|d| d.date <= today).cloned().collect();
        if let Some(t) = seen.last_mut() {
            t.total_usd *= 0.75;
            t.by_service.values_mut().for_each(|usd| *usd *= 0.75);
        }
        let verdicts = detect(&seen, at(today, 18), &settings());
        judged += verdicts
            .iter()
            .filter(|(_, v)| matches!(v, Verdict::Usual { .. }))
            .count();
        assert!(anomalies(&verdicts).is_empty(), "on {today}: {verdicts:#?}");
    }
    assert_eq!(judged, 28 * 4, "every run judges 3 days and the run-rate");
}

#[test]
fn a_flat_series_with_mad_zero_alarms_on_dollars_not_cents() {
    let today = date(2026, 11, 26);
    let flat = |d: NaiveDate, usd| day(d, &[(RDS, usd)]);
    let mut series: Vec<DaySpend> = (1..=35)
        .rev()
        .map(|back| flat(today - Days::new(back), 10.0))
        .collect();
    // Yesterday 30 cents over ten dollars: MAD 0, but under $1 and 20%.
    series.last_mut().expect("yesterday").total_usd = 10.30;
    let verdicts = detect(&series, at(today, 3), &settings());
    assert!(anomalies(&verdicts).is_empty(), "{verdicts:#?}");
    let Some((_, Verdict::Usual { threshold_usd, .. })) = verdicts.last() else {
        panic!("yesterday judged: {verdicts:#?}");
    };
    assert_eq!(*threshold_usd, 12.0);

    // Three dollars over is an anomaly, with no z-score (MAD 0).
    series.last_mut().expect("yesterday").total_usd = 13.0;
    let verdicts = detect(&series, at(today, 3), &settings());
    let found = anomalies(&verdicts);
    assert_eq!(found.len(), 1, "{verdicts:#?}");
    assert_eq!(found[0].robust_z, None);
    assert_eq!(found[0].excess_usd, 3.0);
    assert_eq!(found[0].excess_percent, Some(30.0));
}

#[test]
fn short_history_is_not_enough_and_never_alarms() {
    let spike = date(2026, 11, 25);
    // Two weeks and a day: each day has at most two same-weekday days.
    let mut series = weekly_cycle(spike, 15);
    let last = series.last_mut().expect("the spike day");
    last.total_usd *= 10.0;
    let verdicts = detect(&series, at(spike + Days::new(1), 8), &settings());
    assert!(anomalies(&verdicts).is_empty(), "{verdicts:#?}");
    assert!(
        verdicts
            .iter()
            .any(|(d, v)| *d == spike && *v == Verdict::NotEnoughHistory { days: 2 }),
        "{verdicts:#?}"
    );
}

#[test]
fn one_earlier_spike_in_the_baseline_does_not_hide_the_next() {
    let spike = date(2026, 11, 25);
    let mut series = weekly_cycle(spike, 5 * 7);
    let total = series.len();
    for i in [total - 1, total - 8] {
        series[i].total_usd += 400.0;
    }
    let verdicts = detect(&series, at(spike + Days::new(1), 0), &settings());
    let found = anomalies(&verdicts);
    assert_eq!(found.len(), 1, "{verdicts:#?}");
    assert!(
        found[0].baseline.median_usd < 330.0,
        "{:?}",
        found[0].baseline
    );
}

#[test]
fn todays_run_rate_is_scaled_to_a_day_and_judged_after_six_hours() {
    let today = date(2026, 11, 25);
    let mut series = weekly_cycle(today, 5 * 7);
    // Twelve hours counted: half a usual day is a usual run-rate...
    let t = series.last_mut().expect("today");
    for usd in t.by_service.values_mut() {
        *usd /= 2.0;
    }
    t.total_usd = t.by_service.values().sum();
    let usual = run_rate(&series, today, 12.0, &settings());
    assert!(
        matches!(usual, Some(Verdict::Usual { spend_usd, .. }) if (280.0..320.0).contains(&spend_usd)),
        "{usual:?}"
    );
    // ...and a usual day's spend in twelve hours is twice the rate.
    let t = series.last_mut().expect("today");
    for usd in t.by_service.values_mut() {
        *usd *= 2.0;
    }
    t.total_usd = t.by_service.values().sum();
    let Some(Verdict::Anomalous(a)) = run_rate(&series, today, 12.0, &settings()) else {
        panic!("a doubled run-rate is anomalous");
    };
    assert_eq!(
        a.measure,
        Measure::RunRate {
            counted_hours: 12.0
        }
    );
    assert!(a.excess_percent.is_some_and(|p| (85.0..115.0).contains(&p)));
    assert_eq!(a.services[0].service, EC2);
    // Too early in the day to say.
    assert_eq!(run_rate(&series, today, 5.0, &settings()), None);
    // detect counts the hours since midnight: 05:00 judges no run-rate.
    let early = detect(&series, at(today, 5), &settings());
    assert!(early.iter().all(|(d, _)| *d < today), "{early:#?}");
    let noon = detect(&series, at(today, 12), &settings());
    assert_eq!(noon.last().map(|(d, _)| *d), Some(today));
}
