#!/usr/bin/env bash
# Mutation testing of the core: every mutant cargo-mutants makes of pipe-proto's code must be
# caught by its unit, scenario and property tests (the doc tests are left out: they take most
# of the time and add nothing the other tests do not check). Installs cargo-mutants if missing.
#
#   pipe-proto/mutants.sh            all mutants (about 20 minutes on 2 cores)
#   pipe-proto/mutants.sh --shard 0/3  a third of them
#   pipe-proto/mutants.sh --in-diff <(git diff main)  only the lines a change touched
#
# Exits non-zero if a mutant is missed or times out; the list is in mutants.out/.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo mutants --version >/dev/null 2>&1; then
    echo "installing cargo-mutants" >&2
    cargo install cargo-mutants --locked
fi
export PIPE_PROTO_CASES="${PIPE_PROTO_CASES:-64}"
# The mutated copies must build in their own directories: a shared CARGO_TARGET_DIR would leave
# a mutant's artifacts where the next build of the real tree finds them.
unset CARGO_TARGET_DIR
exec cargo mutants -p pipe-proto --timeout 60 --output target "$@" -- --lib --tests
