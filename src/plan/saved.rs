//! A plan saved by `tidegate plan --out` and read back by `apply --plan`.
//!
//! The file is a proposal, not an order: it names the changes an operator
//! looked at, nothing more. Before anything acts on it, it must be young
//! enough ([`crate::policy::Guardrails::max_plan_age`]) and made for this
//! very policy (its [`policy_hash`]); then the engine decides again
//! ([`crate::decide::recheck`]) and only what that decision allows runs.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest as _, Sha256};

use super::Plan;
use crate::policy::{Policy, Span};

/// The largest plan file read: a plan of every knob of a large estate is a
/// few hundred kilobytes.
pub const MAX_SAVED_PLAN_BYTES: u64 = 16 * 1024 * 1024;

/// How far in the future a plan's date may lie (clocks of two machines
/// differ a little; more is an edited file).
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(1);

/// The hash of a validated policy, `sha256:` and 64 hex digits. Taken over
/// the validated model, so comments and layout do not count, and any
/// change to a field that decides (bounds, floors, guardrails, schedules,
/// budgets, prices, resources) gives another hash.
pub fn policy_hash(policy: &Policy) -> String {
    // Warnings carry file positions: they follow the layout, not the policy.
    let mut policy = policy.clone();
    policy.warnings.clear();
    let digest = Sha256::digest(format!("{policy:?}").as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Why a saved plan is refused whole.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    /// The file could not be read.
    #[error("cannot read {file}: {source}")]
    Read {
        /// The file.
        file: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file, or too large to be a plan.
    #[error("{file} is not a plan file: {why}")]
    NotAFile {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
    /// The JSON is not a plan.
    #[error("{file} is not a plan saved by `tidegate plan --out`: {source}")]
    Parse {
        /// The file.
        file: String,
        /// Where and why.
        #[source]
        source: serde_json::Error,
    },
    /// The plan was decided under another policy (or carries no hash).
    #[error(
        "the plan was made for another policy (plan: {planned}; policy now: {current}); run `tidegate plan` again"
    )]
    OtherPolicy {
        /// The hash in the plan, or a word on its absence.
        planned: String,
        /// The current policy's hash.
        current: String,
    },
    /// The plan is older than `guardrails.max_plan_age`.
    #[error(
        "the plan was decided at {at}, {age} ago; guardrails.max_plan_age is {limit}; run `tidegate plan` again"
    )]
    TooOld {
        /// When it was decided.
        at: DateTime<Utc>,
        /// How long ago.
        age: Span,
        /// The policy's limit.
        limit: Span,
    },
    /// The plan is dated in the future.
    #[error("the plan is dated {at}, {ahead} from now; run `tidegate plan` again")]
    FromTheFuture {
        /// Its date.
        at: DateTime<Utc>,
        /// How far ahead.
        ahead: Span,
    },
}

