#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and starts the whole of Ferry in
# sandbox mode (emulated Intercom and Zendesk with demo traffic) under the Aspire AppHost.
# Ctrl+C (or SIGTERM to this process) stops everything, Postgres and Redis included.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

eng/setup.sh
dotnet build Aspire.sln -nologo -clp:ErrorsOnly

# No trusted dev certificate on our machines: plain HTTP on loopback. Same values as the
# AppHost's launch profile; the AppHost binary is exec'd so signals reach it directly.
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export DOTNET_ENVIRONMENT="$ASPNETCORE_ENVIRONMENT"
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
export ASPNETCORE_URLS="${ASPNETCORE_URLS:-http://127.0.0.1:18888}"
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="${ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL:-http://127.0.0.1:18889}"
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL="${ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL:-http://127.0.0.1:18890}"

echo "Starting Ferry. Open the dashboard with the login link printed below ('Login to the dashboard at ...')."
cd src/AppHost
exec dotnet bin/Debug/net10.0/Ferry.AppHost.dll "$@"
