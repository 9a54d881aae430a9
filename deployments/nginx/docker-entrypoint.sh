#!/bin/sh
# Gateway entrypoint: renders the runtime part of the nginx configuration from
# the environment, starts the upstream watcher, then execs the command
# (default: nginx -e stderr -g 'daemon off;'). Runs as the unprivileged user
# nginx (uid 10101), like nginx itself; writes only to /run/nginx (a tmpfs) and,
# once, the certificate pair into /etc/nginx/certs.
#
# Environment:
#   API_V1_SERVERS       required  host:port list (spaces or commas) -> upstream api_v1
#   API_V2_SERVERS       required  same, -> upstream api_v2 (api_v1's servers are its backup)
#   BASIC_AUTH_PASSWORD_FILE       file holding the password for /predict (a compose/swarm
#                                  secret; preferred: no environment variable shows it)
#   BASIC_AUTH_PASSWORD            the password itself, when no file is given (never printed)
#   BASIC_AUTH_USER      mlops     user name for /predict
#   BASIC_AUTH_HASH      auto      auto | ssha | sha512crypt (AUTH-THREAT-MODEL.md)
#   TLS_HOSTNAMES        localhost DNS names/IPs for a generated cert (CN = first)
#   PUBLIC_HTTPS_PORT    443       port the plain-HTTP redirect points to
#   RATE_LIMIT_RPS       10        /predict requests per second per client address
#   RATE_LIMIT_BURST     5         requests above the rate a client may send at once
#   CANARY_PERCENT       0         share of clients (X-Client-Id, else address) sent to v2
#   SHADOW_PERCENT       0         share of v1 requests copied to v2 (X-Shadow: 1 to v1)
#   UPSTREAM_WATCH_INTERVAL 2      seconds between DNS checks of the upstream names; 0: off
#
# Writes (in /run/nginx/generated, every start; upstreams.conf again on changes):
#   upstreams.conf, https-port.conf, rate-limit-zone.conf, rate-limit-predict.conf,
#   experiments.conf, .htpasswd (mode 600)
#   /etc/nginx/certs/nginx.crt + nginx.key (key 600)        only when both are absent
# /etc/nginx/certs is a bind mount of deployments/nginx/certs/, which the host
# makes writable for uid 10101 (scripts/prepare-gateway-files.sh).
set -eu

CERT_DIR=/etc/nginx/certs
GEN_DIR=/run/nginx/generated

die() {
    echo "gateway-entrypoint: error: $*" >&2
    exit 64
}

# "a:1, b:2  c:3" -> one entry per line
split_list() {
    printf '%s\n' "$1" | tr ', \t' '\n\n\n' | sed '/^$/d'
}

# Atomic replace: nginx never reads a half-written file.
install_file() { # tmpfile target
    mv -f "$1" "$2"
}

# Addresses of "host" now, one per line, sorted: an IP is itself; a name is
# what the resolver says (Docker's DNS gives every replica of a compose service,
# or of a swarm service's tasks.<name>). Nothing when it does not resolve.
resolve() {
    case $1 in
        *[!0-9.]*) getent ahostsv4 "$1" 2>/dev/null | awk '{ print $1 }' | sort -u ;;
        *) echo "$1" ;;
    esac
}

# "server ADDRESS:PORT;" lines for a host:port list.
server_lines() { # env_var_name value
    for entry in $(split_list "$2"); do
        host=${entry%:*}
        port=${entry##*:}
        case $entry in *:*) ;; *) die "$1: '$entry' is not host:port" ;; esac
        case $port in '' | *[!0-9]*) die "$1: '$entry' has no numeric port" ;; esac
        case $host in '' | *[!A-Za-z0-9._-]*) die "$1: '$entry' has an invalid host" ;; esac
        for address in $(resolve "$host"); do
            # Defaults: weight=1 max_fails=1 fail_timeout=10s.
            echo "    server $address:$port;"
        done
    done
}

