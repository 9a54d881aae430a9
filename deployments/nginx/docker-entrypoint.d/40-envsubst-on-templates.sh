#!/bin/sh
# The simple values, as the official nginx image's 20-envsubst-on-templates.sh does it: each
# template in /etc/nginx/templates/ rendered into /run/nginx/generated/, given only the values it
# names (the settings as 10-validate-settings.envsh checked them).
set -eu
. /usr/local/lib/mlopsexam/gateway.sh

# Where http:// redirects to (sites/http-redirect.conf): no port in the URL for 443.
if [ "$PUBLIC_HTTPS_PORT" = 443 ]; then suffix=""; else suffix=":$PUBLIC_HTTPS_PORT"; fi
render_file https-port.conf https-port.conf.template HTTPS_PORT_SUFFIX="$suffix"

# The rate limit of /predict (conf.d/rate-limits.conf).
render_file rate-limit-zone.conf rate-limit-zone.conf.template RATE_LIMIT_RPS="$RATE_LIMIT_RPS"
render_file rate-limit-predict.conf rate-limit-predict.conf.template RATE_LIMIT_BURST="$RATE_LIMIT_BURST"

# Requests in flight to the API, all clients together (snippets/overload.conf).
render_file max-inflight.conf max-inflight.conf.template GATEWAY_MAX_INFLIGHT="$GATEWAY_MAX_INFLIGHT"

# The share of requests whose trace the replicas record (conf.d/tracing.conf): a split_clients
# block strictly between 0 and 100 %, a constant map for 0 or 100 %.
case $GATEWAY_TRACE_SAMPLE_PERCENT in
    0) render_file trace-sampling.conf trace-sampling.fixed.conf.template TRACE_FLAGS=00 ;;
    100) render_file trace-sampling.conf trace-sampling.fixed.conf.template TRACE_FLAGS=01 ;;
    *) render_file trace-sampling.conf trace-sampling.split.conf.template TRACE_SAMPLE_PERCENT="$GATEWAY_TRACE_SAMPLE_PERCENT" ;;
esac

log "http redirects to port $PUBLIC_HTTPS_PORT; rate limit $RATE_LIMIT_RPS r/s burst $RATE_LIMIT_BURST; at most $GATEWAY_MAX_INFLIGHT requests in flight; $GATEWAY_TRACE_SAMPLE_PERCENT% of requests traced"
