#!/usr/bin/env bash
# Prints the counts of a dotnet test TRX file as one plain line: "tests: N passed, N failed, N skipped".
set -euo pipefail
trx=${1:?usage: test-summary.sh results.trx}
if [ ! -f "$trx" ]; then echo "tests: no results file ($trx): the test run did not start" >&2; exit 1; fi
counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
total=$(get total); passed=$(get passed); failed=$(get failed); executed=$(get executed)
skipped=$(( total - executed ))
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
