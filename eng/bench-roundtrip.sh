#!/usr/bin/env bash
# Status round-trip benchmark (docs/BENCHMARKS.md, "Status round-trip"): Zendesk solve → Intercom closed
# and Intercom close → Zendesk solved through the gateway on the real app model, against the direct-call
# floor measured in the same run. BENCH_ROUNDTRIPS (30 per path) and BENCH_WARMUP (3) tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
eng/setup.sh
dotnet build benchmarks/RoundTrip.Benchmarks -c Release -nologo -clp:ErrorsOnly
dotnet run -c Release --no-build --project benchmarks/RoundTrip.Benchmarks
