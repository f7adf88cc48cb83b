#!/usr/bin/env bash
# Redis as a local process, started by the AppHost when no container runtime exists.
# The password goes into a private config file, not onto the command line (visible in ps).
set -euo pipefail
: "${FERRY_REDIS_PORT:?}" "${FERRY_REDIS_DATA:?}" "${FERRY_REDIS_PASSWORD:?}"
command -v redis-server >/dev/null || { echo "redis-server is not installed: run eng/setup.sh" >&2; exit 1; }

mkdir -p "$FERRY_REDIS_DATA"
conf="$FERRY_REDIS_DATA/redis.conf"
(umask 077 && cat > "$conf") <<CONF
port $FERRY_REDIS_PORT
bind 127.0.0.1
protected-mode yes
save ""
appendonly no
dir $FERRY_REDIS_DATA
requirepass $FERRY_REDIS_PASSWORD
CONF
exec redis-server "$conf"
