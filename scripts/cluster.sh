#!/usr/bin/env bash
# A three-node Docker Swarm on this one machine, for the multi-node steps of docs/swarm.md:
#   scripts/cluster.sh up       registry + nodes mlopsexam-node1..3 (Docker-in-Docker), three managers
#   scripts/cluster.sh deploy   images tagged CLUSTER_TAG and pushed to the registry, the stack deployed
#                               from docker-stack.yml + docker-stack.cluster.yml, waits until healthy
#   scripts/cluster.sh status   the nodes, and where each task of the stack runs
#   scripts/cluster.sh down     everything up made: containers, volumes, network, host files, image tags
#   scripts/cluster.sh docker ARGS...   docker ARGS against node1's daemon (a manager)
# Idempotent: up and deploy make only what is missing or changed.
#
# Each node is a (nearly) privileged container of mlopsexam-node:local (deployments/cluster/node.Dockerfile:
# Debian's docker.io) at a fixed address on the bridge mlopsexam-cluster (172.30.0.0/24, outside the
# overlay networks' 10.0.0.0/8), /var/lib/docker on a volume of its own. The host drives each node's
# daemon through a socket in CLUSTER_RUN_DIR (bind-mounted into the node), never over TCP. node1 is
# the edge (label edge=true): the gateway runs there, its https port published on the host at
# 127.0.0.1:CLUSTER_HTTPS_PORT only; it holds the state (label state=true) too: Prometheus, PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

NETWORK=mlopsexam-cluster
SUBNET=${CLUSTER_SUBNET:-172.30.0}
REGISTRY=mlopsexam-registry
REGISTRY_PORT=${CLUSTER_REGISTRY_PORT:-5000}
HTTPS_PORT=${CLUSTER_HTTPS_PORT:-9443}
HTTP_PORT=${CLUSTER_HTTP_PORT:-9080}
RUN_DIR=${CLUSTER_RUN_DIR:-/run/mlopsexam-cluster}
STORAGE_DRIVER=${CLUSTER_STORAGE_DRIVER:-overlay2}
STACK=mlopsexam
NODES=(node1 node2 node3)
TIMEOUT=${CLUSTER_TIMEOUT:-420}
LABEL=org.mlopsexam.cluster=1

log() { printf '[cluster] %s\n' "$*" >&2; }

node_ip() { echo "$SUBNET.$((10 + ${1#node}))"; }
# docker against one node's own daemon.
on() { local node=$1; shift; DOCKER_HOST="unix://$RUN_DIR/$node/docker.sock" docker "$@"; }

