#!/usr/bin/env bash
# The dashboard's browser token comes from a file (a compose/Swarm secret, `make env` writes it), so it is
# never in the container's environment that `docker inspect` shows; set only for the dashboard's process.
# Without a token the dashboard would make one up and print it in its log: refuse instead.
set -euo pipefail
file=${DASHBOARD_TOKEN_FILE:-/run/secrets/dashboard_token}
if [ -z "${Dashboard__Frontend__BrowserToken:-}" ]; then
  [ -s "$file" ] || { echo "dashboard: no browser token in $file (make env writes it)" >&2; exit 1; }
  Dashboard__Frontend__BrowserToken=$(<"$file")
  export Dashboard__Frontend__BrowserToken
fi
exec /app/Aspire.Dashboard "$@"
