//! Integration tests, one binary (as cargo's testsuite). One module per
//! concern; fixtures in `tests/fixtures/`.

mod backtest;
mod decide_invariants;
mod guards;
mod policy_files;
mod schedule;
