//! Every run ends by a deadline: the policy's `guardrails.timeouts.run`
//! from its start, or the caller's (a Lambda's own deadline less a margin),
//! whichever comes first. A run cut short answers [`RunError::Deadline`];
//! the intent it wrote before an unfinished call is settled by the next
//! run, as a dead run's is.

use std::future::Future;
use std::time::{Duration, Instant};

use super::RunError;

/// When a run started at `started` must end: `limit` after it, or
/// `caller`'s deadline if that is sooner.
pub(super) fn deadline(started: Instant, limit: Duration, caller: Option<Instant>) -> Instant {
    let own = started + limit;
    caller.map_or(own, |c| c.min(own))
}

/// How long before a run's end its acting stops, so that the run still
/// gives its leases and its event claim back.
const GRACE: Duration = Duration::from_secs(5);

/// When acting stops in a run started at `started` that must end at
/// `end`: [`GRACE`] before, or a quarter of the run's time in a short one.
pub(super) fn before(started: Instant, end: Instant) -> Instant {
    let grace = GRACE.min(end.saturating_duration_since(started) / 4);
    end.checked_sub(grace).unwrap_or(end)
}

/// `work`, or [`RunError::Deadline`] once `deadline` passes.
pub(super) async fn bounded<T>(
    started: Instant,
    deadline: Instant,
    work: impl Future<Output = Result<T, RunError>>,
) -> Result<T, RunError> {
    match tokio::time::timeout_at(deadline.into(), work).await {
        Ok(done) => done,
        Err(_) => Err(RunError::Deadline {
            after: deadline.saturating_duration_since(started),
        }),
    }
}

/// A duration as a person reads it: the nearest second, or milliseconds
/// under one.
pub(super) fn shown(d: &Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{} s", (ms + 500) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sooner_deadline_wins() {
        let t = Instant::now();
        let limit = Duration::from_secs(60);
        assert_eq!(deadline(t, limit, None), t + limit);
        let lambda = t + Duration::from_secs(5);
        assert_eq!(deadline(t, limit, Some(lambda)), lambda);
        let later = t + Duration::from_secs(600);
        assert_eq!(deadline(t, limit, Some(later)), t + limit);
        // Acting stops 5 s before the end, or a quarter earlier in a short run.
        assert_eq!(before(t, t + limit), t + Duration::from_secs(55));
        assert_eq!(
            before(t, t + Duration::from_secs(4)),
            t + Duration::from_secs(3)
        );
    }

    #[tokio::test]
    async fn work_that_never_ends_stops_at_the_deadline() {
        let started = Instant::now();
        let end = started + Duration::from_millis(50);
        let never = std::future::pending::<Result<(), RunError>>();
        let out = bounded(started, end, never).await;
        assert!(matches!(out, Err(RunError::Deadline { .. })), "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let msg = out.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.starts_with("the run's deadline passed after 50 ms"),
            "{msg}"
        );
    }
}
