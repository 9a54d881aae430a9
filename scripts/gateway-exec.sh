#!/usr/bin/env bash
# Runs a command in the running gateway container, whichever stack runs it: compose (service
# gateway of project mlopsexam), Swarm (a task of mlopsexam_gateway) or the AppHost (the container
# Aspire names gateway-<suffix>). Used by make canary and make rollout:
#   scripts/gateway-exec.sh canary-weight.sh 25
set -euo pipefail
id=$(docker ps -q --filter label=com.docker.compose.project=mlopsexam --filter label=com.docker.compose.service=gateway | head -n1)
[ -n "$id" ] || id=$(docker ps -q --filter label=com.docker.swarm.service.name=mlopsexam_gateway | head -n1)
[ -n "$id" ] || id=$(docker ps --format '{{.ID}} {{.Names}}' | awk '$2 ~ /^gateway-[a-z0-9]+$/ { print $1; exit }')
if [ -z "$id" ]; then
    echo "gateway-exec: no running gateway container (make up, make swarm-up or make run first)" >&2
    exit 1
fi
exec docker exec "$id" "$@"
