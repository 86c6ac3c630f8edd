//! The report as text for people: a header that says what was assumed, a
//! summary table with a totals row, then one block per resource. Pure:
//! report in, string out.

use std::fmt::Write as _;

use super::mapping::ValueKind;
use super::report::{
    ActionCounts, Breaches, CostCompare, Report, ResourceReport, SpotMixReport, WarningsReport,
};
use crate::policy::Direction;

/// The report as text.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    header(&mut out, r);
    table(&mut out, r);
    for res in &r.resources {
        block(&mut out, res, r.slo_percent, r.spot_warnings.is_some());
    }
    budgets(&mut out, r);
    out
}

fn header(out: &mut String, r: &Report) {
    let p = &r.period;
    let _ = writeln!(
        out,
        "tidegate backtest · estate {} · policy {} · mapping {}",
        r.estate, r.policy, r.mapping
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Period      {} → {} UTC · {} · {} decisions, one every {} min",
        p.start.format("%a %Y-%m-%d %H:%M"),
        p.end.format("%a %Y-%m-%d %H:%M"),
        if p.hours >= 48.0 {
            format!("{} days", p.days)
        } else {
            format!("{} h", p.hours)
        },
        thousands(p.decisions as u64),
        p.step_minutes
    );
    if p.missing_intervals > 0 {
        let _ = writeln!(
            out,
            "Missing     {} intervals ({} h) fall in trace gaps longer than the limit: no data, so no decisions and no cost there (in neither column)",
            thousands(p.missing_intervals as u64),
            tenths_text(p.missing_intervals as f64 * p.step_minutes as f64 / 60.0)
        );
    }
    let _ = writeln!(
        out,
        "SLO         utilisation above {}% of capacity is a breach",
        r.slo_percent
    );
    wrapped(out, "Prices", &r.price_source);
    wrapped(out, "Costs", &r.cost_model);
    wrapped(out, "Baseline", &r.baseline);
    for (i, line) in r.load_model.iter().enumerate() {
        wrapped(
            out,
            if i == 0 { "Load model" } else { "" },
            &format!("- {line}"),
        );
    }
    match &r.spot_warnings {
        Some(w) => spot_warnings(out, w),
        None => wrapped(
            out,
            "Spot",
            "no interruption trace: every Auto Scaling group keeps its workload class's own mix",
        ),
    }
    let _ = writeln!(out);
}

fn spot_warnings(out: &mut String, w: &WarningsReport) {
    let mut text = format!("{} (from {}", w.file, w.given_by);
    if w.shift_weeks != 0 {
        let _ = write!(text, ", moved {:+} weeks", w.shift_weeks);
    }
    text.push(')');
    if let Some(note) = &w.note {
        let _ = write!(text, ": {note}");
    }
    wrapped(out, "Spot", &text);
    let classes: Vec<String> = w
        .classes
        .iter()
        .map(|c| {
            let groups = if c.groups.is_empty() {
                "no group".to_owned()
            } else {
                c.groups.join(", ")
            };
            let seen = if c.reacts {
                format!("seen by {groups}")
            } else {
                format!("ignored: the class has no `interruptions` ({groups})")
            };
            format!(
                "{} {} ({} interruption, {} rebalance; {seen})",
                c.class,
                c.interruption + c.rebalance,
                c.interruption,
                c.rebalance
            )
        })
        .collect();
    let mut counts = format!("{} warnings: {}", w.warnings, classes.join("; "));
    if w.before_window + w.after_window > 0 {
        let _ = write!(
            counts,
            "; {} before the period (history), {} after it (never seen)",
            w.before_window, w.after_window
        );
    }
    if w.duplicates + w.out_of_order > 0 {
        let _ = write!(
            counts,
            "; {} repeated rows counted once, {} out of order (sorted)",
            w.duplicates, w.out_of_order
        );
    }
    wrapped(out, "", &counts);
    wrapped(out, "", &w.alignment);
}

/// Header text width.
const WIDTH: usize = 100;

/// `label` in a 12-column margin, then `text` wrapped at [`WIDTH`] with
/// continuation lines under it.
fn wrapped(out: &mut String, label: &str, text: &str) {
    wrap(out, "", label, 12, text);
}

