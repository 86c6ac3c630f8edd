use chrono::{Datelike, TimeZone, Weekday};
use serde_json::json;

use super::*;
use crate::budget::anomaly::DaySpend;
use crate::fake::FakeCost;
use crate::ledger::{LedgerState, MemoryLedger};
use crate::notify::Category;

const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
const RDS: &str = "Amazon Relational Database Service";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

fn at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).expect("valid hour"))
}

/// A day of `ec2` and `rds` dollars.
fn spent(d: NaiveDate, ec2: f64, rds: f64) -> DaySpend {
    DaySpend {
        date: d,
        total_usd: ec2 + rds,
        by_service: [(EC2.to_owned(), ec2), (RDS.to_owned(), rds)].into(),
    }
}

/// Six weeks up to `last`: weekdays about $300, weekends about $150, a
/// few dollars apart from week to week.
fn usual(last: NaiveDate) -> Vec<DaySpend> {
    (0..42)
        .map(|back| {
            let d = last - Days::new(back);
            let wobble = (back % 5) as f64;
            match d.weekday() {
                Weekday::Sat | Weekday::Sun => spent(d, 50.0 + wobble, 100.0),
                _ => spent(d, 200.0 + wobble, 100.0),
            }
        })
        .collect()
}

fn ledger() -> MemoryLedger {
    MemoryLedger::new(LedgerState::default())
}

fn kinds(check: &AnomalyCheck) -> Vec<(&'static str, Severity)> {
    check.notices.iter().map(|n| (n.kind, n.severity)).collect()
}

// 2026-11-25 is a Wednesday.
const WED: (i32, u32, u32) = (2026, 11, 25);

#[tokio::test]
async fn a_spike_is_notified_once_and_again_only_when_it_grows_severe() {
    let spike = date(WED.0, WED.1, WED.2);
    let cost = FakeCost::with_days(usual(spike));
    let ledger = ledger();
    let s = AnomalySettings::default();
    // +$210 on a $300 Wednesday: +70%, medium.
    cost.set_day(spent(spike, 410.0, 100.0));
    let now = at(spike + Days::new(1), 3);
    let first = check(&cost, &ledger, "prod", &s, now).await;
    assert_eq!(
        kinds(&first),
        [("spend_anomaly", Severity::Medium)],
        "{first:#?}"
    );
    let n = &first.notices[0];
    assert_eq!(n.category, Category::Cost);
    assert!(n.subject.contains("2026-11-25 +$20"), "{}", n.subject);
    assert_eq!(n.body["services"][0]["service"], json!(EC2));
    assert_eq!(n.body["measure"], json!("day"));
    assert_eq!(n.body["source"], json!("tidegate"));
    assert!(first.notes.is_empty(), "{:?}", first.notes);

    // The next hour's run finds the same: nothing new.
    let again = check(&cost, &ledger, "prod", &s, now + TimeDelta::hours(1)).await;
    assert!(again.notices.is_empty(), "{again:#?}");
    assert!(matches!(
        again.days.last(),
        Some(Judged {
            verdict: Verdict::Anomalous(_),
            ..
        })
    ));

    // Late usage makes it +150%: high, news again.
    cost.set_day(spent(spike, 650.0, 100.0));
    let worse = check(&cost, &ledger, "prod", &s, now + TimeDelta::hours(2)).await;
    assert_eq!(
        kinds(&worse),
        [("spend_anomaly", Severity::High)],
        "{worse:#?}"
    );

    // A smaller reading, then the high one again: not news a second time.
    cost.set_day(spent(spike, 410.0, 100.0));
    let smaller = check(&cost, &ledger, "prod", &s, now + TimeDelta::hours(3)).await;
    cost.set_day(spent(spike, 650.0, 100.0));
    let back = check(&cost, &ledger, "prod", &s, now + TimeDelta::hours(4)).await;
    assert!(
        smaller.notices.is_empty() && back.notices.is_empty(),
        "{smaller:#?} {back:#?}"
    );
}

