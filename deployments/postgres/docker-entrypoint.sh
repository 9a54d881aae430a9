#!/usr/bin/env bash
# The official postgres image's contract, shortened: on first start (empty $PGDATA) initdb with
# POSTGRES_USER as superuser and the password from POSTGRES_PASSWORD_FILE (else POSTGRES_PASSWORD),
# then create POSTGRES_DB; every start then runs postgres in the foreground as this container's
# only process. Password authentication (scram-sha-256) for every network client; nothing trusted
# but the local socket, which only this container sees.
set -euo pipefail

log() { printf '[postgres-entrypoint] %s\n' "$*" >&2; }

# Everything else (psql, pg_isready ...) runs as asked.
if [ "${1:-}" != postgres ]; then exec "$@"; fi

: "${PGDATA:?PGDATA must be set}"
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
  [ -r "$POSTGRES_PASSWORD_FILE" ] || { log "POSTGRES_PASSWORD_FILE=$POSTGRES_PASSWORD_FILE is not readable"; exit 1; }
  POSTGRES_PASSWORD=$(< "$POSTGRES_PASSWORD_FILE")
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || { log "no password: set POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD)"; exit 1; }
  log "initialising $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
  pwfile=$(mktemp /var/run/postgresql/pw.XXXXXX)
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a word list, as in the official image
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  {
    echo "# Written by docker-entrypoint.sh: the socket is local to the container; every network client gives the password."
    echo "local all all trust"
    echo "host  all all all scram-sha-256"
  } > "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    # Single-user mode: no listener while the database is created.
    echo "CREATE DATABASE \"$POSTGRES_DB\"" | postgres --single -j -D "$PGDATA" postgres >/dev/null
  fi
  log "initialised"
fi
unset POSTGRES_PASSWORD

# listen_addresses='*' inside the container: only the compose network reaches it (no port is published).
exec postgres -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "${@:2}"
