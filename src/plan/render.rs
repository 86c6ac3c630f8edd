//! A plan as an operator reads it, in the manner of `terraform plan`: each
//! resource, from → to, the reason, the cost change per hour and per month,
//! and what a guard held back with the guard's name.

use std::fmt::Write as _;

use super::{Action, BudgetLevel, Guard, Plan, PriceUsed};
use crate::pricing::HOURS_PER_MONTH;
use crate::pricing::Origin;

/// Renders `plan` for a terminal. `estate` names the estate in the header.
pub fn render(plan: &Plan, estate: &str) -> String {
    let mut out = header(plan, estate);
    for action in plan.planned() {
        action_block(&mut out, action, "~");
    }
    for action in plan.refused() {
        action_block(&mut out, action, "!");
    }
    footer(&mut out, plan);
    out
}

/// Renders `plan` in summary, for an estate too big to read change by
/// change: identical changes (same kind, knob, from, to, cause and guard)
/// on one line with their count, e.g. `~ 150 × rds_instance instance_class
/// db.r6g.xlarge → db.r6g.large (schedule office/off_hours)`. The totals,
/// budget, notes and prices are as in [`render`].
pub fn render_compact(plan: &Plan, estate: &str) -> String {
    let mut out = header(plan, estate);
    for group in groups(plan) {
        let a = group.first;
        let mark = if a.refused.is_some() { "!" } else { "~" };
        let held = a
            .refused
            .as_ref()
            .map(|r| format!("  held by {}", r.guard))
            .unwrap_or_default();
        let cost = match group.cost {
            Some(total) if group.count > 1 => format!(
                "{}/h each, {}/h in all",
                signed_exact(total / group.count as f64),
                signed_exact(total)
            ),
            Some(total) => format!("{}/h", signed_exact(total)),
            None => "not priced".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {mark} {} × {} {}: {} → {} ({}): {cost}{held}",
            group.count,
            a.kind,
            a.knob,
            a.from,
            a.to,
            a.cause.label()
        );
    }
    if !plan.actions.is_empty() {
        out.push('\n');
    }
    footer(&mut out, plan);
    out
}

/// Changes alike but for the resource, in plan order.
struct Group<'a> {
    first: &'a Action,
    count: usize,
    /// The group's cost change per hour; None when one is not priced.
    cost: Option<f64>,
}

/// The plan's actions grouped, planned first, each group where its first
/// action stands.
fn groups(plan: &Plan) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for a in plan.planned().chain(plan.refused()) {
        let key = format!(
            "{}|{}|{}|{}|{}|{:?}",
            a.kind,
            a.knob,
            a.from,
            a.to,
            a.cause.label(),
            a.refused.as_ref().map(|r| r.guard)
        );
        match index.get(&key) {
            Some(&i) => {
                let g = &mut out[i];
                g.count += 1;
                g.cost = g.cost.zip(a.cost_delta_per_hour).map(|(x, y)| x + y);
            }
            None => {
                index.insert(key, out.len());
                out.push(Group {
                    first: a,
                    count: 1,
                    cost: a.cost_delta_per_hour,
                });
            }
        }
    }
    out
}

/// The lines above the changes.
fn header(plan: &Plan, estate: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tidegate plan · estate {estate} · {}",
        plan.at.format("%a %Y-%m-%d %H:%M UTC")
    );
    if plan.emergency {
        out.push_str("BUDGET EMERGENCY: the emergency profile is in force (scale-downs only)\n");
    }
    out.push('\n');

    if plan.actions.is_empty() && plan.at_limit.is_empty() {
        out.push_str("No changes. Every managed resource matches its policy.\n");
    } else if plan.actions.is_empty() {
        out.push_str("No changes: what a rule asks for is past the end of its range (below).\n");
    }
    out
}

/// The totals, budget, notes and prices below the changes.
fn footer(out: &mut String, plan: &Plan) {
    let planned = plan.planned().count();
    let refused = plan.refused().count();
    let by_limit = plan
        .refused()
        .filter(|a| {
            a.refused
                .as_ref()
                .is_some_and(|r| r.guard == Guard::RateLimit)
        })
        .count();
    // Say how many the hourly limit held: a big plan cut short by it reads
    // differently from one held by safety guards.
    let by_limit = if by_limit > 0 {
        format!(" ({by_limit} of them by the hourly limit, rate_limit)")
    } else {
        String::new()
    };
    let delta = plan.cost_delta_per_hour();
    let _ = writeln!(
        out,
        "Plan: {planned} to change, {refused} held back by a guard{by_limit}. Cost change if applied: {}/h ({}/month).",
        signed_exact(delta),
        signed(delta * HOURS_PER_MONTH)
    );
    let unpriced = plan
        .planned()
        .filter(|a| a.cost_delta_per_hour.is_none())
        .count();
    if unpriced > 0 {
        let _ = writeln!(out, "  ({unpriced} planned change(s) could not be priced)");
    }
    // A state, not a refusal: said once per knob, with when it began.
    if !plan.at_limit.is_empty() {
        let _ = writeln!(
            out,
            "At the end of their range ({}; a rule still fires, nothing can move; not counted as refusals):",
            plan.at_limit.len()
        );
        for a in &plan.at_limit {
            let _ = writeln!(out, "  = {}", a.line());
        }
    }
    for s in &plan.budget {
        let level = match s.level {
            BudgetLevel::Ok => "ok",
            BudgetLevel::Warn => "WARN",
            BudgetLevel::Emergency => "EMERGENCY",
        };
        let _ = writeln!(
            out,
            "Budget {}: spent ${:.2}, forecast ${:.2} of ${:.2} ({:.0}%, {level})",
            s.period, s.actual_usd, s.forecast_usd, s.limit_usd, s.forecast_percent
        );
        for source in &s.sources {
            let _ = writeln!(out, "  from {source}");
        }
    }
    for note in &plan.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if !plan.prices.is_empty() {
        let _ = writeln!(out, "Prices: {}", plan.prices);
    }
}

