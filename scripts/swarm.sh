#!/usr/bin/env bash
# The stack on Docker Swarm (docker-stack.yml, written by `make publish` from the app model).
#   scripts/swarm.sh up     single-node swarm if none, images built, secret and stack deployed, waits
#   scripts/swarm.sh down   the stack removed (and its secret); waits until its network is gone
#   scripts/swarm.sh down --volumes   also Prometheus's data volume (the tests start from nothing)
# The same .env as compose: BASIC_AUTH_USER, the rate limit, CANARY/SHADOW_PERCENT, ports. The password
# reaches the gateway as a Swarm secret made from .secrets/basic_auth_password (make env writes it).
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=${SWARM_STACK:-mlopsexam}
TIMEOUT=${SWARM_TIMEOUT:-300}

log() { printf '[swarm] %s\n' "$*" >&2; }

# Every service has as many running tasks as it wants, and each task's container is healthy.
converged() {
  local line name want running services=0
  while read -r name line; do
    want=${line#*/}; running=${line%/*}
    [ "$running" = "$want" ] && [ "$want" -gt 0 ] || return 1
    services=$((services + 1))
  done < <(docker stack services "$STACK" --format '{{.Name}} {{.Replicas}}' | sed 's/ (.*)//')
  # Every service of docker-stack.yml is listed.
  [ "$services" -eq "$(grep -cE '^  [a-z0-9-]+:$' docker-stack.yml)" ] || return 1
  # Tasks whose container reports unhealthy or starting are not ready yet.
  ! docker ps --filter "label=com.docker.stack.namespace=$STACK" --format '{{.Status}}' | grep -Eq 'health: starting|unhealthy'
}

up() {
  if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    log "initialising a single-node swarm (advertised on 127.0.0.1)"
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  fi
  # No registry on one node: the images built here are used as they are (--resolve-image never).
  # A multi-node swarm needs them in a registry every node can pull from (docs/swarm.md).
  docker compose build --quiet
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
  unset BASIC_AUTH_PASSWORD  # the stack reads the secret file, never the variable
  docker stack deploy --resolve-image never --prune -c docker-stack.yml "$STACK" >/dev/null 2>&1 \
    || docker stack deploy --resolve-image never --prune -c docker-stack.yml "$STACK"
  log "deployed stack $STACK; waiting until every service runs healthy (${TIMEOUT} s at most)"
  local deadline=$((SECONDS + TIMEOUT))
  until converged; do
    if [ $SECONDS -ge $deadline ]; then
      docker stack ps "$STACK" --no-trunc >&2 || true
      log "stack $STACK did not converge in ${TIMEOUT} s"; exit 1
    fi
    sleep 2
  done
  log "up: https://localhost (make credentials STACK=compose; make predict)"
}

down() {
  if ! docker stack ls --format '{{.Name}}' 2>/dev/null | grep -qx "$STACK"; then return; fi
  docker stack rm "$STACK" >/dev/null
  # Removal is asynchronous: wait until the containers are gone, stopped ones included (they
  # still hold the volumes), and the network, so that ports 80/443 and the volumes are free.
  local deadline=$((SECONDS + 120))
  while [ -n "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] \
     || docker network ls --format '{{.Name}}' | grep -qx "${STACK}_default"; do
    [ $SECONDS -lt $deadline ] || { log "stack $STACK still being removed after 120 s"; exit 1; }
    sleep 1
  done
  log "removed stack $STACK"
}

remove_volumes() {
  local volume
  for volume in $(docker volume ls -q --filter "label=com.docker.stack.namespace=$STACK"); do
    # A task container the daemon is still reaping may hold it for a moment: retry for 30 s.
    local tries=0
    until docker volume rm "$volume" >/dev/null 2>&1; do
      tries=$((tries + 1))
      [ $tries -lt 30 ] || { log "volume $volume still in use after 30 s"; docker volume rm "$volume" >/dev/null && break; exit 1; }
      sleep 1
    done
  done
}

case "${1:-}" in
  up) up ;;
  down) down; if [ "${2:-}" = --volumes ]; then remove_volumes; fi ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
