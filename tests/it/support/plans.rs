//! Changes built by hand, for tests that drive `act` directly.

use tidegate::act::{self, Pace, Report};
use tidegate::estate::Estate;
use tidegate::observe::Ports;
use tidegate::plan::Action;
use tidegate::policy::Policy;

/// Carries out each of `actions` through the step the runner takes per
/// action ([`act::apply_action`]), against `fresh` (an observation taken
/// just before): for tests of one kind's `act` with changes the decision
/// would not make (the runner decides again, so they never reach it).
pub async fn act_each(
    actions: Vec<Action>,
    policy: &Policy,
    ports: Ports<'_>,
    fresh: &Estate,
    pace: Pace,
) -> Vec<Report> {
    let mut reports = Vec::new();
    for action in actions {
        let outcome = act::apply_action(&action, policy, ports, fresh, pace).await;
        reports.push(Report { action, outcome });
    }
    reports
}
