//! Integration tests, one binary (as cargo's testsuite). One module per
//! concern; fixtures in `tests/fixtures/`.

mod backtest;
mod decide_aurora;
mod decide_aurora_pause;
mod decide_aurora_stop;
mod decide_invariants;
mod elasticache_node_types;
pub(crate) mod fault_rounds;
mod fleet;
mod guards;
mod policy_files;
mod recheck;
mod schedule;
mod spot_invariants;

// The fakes: what a failed call did, read back (12.14).
mod act_readback;

// Against moto server (AWS protocol), see tests/README.md.
mod aws_autoscaling;
mod aws_behaviour;
mod aws_cloudwatch;
mod aws_cost;
mod aws_elasticache;
mod aws_estate;
mod aws_faults;
mod aws_kafka;
mod aws_ledger;
mod aws_notify;
mod aws_pricing;
mod aws_rds;
mod aws_s3;
mod aws_timeouts;
mod aws_valkey;
mod cli_apply;
mod cli_ledger;
mod cli_output;
mod cli_prices;
mod cli_record;
mod lambda;
mod ledger_runs;
mod support;
