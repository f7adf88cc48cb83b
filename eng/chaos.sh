#!/usr/bin/env bash
# Fault run (docs/RELIABILITY.md): issue 14's scenario at full scale on the real app model — 40
# conversations (one of 600 parts growing by 300, files from 0 B to 45 MB) synced while both vendors
# answer 20 % 503, 429 storms and cut 2 % of answers. Ends with one `RESULT key=value …` line; exits
# non-zero when anything was lost or doubled. CHAOS_* variables tune it (see the benchmark's Program.cs).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
eng/setup.sh
dotnet build benchmarks/Chaos.Benchmarks -c Release -nologo -clp:ErrorsOnly
dotnet run -c Release --no-build --project benchmarks/Chaos.Benchmarks
