#!/bin/sh
# Changes the canary weight while the gateway runs (make canary PERCENT=25, make rollout):
#   docker compose exec gateway canary-weight.sh PERCENT
# Re-renders $canary_pool (templates/canary-pool.*.conf.template, as 45-experiments.sh does at
# start), checks the whole configuration (nginx -t) and reloads nginx: the master starts new
# workers with the new split and lets the old ones finish their requests, so no request fails
# and no container is recreated. The weight is kept in the gateway-state volume (it survives a
# restart, 45-experiments.sh), exposed to Prometheus (/canary/metrics on the internal port) and
# logged on the gateway's own stderr (docker compose logs gateway).
# Without an argument: prints the weight in force.
set -eu
. /usr/local/lib/mlopsexam/gateway.sh

current() { sed -n 's/^gateway_canary_weight_percent //p' "$GEN_DIR/canary.prom"; }

if [ $# -eq 0 ]; then
    current
    exit 0
fi
case $1 in
    '' | *[!0-9]*) die "canary weight '$1' is not a whole percentage (0-100)" ;;
esac
[ "$1" -le 100 ] || die "canary weight $1 is above 100"
weight=$(($1))
previous=$(current)

cp "$GEN_DIR/canary-pool.conf" "$GEN_DIR/canary-pool.conf.previous"
render_canary "$weight"
if ! nginx -t -q 2>&1; then
    # The configuration in force stays: the previous split is put back, nothing is reloaded.
    mv -f "$GEN_DIR/canary-pool.conf.previous" "$GEN_DIR/canary-pool.conf"
    die "nginx -t refused the configuration for weight $weight; the weight stays $previous"
fi
reload_nginx
rm -f "$GEN_DIR/canary-pool.conf.previous"
printf '%s %s\n' "$weight" "${CANARY_PERCENT:-0}" > "$STATE_DIR/canary-weight.tmp"
install_file "$STATE_DIR/canary-weight.tmp" "$STATE_DIR/canary-weight"
write_canary_metrics "$weight"
message="gateway-canary: weight $previous% -> $weight% (nginx reloaded)"
# To the gateway's log (nginx, PID 1, runs as this user), and to the caller.
echo "$message" > /proc/1/fd/2 2>/dev/null || true
echo "$message"
