#!/bin/sh
# Gateway entrypoint, after the official nginx image's: runs the one-concern scripts of
# /docker-entrypoint.d/ in the order of their numbers, then execs the command (default:
# nginx -e stderr -g 'daemon off;'). Runs as the unprivileged user nginx (uid 10101), like nginx
# itself; writes only to /run/nginx (a tmpfs) and, once, the certificate pair into
# /etc/nginx/certs.
#
#   10-validate-settings.envsh   every setting (the list is there): default, check, export
#   20-tls-certificate.sh        /etc/nginx/certs/nginx.crt + nginx.key, generated when absent
#   30-htpasswd.envsh            /run/nginx/generated/.htpasswd from the basic-auth credentials
#   40-envsubst-on-templates.sh  the redirect port and the rate limit, from templates/
#   45-experiments.sh            the canary and shadow shares, from templates/
#   50-upstreams.sh              the pools' servers, and the watcher that follows the replicas
#
# A script named *.envsh is sourced: it sets what the scripts after it read, or takes something
# out of this shell's environment (the password, before the watcher and nginx start). A script
# named *.sh runs as its own process, with the command as its arguments (50-upstreams.sh starts
# the watcher only for nginx). The first one that fails stops the container with its status
# (64 for a bad setting). Every nginx directive is in a .conf file or a template under
# /etc/nginx; these scripts supply values only.
set -eu
. /usr/local/lib/mlopsexam/gateway.sh

mkdir -p "$GEN_DIR"
for script in /docker-entrypoint.d/*; do
    case $script in
        *.envsh) . "$script" ;;
        *.sh) "$script" "$@" ;;
        *) die "$script is neither a *.sh nor a *.envsh script" ;;
    esac
done
exec "$@"
