#!/usr/bin/env bash
# Makes this machine ready to build and run the stack's containers, idempotently.
#
# On a developer laptop with Docker and internet access this does nothing
# harmful: every step first checks whether its result is already there.
# On a fresh, offline Debian bookworm machine (this project's CI) it
#   1. installs Debian's docker.io (engine), and compose v2 + buildx from
#      Debian trixie (bookworm has neither as CLI plugins),
#   2. starts dockerd when no daemon answers,
#   3. provides the public base images the Dockerfiles name, when they are
#      absent and cannot be pulled, as local stand-ins built from Debian
#      (debootstrap --variant=minbase trixie + docker import),
#   4. likewise for the .NET images of MlopsExam.Api/Dockerfile
#      (mcr.microsoft.com/dotnet/sdk and aspnet): Debian + this machine's .NET
#      + ICU; a stand-in built from an older recipe is rebuilt (see below).
set -euo pipefail

log() { printf '[bootstrap] %s\n' "$*" >&2; }

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=${BASE_IMAGE:-debian:trixie-slim}
# Aspire's container tunnel builds its proxy image from this base.
TUNNEL_BASE_IMAGE=${TUNNEL_BASE_IMAGE:-mcr.microsoft.com/azurelinux/base/core:3.0}
# Base images of MlopsExam.Api/Dockerfile, and what their stand-ins are made of.
DOTNET_SDK_IMAGE=${DOTNET_SDK_IMAGE:-mcr.microsoft.com/dotnet/sdk:10.0}
DOTNET_ASPNET_IMAGE=${DOTNET_ASPNET_IMAGE:-mcr.microsoft.com/dotnet/aspnet:10.0}
HOST_DOTNET_ROOT=${HOST_DOTNET_ROOT:-/usr/share/dotnet}
HOST_CA_BUNDLE=${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd-mlopsexam.log}
STATE_DIR=${STATE_DIR:-/var/lib/mlopsexam-bootstrap}

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "installing packages needs root; run: sudo $0"; exit 1
  fi
}

apt_updated=0
apt_update_once() {
  if [ $apt_updated -eq 0 ]; then
    apt-get update -qq; apt_updated=1
  fi
}

install_engine() {
  if command -v dockerd >/dev/null 2>&1; then return; fi
  need_root
  log "installing docker.io (Debian)"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io iptables ca-certificates debootstrap >/dev/null
}

# What the tests and `make predict` call on the host: curl (HTTP/2 bursts), openssl (TLS
# handshakes), jq (request bodies), promtool (the recording rules' unit tests; Debian ships it in
# the prometheus package), PostgreSQL's server binaries (the feedback tests start a throwaway
# server on 127.0.0.1: MlopsExam.Tests/Infrastructure/LocalPostgres.cs; Debian's postgresql package,
# whose own cluster is not started, see policy-rc.d below). Present on most machines; installed
# when one is missing.
install_host_tools() {
  local missing=() tool
  for tool in curl openssl jq promtool; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$([ "$tool" = promtool ] && echo prometheus || echo "$tool")")
  done
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return
  need_root
  log "installing ${missing[*]}"
  apt_update_once
  # The prometheus package would start its own server on :9090, where the stacks publish theirs
  # (and postgresql its cluster on :5432):
  # a policy-rc.d (unless the machine has one) tells its install not to start anything.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; own_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ $own_policy -eq 1 ]; then rm -f "$policy"; fi
  # Nor at the next boot (systemd machines): only promtool is wanted.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable prometheus >/dev/null 2>&1 || true
  fi
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable postgresql >/dev/null 2>&1 || true
  fi
}

plugin_ok() { docker "$1" version >/dev/null 2>&1; }

install_plugins() {
  if plugin_ok compose && plugin_ok buildx; then return; fi
  need_root
  log "installing docker-compose (v2) and docker-buildx from Debian trixie"
  # trixie is added with a low pin so nothing else is upgraded from it.
  if [ ! -f /etc/apt/sources.list.d/mlopsexam-trixie.list ]; then
    echo "deb $DEBIAN_MIRROR trixie main" > /etc/apt/sources.list.d/mlopsexam-trixie.list
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/mlopsexam-trixie
    apt_updated=0
  fi
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t trixie docker-compose docker-buildx >/dev/null
}

start_daemon() {
  if docker info >/dev/null 2>&1; then return; fi
  need_root
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid: the daemon outlives this script; make down/clean leave it running. It must not keep
  # the caller's other descriptors either (a flock the caller holds, a pipe a test reads to its
  # end): the subshell closes every one above stderr before it becomes dockerd.
  (
    for fd in /proc/self/fd/*; do
      n=${fd##*/}
      if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-" 2>/dev/null || true; fi
    done
    exec setsid dockerd >"$DOCKERD_LOG" 2>&1 < /dev/null
  ) &
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then log "dockerd is up"; return; fi
    sleep 1
  done
  log "dockerd did not answer within 60 s; see $DOCKERD_LOG"; tail -n 30 "$DOCKERD_LOG" >&2; exit 1
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Pull if possible (online machines get the real image); otherwise build the
# Debian stand-in once and tag it with the public name.
ensure_base_image() {
  if have_image "$BASE_IMAGE"; then return; fi
  if timeout 60 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then log "pulled $BASE_IMAGE"; return; fi
  need_root
  command -v debootstrap >/dev/null || { apt_update_once; apt-get install -y -qq debootstrap >/dev/null; }
  local rootfs; rootfs=$(mktemp -d /tmp/mlopsexam-rootfs.XXXXXX)
  log "building $BASE_IMAGE stand-in with debootstrap (about 30 s)"
  debootstrap --variant=minbase trixie "$rootfs" "$DEBIAN_MIRROR" >/dev/null
  # Same slimming the official image applies: no apt caches, no docs.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "built $BASE_IMAGE"
}

