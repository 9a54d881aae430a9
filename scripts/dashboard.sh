#!/usr/bin/env bash
# `make dashboard`: the login URL of the running stack's Aspire dashboard (traces, metrics, structured logs).
#   compose  the dashboard service's UI, published on 127.0.0.1 (DASHBOARD_PORT, 18888), with the browser
#            token of .secrets/dashboard_token (make env writes it)
#   Swarm    not published (Swarm cannot bind to 127.0.0.1 alone): the task's address on docker_gwbridge,
#            the bridge every Swarm container has to this host, which only this host reaches
#   AppHost  `make run` prints its own dashboard's login URL when it starts
set -euo pipefail
cd "$(dirname "$0")/.."
token_file=.secrets/dashboard_token
token() {
  [ -s "$token_file" ] || { echo "dashboard: no $token_file (make env writes it)" >&2; exit 1; }
  cat "$token_file"
}

# Asked of compose itself: a label filter would also match the Swarm task, whose image `docker compose build`
# labelled with the compose project and service (a container inherits its image's labels).
id=$(docker compose ps -q --status running dashboard 2>/dev/null | head -n1)
if [ -n "$id" ]; then
  address=$(docker compose port dashboard 18888)
  echo "http://${address}/login?t=$(token)"
  exit 0
fi
id=$(docker ps -q --filter label=com.docker.swarm.service.name=mlopsexam_dashboard 2>/dev/null | head -n1)
if [ -n "$id" ]; then
  # The bridge is not among the container's own networks (docker inspect lists the overlay only): the
  # bridge's list of endpoints has it, by full container id.
  full_id=$(docker inspect -f '{{.Id}}' "$id")
  address=$(docker network inspect docker_gwbridge -f "{{with index .Containers \"$full_id\"}}{{.IPv4Address}}{{end}}" 2>/dev/null)
  address=${address%/*}
  [ -n "$address" ] || { echo "dashboard: the Swarm task $id has no docker_gwbridge address" >&2; exit 1; }
  echo "http://${address}:18888/login?t=$(token)"
  exit 0
fi
echo "dashboard: no compose or Swarm dashboard is running (make up, make swarm-up); under make run, the AppHost prints its own login URL" >&2
exit 1
