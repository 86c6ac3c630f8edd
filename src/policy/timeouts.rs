//! How long tidegate waits for AWS: the validated `guardrails.timeouts`.

use std::time::Duration;

use super::Span;
use super::raw::TimeoutsSpec;
use super::validate::Ctx;

/// Limits on waiting, validated: `connect` ≤ `read` ≤ `attempt` ≤ `call`
/// ≤ `run`, each within its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a connection.
    pub connect: Span,
    /// Waiting for the next bytes of an answer.
    pub read: Span,
    /// One attempt of a call.
    pub attempt: Span,
    /// One call, retries included.
    pub call: Span,
    /// A whole run.
    pub run: Span,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Span::from_secs(5),
            read: Span::from_secs(30),
            attempt: Span::from_secs(40),
            call: Span::from_mins(2),
            run: Span::from_mins(30),
        }
    }
}

impl Timeouts {
    /// Each limit as a std duration: (connect, read, attempt, call, run).
    pub fn durations(&self) -> [Duration; 5] {
        [self.connect, self.read, self.attempt, self.call, self.run]
            .map(|s| Duration::from_secs(s.as_secs()))
    }
}

/// `guardrails.timeouts` → [`Timeouts`], each field bounded and in order.
pub(crate) fn check(cx: &mut Ctx<'_>, spec: Option<&TimeoutsSpec>) -> Timeouts {
    let d = Timeouts::default();
    let Some(spec) = spec else {
        return d;
    };
    let t = Timeouts {
        connect: spec.connect.unwrap_or(d.connect),
        read: spec.read.unwrap_or(d.read),
        attempt: spec.attempt.unwrap_or(d.attempt),
        call: spec.call.unwrap_or(d.call),
        run: spec.run.unwrap_or(d.run),
    };
    let s = Span::from_secs;
    let fields = [
        ("connect", t.connect, s(1), s(60), "`1s` to `1m`"),
        ("read", t.read, s(1), s(300), "`1s` to `5m`"),
        ("attempt", t.attempt, s(1), s(600), "`1s` to `10m`"),
        ("call", t.call, s(1), s(900), "`1s` to `15m`"),
        ("run", t.run, s(60), s(6 * 3600), "`1m` to `6h`"),
    ];
    let mut in_range = true;
    for (name, value, low, high, range) in fields {
        if value < low || value > high {
            in_range = false;
            cx.at(
                &format!("guardrails.timeouts.{name}"),
                format!("{name} timeout {value} is out of range"),
                format!("a span from {range}"),
            );
        }
    }
    if in_range {
        for pair in fields.windows(2) {
            let ((shorter, a, ..), (longer, b, ..)) = (pair[0], pair[1]);
            if a > b {
                cx.at(
                    &format!("guardrails.timeouts.{shorter}"),
                    format!("{shorter} timeout {a} is longer than the {longer} timeout {b}"),
                    format!("at most the {longer} timeout ({b})"),
                );
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load_str;

    fn with(timeouts: &str) -> String {
        format!(
            "version: 1\nestate: t\nguardrails:\n  max_actions_per_hour: 5\n  oscillation_window: 1h\n{timeouts}resources: []\n"
        )
    }

    #[test]
    fn absent_timeouts_are_the_defaults_and_given_ones_are_kept() {
        let p = load_str(&with(""), "t.yaml").expect("valid");
        assert_eq!(p.guardrails.timeouts, Timeouts::default());
        let p = load_str(
            &with("  timeouts: { connect: 2s, read: 10s, call: 1m, run: 10m }\n"),
            "t.yaml",
        )
        .expect("valid");
        let t = p.guardrails.timeouts;
        assert_eq!(
            t.durations().map(|d| d.as_secs()),
            [2, 10, 40, 60, 600],
            "attempt keeps its default"
        );
    }

    #[test]
    fn a_timeout_out_of_bounds_or_out_of_order_is_refused_with_its_path() {
        for (text, path, phrase) in [
            (
                "  timeouts: { connect: 0s }\n",
                "guardrails.timeouts.connect",
                "out of range",
            ),
            (
                "  timeouts: { run: 1d }\n",
                "guardrails.timeouts.run",
                "out of range",
            ),
            (
                "  timeouts: { call: 20m }\n",
                "guardrails.timeouts.call",
                "out of range",
            ),
            (
                "  timeouts: { read: 1m, attempt: 30s }\n",
                "guardrails.timeouts.read",
                "longer than the attempt timeout 30s",
            ),
            (
                "  timeouts: { call: 10m, run: 5m }\n",
                "guardrails.timeouts.call",
                "longer than the run timeout 5m",
            ),
        ] {
            let Err(e) = load_str(&with(text), "t.yaml") else {
                panic!("{text} should be refused");
            };
            assert_eq!(e.problems.len(), 1, "{text}: {e}");
            assert_eq!(e.problems[0].path, path, "{text}: {e}");
            assert!(e.problems[0].message.contains(phrase), "{text}: {e}");
        }
    }
}
