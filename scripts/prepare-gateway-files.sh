#!/usr/bin/env bash
# Prepares, on the host, what the unprivileged gateway container (uid 10101, see
# deployments/nginx/Dockerfile) reads or writes through bind mounts. Used by `make env`
# (compose, swarm) and by the AppHost before it starts the gateway.
#
#   scripts/prepare-gateway-files.sh                   the certificate folder only
#   scripts/prepare-gateway-files.sh --secret FILE     also writes the password read from stdin
#
# 1. deployments/nginx/certs: owned by uid 10101, so the gateway can generate its
#    self-signed pair there at first start (nginx.crt 644, nginx.key 600, owned by 10101).
# 2. FILE: the basic-auth password, in a folder of mode 0700; the file is 0400 and
#    owned by uid 10101, so only the gateway's user (and root) reads it. Without root,
#    chown is impossible: the file is then 0444, still unreadable by other local
#    users thanks to its 0700 folder (the container reads it through Docker's mount).
set -euo pipefail
cd "$(dirname "$0")/.."
GATEWAY_UID=${GATEWAY_UID:-10101}
root=0; [ "$(id -u)" -eq 0 ] && root=1

certs=deployments/nginx/certs
mkdir -p "$certs"
if [ $root -eq 1 ]; then
  chown -R "$GATEWAY_UID:$GATEWAY_UID" "$certs"
  chmod 0755 "$certs"
elif [ "$(stat -c %u "$certs")" != "$GATEWAY_UID" ] && ! { [ -r "$certs/nginx.crt" ] && [ -e "$certs/nginx.key" ]; }; then
  echo "prepare-gateway-files: warning: $certs is not owned by uid $GATEWAY_UID and cannot be chowned without root;" \
       "the gateway cannot generate its certificate there (run once as root, or put nginx.crt/nginx.key there yourself)" >&2
fi

if [ "${1:-}" = --secret ]; then
  file=${2:?usage: $0 --secret FILE (password on stdin)}
  dir=$(dirname "$file")
  mkdir -p "$dir"
  chmod 0700 "$dir"
  tmp=$(umask 077 && mktemp "$dir/.secret.XXXXXX")
  cat > "$tmp"
  [ -s "$tmp" ] || { rm -f "$tmp"; echo "prepare-gateway-files: empty password on stdin" >&2; exit 1; }
  if [ $root -eq 1 ]; then
    chown "$GATEWAY_UID:$GATEWAY_UID" "$tmp"
    chmod 0400 "$tmp"
  else
    chmod 0444 "$tmp"
  fi
  mv -f "$tmp" "$file"
fi
