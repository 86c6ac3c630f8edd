//! faults: the fault-injection rounds (issue 12, "How it is checked").
//! `tidegate apply` runs as a child process against a fault proxy in front
//! of moto (`tests/faults/proxy.py`: answers lost after moto carried the call
//! out, resets, delays, 5xx, throttling, by a seeded schedule) on a small
//! estate, killed with SIGKILL at chosen points; after every round the
//! invariants are checked against what moto shows. Each scenario reports
//! its figures: rounds, runs, kills, invariant violations, crashes, ledger
//! corruptions. More rounds and other mixes: `tests/faults/run.sh` and the
//! variables in tests/README.md.

mod driver;
mod estate;
pub(crate) mod proxy;
mod self_test;

use driver::{Mix, Scenario, run_scenario};

fn scenario(name: &'static str, seed: u64, rounds: u32, mix: Mix) -> Scenario {
    Scenario {
        name,
        seed: driver::env_u64("TIDEGATE_FAULT_SEED").unwrap_or(seed),
        rounds: driver::env_u64("TIDEGATE_FAULT_ROUNDS")
            .and_then(|r| u32::try_from(r).ok())
            .unwrap_or(rounds),
        mix,
    }
}

/// Runs one scenario and asserts its invariants: no violation, no crash,
/// no ledger corruption.
async fn check(s: Scenario) {
    let figures = run_scenario(&s).await;
    eprintln!("{}", figures.report(&s));
    assert!(figures.clean(), "{}", figures.report(&s));
}

#[tokio::test]
async fn calm_rounds_keep_every_invariant() {
    check(scenario("calm", 11, 4, Mix::default())).await;
}

#[tokio::test]
async fn throttling_5xx_resets_and_delays_are_ridden_out() {
    let mix =
        Mix::parse("throttle=0.12,status5xx=0.08,reset=0.05,delay=0.08,delay_ms=150").expect("mix");
    check(scenario("transient", 12, 4, mix)).await;
}

#[tokio::test]
async fn answers_lost_after_aws_acted_are_recorded_as_applied() {
    let mix = Mix::parse("drop=0.35,mutating_only=1").expect("mix");
    check(scenario("lost_answers", 13, 4, mix)).await;
}

#[tokio::test]
async fn a_run_killed_after_a_change_is_taken_over_by_the_next() {
    let mix = Mix::parse("kill=1,kill_mode=after").expect("mix");
    check(scenario("kill_after_call", 14, 3, mix)).await;
}

#[tokio::test]
async fn a_run_killed_before_a_change_leaves_nothing_half_done() {
    let mix = Mix::parse("kill=1,kill_mode=before").expect("mix");
    check(scenario("kill_before_call", 15, 3, mix)).await;
}

#[tokio::test]
async fn a_writer_resize_killed_between_any_two_steps_ends_with_one_writer() {
    // The provisioned cluster's writer, up then down then up, each resize
    // killed once its K-th call is carried out (K = the round: after the
    // new writer's creation, after the failover, after the retirement).
    let mix = Mix::parse("kill=1,kill_mode=after,kill_at=round,only=faults-prov").expect("mix");
    check(scenario("writer_resize_killed", 16, 3, mix)).await;
}

/// `TIDEGATE_FAULT_MIX=...` (see tests/README.md): a mix of your own; does
/// nothing without it.
#[tokio::test]
async fn a_mix_from_the_environment() {
    let Ok(text) = std::env::var("TIDEGATE_FAULT_MIX") else {
        return;
    };
    let mix = Mix::parse(&text).unwrap_or_else(|e| panic!("TIDEGATE_FAULT_MIX: {e}"));
    check(scenario("custom", 1, 10, mix)).await;
}
