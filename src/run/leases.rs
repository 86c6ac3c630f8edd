//! A run's leases: taken on the resources it will change, renewed by a
//! heartbeat while it acts, given back at its end.
//!
//! [`LostLeases`]: the leases a run found lost. A heartbeat that cannot renew a lease
//! (it lapsed, and another run took it over) says so here, and the acting
//! code asks before each action and each step: a resource whose lease is
//! lost is another run's now, so nothing more is started on it.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{RunError, RunReport, Runner, clock};

impl Runner<'_> {
    /// Takes the lease of each resource in `wanted`; the ones another run
    /// holds are left to it (said so in the notes, and listed in
    /// [`RunReport::left_to_others`]).
    pub(super) async fn take_leases(
        &self,
        wanted: &BTreeSet<String>,
        now: DateTime<Utc>,
        started: Instant,
        report: &mut RunReport,
    ) -> Result<BTreeSet<String>, RunError> {
        let mut leased = BTreeSet::new();
        let at = clock(now, started);
        for id in wanted {
            if self
                .ledger
                .take_lease(id, self.holder, at, at + self.settings.lease)
                .await?
            {
                leased.insert(id.clone());
            } else {
                report.notes.push(format!(
                    "{id}: another run holds its lease; its changes are left undone, to that run"
                ));
                report.left_to_others.push(id.clone());
            }
        }
        Ok(leased)
    }

    /// Runs `work` while renewing `leased` every quarter lease, so a run
    /// that acts for longer than one lease keeps its leases (and a run
    /// that dies stops renewing them: they lapse within one lease). A lease
    /// found lost (it lapsed and another run took it) goes into `lost`.
    pub(super) async fn with_heartbeat<T>(
        &self,
        leased: &BTreeSet<String>,
        now: DateTime<Utc>,
        started: Instant,
        lost: &LostLeases,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let every = (self.settings.lease / 4)
            .to_std()
            .unwrap_or(Duration::from_secs(30))
            .max(Duration::from_millis(10));
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                () = tokio::time::sleep(every), if !leased.is_empty() => {
                    self.renew_leases(leased, clock(now, started), lost).await;
                }
            }
        }
    }

    /// One heartbeat: extends each lease still held to `at` + one lease.
    pub(super) async fn renew_leases(
        &self,
        leased: &BTreeSet<String>,
        at: DateTime<Utc>,
        lost: &LostLeases,
    ) {
        for id in leased {
            if lost.lease_still_held(id).is_err() {
                continue;
            }
            match self
                .ledger
                .take_lease(id, self.holder, at, at + self.settings.lease)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    lost.lose(id);
                    tracing::warn!(
                        resource = %id,
                        holder = self.holder,
                        "Lease lost: another run took it over after it lapsed; nothing more is started on it."
                    );
                }
                Err(e) => tracing::warn!(
                    resource = %id,
                    error = %e,
                    "Lease not renewed; tried again at the next heartbeat."
                ),
            }
        }
    }

    /// Gives the leases back. One that cannot be released expires on its
    /// own: said in `notes` rather than failing the run.
    pub(super) async fn release_leases(&self, leased: &BTreeSet<String>, notes: &mut Vec<String>) {
        for id in leased {
            if let Err(e) = self.ledger.release_lease(id, self.holder).await {
                notes.push(format!(
                    "{id}: lease not released ({e}); it expires by itself"
                ));
            }
        }
    }
}

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
