#!/usr/bin/env bash
# Gateway benchmark (docs/BENCHMARKS.md, "Gateway"): webhook acknowledgement p50/p99 at a fixed rate
# with `hey` against a bare Kestrel endpoint, and gRPC through the gateway's YARP route against the
# same backend called directly. eng/setup.sh installs what it needs (`hey`, Redis, Postgres) when missing.
# BENCH_RATE (requests/s, default 200), BENCH_FULL_RATE (full Enqueue path, default 50), BENCH_SECONDS
# (per scenario, default 10) tune the run; BENCH_FULL=0 skips the scenarios with Postgres + TicketService;
# BENCH_WORKERS=run keeps its job workers running during them (paused by default: the intake alone);
# BENCH_WARMUP (s, default 20) is each fixed-rate scenario's unmeasured lead-in at its own rate; BENCH_ANALYZE=0 skips
# the ANALYZE of the fresh database after the first warm-up (docs/BENCHMARKS.md, session 9); BENCH_ALLOC_TYPES=1 prints
# what the baseline and the verify+parse scenario allocate, by type (sampled by the runtime; session 13).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
eng/setup.sh hey
dotnet build benchmarks/Gateway.Benchmarks -c Release -nologo -clp:ErrorsOnly
dotnet run -c Release --no-build --project benchmarks/Gateway.Benchmarks