# The version tag of the images: the commit, plus -dirty when the tree differs from it.
tag() {
  if [ -n "${CLUSTER_TAG:-}" ]; then echo "$CLUSTER_TAG"; return; fi
  local t; t=$(git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
  if ! git diff --quiet HEAD -- 2>/dev/null; then t="$t-dirty"; fi
  echo "$t"
}

# The images of docker-stack.yml built here (name:local).
stack_images() { sed -n 's/^    image: \(mlopsexam-[a-z0-9-]*\):local$/\1/p' docker-stack.yml | sort -u; }

running() { [ "$(docker inspect --type container -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }

build_images() {
  local base=${BASE_IMAGE:-debian:trixie-slim}
  docker build -q --build-arg "BASE_IMAGE=$base" -t mlopsexam-node:local -f deployments/cluster/node.Dockerfile deployments/cluster >/dev/null
  docker build -q --build-arg "BASE_IMAGE=$base" -t mlopsexam-registry:local -f deployments/cluster/registry.Dockerfile deployments/cluster >/dev/null
}

start_registry() {
  if running "$REGISTRY"; then return; fi
  if docker inspect --type container "$REGISTRY" >/dev/null 2>&1; then docker start "$REGISTRY" >/dev/null; return; fi
  docker run -d --name "$REGISTRY" --label "$LABEL" --network "$NETWORK" --ip "$SUBNET.2" \
    -p "127.0.0.1:$REGISTRY_PORT:5000" -v mlopsexam-registry-data:/var/lib/docker-registry \
    mlopsexam-registry:local >/dev/null
}

start_node() {
  local node=$1 ports=()
  if running "mlopsexam-$node"; then return; fi
  if docker inspect --type container "mlopsexam-$node" >/dev/null 2>&1; then docker start "mlopsexam-$node" >/dev/null; return; fi
  # The edge's gateway publishes in mode host on the node: the host reaches it on loopback only.
  [ "$node" = node1 ] && ports=(-p "127.0.0.1:$HTTPS_PORT:$HTTPS_PORT" -p "127.0.0.1:$HTTP_PORT:$HTTP_PORT")
  mkdir -p "$RUN_DIR/$node"
  # The model store is a folder every node has at the same path (here the repository's models/,
  # read-only): docker-stack.yml bind-mounts it into the API tasks.
  docker run -d "${NODE_PRIVILEGES[@]}" --name "mlopsexam-$node" --hostname "$node" --label "$LABEL" \
    --network "$NETWORK" --ip "$(node_ip "$node")" "${ports[@]}" \
    -v "mlopsexam-$node:/var/lib/docker" -v "$RUN_DIR/$node:/run/cluster" -v "$PWD/models:$PWD/models:ro" \
    -e "NODE_STORAGE_DRIVER=$STORAGE_DRIVER" -e "NODE_INSECURE_REGISTRY=$REGISTRY:5000" \
    mlopsexam-node:local >/dev/null
}

# What --privileged would give, less CAP_SYS_RESOURCE: this machine's bounding set lacks it, and
# runc refuses a container asking for a capability it cannot have. node-entrypoint.sh remounts /sys
# and the cgroup hierarchies read-write.
NODE_PRIVILEGES=(--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined
  --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm')

wait_daemon() {
  local node=$1 deadline=$((SECONDS + 60))
  until on "$node" info >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { docker logs --tail 30 "mlopsexam-$node" >&2; log "$node's dockerd did not answer in 60 s"; exit 1; }
    sleep 1
  done
}

swarm_state() { on "$1" info --format '{{.Swarm.LocalNodeState}}'; }

up() {
  local node token start=$SECONDS
  build_images
  docker network inspect "$NETWORK" >/dev/null 2>&1 \
    || docker network create --driver bridge --subnet "$SUBNET.0/24" --label "$LABEL" "$NETWORK" >/dev/null
  start_registry
  for node in "${NODES[@]}"; do start_node "$node"; done
  for node in "${NODES[@]}"; do wait_daemon "$node"; done
  if [ "$(swarm_state node1)" != active ]; then
    on node1 swarm init --advertise-addr "$(node_ip node1)" --listen-addr "$(node_ip node1):2377" >/dev/null
    log "swarm initialised on node1 ($(node_ip node1))"
  fi
  token=$(on node1 swarm join-token -q manager)
  for node in node2 node3; do
    [ "$(swarm_state "$node")" = active ] && continue
    on "$node" swarm join --token "$token" --advertise-addr "$(node_ip "$node")" --listen-addr "$(node_ip "$node"):2377" "$(node_ip node1):2377" >/dev/null
    log "$node joined as a manager"
  done
  on node1 node update --label-add edge=true --label-add state=true node1 >/dev/null
  local deadline=$((SECONDS + 60))
  until [ "$(on node1 node ls --format '{{.Status}} {{.ManagerStatus}}' | grep -cE '^Ready (Leader|Reachable)$')" -eq 3 ]; do
    [ $SECONDS -lt $deadline ] || { on node1 node ls >&2; log "not three ready managers after 60 s"; exit 1; }
    sleep 1
  done
  log "up in $((SECONDS - start)) s: 3 managers, storage driver $(on node1 info --format '{{.Driver}}'), registry $REGISTRY:5000 (host: 127.0.0.1:$REGISTRY_PORT)"
}

down() {
  local node
  # A stack first, so that no node is left half-way through a task.
  for node in "${NODES[@]}"; do
    docker rm -f "mlopsexam-$node" >/dev/null 2>&1 || true
  done
  docker rm -f "$REGISTRY" >/dev/null 2>&1 || true
  for node in "${NODES[@]}"; do docker volume rm "mlopsexam-$node" >/dev/null 2>&1 || true; done
  docker volume rm mlopsexam-registry-data >/dev/null 2>&1 || true
  docker network rm "$NETWORK" >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
  # The tags pushed from here (their layers are the :local images').
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "^127.0.0.1:$REGISTRY_PORT/" | xargs -r docker rmi >/dev/null 2>&1 || true
  log "down: no node, registry, volume, network or $RUN_DIR left"
}

# A self-signed certificate pair for the gateway when none is there yet (the gateway would make the
# same at its first start; here it reads the pair from Swarm secrets and cannot write one).
ensure_certificate() {
  local certs=deployments/nginx/certs
  [ -s "$certs/nginx.crt" ] && [ -s "$certs/nginx.key" ] && return
  mkdir -p "$certs"
  (umask 077; openssl req -x509 -new -nodes -sha256 -days 365 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" -addext extendedKeyUsage=serverAuth \
    -keyout "$certs/nginx.key" -out "$certs/nginx.crt" 2>/dev/null)
  chmod 644 "$certs/nginx.crt"
  if [ "$(id -u)" -eq 0 ]; then chown 10101:10101 "$certs/nginx.crt" "$certs/nginx.key"; fi
  log "generated a self-signed $certs/nginx.crt"
}

# Pushes name:local as REGISTRY/name:TAG (through the host's 127.0.0.1 port).
push_images() {
  local t=$1 image pids=()
  for image in $(stack_images); do
    docker tag "$image:local" "127.0.0.1:$REGISTRY_PORT/$image:$t"
    docker push -q "127.0.0.1:$REGISTRY_PORT/$image:$t" >/dev/null & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

# Every node pulls every image, in parallel: a task rescheduled after a node failure starts at once.
pull_images() {
  local t=$1 node image pids=()
  for node in "${NODES[@]}"; do
    ( for image in $(stack_images); do on "$node" pull -q "$REGISTRY:5000/$image:$t" >/dev/null; done ) & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

# Every service runs as many tasks as it wants, each healthy, on every node.
converged() {
  local line name want running services=0 node
  while read -r name line; do
    want=${line#*/}; running=${line%/*}
    [ "$running" = "$want" ] && [ "$want" -gt 0 ] || return 1
    services=$((services + 1))
  done < <(on node1 stack services "$STACK" --format '{{.Name}} {{.Replicas}}' | sed 's/ (.*)//')
  [ "$services" -eq "$(grep -cE '^  [a-z0-9-]+:$' docker-stack.yml)" ] || return 1
  for node in "${NODES[@]}"; do
    ! on "$node" ps --format '{{.Status}}' | grep -Eq 'health: starting|unhealthy' || return 1
  done
}

deploy() {
  local t start=$SECONDS
  t=$(tag)
  [ "$(swarm_state node1 2>/dev/null)" = active ] || { log "no cluster: make cluster-up"; exit 1; }
  ensure_certificate
  docker compose build --quiet
  push_images "$t"
  log "pushed $(stack_images | wc -l) images as :$t in $((SECONDS - start)) s"
  pull_images "$t"
  log "every node pulled them ($((SECONDS - start)) s)"
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
  unset BASIC_AUTH_PASSWORD  # the stack reads the secret file, never the variable
  # The gateway's ports inside node1 are the host's (node1 publishes them 1:1 on 127.0.0.1), so its
  # redirects name the port clients use.
  export GATEWAY_HTTPS_PORT=$HTTPS_PORT GATEWAY_HTTP_PORT=$HTTP_PORT CLUSTER_TAG=$t CLUSTER_REGISTRY=$REGISTRY:5000
  # --detach=false: returns once every service changed by this deploy has rolled out (the CLI follows each
  # update as `docker service update` does). Without it a redeploy returned at once: the old tasks still
  # ran, healthy, so the wait below saw a converged stack before the update had started.
  local deadline=$((SECONDS + TIMEOUT))
  log "deploying stack $STACK (:$t); waiting until every task runs healthy (${TIMEOUT} s at most)"
  DOCKER_HOST="unix://$RUN_DIR/node1/docker.sock" timeout "$TIMEOUT" docker stack deploy --prune --detach=false \
    -c docker-stack.yml -c docker-stack.cluster.yml "$STACK" >/dev/null
  until converged; do
    if [ $SECONDS -ge $deadline ]; then
      on node1 stack ps "$STACK" --no-trunc >&2 || true
      log "stack $STACK did not converge in ${TIMEOUT} s"; exit 1
    fi
    sleep 2
  done
  # Healthy inside node1 is not yet reachable from the host: the first TLS handshake through node1's
  # published port can take seconds on a loaded machine. Ready when /healthz answers on loopback.
  deadline=$((SECONDS + 60))
  until curl -fsS -o /dev/null --max-time 10 --cacert deployments/nginx/certs/nginx.crt "https://127.0.0.1:$HTTPS_PORT/healthz"; do
    [ $SECONDS -lt $deadline ] || { log "https://127.0.0.1:$HTTPS_PORT/healthz did not answer in 60 s"; exit 1; }
    sleep 1
  done
  log "deployed in $((SECONDS - start)) s: https://127.0.0.1:$HTTPS_PORT (make credentials STACK=cluster)"
}

status() {
  on node1 node ls --format 'table {{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}\t{{.EngineVersion}}'
  echo
  on node1 stack ps "$STACK" --filter desired-state=running --format 'table {{.Name}}\t{{.Node}}\t{{.CurrentState}}\t{{.Image}}' 2>/dev/null \
    || echo "no stack $STACK deployed (make cluster-deploy)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  deploy) deploy ;;
  status) status ;;
  docker) shift; on node1 "$@" ;;
  *) echo "usage: $0 up|deploy|status|down|docker ARGS..." >&2; exit 2 ;;
esac
