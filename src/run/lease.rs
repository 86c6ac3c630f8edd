//! The leases a run found lost. A heartbeat that cannot renew a lease
//! (it lapsed, and another run took it over) says so here, and the acting
//! code asks before each action and each step: a resource whose lease is
//! lost is another run's now, so nothing more is started on it.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// The resources whose leases this run lost, shared between the heartbeat
/// and the work it guards.
#[derive(Debug, Default)]
pub(super) struct LostLeases(Mutex<BTreeSet<String>>);

impl LostLeases {
    /// Marks `identifier`'s lease lost.
    pub(super) fn lose(&self, identifier: &str) {
        self.lock().insert(identifier.to_owned());
    }

    /// Ok while this run still holds `identifier`'s lease (as far as its
    /// heartbeat knows); otherwise why nothing more may start on it.
    pub(super) fn lease_still_held(&self, identifier: &str) -> Result<(), String> {
        if self.lock().contains(identifier) {
            Err(format!(
                "not started: the lease on {identifier} was lost to another run (it lapsed and was taken over)"
            ))
        } else {
            Ok(())
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // A poisoned lock only means a panic elsewhere; the set is whole.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
