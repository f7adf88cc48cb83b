#!/usr/bin/env bash
# The README's test command: installs what is missing, builds the solution with warnings as
# errors, runs every test project (unit, integration on the real app model, end to end) and
# ends with one line "N passed, N failed, N skipped". Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

eng/setup.sh

dotnet build Aspire.sln -nologo -clp:ErrorsOnly

results="$PWD/TestResults"
rm -rf "$results"
set +e
# Exit code 8 = a test project with no tests yet; the counts below still tell what ran.
dotnet test --solution Aspire.sln --no-build --results-directory "$results" --report-xunit-trx --ignore-exit-code 8 "$@"
test_exit=$?
set -e

shopt -s nullglob
trx=("$results"/*.trx)
if [ ${#trx[@]} -eq 0 ]; then
  echo "No test results were written to $results" >&2
  exit 1
fi

# Sum the TRX counters of every test project.
read -r total passed failed < <(
  grep -ho '<Counters [^>]*>' "${trx[@]}" | awk '
    { for (i = 1; i <= NF; i++) { split($i, kv, "="); gsub(/[^0-9]/, "", kv[2]); v[kv[1]] += kv[2] } }
    END { print v["total"] + 0, v["passed"] + 0, v["failed"] + 0 + v["error"] + v["timeout"] + v["aborted"] }')
skipped=$((total - passed - failed))
echo "$passed passed, $failed failed, $skipped skipped"

if [ "$failed" -ne 0 ] || [ "$test_exit" -ne 0 ]; then
  exit 1
fi
