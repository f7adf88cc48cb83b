#!/usr/bin/env bash
# Bulk backfill (docs/BENCHMARKS.md, "Bulk backfill"; docs/MIGRATION.md): conversations per minute at a sandbox
# Zendesk limit of 700 requests/min, the bulk path against the one-job-per-conversation path in the same run (half
# new customers, half returning). Starts its own Postgres, Redis and Sandbox, runs IdentityService in-process and
# the real TicketService in its own process. Ends with one `RESULT key=value …` line.
# Tuning (environment): BENCH_BULK_CONVERSATIONS (2000), BENCH_SINGLE_CONVERSATIONS (300), BENCH_ZENDESK_LIMIT (700).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
eng/setup.sh
dotnet build benchmarks/Backfill.Benchmarks -c Release -nologo -clp:ErrorsOnly
dotnet run -c Release --no-build --project benchmarks/Backfill.Benchmarks