ensure_tunnel_image() {
  if have_image "$TUNNEL_BASE_IMAGE"; then return; fi
  if timeout 60 docker pull -q "$TUNNEL_BASE_IMAGE" >/dev/null 2>&1; then return; fi
  log "tagging $BASE_IMAGE as $TUNNEL_BASE_IMAGE (stand-in for Aspire's container tunnel)"
  docker tag "$BASE_IMAGE" "$TUNNEL_BASE_IMAGE"
}

# Stand-ins for the official .NET images, for offline machines only: online ones pull the real
# images, and nothing below runs. Their recipe is scripts/standins/dotnet.Dockerfile (what they
# hold and why, there), built from debian:trixie-slim and this machine's own .NET.
DOTNET_STANDIN_DOCKERFILE=$(cd "$(dirname "$0")" && pwd)/standins/dotnet.Dockerfile

# The recipe's identity: a stand-in carries it as a label, so one built from an older recipe (a
# library added, ...) is rebuilt rather than kept because it is "present". Comment lines are left
# out: rewording one rebuilds nothing. Images pulled from a registry are never touched.
STANDIN_RECIPE=$(grep -v '^[[:space:]]*#' "$DOTNET_STANDIN_DOCKERFILE" | sha256sum | cut -c1-16)

# True for a local stand-in (no registry digest) whose recipe label is not the current one.
standin_outdated() {
  local digests recipe
  digests=$(docker image inspect -f '{{len .RepoDigests}}' "$1")
  [ "$digests" = 0 ] || return 1
  recipe=$(docker image inspect -f '{{with .Config.Labels}}{{index . "org.mlopsexam.standin-recipe"}}{{end}}' "$1")
  [ "$recipe" != "$STANDIN_RECIPE" ]
}

# Present and current: a pulled image, or a stand-in of this recipe.
have_current_image() { have_image "$1" && ! standin_outdated "$1"; }

ensure_dotnet_images() {
  local missing=() image
  for image in "$DOTNET_ASPNET_IMAGE" "$DOTNET_SDK_IMAGE"; do
    if have_image "$image" && standin_outdated "$image"; then
      log "$image is a stand-in from an older recipe: rebuilding it (recipe $STANDIN_RECIPE)"
      missing+=("$image"); continue
    fi
    if have_image "$image"; then continue; fi
    if timeout 60 docker pull -q "$image" >/dev/null 2>&1; then log "pulled $image"; continue; fi
    missing+=("$image")
  done
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  [ -x "$HOST_DOTNET_ROOT/dotnet" ] || { log "cannot build ${missing[*]}: no .NET in $HOST_DOTNET_ROOT (HOST_DOTNET_ROOT=...)"; exit 1; }

  # Temporary build context: hard links (a copy across file systems) of the
  # host's .NET split into what each image gets, the CA bundle, the recipe.
  local ctx entry; ctx=$(mktemp -d /tmp/mlopsexam-dotnet.XXXXXX)
  # shellcheck disable=SC2064 # expanded now: $ctx is local
  trap "rm -rf '$ctx'" EXIT
  mkdir -p "$ctx/aspnet/shared" "$ctx/sdk"
  cp -al "$HOST_DOTNET_ROOT/dotnet" "$HOST_DOTNET_ROOT/host" "$ctx/aspnet/" 2>/dev/null \
    || cp -a "$HOST_DOTNET_ROOT/dotnet" "$HOST_DOTNET_ROOT/host" "$ctx/aspnet/"
  for entry in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
    cp -al "$HOST_DOTNET_ROOT/shared/$entry" "$ctx/aspnet/shared/" 2>/dev/null || cp -a "$HOST_DOTNET_ROOT/shared/$entry" "$ctx/aspnet/shared/"
  done
  for entry in "$HOST_DOTNET_ROOT"/*; do
    case ${entry##*/} in dotnet | host | shared) continue ;; esac
    cp -al "$entry" "$ctx/sdk/" 2>/dev/null || cp -a "$entry" "$ctx/sdk/"
  done
  cp "$HOST_CA_BUNDLE" "$ctx/ca-certificates.crt"
  cp "$DOTNET_STANDIN_DOCKERFILE" "$ctx/Dockerfile"

  log "building stand-ins for ${missing[*]} from $BASE_IMAGE + $HOST_DOTNET_ROOT (offline machine; about 20 s)"
  # The sdk stage is FROM the aspnet stage: building both shares its layers.
  local target
  for target in aspnet sdk; do
    if [ "$target" = aspnet ]; then image=$DOTNET_ASPNET_IMAGE; else image=$DOTNET_SDK_IMAGE; fi
    if have_current_image "$image"; then continue; fi
    if ! DOCKER_BUILDKIT=1 docker build -q --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "STANDIN_RECIPE=$STANDIN_RECIPE" \
        --target "$target" -t "$image" "$ctx" >"$ctx/build.log" 2>&1; then
      log "building $image failed:"; tail -n 30 "$ctx/build.log" >&2; exit 1
    fi
    log "built $image"
  done
  rm -rf "$ctx"; trap - EXIT
}

main() {
  install_host_tools
  install_engine
  install_plugins
  start_daemon
  ensure_base_image
  ensure_tunnel_image
  ensure_dotnet_images
  log "ready: $(docker version --format 'engine {{.Server.Version}}') $(docker compose version --short) buildx $(docker buildx version | awk '{print $2}')"
}

main "$@"
