#!/usr/bin/env bash
# Runs one test (or a class, by xunit v3 filter) N times in a row, each in a fresh test process (so
# fixtures such as the app model start cold every time), and stops at the first failure.
# Usage: eng/repeat-test.sh N PROJECT FILTER-OPTION PATTERN
#   e.g. eng/repeat-test.sh 50 tests/EndToEnd.Tests --filter-method "*Twenty_concurrent_sync_requests*"
# Ends with: RESULT runs=N passed=P first_failure=K (0 when none)
set -uo pipefail
cd "$(dirname "$0")/.."
runs="$1" project="$2" option="$3" pattern="$4"
dotnet build "$project" -nologo -clp:ErrorsOnly >/dev/null || exit 1
logs=$(mktemp -d)
passed=0 first_failure=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if dotnet test --project "$project" --no-build -- "$option" "$pattern" >"$logs/run-$i.log" 2>&1; then
    passed=$((passed + 1))
    echo "run $i: passed ($(( $(date +%s) - start )) s, load $(cut -d' ' -f1 /proc/loadavg))"
  else
    first_failure=$i
    echo "run $i: FAILED ($(( $(date +%s) - start )) s), log: $logs/run-$i.log"
    break
  fi
done
echo "RESULT runs=$runs passed=$passed first_failure=$first_failure"
[ "$first_failure" -eq 0 ]
