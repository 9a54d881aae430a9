# Name resolution for the entrypoints of the gateway (docker-entrypoint.d/50-upstreams.sh) and of
# Prometheus (its docker-entrypoint.sh): both turn a list of host:port into one entry per address,
# so that every replica behind a name is balanced or scraped on its own. POSIX sh, sourced; both
# images copy this file to /usr/local/lib/mlopsexam/resolve.sh (build context: deployments/).

# "a:1, b:2  c:3" -> one entry per line (commas, spaces and tabs separate entries).
split_list() {
    printf '%s\n' "$1" | tr ', \t' '\n\n\n' | sed '/^$/d'
}

# The IPv4 addresses of HOST now, one per line, sorted: an IP is itself; a name is what the
# resolver says (/etc/hosts, then Docker's DNS, which answers every replica of a compose service,
# or of a swarm service's tasks.<name>). Nothing when the name does not resolve.
resolve() { # HOST
    case $1 in
        *[!0-9.]*) getent ahostsv4 "$1" 2>/dev/null | awk '{ print $1 }' | sort -u ;;
        *) echo "$1" ;;
    esac
}
