//! The one path for tests: `tidegate plan` and `apply` as the CLI runs them,
//! through [`Runner`] over a memory ledger.

use chrono::{DateTime, Utc};
use tidegate::ledger::MemoryLedger;
use tidegate::observe::Ports;
use tidegate::plan::Plan;
use tidegate::policy::Policy;
use tidegate::pricing::PriceBook;
use tidegate::run::{RunReport, Runner, Settings, Trigger};

/// A policy, its ports and prices, and a ledger that lives as long as this.
pub struct OnePath<'a> {
    /// The policy.
    pub policy: &'a Policy,
    /// The services.
    pub ports: Ports<'a>,
    /// Prices.
    pub prices: &'a dyn PriceBook,
    /// What the runs recorded.
    pub ledger: MemoryLedger,
}

impl<'a> OnePath<'a> {
    /// A fresh, empty ledger.
    pub fn new(policy: &'a Policy, ports: Ports<'a>, prices: &'a dyn PriceBook) -> Self {
        OnePath {
            policy,
            ports,
            prices,
            ledger: MemoryLedger::default(),
        }
    }

    fn runner(&self) -> Runner<'_> {
        Runner {
            policy: self.policy,
            ports: self.ports,
            ledger: &self.ledger,
            notify: None,
            prices: self.prices,
            holder: "test-run",
            settings: Settings::default(),
        }
    }

    /// `tidegate plan` at `now`.
    pub async fn plan(&self, now: DateTime<Utc>) -> Plan {
        self.runner()
            .preview(&Trigger::cli("tidegate plan", None), now)
            .await
            .unwrap_or_else(|e| panic!("plan failed: {e}"))
    }

    /// `tidegate apply` of `plan`'s planned changes at `now`: decided again,
    /// and carried out as far as the decision still makes them.
    pub async fn apply(&self, plan: &Plan, now: DateTime<Utc>) -> RunReport {
        let approved = plan.planned().cloned().collect();
        self.runner()
            .run(&Trigger::cli("tidegate apply", Some(approved)), now)
            .await
            .unwrap_or_else(|e| panic!("apply failed: {e}"))
    }
}
