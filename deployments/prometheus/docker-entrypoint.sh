#!/bin/sh
# Prometheus entrypoint: writes the file_sd target files from the environment,
# keeps them up to date in the background, then execs Prometheus.
#
# Environment (lists of host:port, separated by spaces or commas):
#   SCRAPE_API_V1    required  API v1 replicas   -> labels service=api, variant=v1
#   SCRAPE_API_V2    required  API v2 replicas   -> labels service=api, variant=v2
#   SCRAPE_GATEWAY   required  nginx exporter    -> label  service=gateway
#   SCRAPE_GATEWAY_CANARY  optional  the gateway's internal port (canary weight) -> job gateway-canary
#   RESOLVE_INTERVAL 15        seconds between re-resolutions
#   RETENTION_TIME   15d       samples older than this are dropped
#   RETENTION_SIZE   512MB     and the oldest blocks above this disk use
#
# A host name with several IPv4 addresses (compose's `api-v1` with 3 replicas)
# becomes one target per address, so each replica is scraped and shows up as
# its own `instance`. IP literals and names that do not resolve (yet) are kept
# as given (Prometheus marks them down until the next pass resolves them).
# Extra arguments are passed to prometheus.
set -eu

TARGET_DIR=/etc/prometheus/targets

# split_list and resolve, shared with the gateway (deployments/common/resolve.sh).
. /usr/local/lib/mlopsexam/resolve.sh

die() {
    echo "prometheus-entrypoint: error: $*" >&2
    exit 64
}

require_list() { # env_var_name value
    [ -n "$(split_list "$2")" ] || die "$1 is required: a list of host:port separated by spaces or commas"
    for entry in $(split_list "$2"); do
        case ${entry##*:} in '' | *[!0-9]*) die "$1: '$entry' is not host:port" ;; esac
        case $entry in *:*) ;; *) die "$1: '$entry' is not host:port" ;; esac
    done
}

# host:port list -> JSON array body of "address:port" strings
expand_targets() {
    sep=""
    for entry in $(split_list "$1"); do
        host=${entry%:*}
        port=${entry##*:}
        addrs=$(resolve "$host")
        [ -n "$addrs" ] || addrs=$host
        for addr in $addrs; do
            printf '%s"%s:%s"' "$sep" "$addr" "$port"
            sep=", "
        done
    done
}

# Replace $1 with stdin only when the content differs; rename is atomic, so
# Prometheus never reads a half-written file, and unchanged files cause no reload.
write_if_changed() {
    tmp="$1.tmp.$$"
    cat > "$tmp"
    if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv -f "$tmp" "$1"; echo "prometheus-entrypoint: updated $1: $(tr -d '\n' < "$1")" >&2; fi
}

render_all() {
    write_if_changed "$TARGET_DIR/api.json" <<JSON
[
  {"targets": [$(expand_targets "$SCRAPE_API_V1")], "labels": {"service": "api", "variant": "v1"}},
  {"targets": [$(expand_targets "$SCRAPE_API_V2")], "labels": {"service": "api", "variant": "v2"}}
]
JSON
    write_if_changed "$TARGET_DIR/gateway.json" <<JSON
[
  {"targets": [$(expand_targets "$SCRAPE_GATEWAY")], "labels": {"service": "gateway"}}
]
JSON
    write_if_changed "$TARGET_DIR/gateway-canary.json" <<JSON
[
  {"targets": [$(expand_targets "${SCRAPE_GATEWAY_CANARY:-}")], "labels": {"service": "gateway"}}
]
JSON
}

require_list SCRAPE_API_V1 "${SCRAPE_API_V1:-}"
require_list SCRAPE_API_V2 "${SCRAPE_API_V2:-}"
require_list SCRAPE_GATEWAY "${SCRAPE_GATEWAY:-}"
interval=${RESOLVE_INTERVAL:-15}
case $interval in '' | *[!0-9]* | 0) die "RESOLVE_INTERVAL must be a positive number of seconds" ;; esac

mkdir -p "$TARGET_DIR"
render_all

# Follow replicas that restart with a new address. The loop outlives the exec
# below as a child of Prometheus (PID 1) and ends with the container.
(
    while sleep "$interval"; do
        render_all || echo "prometheus-entrypoint: warning: could not refresh targets" >&2
    done
) &

exec prometheus \
    --config.file=/etc/prometheus/prometheus.yml \
    --storage.tsdb.path=/var/lib/prometheus/metrics2 \
    --storage.tsdb.retention.time="${RETENTION_TIME:-15d}" \
    --storage.tsdb.retention.size="${RETENTION_SIZE:-512MB}" \
    --web.listen-address=:9090 \
    "$@"