fn action_block(out: &mut String, a: &Action, mark: &str) {
    let who = if a.identifier == a.policy_id {
        a.identifier.clone()
    } else {
        format!("{} ({})", a.identifier, a.policy_id)
    };
    let held = a
        .refused
        .as_ref()
        .map(|r| format!("  held by {}", r.guard))
        .unwrap_or_default();
    let _ = writeln!(out, "  {mark} {who} [{}]{held}", a.kind);
    let _ = writeln!(out, "      {}: {} → {}", a.knob, a.from, a.to);
    let _ = writeln!(out, "      reason: {}", a.reason);
    match a.cost_delta_per_hour {
        Some(d) => {
            let _ = writeln!(
                out,
                "      cost: {}/h ({}/month)",
                signed_exact(d),
                signed(d * HOURS_PER_MONTH)
            );
        }
        None => out.push_str("      cost: not priced\n"),
    }
    for line in priced_from(&a.prices) {
        let _ = writeln!(out, "      priced from: {line}");
    }
    if let Some(r) = &a.refused {
        let _ = writeln!(out, "      guard {}: {}", r.guard, r.why);
    }
    for note in a.notes.iter().filter(|n| !n.starts_with("not priced")) {
        let _ = writeln!(out, "      note: {note}");
    }
    out.push('\n');
}

/// One line per source and date: `Pricing API, as of 2026-11-01:
/// rds db.r6g.large postgresql single-az $0.225/h, ...`.
pub(crate) fn priced_from(prices: &[PriceUsed]) -> Vec<String> {
    let mut groups: Vec<((Origin, &str), Vec<String>)> = Vec::new();
    for p in prices {
        let unit = p.unit.strip_prefix("USD/").unwrap_or(&p.unit);
        let unit = if unit == "hour" { "h" } else { unit };
        let item = format!("{} ${}/{unit}", p.price, p.usd);
        let at = (p.origin, p.as_of.as_str());
        match groups.iter_mut().find(|(k, _)| *k == at) {
            Some((_, items)) => items.push(item),
            None => groups.push((at, vec![item])),
        }
    }
    groups
        .into_iter()
        .map(|((origin, as_of), items)| format!("{origin}, as of {as_of}: {}", items.join(", ")))
        .collect()
}

/// `+$1.23` / `-$0.45`. A sum of nothing is -0.0 in Rust, and a delta
/// that rounds to zero is shown as `+$0.00`, never `+$-0.00`.
fn signed(usd: f64) -> String {
    if usd <= -0.005 {
        format!("-${:.2}", -usd)
    } else {
        format!("+${:.2}", usd.max(0.0))
    }
}

/// `signed` to the tenth of a cent where a price has one (`-$0.225`), so
/// that one change's figure times the number of changes is the total shown
/// (150 × −$0.225 = −$33.75; rounded to −$0.23 it would not be).
fn signed_exact(usd: f64) -> String {
    let text = signed(usd);
    let mills = (usd.abs() * 1000.0).round();
    if usd.abs() < 0.0005 || mills % 10.0 == 0.0 {
        return text;
    }
    let sign = if usd < 0.0 { "-" } else { "+" };
    format!("{sign}${:.3}", mills / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::{signed, signed_exact};

    #[test]
    fn a_change_shows_the_tenth_of_a_cent_its_price_has() {
        assert_eq!(signed_exact(-0.225), "-$0.225");
        assert_eq!(signed_exact(0.45 - 0.225), "+$0.225");
        assert_eq!(signed_exact(-0.23), "-$0.23");
        assert_eq!(signed_exact(1.5), "+$1.50");
        assert_eq!(signed_exact(-0.0), "+$0.00");
        assert_eq!(signed_exact(-0.0001), "+$0.00");
        // 150 of them add up to the total the plan prints.
        assert_eq!(signed(150.0 * -0.225), "-$33.75");
    }

    #[test]
    fn signed_amounts_never_read_plus_minus() {
        assert_eq!(signed(1.234), "+$1.23");
        assert_eq!(signed(-0.45), "-$0.45");
        assert_eq!(signed(-0.0), "+$0.00");
        assert_eq!(signed(-0.001), "+$0.00");
        assert_eq!(signed(std::iter::empty::<f64>().sum()), "+$0.00");
    }
}
