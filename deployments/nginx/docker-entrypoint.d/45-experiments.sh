#!/bin/sh
# The experiments' two shares (conf.d/ab-routing.conf says how they route): $canary_pool from
# CANARY_PERCENT, $shadow_copy from SHADOW_PERCENT, each into its own file in /run/nginx/generated/.
# A share strictly between 0 and 100 % is a split_clients block (templates/*.split.conf.template);
# 0 or 100 %, which split_clients cannot express, a constant map (templates/*.fixed.conf.template).
#
# The canary weight set at run time (canary-weight.sh, make canary) is kept in
# $STATE_DIR/canary-weight as "<weight> <CANARY_PERCENT it replaced>": it wins over CANARY_PERCENT
# after a restart, until CANARY_PERCENT itself is changed (a new configuration replaces it).
set -eu
. /usr/local/lib/mlopsexam/gateway.sh

canary=$CANARY_PERCENT
if [ -r "$STATE_DIR/canary-weight" ] && read -r weight configured < "$STATE_DIR/canary-weight" \
    && [ "$configured" = "$CANARY_PERCENT" ]; then
    case $weight in '' | *[!0-9]*) log "ignoring $STATE_DIR/canary-weight: '$weight' is not a percentage" ;;
        *) [ "$weight" -le 100 ] && canary=$weight ;;
    esac
fi
render_canary "$canary"
write_canary_metrics "$canary"

if [ "$SHADOW_PERCENT" -eq 0 ]; then
    render_file shadow-copy.conf shadow-copy.fixed.conf.template SHADOW_COPY=
elif [ "$SHADOW_PERCENT" -eq 100 ]; then
    render_file shadow-copy.conf shadow-copy.fixed.conf.template SHADOW_COPY=1
else
    render_file shadow-copy.conf shadow-copy.split.conf.template SHADOW_PERCENT="$SHADOW_PERCENT"
fi

log "canary $canary% (CANARY_PERCENT $CANARY_PERCENT), shadow $SHADOW_PERCENT%"