upstream_block() { # name primary_lines [backup_lines]
    echo "upstream $1 {"
    # Shared memory for the state of the servers (failures, connections),
    # common to all workers (default: per worker).
    echo "    zone $1 64k;"
    if [ -n "$2" ]; then
        printf '%s\n' "$2"
        [ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/;$/ backup;/'
    elif [ -n "${3:-}" ]; then
        # No primary address at all (every v2 replica gone): the backups serve.
        printf '%s\n' "$3"
    else
        # Nothing resolves yet: a placeholder nginx accepts; requests get a JSON 502
        # until the watcher sees an address.
        echo "    server 127.0.0.1:1 down;"
    fi
    # Idle upstream connections kept open per worker (default: none). A
    # connection released while the cache is full is closed, so the cache must
    # hold what one worker has in flight at peak: with 16 it did not (load test:
    # ~45 new upstream connections per 1000 requests, ~1,000 sockets in
    # TIME_WAIT); with 128, under 1. Kestrel keeps an idle connection 130 s,
    # longer than keepalive_timeout (60 s), so nginx always closes first and
    # never reuses a connection the replica is closing.
    # https://nginx.org/en/docs/http/ngx_http_upstream_module.html#keepalive
    echo "    keepalive 128;"
    # Requests per upstream connection before nginx closes it (default: 1000).
    echo "    keepalive_requests 100000;"
    echo "    keepalive_timeout 60s;"
    echo "}"
}

# Both pools from the names as they resolve now. api_v2 lists v1's servers as
# `backup`: when no v2 server answers, a debug request is served by v1 rather
# than failing (conf.d/ab-routing.conf), as ingress-nginx does for a canary
# without endpoints.
render_upstreams() {
    v1=$(server_lines API_V1_SERVERS "$API_V1_SERVERS")
    v2=$(server_lines API_V2_SERVERS "$API_V2_SERVERS")
    echo "# Generated by docker-entrypoint.sh from API_V1_SERVERS='$API_V1_SERVERS' API_V2_SERVERS='$API_V2_SERVERS'; do not edit."
    upstream_block api_v1 "$v1"
    upstream_block api_v2 "$v2" "$v1"
}

# The watcher (why a watcher: see conf.d/upstreams.conf). Every INTERVAL
# seconds it renders the pools again and, only when the set of addresses
# changed, swaps the file and reloads nginx: new workers take the new servers,
# old ones finish what they have in flight, so a replica added by --scale or by
# Swarm gets traffic within seconds and a removed one costs no request.
watch_upstreams() { # interval
    while sleep "$1"; do
        render_upstreams > "$GEN_DIR/upstreams.conf.next" 2>/dev/null || continue
        if ! cmp -s "$GEN_DIR/upstreams.conf.next" "$GEN_DIR/upstreams.conf"; then
            install_file "$GEN_DIR/upstreams.conf.next" "$GEN_DIR/upstreams.conf"
            if nginx -e stderr -t -q 2>/dev/null && nginx -e stderr -s reload 2>/dev/null; then
                echo "gateway-entrypoint: upstreams changed, nginx reloaded: $(grep -c '^    server' "$GEN_DIR/upstreams.conf") server lines" >&2
            fi
        fi
    done
}

# --- upstreams --------------------------------------------------------------
mkdir -p "$GEN_DIR"
[ -n "$(split_list "${API_V1_SERVERS:-}")" ] || die "API_V1_SERVERS is required: a list of host:port separated by spaces or commas, e.g. API_V1_SERVERS='api-v1:8080'"
[ -n "$(split_list "${API_V2_SERVERS:-}")" ] || die "API_V2_SERVERS is required: a list of host:port separated by spaces or commas, e.g. API_V2_SERVERS='api-v2:8080'"
render_upstreams > "$GEN_DIR/upstreams.conf.tmp"
install_file "$GEN_DIR/upstreams.conf.tmp" "$GEN_DIR/upstreams.conf"

# --- redirect port ------------------------------------------------------------
https_port=${PUBLIC_HTTPS_PORT:-443}
case $https_port in '' | *[!0-9]*) die "PUBLIC_HTTPS_PORT must be a port number, got '$https_port'" ;; esac
[ "$https_port" -ge 1 ] && [ "$https_port" -le 65535 ] || die "PUBLIC_HTTPS_PORT out of range: $https_port"
if [ "$https_port" = 443 ]; then suffix=""; else suffix=":$https_port"; fi
{
    echo "# Generated by docker-entrypoint.sh from PUBLIC_HTTPS_PORT=$https_port; do not edit."
    echo "map \$scheme \$https_port_suffix { default \"$suffix\"; }"
} > "$GEN_DIR/https-port.conf.tmp"
install_file "$GEN_DIR/https-port.conf.tmp" "$GEN_DIR/https-port.conf"

