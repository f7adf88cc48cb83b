#!/usr/bin/env bash
# AttachmentService benchmark: copies a 50 MiB file through the service's gRPC Copy and through a
# raw HttpClient download→upload in the same run (in-process sandbox), and prints the throughput
# ratio and the peak memory growth. Arguments: [runs=5] [sizeMiB=50].
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet run -c Release --project benchmarks/AttachmentBenchmarks -- "$@"
