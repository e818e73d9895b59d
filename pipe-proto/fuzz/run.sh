#!/usr/bin/env bash
# Fuzzes every target of pipe-proto for SECONDS seconds each (default 60), on the stable
# toolchain without sanitizers (`-s none`), and fails on the first crash, panic or hang.
#
#   pipe-proto/fuzz/run.sh 60
#
# The committed seed corpus (corpus/<target>/) is read, never written: new inputs go to a scratch
# directory that is removed afterwards. A crashing input is kept in artifacts/<target>/; replay it
# with `cargo fuzz run -s none <target> artifacts/<target>/<file>`.
set -euo pipefail

seconds=${1:-60}
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for target in $(cargo fuzz list); do
    mkdir -p "$scratch/$target"
    echo "== fuzzing $target for ${seconds}s"
    # -timeout: an input that runs for 10 s is a hang, reported as a failure like a crash.
    log="$scratch/$target.log"
    status=0
    cargo fuzz run -s none "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log"
        echo "== $target FAILED (exit status $status); the input is in $(pwd)/artifacts/$target/" >&2
        exit "$status"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "== $target: ${runs:-?} runs in ${seconds}s, about $(( ${runs:-0} / seconds )) runs/s"
done
