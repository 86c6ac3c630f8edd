//! The report as one self-contained HTML page (`tidegate backtest
//! --html FILE`): inline SVG drawn here, a little inline script for hover
//! and a self-check, no network. Pure: report in, string out.
//!
//! Every number drawn comes from the [`Report`] itself, and the page
//! embeds the report as JSON (`<script type="application/json"
//! id="report-data">`, the same document `--json` prints), so a test (or a
//! reader) can compare what is shown with it: each total shown carries
//! `data-total` (its field under `totals`) and `data-value`, each drawn
//! series `data-series` (its field) and `data-n` (its points).
//!
//! The folder: `svg.rs` the drawing kit, `resource.rs` the per-resource
//! charts and action tables, `estate.rs` cost and budget charts.

mod estate;
mod resource;
mod svg;

use std::fmt::Write as _;

use self::svg::{esc, usd};
use super::Report;

/// The page for `r`. Fails only if the report cannot be written as JSON.
pub fn page(r: &Report) -> Result<String, serde_json::Error> {
    // `</` inside the JSON would end the script element early.
    let json = serde_json::to_string(r)?.replace("</", "<\\/");
    let mut out = String::with_capacity(json.len() * 2 + 64 * 1024);
    let _ = write!(
        out,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>tidegate backtest · {estate}</title><style>{STYLE}</style></head><body>"#,
        estate = esc(&r.estate),
    );
    header(&mut out, r);
    totals(&mut out, r);
    out.push_str("<h2>Cost over time</h2>");
    estate::cost(&mut out, r);
    if !r.series.budgets.is_empty() {
        out.push_str("<h2>Budget standing</h2>");
        estate::budgets(&mut out, r);
    }
    for res in &r.resources {
        resource::section(&mut out, r, res);
    }
    prices(&mut out, r);
    let _ = write!(
        out,
        r#"<script type="application/json" id="report-data">{json}</script><script>{SCRIPT}</script></body></html>"#
    );
    Ok(out)
}

fn header(out: &mut String, r: &Report) {
    let p = &r.period;
    let _ = write!(
        out,
        "<header><h1>tidegate backtest · {}</h1><dl class=\"assumptions\">",
        esc(&r.estate)
    );
    let row = |out: &mut String, k: &str, v: &str| {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), v);
    };
    row(
        out,
        "Files",
        &format!("policy {} · mapping {}", esc(&r.policy), esc(&r.mapping)),
    );
    row(
        out,
        "Period",
        &format!(
            "{} → {} UTC · {} days · {} decisions, one every {} min{}",
            p.start.format("%a %Y-%m-%d %H:%M"),
            p.end.format("%a %Y-%m-%d %H:%M"),
            p.days,
            p.decisions,
            p.step_minutes,
            if p.missing_intervals > 0 {
                format!(
                    " · {} intervals missing (trace gaps: no decisions, no cost)",
                    p.missing_intervals
                )
            } else {
                String::new()
            }
        ),
    );
    row(
        out,
        "SLO",
        &format!(
            "utilisation above {}% of capacity is a breach",
            r.slo_percent
        ),
    );
    row(out, "Prices", &esc(&r.price_source));
    row(out, "Costs", &esc(&r.cost_model));
    row(out, "Baseline", &esc(&r.baseline));
    let model: String = r
        .load_model
        .iter()
        .map(|l| format!("<li>{}</li>", esc(l)))
        .collect();
    row(out, "Load model", &format!("<ul>{model}</ul>"));
    let spot = match &r.spot_warnings {
        Some(w) => format!(
            "{} (from {}{}): {} warnings{}",
            esc(&w.file),
            esc(&w.given_by),
            if w.shift_weeks != 0 {
                format!(", moved {:+} weeks", w.shift_weeks)
            } else {
                String::new()
            },
            w.warnings,
            w.note
                .as_deref()
                .map(|n| format!(" · {}", esc(n)))
                .unwrap_or_default()
        ),
        None => {
            "no interruption trace: every Auto Scaling group keeps its workload class's own mix"
                .to_owned()
        }
    };
    row(out, "Spot", &spot);
    let quality: String = r
        .resources
        .iter()
        .filter_map(|res| {
            let t = res.trace.as_ref()?;
            let notes: String = res.notes.iter().map(|n| format!("; {}", esc(n))).collect();
            Some(format!(
                "<li>{} ← {} ({}): {}{notes}</li>",
                esc(&res.id),
                esc(&t.file),
                esc(&t.metric),
                esc(&t.quality_text)
            ))
        })
        .collect();
    row(out, "Data quality", &format!("<ul>{quality}</ul>"));
    out.push_str("</dl></header>");
}

