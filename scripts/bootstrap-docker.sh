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
#      (debootstrap --variant=minbase trixie + docker import).
set -euo pipefail

log() { printf '[bootstrap] %s\n' "$*" >&2; }

DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=${BASE_IMAGE:-debian:trixie-slim}
# Aspire's container tunnel builds its proxy image from this base.
TUNNEL_BASE_IMAGE=${TUNNEL_BASE_IMAGE:-mcr.microsoft.com/azurelinux/base/core:3.0}
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
  # setsid: the daemon outlives this script; make down/clean leave it running.
  setsid dockerd >"$DOCKERD_LOG" 2>&1 < /dev/null &
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

main() {
  install_engine
  install_plugins
  start_daemon
  ensure_base_image
  ensure_tunnel_image
  log "ready: $(docker version --format 'engine {{.Server.Version}}') $(docker compose version --short) buildx $(docker buildx version | awk '{print $2}')"
}

main "$@"
