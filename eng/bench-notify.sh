#!/usr/bin/env bash
# Why TicketService's NOTIFYs are sent after the commit (docs/BENCHMARKS.md, "NOTIFY outside the commit"):
# pgbench against a local Postgres (eng/local-postgres.sh), BENCH_CLIENTS (8) concurrent clients for
# BENCH_SECONDS (8) per shape, each transaction one inserted row:
#   alone    - BEGIN; INSERT; COMMIT                                          (the baseline)
#   inside   - BEGIN; INSERT; NOTIFY; COMMIT                                  (what Enqueue did)
#   after    - BEGIN; INSERT; COMMIT; then BEGIN; SET LOCAL synchronous_commit TO OFF; NOTIFY; COMMIT
# Ends with: RESULT alone_commit_ms=… inside_commit_ms=… after_commit_ms=… inside_ratio=… after_ratio=… (+ tps)
set -euo pipefail
cd "$(dirname "$0")/.."
clients="${BENCH_CLIENTS:-8}" seconds="${BENCH_SECONDS:-8}"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/pgbench" ] || { echo "pgbench not found: run eng/setup.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/ferry-bench-notify.XXXXXX)
chmod 755 "$work"
port=$((20000 + RANDOM % 2000))
export PGPASSWORD="bench-$RANDOM"
FERRY_PG_PORT=$port FERRY_PG_DATA="$work/data" FERRY_PG_PASSWORD="$PGPASSWORD" eng/local-postgres.sh >"$work/postgres.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break; sleep 0.5; done
psql() { "$bindir/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d ferry "$@"; }
psql -c "CREATE TABLE deliveries (id bigserial PRIMARY KEY, body text)"

printf 'BEGIN;\nINSERT INTO deliveries (body) VALUES (%s);\nCOMMIT;\n' "'{}'" >"$work/alone.sql"
printf 'BEGIN;\nINSERT INTO deliveries (body) VALUES (%s);\nNOTIFY ferry_bench;\nCOMMIT;\n' "'{}'" >"$work/inside.sql"
cp "$work/alone.sql" "$work/after.sql"
printf 'BEGIN;\nSET LOCAL synchronous_commit TO OFF;\nNOTIFY ferry_bench;\nCOMMIT;\n' >>"$work/after.sql"

declare -A commit tps
echo "NOTIFY and commit: $clients clients, $seconds s per shape, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for shape in alone inside after alone inside after; do
  out=$("$bindir/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -r -f "$work/$shape.sql" -T "$seconds" -c "$clients" -j 2 ferry 2>&1)
  # The data transaction's COMMIT is the first COMMIT line of the per-statement latencies.
  ms=$(echo "$out" | awk '/COMMIT;/ { print $1; exit }')
  t=$(echo "$out" | awk '/^tps/ { print $3; exit }')
  echo "$shape: data COMMIT $ms ms, $t transactions/s"
  commit[$shape]=$ms tps[$shape]=$t   # the second round of each shape is the one reported
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "RESULT alone_commit_ms=${commit[alone]} inside_commit_ms=${commit[inside]} after_commit_ms=${commit[after]} inside_ratio=$(ratio "${commit[inside]}" "${commit[alone]}") after_ratio=$(ratio "${commit[after]}" "${commit[alone]}") alone_tps=${tps[alone]} inside_tps=${tps[inside]} after_tps=${tps[after]} load1=$(cut -d' ' -f1 /proc/loadavg)"
