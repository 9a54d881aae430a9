# Functions shared by the gateway's docker-entrypoint.sh and its /docker-entrypoint.d/ scripts:
# messages, atomic file replacement, templates. POSIX sh, sourced; the image copies this file to
# /usr/local/lib/mlopsexam/gateway.sh.

# What the scripts write at run time (a tmpfs under compose and the AppHost), read by nginx.
GEN_DIR=/run/nginx/generated
TEMPLATE_DIR=/etc/nginx/templates
# What must outlive a restart (the canary weight set at run time): a volume (gateway-state).
STATE_DIR=/var/lib/gateway

# The names' resolution, split_list and resolve.
. /usr/local/lib/mlopsexam/resolve.sh

log() {
    echo "gateway-entrypoint: $*" >&2
}

die() {
    echo "gateway-entrypoint: error: $*" >&2
    exit 64
}

# Atomic replace: nginx never reads a half-written file.
install_file() { # tmpfile target
    mv -f "$1" "$2"
}

# TEMPLATE (a file in templates/) with its comment lines left out (they document the template)
# and each ${NAME} given as NAME=VALUE replaced by VALUE; envsubst touches no other name, so nginx's
# own variables ($host, ${request_id}) stay as they are. An upper-case ${NAME} left over means the
# script does not supply a value the template needs: an error, not an empty string.
render() { # TEMPLATE NAME=VALUE...
    template=$TEMPLATE_DIR/$1
    shift
    [ -r "$template" ] || die "$template is missing"
    names=""
    for assignment in "$@"; do names="$names \${${assignment%%=*}}"; done
    rendered=$(sed '/^[[:space:]]*#/d' "$template" | env "$@" envsubst "$names")
    case $rendered in
        *'${'[A-Z]*) die "$template needs $(printf '%s' "$rendered" | grep -o '\${[A-Z][A-Z0-9_]*}' | sort -u | paste -sd' '), which ${0##*/} does not give" ;;
    esac
    printf '%s\n' "$rendered"
}

# TARGET (a file in GEN_DIR) from TEMPLATE, replaced atomically, under a line that says where it
# comes from.
render_file() { # TARGET TEMPLATE NAME=VALUE...
    target=$GEN_DIR/$1
    shift
    {
        echo "# Generated from $TEMPLATE_DIR/$1 by ${0##*/}; do not edit."
        render "$@"
    } > "$target.tmp"
    install_file "$target.tmp" "$target"
}

# $canary_pool for PERCENT % of clients to api_v2 (conf.d/ab-routing.conf): a split_clients block
# strictly between 0 and 100 %, a constant map for 0 or 100 %, which split_clients cannot express.
render_canary() { # PERCENT
    case $1 in
        0) render_file canary-pool.conf canary-pool.fixed.conf.template CANARY_POOL=api_v1 ;;
        100) render_file canary-pool.conf canary-pool.fixed.conf.template CANARY_POOL=api_v2 ;;
        *) render_file canary-pool.conf canary-pool.split.conf.template CANARY_PERCENT="$1" ;;
    esac
}

# The weight in force for Prometheus (job gateway-canary): sites/internal.conf serves this file on
# the internal port as /canary/metrics.
write_canary_metrics() { # PERCENT
    render canary.prom.template CANARY_PERCENT="$1" CHANGED_AT="$(date +%s)" > "$GEN_DIR/canary.prom.tmp"
    install_file "$GEN_DIR/canary.prom.tmp" "$GEN_DIR/canary.prom"
}

# The master's accepting worker processes (their pids), from /proc: the children of the pid in
# nginx.pid titled "nginx: worker process".
worker_pids() {
    master=$(cat /run/nginx/nginx.pid 2>/dev/null) || return 0
    for stat in /proc/[0-9]*/stat; do
        # pid (comm) state ppid ...: comm is "nginx", without spaces.
        read -r pid _ _ ppid _ < "$stat" 2>/dev/null || continue
        [ "$ppid" = "$master" ] || continue
        # Not the upstream watcher (50-upstreams.sh), also a child; not a worker already leaving.
        case $(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") in
            *"shutting down"*) ;;
            "nginx: worker process"*) echo "$pid" ;;
        esac
    done
    return 0
}

# nginx -s reload only signals the master and returns: for a moment after it, the old workers still
# accept connections with the old configuration (a canary weight of 0 could still send a client to
# v2). This reloads, then waits (up to 10 s) until every worker of before has exited or is "shutting
# down": the master quits the old workers only once the new ones run, and a worker shutting down has
# closed its listening sockets, so from then on every new connection gets the new configuration.
reload_nginx() {
    old=$(worker_pids)
    nginx -e stderr -s reload || return 1
    for _ in $(seq 100); do
        pending=""
        for pid in $old; do
            title=$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") || continue
            case $title in *"shutting down"*) ;; *) pending="$pending $pid" ;; esac
        done
        [ -z "$pending" ] && return 0
        sleep 0.1
    done
    log "nginx reloaded, but worker(s)$pending still accept with the previous configuration after 10 s"
    return 0
}