# --- rate limit ----------------------------------------------------------------
# nginx takes no variables in limit_req_zone's rate nor in limit_req's burst, so
# both lines are written here (see conf.d/rate-limits.conf for what they mean).
rate=${RATE_LIMIT_RPS:-10}
burst=${RATE_LIMIT_BURST:-5}
case $rate in '' | *[!0-9]* | 0) die "RATE_LIMIT_RPS must be a whole number of requests per second >= 1, got '$rate'" ;; esac
case $burst in '' | *[!0-9]*) die "RATE_LIMIT_BURST must be a whole number >= 0, got '$burst'" ;; esac
{
    echo "# Generated by docker-entrypoint.sh from RATE_LIMIT_RPS=$rate; do not edit."
    echo "limit_req_zone \$binary_remote_addr zone=predict:10m rate=${rate}r/s;"
} > "$GEN_DIR/rate-limit-zone.conf.tmp"
install_file "$GEN_DIR/rate-limit-zone.conf.tmp" "$GEN_DIR/rate-limit-zone.conf"
{
    echo "# Generated by docker-entrypoint.sh from RATE_LIMIT_BURST=$burst; do not edit."
    echo "limit_req zone=predict burst=$burst nodelay;"
} > "$GEN_DIR/rate-limit-predict.conf.tmp"
install_file "$GEN_DIR/rate-limit-predict.conf.tmp" "$GEN_DIR/rate-limit-predict.conf"

# --- experiments: canary share and shadow share --------------------------------
# split_clients takes no variables in its percentages, so the blocks are written
# here; conf.d/ab-routing.conf says how they are used and how the hashing works.
percent() { # name value
    case $2 in '' | *[!0-9]*) die "$1 must be a whole percentage 0-100, got '$2'" ;; esac
    [ "$2" -le 100 ] || die "$1 must be a whole percentage 0-100, got '$2'"
    echo "$2"
}
canary=$(percent CANARY_PERCENT "${CANARY_PERCENT:-0}")
shadow=$(percent SHADOW_PERCENT "${SHADOW_PERCENT:-0}")
# $1 variable, $2 key, $3 percent, $4 value in the share, $5 value outside it.
split_block() {
    if [ "$3" -eq 0 ]; then
        echo "map \$nginx_version $1 { default $5; }"
    elif [ "$3" -eq 100 ]; then
        echo "map \$nginx_version $1 { default $4; }"
    else
        echo "split_clients \"$2\" $1 {"
        echo "    $3% $4;"
        echo "    * $5;"
        echo "}"
    fi
}
{
    echo "# Generated by docker-entrypoint.sh from CANARY_PERCENT=$canary SHADOW_PERCENT=$shadow; do not edit."
    split_block '$canary_pool' '${experiment_client_key}' "$canary" api_v2 api_v1
    split_block '$shadow_copy' '${request_id}' "$shadow" '"1"' '""'
} > "$GEN_DIR/experiments.conf.tmp"
install_file "$GEN_DIR/experiments.conf.tmp" "$GEN_DIR/experiments.conf"

# --- TLS certificate ------------------------------------------------------------
[ -d "$CERT_DIR" ] || die "$CERT_DIR is missing: mount deployments/nginx/certs there"
# The exercise's template names the pair nginx.crt / nginx.key (graders pass
# --cacert ./deployments/nginx/certs/nginx.crt); earlier versions of this
# gateway wrote tls.crt / tls.key: take those over rather than make a new pair.
if [ ! -e "$CERT_DIR/nginx.crt" ] && [ ! -e "$CERT_DIR/nginx.key" ] && [ -e "$CERT_DIR/tls.crt" ] && [ -e "$CERT_DIR/tls.key" ]; then
    mv "$CERT_DIR/tls.key" "$CERT_DIR/nginx.key"
    mv "$CERT_DIR/tls.crt" "$CERT_DIR/nginx.crt"
