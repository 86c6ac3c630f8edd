//! Plans built by hand, for tests that drive `act` directly.

use chrono::Utc;
use tidegate::act::{self, Pace, Report};
use tidegate::estate::Estate;
use tidegate::observe::Ports;
use tidegate::plan::{Action, Plan};
use tidegate::policy::Policy;

/// A plan of just `actions`, decided now, outside any emergency.
pub fn plan_of(actions: Vec<Action>) -> Plan {
    Plan {
        at: Utc::now(),
        actions,
        profiles: Default::default(),
        budget: Vec::new(),
        emergency: false,
        notes: Vec::new(),
        prices: String::new(),
        policy_hash: String::new(),
    }
}

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
