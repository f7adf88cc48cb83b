#!/usr/bin/env bash
# TicketService benchmark (docs/BENCHMARKS.md, "TicketService"): end-to-end latency (hand-over → complete
# ticket visible in the sandbox's Zendesk, p50/p99) and Zendesk calls per conversation, Ferry against a naive
# one-call-per-part connector measured in the same run. Starts its own Postgres, Redis and Sandbox, runs
# IdentityService + AttachmentService in-process and the real TicketService in its own process.
# Tuning (environment): BENCH_CONVERSATIONS (100), BENCH_PARTS (10), BENCH_RATE (arrivals/s, 5; 0 = burst),
# BENCH_WORKERS (4), BENCH_WARMUP (100), BENCH_TIMEOUT_SECONDS (300), BENCH_VENDOR_LATENCY_MS (0: fixed latency the
# sandbox adds to every vendor API call, e.g. 100 to approximate real Intercom/Zendesk round trips), BENCH_ANALYZE
# (0: no ANALYZE of the fresh database after the warm-up), BENCH_SPANS (1: print the spans of the in-process
# services, IdentityService's resolves broken down by their children; costs CPU, so off for quoted figures).
# Prints where Ferry's time goes (queue, attempt to visible ticket, bookkeeping) and ends with one line
# `RESULT ferry_p50_ms=… ferry_p99_ms=… naive_p50_ms=… naive_p99_ms=… …` (numbers without units).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
eng/setup.sh
dotnet build benchmarks/TicketService.Benchmarks -c Release -nologo -clp:ErrorsOnly
dotnet run -c Release --no-build --project benchmarks/TicketService.Benchmarks
