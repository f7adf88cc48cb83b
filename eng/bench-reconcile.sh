#!/usr/bin/env bash
# Reconciler cost (docs/BENCHMARKS.md, "Reconciler cost"): Intercom and Zendesk calls per hour of Ferry's
# reconciler (scan pass every 5 min, deep pass daily) at a given volume, against polling connectors measured in
# the same run on the same sandbox. Starts its own Postgres, Redis and Sandbox, runs IdentityService in-process
# and the real TicketService in its own process. Ends with one `RESULT key=value …` line.
# Tuning (environment): BENCH_CONVERSATIONS_PER_DAY (10000), BENCH_UPDATES_PER_CONVERSATION (4),
# BENCH_PEAK_FACTOR (3: the busiest hour over the day's mean), BENCH_REPEATS (3 passes per window).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
eng/setup.sh
dotnet build benchmarks/Reconcile.Benchmarks -c Release -nologo -clp:ErrorsOnly
dotnet run -c Release --no-build --project benchmarks/Reconcile.Benchmarks
