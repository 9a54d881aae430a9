#!/bin/sh
# The experiments' two shares (conf.d/ab-routing.conf says how they route): $canary_pool from
# CANARY_PERCENT, $shadow_copy from SHADOW_PERCENT, each into its own file in /run/nginx/generated/.
# A share strictly between 0 and 100 % is a split_clients block (templates/*.split.conf.template);
# 0 or 100 %, which split_clients cannot express, a constant map (templates/*.fixed.conf.template).
set -eu
. /usr/local/lib/mlopsexam/gateway.sh

if [ "$CANARY_PERCENT" -eq 0 ]; then
    render_file canary-pool.conf canary-pool.fixed.conf.template CANARY_POOL=api_v1
elif [ "$CANARY_PERCENT" -eq 100 ]; then
    render_file canary-pool.conf canary-pool.fixed.conf.template CANARY_POOL=api_v2
else
    render_file canary-pool.conf canary-pool.split.conf.template CANARY_PERCENT="$CANARY_PERCENT"
fi

if [ "$SHADOW_PERCENT" -eq 0 ]; then
    render_file shadow-copy.conf shadow-copy.fixed.conf.template SHADOW_COPY=
elif [ "$SHADOW_PERCENT" -eq 100 ]; then
    render_file shadow-copy.conf shadow-copy.fixed.conf.template SHADOW_COPY=1
else
    render_file shadow-copy.conf shadow-copy.split.conf.template SHADOW_PERCENT="$SHADOW_PERCENT"
fi

log "canary $CANARY_PERCENT%, shadow $SHADOW_PERCENT%"
