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
mkdir -p "$results"
set +e
# Exit code 8 = a test project with no tests yet; the counts below still tell what ran.
dotnet test --solution Aspire.sln --no-build --results-directory "$results" --report-xunit-trx --ignore-exit-code 8 "$@" 2>&1 | tee "$results/dotnet-test.log"
test_exit=${PIPESTATUS[0]}
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
# The run's own summary counts every project. Two projects' TRX files can get the same name, one overwriting the
# other (seen: a run of 618 tests whose files held 585), so the summary wins when there is one.
summary_total=$(grep -aE '^[[:space:]]+total: [0-9]+$' "$results/dotnet-test.log" | tail -1 | grep -oE '[0-9]+' || true)
if [ -n "$summary_total" ] && [ "$summary_total" -gt "$total" ]; then
  summary_of() { grep -aE "^[[:space:]]+$1: [0-9]+\$" "$results/dotnet-test.log" | tail -1 | grep -oE '[0-9]+' || echo 0; }
  total=$summary_total
  passed=$(summary_of succeeded)
  failed=$(summary_of failed)
  skipped=$(summary_of skipped)
fi
# CI shows only the tail of this output: name the failed tests (and their first message line) last.
if [ "$failed" -ne 0 ]; then
  echo "Failed tests:"
  for f in "${trx[@]}"; do
    python3 - "$f" <<'PY' || grep -o 'testName="[^"]*" [^>]*outcome="Failed"' "$f" || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") != "Passed" and r.get("outcome") != "NotExecuted":
        # The failure's own message (ErrorInfo), not the test's output lines (TextMessages).
        msg = r.find("./t:Output/t:ErrorInfo/t:Message", ns)
        trace = r.find("./t:Output/t:ErrorInfo/t:StackTrace", ns)
        lines = (msg.text or "").strip().splitlines()[:25] if msg is not None else []
        lines += (trace.text or "").strip().splitlines()[:4] if trace is not None else []
        print("  " + r.get("testName", "?") + " [" + r.get("outcome", "?") + "]")
        print("\n".join("    " + line[:400] for line in lines)[:4000])
PY
  done
fi
echo "$passed passed, $failed failed, $skipped skipped"

if [ "$failed" -ne 0 ] || [ "$test_exit" -ne 0 ]; then
  exit 1
fi
