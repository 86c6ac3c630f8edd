//! Estate-wide charts: cumulative cost with tidegate against static peak,
//! and each budget period's forecast against its warn and emergency lines
//! (the emergency profile's spans shaded).

use std::fmt::Write as _;

use super::svg::{Frame, esc, path, series, top, usd};
use crate::backtest::report::{BudgetSeries, Report};

/// Cumulative cost over the replay.
pub(super) fn cost(out: &mut String, r: &Report) {
    let c = &r.series.cost;
    let y_max = top(
        c.tidegate_usd.iter().chain(&c.static_peak_usd).copied(),
        1.0,
    );
    let f = Frame::new(r.period.start, r.period.end, 300.0, y_max);
    let title = "cumulative cost, USD: tidegate against static peak";
    let _ = write!(
        out,
        r#"<figure class="chart" data-chart="cost"><figcaption>{title}</figcaption>"#
    );
    f.open(out, title, "");
    f.axes(out, "USD");
    let some = |v: &[f64]| v.iter().copied().map(Some).collect::<Vec<_>>();
    let (d, n) = path(&f, &r.series.at, &some(&c.static_peak_usd), y_max, false);
    series(
        out,
        &d,
        n,
        "cost.static_peak_usd",
        "#7f7f7f",
        r#"stroke-dasharray="6 3""#,
    );
    let (d, n) = path(&f, &r.series.at, &some(&c.tidegate_usd), y_max, false);
    series(out, &d, n, "cost.tidegate_usd", "#1f77b4", "");
    let (_, right) = f.cols();
    for (v, label, colour) in [
        (c.static_peak_usd.last(), "static peak", "#7f7f7f"),
        (c.tidegate_usd.last(), "tidegate", "#1f77b4"),
    ] {
        if let Some(v) = v {
            let _ = write!(
                out,
                r#"<text x="{x}" y="{y:.1}" dy="4" font-size="11" fill="{colour}">{label} {v}</text>"#,
                x = right + 4.0,
                y = f.y(*v),
                v = usd(*v),
            );
        }
    }
    out.push_str("</svg></figure>");
}

/// One chart per budget period.
pub(super) fn budgets(out: &mut String, r: &Report) {
    for b in &r.series.budgets {
        budget(out, r, b);
    }
}

fn budget(out: &mut String, r: &Report, b: &BudgetSeries) {
    let y_max = top(
        b.forecast_percent.iter().flatten().copied().chain([
            b.emergency_percent,
            b.warn_percent,
            100.0,
        ]),
        1.0,
    );
    let f = Frame::new(r.period.start, r.period.end, 240.0, y_max);
    let title = format!(
        "{} budget: forecast spend, % of the {} USD limit, against warn and emergency",
        b.period,
        usd(b.limit_usd)
    );
    let _ = write!(
        out,
        r#"<figure class="chart" data-chart="budget" data-period="{p}"><figcaption>{t}</figcaption>"#,
        p = b.period,
        t = esc(&title),
    );
    f.open(out, &title, "");
    for e in &r.series.emergency {
        f.band(
            out,
            e.start,
            e.end,
            "rgba(214,39,40,0.15)",
            r#"class="emergency""#,
            &format!(
                "emergency profile in force {} → {}",
                e.start.format("%a %m-%d %H:%M"),
                e.end.format("%a %m-%d %H:%M")
            ),
        );
    }
    f.axes(out, "% of limit");
    f.hline(
        out,
        b.warn_percent,
        "#ff7f0e",
        &format!("warn {}%", b.warn_percent),
        r#"class="warn""#,
    );
    f.hline(
        out,
        b.emergency_percent,
        "#d62728",
        &format!("emergency {}%", b.emergency_percent),
        r#"class="emergency-line""#,
    );
    let (d, n) = path(&f, &r.series.at, &b.forecast_percent, y_max, false);
    series(out, &d, n, "forecast_percent", "#1f77b4", "");
    out.push_str("</svg></figure>");
}
