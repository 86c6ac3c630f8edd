//! `tidegate backtest --html FILE`: one self-contained page whose numbers
//! are the report's own. The page embeds the report as JSON: it must be
//! the document `--json` prints; each total shown (`data-total`,
//! `data-value`) must be that field of the JSON's totals; each drawn series
//! (`data-series`, `data-n`) must have as many points as the JSON's
//! series; every chart must draw points; and nothing may be fetched.

use std::process::Command;

use serde_json::Value;

use super::{root, shipped};

fn tidegate(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tidegate"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("tidegate runs")
}

/// The JSON the page embeds.
fn embedded(page: &str) -> Value {
    let open = r#"<script type="application/json" id="report-data">"#;
    let start = page.find(open).expect("the page embeds the report") + open.len();
    let len = page[start..].find("</script>").expect("the block ends");
    serde_json::from_str(&page[start..start + len].replace("<\\/", "</"))
        .expect("the embedded block is JSON")
}

/// `name="value"` of every element whose tag text contains `marker`.
fn attrs<'a>(page: &'a str, marker: &str, names: &[&str]) -> Vec<Vec<&'a str>> {
    page.match_indices(marker)
        .map(|(i, _)| {
            let from = page[..i].rfind('<').unwrap_or(0);
            let to = i + page[i..].find('>').unwrap_or(0);
            let tag = &page[from..to];
            names
                .iter()
                .map(|n| {
                    let key = format!(" {n}=\"");
                    tag.find(&key)
                        .map(|k| {
                            let v = &tag[k + key.len()..];
                            &v[..v.find('"').unwrap_or(v.len())]
                        })
                        .unwrap_or("")
                })
                .collect()
        })
        .collect()
}

fn field<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| &v[k])
}

#[test]
fn the_page_embeds_the_json_report_and_shows_its_numbers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("report.html");
    let out = tidegate(&[
        "backtest",
        "--policy",
        "policies/estate.yaml",
        "--metrics",
        "policies/traces",
        "--json",
        "--html",
        html.to_str().expect("utf-8 path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let page = std::fs::read_to_string(&html).expect("the page is written");
    assert_eq!(embedded(&page), json, "the page carries the --json report");

    // Self-contained: nothing to fetch.
    for needle in ["http://", "https://", "src=", "<link"] {
        let outside = page.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside.contains(needle), "the page fetches {needle}");
    }

    // Totals shown are the JSON's.
    let totals = attrs(&page, "data-total=", &["data-total", "data-value"]);
    assert!(totals.len() >= 6, "totals tagged: {totals:?}");
    for t in &totals {
        let want = field(&json["totals"], t[0]).as_f64().expect("a number");
        let shown: f64 = t[1].parse().expect("a number shown");
        assert!((want - shown).abs() < 0.005, "{}: {shown} vs {want}", t[0]);
    }

    // Every chart draws points, as many as the JSON's series has.
    let ids: Vec<&str> = json["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    let charts = page.matches(r#"<figure class="chart""#).count();
    assert!(
        charts > ids.len(),
        "a chart per resource and more: {charts}"
    );
    let series = attrs(&page, r#"class="series""#, &["data-series", "data-n"]);
    assert!(series.len() >= charts, "every chart has a series");
    assert!(
        series
            .iter()
            .all(|s| s[1].parse::<usize>().is_ok_and(|n| n > 0))
    );
    let counted = |v: &Value| {
        v.as_array()
            .map_or(0, |a| a.iter().filter(|x| !x.is_null()).count())
    };
    let cost_points = counted(&json["series"]["cost"]["tidegate_usd"]);
    assert!(cost_points > 100, "the cost line has points: {cost_points}");
    let drawn: Vec<_> = series
        .iter()
        .filter(|s| s[0] == "cost.tidegate_usd")
        .collect();
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0][1].parse::<usize>().ok(), Some(cost_points));
    // Per resource, in page order: its utilisation series has the JSON's points.
    let util: Vec<_> = series
        .iter()
        .filter(|s| s[0] == "utilisation_percent")
        .collect();
    let traced: Vec<&Value> = json["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| !r["trace"].is_null())
        .collect();
    assert_eq!(util.len(), traced.len());
    for (s, r) in util.iter().zip(&traced) {
        let want = counted(&r["series"]["utilisation_percent"]);
        assert_eq!(s[1].parse::<usize>().ok(), Some(want), "{}", r["id"]);
    }
    // The breaches the JSON lists are shaded, the actions marked.
    let breaches: usize = traced
        .iter()
        .map(|r| r["series"]["breaches"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(page.matches(r#"class="breach""#).count(), breaches);
    let actions = json["totals"]["actions"]["taken"].as_u64().unwrap_or(0) as usize;
    assert_eq!(page.matches(r#"<path class="action""#).count(), actions);
}

#[test]
fn the_series_end_at_the_report_figures() {
    let r = shipped();
    let s = &r.series;
    assert!(s.at.len() <= tidegate::backtest::report::MAX_POINTS);
    assert_eq!(
        s.cost.tidegate_usd.last(),
        Some(&r.totals.cost.tidegate_usd)
    );
    assert_eq!(
        s.cost.static_peak_usd.last(),
        Some(&r.totals.cost.static_peak_usd)
    );
    for res in &r.resources {
        let rs = &res.series;
        assert_eq!(rs.cost.tidegate_usd.len(), s.at.len(), "{}", res.id);
        assert_eq!(rs.cost.tidegate_usd.last(), Some(&res.cost.tidegate_usd));
        assert_eq!(
            rs.cost.static_peak_usd.last(),
            Some(&res.cost.static_peak_usd)
        );
        if let Some(slo) = &res.slo {
            let shaded: usize = rs.breaches.iter().map(|b| b.intervals).sum();
            assert_eq!(shaded, slo.tidegate.intervals, "{}", res.id);
        }
        assert!(!rs.held.is_empty(), "{}", res.id);
        assert_eq!(rs.on_demand_percent.is_some(), res.spot_mix.is_some());
    }
    for (b, line) in s.budgets.iter().zip(&r.budgets.periods) {
        let peak = b
            .forecast_percent
            .iter()
            .flatten()
            .fold(0.0_f64, |a, v| a.max(*v));
        assert_eq!(peak, line.peak_forecast_percent, "{}", b.period);
    }
}
