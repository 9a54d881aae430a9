#!/usr/bin/env bash
# Prints the gateway's basic-auth credentials as "USER PASSWORD" for the given stack:
#   aspire  - the AppHost's secret parameter, kept in its user secrets (outside the repository)
#   compose - the git-ignored .env that `make up` generates
#   cluster - the same .env (`make cluster-deploy` reads it, as scripts/swarm.sh does)
# With --ensure (aspire), a random password is stored first when none exists yet, exactly as the
# AppHost's generated default would do on its first run; `make run` uses this to print it up front.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${1:-aspire}
ensure=${2:-}
# BASIC_AUTH_USER / BASIC_AUTH_PASSWORD in the environment win, for both stacks (compose and the
# AppHost read them first too).
env_user=${BASIC_AUTH_USER:-}
env_password=${BASIC_AUTH_PASSWORD:-}
if [ -n "$env_password" ]; then echo "${env_user:-mlops} $env_password"; exit 0; fi
case "$stack" in
  aspire)
    secrets=$(dotnet user-secrets list --project MlopsExam.AppHost 2>/dev/null || true)
    password=$(sed -n 's/^Parameters:basic-auth-password = //p' <<<"$secrets")
    if [ -z "$password" ] && [ "$ensure" = "--ensure" ]; then
      password=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | head -c 24)
      # Through stdin (JSON), so the password never shows on a command line.
      printf '{"Parameters:basic-auth-password": "%s"}' "$password" \
        | dotnet user-secrets set --project MlopsExam.AppHost >/dev/null
    fi
    if [ -z "$password" ]; then
      echo "No AppHost password yet: it is generated on the first 'make run'." >&2; exit 1
    fi
    user=$(sed -n 's/^Parameters:basic-auth-user = //p' <<<"$secrets")
    echo "${env_user:-${user:-mlops}} $password" ;;
  compose | cluster)
    [ -f .env ] || { echo "No .env yet: 'make up' generates it." >&2; exit 1; }
    # shellcheck disable=SC1091
    set -a; . ./.env; set +a
    echo "${env_user:-${BASIC_AUTH_USER:-mlops}} ${BASIC_AUTH_PASSWORD:?BASIC_AUTH_PASSWORD missing in .env}" ;;
  *) echo "usage: $0 aspire|compose|cluster [--ensure]" >&2; exit 2 ;;
esac
