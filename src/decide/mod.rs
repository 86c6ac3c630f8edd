//! The decision core. Pure: same inputs, same [`Plan`]. No clock, no I/O, no
//! async: every input is a parameter, so every decision can be tested and
//! replayed.

use chrono::{DateTime, Utc};

use crate::estate::Estate;
use crate::ledger::History;
use crate::plan::Plan;
use crate::policy::Policy;
use crate::pricing::PriceBook;
use crate::signals::Signals;

/// Everything a decision depends on.
pub struct Inputs<'a> {
    /// The validated policy.
    pub policy: &'a Policy,
    /// The observed estate.
    pub estate: &'a Estate,
    /// Alarm states, metrics, spend.
    pub signals: &'a Signals,
    /// What was done before.
    pub history: &'a History,
    /// Prices.
    pub prices: &'a dyn PriceBook,
    /// The instant to decide for.
    pub now: DateTime<Utc>,
}

/// Decides what should change now, and what the guards hold back.
pub fn decide(inputs: &Inputs<'_>) -> Plan {
    Plan {
        at: inputs.now,
        actions: Vec::new(),
        profiles: Default::default(),
        budget: Vec::new(),
    }
}
