#!/usr/bin/env bash
# Installs what Ferry needs on a Debian machine and is idempotent: the .NET SDK is assumed,
# PostgreSQL and Redis servers are installed with apt-get when missing (they run as local
# processes when no container runtime exists). Extra packages can be named as arguments.
set -euo pipefail

need=()
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ! command -v pg_config >/dev/null; then
  need+=(postgresql)
fi
command -v redis-server >/dev/null || need+=(redis-server)
# The sandbox page is checked in a real headless browser (Playwright drives Debian's chromium).
[ -x /usr/bin/chromium ] || need+=(chromium)
# deploy/prometheus/ferry-rules.yaml is checked with promtool (Debian's prometheus package).
command -v promtool >/dev/null || need+=(prometheus)
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done

if [ ${#need[@]} -gt 0 ]; then
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo)
  echo "Installing: ${need[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts the packaged services; Ferry runs its own instances on free ports.
  "${sudo[@]}" systemctl disable --now redis-server postgresql prometheus prometheus-node-exporter >/dev/null 2>&1 || true
fi

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet not on PATH)." >&2; exit 1; }
