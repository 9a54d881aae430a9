#!/usr/bin/env bash
# Prints the gateway's basic-auth credentials as "USER PASSWORD" for the given stack:
#   aspire  - the AppHost's generated secret parameter (its user secrets)
#   compose - the git-ignored .env that `make up` generates
# Never echo these into logs you share.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${1:-aspire}
case "$stack" in
  aspire)
    secrets=$(dotnet user-secrets list --project MlopsExam.AppHost 2>/dev/null || true)
    user=$(sed -n 's/^Parameters:basic-auth-user = //p' <<<"$secrets")
    password=$(sed -n 's/^Parameters:basic-auth-password = //p' <<<"$secrets")
    if [ -z "$password" ]; then
      echo "No AppHost password yet: it is generated on the first 'make run'." >&2; exit 1
    fi
    echo "${user:-mlops} $password" ;;
  compose)
    [ -f .env ] || { echo "No .env yet: 'make up' generates it." >&2; exit 1; }
    # shellcheck disable=SC1091
    set -a; . ./.env; set +a
    echo "${BASIC_AUTH_USER:-mlops} ${BASIC_AUTH_PASSWORD:?BASIC_AUTH_PASSWORD missing in .env}" ;;
  *) echo "usage: $0 aspire|compose" >&2; exit 2 ;;
esac