/// The summary table: per resource, then the totals (each total tagged
/// with its field, so it can be checked against the JSON).
fn totals(out: &mut String, r: &Report) {
    out.push_str("<h2>Summary</h2><table class=\"totals\"><thead><tr><th>resource</th><th>tidegate USD</th><th>static peak USD</th><th>savings USD</th><th>savings %</th><th>breaches tidegate</th><th>breaches static</th><th>actions</th><th>refused</th></tr></thead><tbody>");
    for res in &r.resources {
        let (bt, bs) = res
            .slo
            .as_ref()
            .map_or(("–".to_owned(), "–".to_owned()), |s| {
                (
                    s.tidegate.intervals.to_string(),
                    s.static_peak.intervals.to_string(),
                )
            });
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{bt}</td><td class=\"n\">{bs}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&res.id),
            usd(res.cost.tidegate_usd),
            usd(res.cost.static_peak_usd),
            usd(res.cost.savings_usd),
            res.cost
                .savings_percent
                .map_or("–".to_owned(), |p| format!("{p}")),
            res.actions.taken,
            res.actions.refused,
        );
    }
    let t = &r.totals;
    let cell = |field: &str, value: f64, shown: String| {
        format!(r#"<td class="n" data-total="{field}" data-value="{value}">{shown}</td>"#)
    };
    let _ = write!(
        out,
        "<tr class=\"sum\"><th>total</th>{}{}{}{}{}{}{}{}</tr></tbody></table>",
        cell(
            "cost.tidegate_usd",
            t.cost.tidegate_usd,
            usd(t.cost.tidegate_usd)
        ),
        cell(
            "cost.static_peak_usd",
            t.cost.static_peak_usd,
            usd(t.cost.static_peak_usd)
        ),
        cell(
            "cost.savings_usd",
            t.cost.savings_usd,
            usd(t.cost.savings_usd)
        ),
        t.cost
            .savings_percent
            .map_or("<td>–</td>".to_owned(), |p| cell(
                "cost.savings_percent",
                p,
                format!("{p}")
            )),
        cell(
            "slo.tidegate.intervals",
            t.slo.tidegate.intervals as f64,
            t.slo.tidegate.intervals.to_string()
        ),
        cell(
            "slo.static_peak.intervals",
            t.slo.static_peak.intervals as f64,
            t.slo.static_peak.intervals.to_string()
        ),
        cell(
            "actions.taken",
            t.actions.taken as f64,
            t.actions.taken.to_string()
        ),
        cell(
            "actions.refused",
            t.actions.refused as f64,
            t.actions.refused.to_string()
        ),
    );
    if t.spot_mix_extra_usd != 0.0 {
        let _ = write!(
            out,
            "<p>The raised on-demand shares cost {} USD over every group.</p>",
            usd(t.spot_mix_extra_usd)
        );
    }
    for b in &r.budgets.periods {
        let _ = write!(
            out,
            "<p>{} budget {} USD: highest forecast {}% of the limit.</p>",
            b.period,
            usd(b.limit_usd),
            b.peak_forecast_percent
        );
    }
    if r.budgets.emergency_decisions > 0 {
        let _ = write!(
            out,
            "<p>The emergency profile was in force for {} decisions.</p>",
            r.budgets.emergency_decisions
        );
    }
}

/// Every price the replay's costs used, each with its source and date.
fn prices(out: &mut String, r: &Report) {
    let mut seen = std::collections::BTreeMap::new();
    for p in r.resources.iter().flat_map(|res| &res.priced_from) {
        seen.entry(p.price.clone()).or_insert(p);
    }
    out.push_str("<h2>Prices used</h2><table class=\"prices\"><thead><tr><th>price</th><th>USD</th><th>unit</th><th>source</th><th>as of</th></tr></thead><tbody>");
    for p in seen.values() {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.price),
            p.usd,
            esc(&p.unit),
            esc(&p.source),
            esc(&p.as_of)
        );
    }
    out.push_str("</tbody></table>");
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1250px;color:#222}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}h2 small{color:#777;font-weight:normal}dl.assumptions{display:grid;grid-template-columns:9em 1fr;gap:.2em 1em}dt{font-weight:600}dd{margin:0}dd ul{margin:0;padding-left:1.2em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.sum{font-weight:600;background:#f6f6f6}tr.hl{background:#fff3c4}figure{margin:.8em 0}figcaption{color:#555;font-size:.9em}path.action{cursor:pointer}path.action:hover{stroke:#000}details table{font-size:.9em}";

/// Hover: an action marker lights its table row. Self-check: every total
/// shown equals the embedded JSON's and every chart has points; the result
/// goes into `body[data-check]` ("ok" or what differs).
const SCRIPT: &str = r#"(function(){
var r=JSON.parse(document.getElementById('report-data').textContent);
function get(o,p){return p.split('.').reduce(function(a,k){return a==null?a:a[k];},o);}
var errs=[];
document.querySelectorAll('[data-total]').forEach(function(e){
 var v=get(r.totals,e.dataset.total);
 if(typeof v!=='number'||Math.abs(v-parseFloat(e.dataset.value))>0.005){errs.push('total '+e.dataset.total+' shows '+e.dataset.value+', JSON has '+v);}
});
document.querySelectorAll('figure.chart').forEach(function(f){
 var n=0;f.querySelectorAll('path.series').forEach(function(p){n+=parseInt(p.dataset.n,10)||0;});
 if(n===0){errs.push('chart '+f.dataset.chart+' '+(f.dataset.resource||f.dataset.period||'')+' has no points');}
});
document.body.dataset.check=errs.length?errs.join('; '):'ok';
document.querySelectorAll('section.resource').forEach(function(s){
 s.querySelectorAll('path.action').forEach(function(m){
  var row=s.querySelector('tr[data-row="'+m.dataset.row+'"]');
  if(!row){return;}
  m.addEventListener('mouseenter',function(){row.classList.add('hl');});
  m.addEventListener('mouseleave',function(){row.classList.remove('hl');});
 });
});
})();"#;