fi
# A self-signed certificate (ours) that expires within a day is set aside and
# generated again; one issued by a CA and mounted here is left to its owner.
if [ -e "$CERT_DIR/nginx.crt" ] && [ -e "$CERT_DIR/nginx.key" ] \
    && ! openssl x509 -checkend 86400 -noout -in "$CERT_DIR/nginx.crt" >/dev/null 2>&1; then
    subject=$(openssl x509 -noout -subject -in "$CERT_DIR/nginx.crt")
    issuer=$(openssl x509 -noout -issuer -in "$CERT_DIR/nginx.crt")
    if [ "${subject#subject=}" = "${issuer#issuer=}" ]; then
        mv "$CERT_DIR/nginx.crt" "$CERT_DIR/nginx.crt.expired"
        mv "$CERT_DIR/nginx.key" "$CERT_DIR/nginx.key.expired"
        echo "gateway-entrypoint: self-signed $CERT_DIR/nginx.crt expires within a day; generating a new one" >&2
    fi
fi
if [ -e "$CERT_DIR/nginx.crt" ] && [ -e "$CERT_DIR/nginx.key" ]; then
    tls_note="existing $CERT_DIR/nginx.crt"
elif [ -e "$CERT_DIR/nginx.crt" ] || [ -e "$CERT_DIR/nginx.key" ]; then
    die "only one of $CERT_DIR/nginx.crt and nginx.key exists; remove it or add its pair (existing files are never overwritten)"
else
    [ -w "$CERT_DIR" ] || die "$CERT_DIR is not writable by uid $(id -u) and holds no nginx.crt/nginx.key: run scripts/prepare-gateway-files.sh (make env does) so the gateway can generate its certificate there"
    san=""
    cn=""
    for name in $(split_list "${TLS_HOSTNAMES:-localhost}") 127.0.0.1 ::1; do
        case $name in
            *:* | *[!0-9.]*) kind=DNS ;;
            *) kind=IP ;;
        esac
        case $name in *:*) kind=IP ;; esac
        case ",$san," in *",$kind:$name,"*) continue ;; esac
        san="${san:+$san,}$kind:$name"
        [ -n "$cn" ] || cn=$name
    done
    # Self-signed, EC P-256, 365 days. It is its own CA (basicConstraints
    # CA:TRUE from openssl.cnf's v3_ca), so clients can trust nginx.crt directly.
    (
        umask 077
        openssl req -x509 -new -nodes -sha256 -days 365 \
            -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
            -subj "/CN=$cn" \
            -addext "subjectAltName=$san" \
            -addext "extendedKeyUsage=serverAuth" \
            -keyout "$CERT_DIR/nginx.key.tmp" -out "$CERT_DIR/nginx.crt.tmp" 2>/dev/null
    ) || die "openssl could not generate the self-signed certificate"
    chmod 600 "$CERT_DIR/nginx.key.tmp"
    chmod 644 "$CERT_DIR/nginx.crt.tmp"
    install_file "$CERT_DIR/nginx.key.tmp" "$CERT_DIR/nginx.key"
    install_file "$CERT_DIR/nginx.crt.tmp" "$CERT_DIR/nginx.crt"
    tls_note="generated self-signed $CERT_DIR/nginx.crt ($san)"
fi

# --- basic auth ---------------------------------------------------------------
# How the password is stored, and why: AUTH-THREAT-MODEL.md beside this file.
#   BASIC_AUTH_HASH=auto (default): {SSHA} (salted SHA-1, about a microsecond to
#     check) when the password looks machine-generated (>= 128 bits by the
#     character-pool estimate below and >= 12 distinct characters), else SHA-512
#     crypt with 5000 rounds (about 4 ms of a worker's CPU per request, which
#     slows down guessing a weak password from a leaked file); a warning says so.
#   BASIC_AUTH_HASH=ssha | sha512crypt: force one form.
auth_user=${BASIC_AUTH_USER:-mlops}
# The *_FILE convention of the official images: a secret mounted as a file
# (compose/swarm `secrets:`) rather than a variable `docker inspect` shows.
if [ -n "${BASIC_AUTH_PASSWORD_FILE:-}" ]; then
    [ -r "$BASIC_AUTH_PASSWORD_FILE" ] || die "BASIC_AUTH_PASSWORD_FILE=$BASIC_AUTH_PASSWORD_FILE is not a readable file"
    BASIC_AUTH_PASSWORD=$(cat "$BASIC_AUTH_PASSWORD_FILE")
