//! The file ledger: concurrent writers, the journal, compaction, torn lines.

use super::*;
use crate::estate::Setting;
use crate::ledger::{EventRef, LoggedOutcome, LoggedStatus};
use crate::plan::{Action, Cause};
use crate::policy::{Direction, KnobName, ResourceKind};

fn entry(identifier: &str, holder: &str, at: DateTime<Utc>) -> LogEntry {
    let action = Action {
        policy_id: identifier.to_owned(),
        identifier: identifier.to_owned(),
        kind: ResourceKind::RdsInstance,
        knob: KnobName::InstanceClass,
        from: Setting::Class("db.r6g.large".to_owned()),
        to: Setting::Class("db.r6g.xlarge".to_owned()),
        direction: Some(Direction::Up),
        cause: Cause::Rule {
            rule: "cpu".to_owned(),
            alarm: "cpu".to_owned(),
            critical: false,
        },
        reason: "cpu high".to_owned(),
        cost_delta_per_hour: None,
        refused: None,
        notes: Vec::new(),
        prices: Vec::new(),
    };
    let event = EventRef {
        source: "cli".to_owned(),
        id: None,
        summary: "tidegate apply".to_owned(),
    };
    LogEntry::intent(&action, &event, holder, at)
}

/// Eight "processes" (each its own `FileLedger` on one file, as two
/// `tidegate apply` would be) write at once: every record of every one
/// is there afterwards, and the file is whole. Before the lock, each
/// kept its own copy and the last writer's copy won.
#[test]
fn concurrent_writers_on_one_file_lose_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.json");
    let now = Utc::now();
    let (writers, each) = (8, 12);
    std::thread::scope(|scope| {
        for w in 0..writers {
            let path = path.clone();
            scope.spawn(move || {
                let ledger = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open");
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let holder = format!("cli-{w}");
                    for i in 0..each {
                        let id = format!("db-{w}-{i}");
                        let at = now + TimeDelta::milliseconds(i);
                        let until = at + TimeDelta::minutes(1);
                        assert!(
                            ledger
                                .take_lease(&id, &holder, at, until)
                                .await
                                .expect("lease")
                        );
                        let e = entry(&id, &holder, at);
                        ledger.record_intent(&e).await.expect("intent");
                        let done = e.finished(LoggedOutcome {
                            at,
                            status: LoggedStatus::Applied,
                            detail: "ModifyDBInstance".to_owned(),
                            reconciled: false,
                        });
                        ledger.record_outcome(&done).await.expect("outcome");
                        ledger.release_lease(&id, &holder).await.expect("release");
                    }
                });
            });
        }
    });
    let state = load(&path).expect("the file is a whole ledger");
    assert_eq!(state.log.len(), writers * each as usize, "log entries");
    assert!(state.log.values().all(|e| e.outcome.is_some()));
    assert_eq!(
        state.actions.len(),
        writers * each as usize,
        "cooldown clocks"
    );
    assert!(state.leases.is_empty(), "{:?}", state.leases);
    assert!(!sidecar(&path, "tmp").exists(), "no temporary file left");
}

#[test]
fn a_change_is_written_through_and_read_by_another_opener() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sub").join("ledger.json");
    let now = Utc::now();
    let a = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open a");
    let b = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open b");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let until = now + TimeDelta::minutes(2);
        assert!(a.take_lease("db", "a", now, until).await.expect("a"));
        assert!(
            !b.take_lease("db", "b", now, until).await.expect("b"),
            "b sees a's lease"
        );
    });
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

fn applied(e: &LogEntry) -> LogEntry {
    e.finished(LoggedOutcome {
        at: e.intent_at,
        status: LoggedStatus::Applied,
        detail: "ModifyDBInstance".to_owned(),
        reconciled: false,
    })
}

/// Issue 14: a record costs one appended line, whatever the ledger's
/// size; the base file is not rewritten.
#[test]
fn a_record_appends_one_line_and_leaves_the_base_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.json");
    let now = Utc::now();
    let mut big = LedgerState::default();
    for i in 0..2000 {
        big.record(&applied(&entry(
            &format!("db-{i}"),
            "old",
            now - TimeDelta::minutes(1),
        )));
    }
    save(&path, &big).expect("save");
    let before = stamp(&path).expect("stamp");
    let ledger = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open");
    runtime()
        .block_on(ledger.record_intent(&entry("new-db", "cli-1", now)))
        .expect("intent");
    assert_eq!(
        stamp(&path).expect("stamp"),
        before,
        "the base is untouched"
    );
    let journal = std::fs::read_to_string(sidecar(&path, "journal")).expect("journal");
    assert_eq!(journal.lines().count(), 1, "{journal}");
    assert!(
        journal.len() < 4096,
        "one short line: {} bytes",
        journal.len()
    );
    assert_eq!(load(&path).expect("load").log.len(), 2001);
}

#[test]
fn the_journal_is_compacted_into_the_base_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.json");
    let now = Utc::now();
    let ledger = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open");
    let rt = runtime();
    for i in 0..300 {
        let e = entry(
            &format!("db-{i}"),
            "cli-1",
            now + TimeDelta::milliseconds(i),
        );
        rt.block_on(ledger.record_intent(&e)).expect("intent");
        rt.block_on(ledger.record_outcome(&applied(&e)))
            .expect("outcome");
    }
    let journal = std::fs::metadata(sidecar(&path, "journal"))
        .expect("journal")
        .len();
    let base = std::fs::metadata(&path).expect("base").len();
    assert!(base > 0, "compacted at least once");
    assert!(
        journal <= base.max(COMPACT_AFTER_BYTES) + 4096,
        "{journal} > {base}"
    );
    let state = load(&path).expect("load");
    assert_eq!(state.log.len(), 300);
    assert!(state.log.values().all(|e| e.outcome.is_some()));
    assert_eq!(state.actions.len(), 300);
    // Another opener (another process) reads the same.
    let other = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open");
    let log = rt
        .block_on(other.log_since(now - TimeDelta::minutes(1), now))
        .expect("log");
    assert_eq!(log.len(), 300);
}

#[test]
fn a_torn_last_line_is_ignored_and_cut_before_the_next_append() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.json");
    let now = Utc::now();
    let rt = runtime();
    let ledger = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open");
    rt.block_on(ledger.record_intent(&entry("a", "cli-1", now)))
        .expect("intent");
    // A process died in the middle of its append.
    let mut journal = OpenOptions::new()
        .append(true)
        .open(sidecar(&path, "journal"))
        .expect("journal");
    journal
        .write_all(br#"{"op":"record","entry":{"id":"2026"#)
        .expect("torn");
    drop(journal);
    assert_eq!(load(&path).expect("load").log.len(), 1, "torn line ignored");
    let next = FileLedger::open(&path, now, TimeDelta::days(30)).expect("open");
    rt.block_on(next.record_intent(&entry("b", "cli-2", now)))
        .expect("intent");
    let text = std::fs::read_to_string(sidecar(&path, "journal")).expect("journal");
    assert_eq!(text.lines().count(), 2, "{text}");
    assert_eq!(load(&path).expect("load").log.len(), 2);
}
