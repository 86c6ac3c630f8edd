//! Per resource: utilisation against the SLO and the rule thresholds,
//! capacity in force as a step line, breaches shaded, actions marked (and
//! listed in a table); for an Auto Scaling group its on-demand share with
//! the interruption warnings marked.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::svg::{Frame, esc, path, series, top};
use crate::backtest::report::{Report, ResourceReport};
use crate::policy::Direction;

const UTIL: &str = "#1f77b4";
const CAPACITY: &str = "#555";
const SLO: &str = "#d62728";

/// The section of one resource: its chart(s) and action table.
pub(super) fn section(out: &mut String, r: &Report, res: &ResourceReport) {
    let id = esc(&res.id);
    let _ = write!(
        out,
        r#"<section class="resource" data-resource="{id}"><h2>{id} <small>{kind}</small></h2>"#,
        kind = esc(&res.kind.to_string()),
    );
    let _ = write!(
        out,
        "<p>start {} · end {} · static peak {}</p>",
        esc(&res.start),
        esc(&res.end),
        esc(&res.static_peak)
    );
    utilisation(out, r, res);
    if let (Some(mix), Some(share)) = (&res.spot_mix, &res.series.on_demand_percent) {
        on_demand(out, r, res, mix.class_on_demand_percent, share);
    }
    actions(out, res);
    out.push_str("</section>");
}

