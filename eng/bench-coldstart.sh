#!/usr/bin/env bash
# Cold-start benchmark (docs/BENCHMARKS.md, "Cold start"): TicketService and the gateway as `dotnet publish`
# writes them, with ReadyToRun (precompiled, the services' default) and without (JIT only), from process start to
# the first webhooks acknowledged: start → serving for each service, then the first deliveries' latency.
# Publishes both builds into a temporary directory, then runs them alternately on fresh databases.
# Tuning (environment): BENCH_ROUNDS (3), BENCH_COLD_DELIVERIES (500), BENCH_COLD_RATE (deliveries/s, 50).
# Ends with one line `RESULT jit_… r2r_… start_ratio=… first_ack_ratio=… p99_ratio=… …` (numbers without units).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
eng/setup.sh
out=$(mktemp -d /tmp/ferry-coldstart-XXXXXX)
trap 'rm -rf "$out"' EXIT
for service in Gateway TicketService; do
  dotnet publish "src/$service" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=false -o "$out/jit/$service" -nologo -clp:ErrorsOnly
  dotnet publish "src/$service" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o "$out/r2r/$service" -nologo -clp:ErrorsOnly
done
dotnet build benchmarks/ColdStart.Benchmarks -c Release -nologo -clp:ErrorsOnly
BENCH_BUILDS="jit=$out/jit,r2r=$out/r2r" dotnet run -c Release --no-build --project benchmarks/ColdStart.Benchmarks