#[tokio::test]
async fn todays_run_rate_and_the_complete_day_are_one_notice() {
    let today = date(WED.0, WED.1, WED.2);
    let mut days = usual(today);
    days.retain(|d| d.date != today);
    let cost = FakeCost::with_days(days);
    let ledger = ledger();
    let s = AnomalySettings::default();
    // By noon, 0.9 of a usual day: a run-rate of $540/day, +80%.
    cost.set_day(spent(today, 170.0, 100.0));
    let noon = check(&cost, &ledger, "prod", &s, at(today, 12)).await;
    assert_eq!(
        kinds(&noon),
        [("spend_anomaly", Severity::Medium)],
        "{noon:#?}"
    );
    assert_eq!(noon.notices[0].body["measure"], json!("run_rate"));
    assert_eq!(noon.notices[0].body["counted_hours"], json!(12.0));
    // The day ends at $540: the same anomaly, already told.
    cost.set_day(spent(today, 440.0, 100.0));
    let next = check(&cost, &ledger, "prod", &s, at(today + Days::new(1), 1)).await;
    assert!(next.notices.is_empty(), "{next:#?}");
    assert!(
        next.days
            .iter()
            .any(|j| j.date == today && matches!(j.verdict, Verdict::Anomalous(_))),
        "{next:#?}"
    );
}

#[tokio::test]
async fn aws_cost_anomalies_are_named_as_such_and_sent_once() {
    let today = date(WED.0, WED.1, WED.2);
    let cost = FakeCost::with_days(usual(today - Days::new(1)));
    let ledger = ledger();
    let s = AnomalySettings::default();
    let anomaly = |pct| CostAnomaly {
        id: "f3a1".to_owned(),
        start: Some(today - Days::new(2)),
        end: None,
        total_impact_usd: 88.5,
        total_impact_percent: Some(pct),
        services: vec![RDS.to_owned()],
    };
    cost.set_anomalies(Some(vec![anomaly(40.0)]));
    let first = check(&cost, &ledger, "prod", &s, at(today, 9)).await;
    assert_eq!(
        kinds(&first),
        [("aws_cost_anomaly", Severity::Medium)],
        "{first:#?}"
    );
    let n = &first.notices[0];
    assert!(
        n.subject.contains("AWS Cost Anomaly Detection"),
        "{}",
        n.subject
    );
    assert_eq!(n.body["source"], json!("AWS Cost Anomaly Detection"));
    assert_eq!(n.body["services"], json!([RDS]));
    assert_eq!(first.aws.len(), 1);
    let again = check(&cost, &ledger, "prod", &s, at(today, 10)).await;
    assert!(again.notices.is_empty(), "{again:#?}");
    cost.set_anomalies(Some(vec![anomaly(130.0)]));
    let grown = check(&cost, &ledger, "prod", &s, at(today, 11)).await;
    assert_eq!(kinds(&grown), [("aws_cost_anomaly", Severity::High)]);

    // Without Cost Anomaly Detection: no notice and nothing to say.
    cost.set_anomalies(None);
    let none = check(&cost, &ledger, "prod", &s, at(today, 12)).await;
    assert!(
        none.notices.is_empty() && none.notes.is_empty(),
        "{none:#?}"
    );
}

#[tokio::test]
async fn a_policy_that_turns_it_off_reads_nothing() {
    let today = date(WED.0, WED.1, WED.2);
    let cost = FakeCost::with_days(usual(today));
    let off = AnomalySettings {
        enabled: false,
        ..AnomalySettings::default()
    };
    let got = check(&cost, &ledger(), "prod", &off, at(today, 12)).await;
    assert_eq!(got, AnomalyCheck::default());
    assert_eq!(cost.calls(), 0);
    let no_aws = AnomalySettings {
        aws_anomalies: false,
        ..AnomalySettings::default()
    };
    let _ = check(&cost, &ledger(), "prod", &no_aws, at(today, 12)).await;
    assert_eq!(cost.calls(), 1, "only the spend by service");
}
