#!/usr/bin/env bash
# IdentityService benchmark: 1,000,000 links, link-table resolve percentiles (vs a raw SELECT baseline)
# and Zendesk calls per resolve for a mixed workload. Starts its own Postgres, Redis and Sandbox.
# Usage: eng/bench-identity.sh [links=1000000] [samples=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
eng/setup.sh
dotnet run -c Release --project benchmarks/IdentityBenchmarks -- "$@"