/// `indent`, then `label` padded to `width`, then `text` wrapped at
/// [`WIDTH`] with continuation lines under it.
fn wrap(out: &mut String, indent: &str, label: &str, width: usize, text: &str) {
    let margin = indent.chars().count() + width;
    let mut line = format!("{indent}{label:<width$}");
    let mut empty = true;
    for word in text.split(' ') {
        let len = line.chars().count();
        if !empty && len + 1 + word.chars().count() > WIDTH {
            let _ = writeln!(out, "{line}");
            // Continuation of a bullet lines up with its text.
            let indent = if text.starts_with("- ") {
                margin + 2
            } else {
                margin
            };
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    let _ = writeln!(out, "{line}");
}

fn table(out: &mut String, r: &Report) {
    let mut rows: Vec<Vec<String>> = vec![
        [
            "resource",
            "kind",
            "tidegate",
            "static peak",
            "savings",
            "",
            "SLO breaches",
            "actions",
            "refused",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for res in &r.resources {
        let (bt, bs) = res
            .slo
            .map(|s| (Some(s.tidegate), Some(s.static_peak)))
            .unwrap_or((None, None));
        rows.push(row(
            &res.id,
            res.kind.as_str(),
            &res.cost,
            bt,
            bs,
            &res.actions,
        ));
    }
    let t = &r.totals;
    rows.push(row(
        "TOTAL",
        "",
        &t.cost,
        Some(t.slo.tidegate),
        Some(t.slo.static_peak),
        &t.actions,
    ));
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let right = [false, false, true, true, true, true, true, true, true];
    let last = rows.len() - 1;
    for (i, row) in rows.iter().enumerate() {
        if i == last {
            let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            let _ = writeln!(out, "{}", "─".repeat(total));
        }
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .zip(right)
            .map(|((cell, w), right)| {
                let pad = w.saturating_sub(cell.chars().count());
                if right {
                    format!("{}{cell}", " ".repeat(pad))
                } else {
                    format!("{cell}{}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let _ = writeln!(
        out,
        "SLO breaches: 5-minute intervals over the SLO, tidegate / static peak (— = no trace). Refused: changes a guard held back (a streak of decisions held by the same guard counts once)."
    );
    if r.spot_warnings.is_some() {
        let groups: Vec<String> = r
            .resources
            .iter()
            .filter_map(|res| {
                let m = res.spot_mix.as_ref()?;
                (m.extra_usd != 0.0).then(|| format!("{} {}", res.id, usd(m.extra_usd)))
            })
            .collect();
        let _ = writeln!(
            out,
            "Spot mix: the raised on-demand shares cost {} more than the same capacity at each class's own mix{}.",
            usd(r.totals.spot_mix_extra_usd),
            if groups.is_empty() {
                String::new()
            } else {
                format!(" ({})", groups.join(", "))
            }
        );
    }
    let _ = writeln!(out);
}

fn row(
    id: &str,
    kind: &str,
    cost: &CostCompare,
    tidegate: Option<Breaches>,
    static_peak: Option<Breaches>,
    actions: &ActionCounts,
) -> Vec<String> {
    let breaches = match (tidegate, static_peak) {
        (Some(t), Some(s)) => format!("{} / {}", t.intervals, s.intervals),
        _ => "—".to_owned(),
    };
    vec![
        id.to_owned(),
        kind.to_owned(),
        usd(cost.tidegate_usd),
        usd(cost.static_peak_usd),
        usd(cost.savings_usd),
        cost.savings_percent
            .map(|p| format!("{p:.1}%"))
            .unwrap_or_default(),
        breaches,
        actions.taken.to_string(),
        actions.refused.to_string(),
    ]
}

fn block(out: &mut String, res: &ResourceReport, slo_percent: f64, warned: bool) {
    let _ = writeln!(out, "{} ({})", res.id, res.kind);
    let line = |out: &mut String, label: &str, text: String| {
        wrap(out, "  ", label, 13, &text);
    };
    match &res.trace {
        Some(t) => {
            let mut what = format!("{} as {}", t.file, t.metric);
            if t.values == ValueKind::Count {
                let _ = write!(
                    what,
                    " (a count: its peak of {} is {}% at the start)",
                    t.count_peak.map(|p| format!("{p}")).unwrap_or_default(),
                    t.peak_percent.unwrap_or_default()
                );
            }
            if t.shift_weeks != 0 {
                let _ = write!(
                    what,
                    ", moved {:+} week{}",
                    t.shift_weeks,
                    if t.shift_weeks.abs() == 1 { "" } else { "s" }
                );
            }
            line(out, "trace", what);
            let mut data = t.quality_text.clone();
            if t.points_outside_window > 0 {
                let _ = write!(
                    data,
                    "; {} points outside the common window not replayed",
                    thousands(t.points_outside_window as u64)
                );
            }
            line(out, "data", data);
        }
        None => line(
            out,
            "trace",
            "none: held at its start, still costed and scheduled".to_owned(),
        ),
    }
    let ranges: Vec<String> = res
        .visited
        .iter()
        .map(|k| {
            if k.low == k.high {
                format!("{} held", k.low)
            } else {
                format!("{} … {}", k.low, k.high)
            }
        })
        .collect();
    line(
        out,
        "settings",
        format!(
            "start {}; visited {}; end {}",
            res.start,
            ranges.join(", "),
            res.end
        ),
    );
    line(out, "static peak", res.static_peak.clone());
    let c = &res.cost;
    line(
        out,
        "cost",
        format!(
            "{} with tidegate vs {} static peak: {} {}",
            usd(c.tidegate_usd),
            usd(c.static_peak_usd),
            if c.savings_usd >= 0.0 {
                "saves"
            } else {
                "costs more by"
            },
            match c.savings_percent {
                Some(p) => format!("{} ({:.1}%)", usd(c.savings_usd.abs()), p.abs()),
                None => usd(c.savings_usd.abs()),
            }
        ),
    );
    if let Some(s) = &res.slo {
        line(
            out,
            "SLO",
            format!(
                "tidegate {} over {slo_percent}% (peak {}); static peak {}",
                breaches(s.tidegate),
                s.tidegate_peak_percent
                    .map(|p| format!("{p}%"))
                    .unwrap_or_else(|| "unbounded".to_owned()),
                breaches(s.static_peak)
            ),
        );
    }
    let a = &res.actions;
    let mut acts = format!(
        "{} taken ({} up, {} down, {} reconfigured)",
        a.taken, a.up, a.down, a.reconfigured
    );
    if a.refused > 0 {
        let by: Vec<String> = a
            .refused_by_guard
            .iter()
            .map(|(g, n)| format!("{g} {n}"))
            .collect();
        let _ = write!(
            acts,
            "; {} refused: {} (held back in {} decisions)",
            a.refused,
            by.join(", "),
            thousands(a.refused_decisions as u64)
        );
    } else {
        acts.push_str("; none refused");
    }
    line(out, "actions", acts);
    if a.at_ceiling + a.at_floor > 0 {
        let stay = |n: usize, d: usize, words: &str| {
            format!("{words} {n} time(s), {} decisions", thousands(d as u64))
        };
        let mut parts = Vec::new();
        if a.at_ceiling > 0 {
            parts.push(stay(a.at_ceiling, a.at_ceiling_decisions, "at ceiling"));
        }
        if a.at_floor > 0 {
            parts.push(stay(a.at_floor, a.at_floor_decisions, "at floor"));
        }
        line(
            out,
            "at limit",
            format!(
                "{} (a rule still firing at the end of the range; not refusals)",
                parts.join("; ")
            ),
        );
    }
    if let Some(m) = res.spot_mix.as_ref().filter(|m| warned && m.reacts) {
        spot_mix(out, m);
    }
    if let Some(step) = &res.largest_step {
        line(
            out,
            "largest step",
            format!(
                "{} on {} ({})",
                step.change,
                step.at.format("%a %Y-%m-%d %H:%M"),
                step.cause
            ),
        );
    }
    for n in &res.action_notes {
        line(out, "ops note", format!("{}× {}", n.actions, n.note));
    }
    for note in &res.notes {
        line(out, "note", note.clone());
    }
    for from in crate::plan::priced_from(&res.priced_from) {
        line(out, "priced from", from);
    }
    let _ = writeln!(out);
}

/// Changes listed in the text before the rest are left to `--json`.
const MIX_CHANGES_SHOWN: usize = 12;

fn spot_mix(out: &mut String, m: &SpotMixReport) {
    let line = |out: &mut String, label: &str, text: String| {
        wrap(out, "  ", label, 13, &text);
    };
    let (ups, downs) = m
        .changes
        .iter()
        .fold((0, 0), |(u, d), c| match c.direction {
            Some(Direction::Up) => (u + 1, d),
            Some(Direction::Down) => (u, d + 1),
            None => (u, d),
        });
    let levels: Vec<String> = m
        .time_at
        .iter()
        .map(|l| format!("{}% for {}", l.on_demand_percent, hours(l.hours)))
        .collect();
    let seen = match m.warnings_seen {
        Some(n) => format!("{n} warnings of class {}", m.class),
        None => format!("no warnings for class {}", m.class),
    };
    line(
        out,
        "spot mix",
        format!(
            "{seen}; on-demand share (above the base) {}% (class) … {}% (ceiling): {ups} raised, {downs} back; {}; average {}%",
            m.class_on_demand_percent,
            m.ceiling_on_demand_percent,
            levels.join(", "),
            m.average_on_demand_percent
        ),
    );
    for c in m.changes.iter().take(MIX_CHANGES_SHOWN) {
        let mut text = format!(
            "{}  {}% → {}%",
            c.at.format("%a %Y-%m-%d %H:%M"),
            c.from_percent,
            c.to_percent
        );
        if !c.added_types.is_empty() {
            let _ = write!(text, " (+{})", c.added_types.join(", +"));
        }
        if !c.removed_types.is_empty() {
            let _ = write!(text, " (−{})", c.removed_types.join(", −"));
        }
        // The plan's reason without the share it already shows.
        let why = c
            .reason
            .split(": on-demand share")
            .next()
            .unwrap_or_default();
        let _ = write!(text, ": {why}");
        line(out, "mix change", text);
    }
    if m.changes.len() > MIX_CHANGES_SHOWN {
        line(
            out,
            "",
            format!(
                "… {} more changes (--json lists them all)",
                m.changes.len() - MIX_CHANGES_SHOWN
            ),
        );
    }
    if !m.refused_by_guard.is_empty() {
        let by: Vec<String> = m
            .refused_by_guard
            .iter()
            .map(|(g, n)| format!("{g} {n}"))
            .collect();
        line(out, "mix held", format!("by {}", by.join(", ")));
    }
    line(
        out,
        "mix cost",
        format!(
            "{} more than the same capacity at the class's {}% ({}) for {} above it",
            usd(m.extra_usd),
            m.class_on_demand_percent,
            usd(m.class_mix_usd),
            hours(m.raised_hours)
        ),
    );
}

/// `3.5 h`.
fn hours(h: f64) -> String {
    format!("{h} h")
}

fn budgets(out: &mut String, r: &Report) {
    if r.budgets.periods.is_empty() {
        return;
    }
    let parts: Vec<String> = r
        .budgets
        .periods
        .iter()
        .map(|b| {
            format!(
                "{} {} peaked at {}%",
                b.period,
                usd(b.limit_usd),
                b.peak_forecast_percent
            )
        })
        .collect();
    wrapped(
        out,
        "Budgets",
        &format!(
            "forecast from the run's own spend and run-rate: {}; emergency profile in force for {} decisions",
            parts.join(", "),
            r.budgets.emergency_decisions
        ),
    );
}

fn breaches(b: Breaches) -> String {
    match b.intervals {
        0 => "0 intervals".to_owned(),
        1 => format!("1 interval ({} min)", b.minutes),
        n => format!(
            "{n} intervals ({} min)",
            thousands(b.minutes.unsigned_abs())
        ),
    }
}

/// `$1,234.56`.
pub fn usd(v: f64) -> String {
    let cents = (v.abs() * 100.0).round() as u64;
    let sign = if v < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", thousands(cents / 100), cents % 100)
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `x` to one decimal, for a person.
fn tenths_text(x: f64) -> String {
    format!("{:.1}", (x * 10.0).round() / 10.0)
}
