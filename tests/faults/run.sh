#!/bin/sh
# More fault rounds than CI runs: every scenario of tests/it/fault_rounds for
# each seed, then the figures. See tests/README.md ("Fault rounds").
#
#   tests/faults/run.sh                       # seeds 1-5, 10 rounds each
#   SEEDS="7 8" ROUNDS=30 tests/faults/run.sh
#   MIX="drop=0.1,reset=0.05,throttle=0.1,kill=0.5" tests/faults/run.sh   # only your mix
#
# Exit status: 0 when every run scenario kept every invariant, else 1.
set -u
cd "$(dirname "$0")/../.."
SEEDS=${SEEDS:-"1 2 3 4 5"}
ROUNDS=${ROUNDS:-10}
filter=fault_rounds::
if [ -n "${MIX:-}" ]; then
    filter=fault_rounds::a_mix_from_the_environment
fi
log=$(mktemp)
status=0
for seed in $SEEDS; do
    env TIDEGATE_FAULT_SEED="$seed" TIDEGATE_FAULT_ROUNDS="$ROUNDS" \
        ${MIX:+"TIDEGATE_FAULT_MIX=$MIX"} \
        cargo test --workspace --test it -- --nocapture --test-threads 2 "$filter" >"$log" 2>&1 \
        || status=1
    grep -E '^(fault_rounds |  round |test result)' "$log"
done
rm -f "$log"
exit $status
