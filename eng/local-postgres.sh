#!/usr/bin/env bash
# PostgreSQL as a local process, started by the AppHost when no container runtime exists.
# Data lives in $FERRY_PG_DATA (git-ignored). Postgres refuses to run as root, so as root the
# server runs as the `postgres` user. The password is a per-run Aspire parameter, set on every start.
# FERRY_PG_MAX_CONNECTIONS (default 200) raises max_connections (the test fixture, with many pools at once).
set -euo pipefail
: "${FERRY_PG_PORT:?}" "${FERRY_PG_DATA:?}" "${FERRY_PG_PASSWORD:?}"

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/postgres" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/postgres" ] || { echo "PostgreSQL server binaries not found: run eng/setup.sh" >&2; exit 1; }

as_owner=()
mkdir -p "$FERRY_PG_DATA"
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$FERRY_PG_DATA"
  chmod 700 "$FERRY_PG_DATA"
  as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  "${as_owner[@]}" test -w "$FERRY_PG_DATA" || {
    echo "The postgres user cannot reach $FERRY_PG_DATA: make its parent directories traversable (chmod o+x) or set Ferry:DataDirectory elsewhere." >&2
    exit 1
  }
fi

single_user() { "${as_owner[@]}" "$bindir/postgres" --single -D "$FERRY_PG_DATA" -c exit_on_error=true postgres >/dev/null; }

if [ ! -s "$FERRY_PG_DATA/PG_VERSION" ]; then
  "${as_owner[@]}" "$bindir/initdb" -D "$FERRY_PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  echo "CREATE DATABASE ferry;" | single_user
fi

escaped=${FERRY_PG_PASSWORD//\'/\'\'}
echo "ALTER USER postgres PASSWORD '$escaped';" | single_user

# No Unix socket: only TCP on loopback, password-authenticated.
exec "${as_owner[@]}" "$bindir/postgres" -D "$FERRY_PG_DATA" -p "$FERRY_PG_PORT" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections="${FERRY_PG_MAX_CONNECTIONS:-200}"