fn utilisation(out: &mut String, r: &Report, res: &ResourceReport) {
    let s = &res.series;
    let at = &r.series.at;
    let traced = res.trace.is_some();
    let y_max = top(
        s.utilisation_percent
            .iter()
            .flatten()
            .copied()
            .chain(s.thresholds.iter().map(|t| t.percent))
            .chain([r.slo_percent]),
        10.0,
    )
    .min(400.0);
    let units_max = top(s.capacity_units.iter().flatten().copied(), 1.0);
    let f = Frame::new(r.period.start, r.period.end, 300.0, y_max);
    let title = if traced {
        "utilisation (%) against the SLO and rule thresholds; capacity units in force (right axis)"
    } else {
        "no trace: capacity units in force"
    };
    let _ = write!(
        out,
        r#"<figure class="chart" data-chart="utilisation" data-resource="{id}"><figcaption>{title}</figcaption>"#,
        id = esc(&res.id)
    );
    f.open(out, title, "");
    for b in &s.breaches {
        f.band(
            out,
            b.start,
            b.end,
            "rgba(214,39,40,0.18)",
            r#"class="breach""#,
            &format!(
                "SLO breach {} → {} ({} intervals)",
                b.start.format("%a %m-%d %H:%M"),
                b.end.format("%H:%M"),
                b.intervals
            ),
        );
    }
    f.axes(out, if traced { "%" } else { "" });
    if traced {
        f.hline(
            out,
            r.slo_percent,
            SLO,
            &format!("SLO {}%", r.slo_percent),
            r#"class="slo""#,
        );
        for t in &s.thresholds {
            let colour = match t.direction {
                Direction::Up => "#ff7f0e",
                Direction::Down => "#2ca02c",
            };
            f.hline(out, t.percent, colour, &t.rule, r#"class="threshold""#);
        }
        let (d, n) = path(&f, at, &s.utilisation_percent, y_max, false);
        series(out, &d, n, "utilisation_percent", UTIL, "");
    }
    let (d, n) = path(&f, at, &s.capacity_units, units_max, true);
    series(
        out,
        &d,
        n,
        "capacity_units",
        CAPACITY,
        r#"stroke-dasharray="2 0" opacity="0.8""#,
    );
    let (_, right) = f.cols();
    let (top_y, _) = f.rows();
    let _ = write!(
        out,
        r##"<text x="{x}" y="{y}" font-size="11" fill="{CAPACITY}" text-anchor="end">capacity units (max {m})</text>"##,
        x = right,
        y = top_y - 8.0,
        m = super::svg::number(units_max / 1.05),
    );
    markers(out, &f, res);
    out.push_str("</svg></figure>");
}

/// One marker per action along the top of the plot, with its cause.
fn markers(out: &mut String, f: &Frame, res: &ResourceReport) {
    let (top_y, _) = f.rows();
    out.push_str(r#"<g class="actions">"#);
    for (i, a) in res.log.iter().enumerate() {
        let x = f.x(a.at);
        let (shape, colour) = match a.direction {
            Some(Direction::Up) => (format!("M{:.1},{:.1}l5,8h-10z", x, top_y - 2.0), "#ff7f0e"),
            Some(Direction::Down) => (format!("M{:.1},{:.1}l5,-8h-10z", x, top_y + 6.0), "#2ca02c"),
            None => (
                format!("M{:.1},{:.1}l4,4l-4,4l-4,-4z", x, top_y - 2.0),
                "#9467bd",
            ),
        };
        let _ = write!(
            out,
            r#"<path class="action" data-row="{i}" d="{shape}" fill="{colour}"><title>{at} {change} — {cause}: {reason}</title></path>"#,
            at = a.at.format("%a %m-%d %H:%M"),
            change = esc(&a.change),
            cause = esc(&a.cause),
            reason = esc(&a.reason),
        );
    }
    out.push_str("</g>");
}

fn on_demand(out: &mut String, r: &Report, res: &ResourceReport, own: u32, share: &[Option<u32>]) {
    let values: Vec<Option<f64>> = share.iter().map(|v| v.map(f64::from)).collect();
    let f = Frame::new(r.period.start, r.period.end, 200.0, 100.0);
    let title = "on-demand share above the base (%), interruption warnings marked";
    let _ = write!(
        out,
        r#"<figure class="chart" data-chart="on_demand" data-resource="{id}"><figcaption>{title}</figcaption>"#,
        id = esc(&res.id)
    );
    f.open(out, title, "");
    f.axes(out, "%");
    f.hline(
        out,
        f64::from(own),
        "#888",
        &format!("class mix {own}%"),
        r#"class="class-mix""#,
    );
    let (top_y, bottom) = f.rows();
    for w in res.series.spot_warnings.iter().flatten() {
        warning(out, &f, *w, top_y, bottom);
    }
    let (d, n) = path(&f, &r.series.at, &values, 100.0, true);
    series(out, &d, n, "on_demand_percent", "#8c564b", "");
    out.push_str("</svg></figure>");
}

fn warning(out: &mut String, f: &Frame, at: DateTime<Utc>, top_y: f64, bottom: f64) {
    let x = f.x(at);
    let _ = write!(
        out,
        r##"<line class="warning" x1="{x:.1}" y1="{top_y}" x2="{x:.1}" y2="{bottom}" stroke="#e377c2" stroke-width="1"><title>spot warning {t}</title></line>"##,
        t = at.format("%a %m-%d %H:%M"),
    );
}

fn actions(out: &mut String, res: &ResourceReport) {
    let n = res.log.len();
    let _ = write!(
        out,
        r#"<details class="actions"{open}><summary>{n} actions ({up} up, {down} down, {re} reconfigured; {refused} refused)</summary><table><thead><tr><th>when (UTC)</th><th>change</th><th>cause</th><th>reason</th></tr></thead><tbody>"#,
        open = if n <= 20 { " open" } else { "" },
        up = res.actions.up,
        down = res.actions.down,
        re = res.actions.reconfigured,
        refused = res.actions.refused,
    );
    for (i, a) in res.log.iter().enumerate() {
        let _ = write!(
            out,
            r#"<tr data-row="{i}"><td>{at}</td><td>{change}</td><td>{cause}</td><td>{reason}</td></tr>"#,
            at = a.at.format("%a %Y-%m-%d %H:%M"),
            change = esc(&a.change),
            cause = esc(&a.cause),
            reason = esc(&a.reason),
        );
    }
    out.push_str("</tbody></table></details>");
}
