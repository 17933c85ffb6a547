#!/usr/bin/env bash
# Runs the sandbox tests of the `it` binary (those named `sandbox_*`) one at a time, in a
# shuffled order, on one kept sandbox, to find tests that pass only after (or before) another:
# the tests share clusters and release names, and `make test` runs them in whatever order its
# threads take the platform lock, so an order dependency shows up in CI only now and then.
#
#   tests/sandbox/shuffle.sh [SEED ...]     one pass per seed (default: one random seed)
#
# The sandbox `shuffle` is started if it is not running, and left running for the next pass
# (`tests/sandbox/sandbox down --name shuffle` stops it). Prints `ok`/`FAIL` per test, naming
# the test that ran just before a failure, keeps each failure's output in
# ${TMPDIR:-/tmp}/choreoctl-shuffle/, and exits 1 if any test failed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
name=shuffle
out=${TMPDIR:-/tmp}/choreoctl-shuffle
mkdir -p "$out"
[ $# -gt 0 ] || set -- "$RANDOM"

tests/sandbox/build.sh >/dev/null
tests/sandbox/sandbox status --name "$name" >/dev/null 2>&1 ||
  tests/sandbox/sandbox up --name "$name" >&2
cargo test --quiet --test it --no-run
tests=$(cargo test --quiet --test it -- --list 2>/dev/null | sed -n 's/^\(.*::sandbox_[^:]*\): test$/\1/p')
[ -n "$tests" ] || { echo "shuffle: no sandbox_ tests listed" >&2; exit 1; }

failed=0
for seed in "$@"; do
  echo "seed $seed: $(wc -l <<<"$tests") tests"
  previous="(none)"
  for test in $(shuf --random-source=<(yes "$seed") <<<"$tests"); do
    log=$out/$seed-${test//::/_}.log
    if CHOREOCTL_TEST_SANDBOX=$name cargo test --quiet --test it -- --exact "$test" >"$log" 2>&1; then
      echo "ok   $test"
      rm -f "$log"
    else
      echo "FAIL $test, run after $previous (output: $log)"
      failed=1
    fi
    previous=$test
  done
done
exit "$failed"
