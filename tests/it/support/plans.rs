//! Plans built by hand, for tests that drive `act` directly.

use chrono::Utc;
use tidegate::plan::{Action, Plan};

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