/// Reads the plan in `path`: a regular file of at most
/// [`MAX_SAVED_PLAN_BYTES`], parsed as JSON. Says nothing yet about whether
/// it may be acted on: see [`check_saved`].
pub fn read_saved(path: &Path) -> Result<Plan, SavedPlanError> {
    let file = path.display().to_string();
    let read = |source| SavedPlanError::Read {
        file: file.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(SavedPlanError::NotAFile {
            file,
            why: "not a regular file".to_owned(),
        });
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(read)?
        .take(MAX_SAVED_PLAN_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read)?;
    if text.len() as u64 > MAX_SAVED_PLAN_BYTES {
        return Err(SavedPlanError::NotAFile {
            file,
            why: format!("larger than {MAX_SAVED_PLAN_BYTES} bytes"),
        });
    }
    serde_json::from_str(&text).map_err(|source| SavedPlanError::Parse { file, source })
}

/// Whether `plan` may be considered at all at `now`: made for `policy`
/// (same [`policy_hash`]) and not older than its
/// `guardrails.max_plan_age`. A plan that passes is still only a proposal.
pub fn check_saved(plan: &Plan, policy: &Policy, now: DateTime<Utc>) -> Result<(), SavedPlanError> {
    let current = policy_hash(policy);
    if plan.policy_hash != current {
        let planned = if plan.policy_hash.is_empty() {
            "no policy hash".to_owned()
        } else {
            plan.policy_hash.clone()
        };
        return Err(SavedPlanError::OtherPolicy { planned, current });
    }
    let age = now - plan.at;
    if age < -CLOCK_SKEW {
        return Err(SavedPlanError::FromTheFuture {
            at: plan.at,
            ahead: span_of(-age),
        });
    }
    let limit = policy.guardrails.max_plan_age;
    if age > limit.to_chrono() {
        return Err(SavedPlanError::TooOld {
            at: plan.at,
            age: span_of(age),
            limit,
        });
    }
    Ok(())
}

/// Whole seconds of a non-negative `d` (saturating).
fn span_of(d: TimeDelta) -> Span {
    Span::from_secs(u64::try_from(d.num_seconds()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "version: 1\nestate: t\nguardrails: { max_actions_per_hour: 4, oscillation_window: 1h, max_plan_age: 10m }\nresources:\n  - { id: db, kind: rds_instance, identifier: db, engine: postgres, instance_class: { ladder: [db.r6g.large, db.r6g.xlarge] } }\n";

    fn policy(text: &str) -> Policy {
        crate::policy::load_str(text, "p.yaml").expect("valid policy")
    }

    fn plan_for(policy: &Policy, at: DateTime<Utc>) -> Plan {
        Plan {
            at,
            actions: Vec::new(),
            profiles: Default::default(),
            budget: Vec::new(),
            emergency: false,
            notes: Vec::new(),
            prices: String::new(),
            policy_hash: policy_hash(policy),
            at_limit: Vec::new(),
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-12-03T10:00:00Z".parse().expect("instant")
    }

    #[test]
    fn the_hash_follows_the_policy_not_its_layout() {
        let a = policy(POLICY);
        let relaid = policy(&format!("# a comment\n{POLICY}"));
        let other = policy(&POLICY.replace("db.r6g.xlarge", "db.r6g.2xlarge"));
        assert_eq!(policy_hash(&a), policy_hash(&relaid));
        assert_ne!(policy_hash(&a), policy_hash(&other));
        assert!(policy_hash(&a).starts_with("sha256:"));
        assert_eq!(policy_hash(&a).len(), 7 + 64);
    }

    #[test]
    fn a_young_plan_for_this_policy_passes() {
        let p = policy(POLICY);
        let plan = plan_for(&p, now() - TimeDelta::minutes(9));
        assert!(check_saved(&plan, &p, now()).is_ok());
    }

    #[test]
    fn a_plan_older_than_max_plan_age_is_refused() {
        let p = policy(POLICY);
        let plan = plan_for(&p, now() - TimeDelta::minutes(11));
        let err = check_saved(&plan, &p, now()).expect_err("too old");
        assert!(matches!(err, SavedPlanError::TooOld { .. }), "{err}");
        assert!(err.to_string().contains("max_plan_age is 10m"), "{err}");
        let ancient = plan_for(&p, DateTime::UNIX_EPOCH);
        assert!(matches!(
            check_saved(&ancient, &p, now()),
            Err(SavedPlanError::TooOld { .. })
        ));
    }

    #[test]
    fn a_plan_dated_in_the_future_is_refused() {
        let p = policy(POLICY);
        let plan = plan_for(&p, now() + TimeDelta::hours(1));
        assert!(matches!(
            check_saved(&plan, &p, now()),
            Err(SavedPlanError::FromTheFuture { .. })
        ));
    }

    #[test]
    fn a_plan_for_another_policy_or_without_a_hash_is_refused() {
        let p = policy(POLICY);
        let other = policy(&POLICY.replace("max_actions_per_hour: 4", "max_actions_per_hour: 40"));
        let plan = plan_for(&other, now());
        assert!(matches!(
            check_saved(&plan, &p, now()),
            Err(SavedPlanError::OtherPolicy { .. })
        ));
        let mut bare = plan_for(&p, now());
        bare.policy_hash.clear();
        let err = check_saved(&bare, &p, now()).expect_err("no hash");
        assert!(err.to_string().contains("no policy hash"), "{err}");
    }

    #[test]
    fn max_plan_age_defaults_to_15m_and_is_bounded_at_validation() {
        let bare = POLICY.replace(", max_plan_age: 10m", "");
        assert_eq!(policy(&bare).guardrails.max_plan_age, Span::from_mins(15));
        for bad in ["0m", "30s", "2d"] {
            let text = POLICY.replace("max_plan_age: 10m", &format!("max_plan_age: {bad}"));
            let err = crate::policy::load_str(&text, "p.yaml").expect_err(bad);
            assert!(
                err.to_string().contains("guardrails.max_plan_age"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_directory_is_not_a_plan() {
        let err = read_saved(Path::new("/")).expect_err("a directory");
        assert!(matches!(err, SavedPlanError::NotAFile { .. }), "{err}");
    }
}