fi
[ -n "${BASIC_AUTH_PASSWORD:-}" ] || die "BASIC_AUTH_PASSWORD_FILE (or BASIC_AUTH_PASSWORD) is required: the password for /predict; refusing to start without it"
case $auth_user in '' | *:* | *[[:space:]]*) die "BASIC_AUTH_USER must be non-empty, without ':' or spaces" ;; esac

# Upper bound of the password's entropy: length x log2(size of the character
# classes it uses). Only builtins see the password (printf, case): never argv.
password_bits() {
    pool=0
    case $1 in *[0-9]*) pool=$((pool + 10)) ;; esac
    case $1 in *[a-z]*) pool=$((pool + 26)) ;; esac
    case $1 in *[A-Z]*) pool=$((pool + 26)) ;; esac
    case $1 in *[!0-9a-zA-Z]*) pool=$((pool + 33)) ;; esac
    awk -v n="${#1}" -v pool="$pool" 'BEGIN { printf "%d", (pool > 1 ? n * log(pool) / log(2) : 0) }'
}
distinct_chars() { printf '%s' "$1" | fold -w1 | sort -u | wc -l; }

hash_mode=${BASIC_AUTH_HASH:-auto}
case $hash_mode in
    auto)
        bits=$(password_bits "$BASIC_AUTH_PASSWORD")
        if [ "$bits" -ge 128 ] && [ "$(distinct_chars "$BASIC_AUTH_PASSWORD")" -ge 12 ]; then
            hash_mode=ssha
        else
            hash_mode=sha512crypt
            echo "gateway-entrypoint: warning: the basic-auth password looks weak (about $bits bits at most); it is stored as SHA-512 crypt, which costs ~4 ms of CPU per request. Prefer the generated password (make env / the AppHost parameter)." >&2
        fi ;;
    ssha | sha512crypt) ;;
    *) die "BASIC_AUTH_HASH must be auto, ssha or sha512crypt, got '$hash_mode'" ;;
esac
if [ "$hash_mode" = ssha ]; then
    # {SSHA}base64(SHA1(password . salt) . salt), checked by nginx itself
    # (ngx_crypt.c), with 16 random bytes of salt. Binary pieces go through
    # files (a shell variable cannot hold a NUL byte).
    (
        umask 077
        openssl rand -out "$GEN_DIR/.salt.tmp" 16
        { printf '%s' "$BASIC_AUTH_PASSWORD"; cat "$GEN_DIR/.salt.tmp"; } | openssl dgst -sha1 -binary > "$GEN_DIR/.digest.tmp"
    ) || die "openssl could not hash the password"
    hash="{SSHA}$(cat "$GEN_DIR/.digest.tmp" "$GEN_DIR/.salt.tmp" | openssl base64 -A)"
    rm -f "$GEN_DIR/.salt.tmp" "$GEN_DIR/.digest.tmp"
else
    # SHA-512 crypt ($6$, 5000 rounds), checked by nginx with crypt(3).
    hash=$(printf '%s\n' "$BASIC_AUTH_PASSWORD" | openssl passwd -6 -stdin) || die "openssl passwd failed"
fi
# In the tmpfs (never the certs bind mount): the hash does not leave the
# container. Master and workers run as nginx, so 600 is enough.
(
    umask 077
    printf '%s:%s\n' "$auth_user" "$hash" > "$GEN_DIR/.htpasswd.tmp"
)
install_file "$GEN_DIR/.htpasswd.tmp" "$GEN_DIR/.htpasswd"
unset BASIC_AUTH_PASSWORD hash

echo "gateway-entrypoint: api_v1=[$(split_list "$API_V1_SERVERS" | paste -sd' ')] api_v2=[$(split_list "$API_V2_SERVERS" | paste -sd' ')]; TLS: $tls_note; htpasswd ($hash_mode) for user '$auth_user'; http redirects to port $https_port; rate limit ${rate} r/s burst ${burst}; canary ${canary}%, shadow ${shadow}%; upstream watch every ${UPSTREAM_WATCH_INTERVAL:-2} s" >&2

interval=${UPSTREAM_WATCH_INTERVAL:-2}
case $interval in '' | *[!0-9]*) die "UPSTREAM_WATCH_INTERVAL must be whole seconds, got '$interval'" ;; esac
if [ "$interval" -gt 0 ] && [ "${1:-}" = nginx ]; then
    watch_upstreams "$interval" &
fi
exec "$@"
