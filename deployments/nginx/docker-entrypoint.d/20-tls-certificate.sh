#!/bin/sh
# The certificate pair sites/api-https.conf serves: /etc/nginx/certs/nginx.crt and nginx.key,
# the names of the exercise's template (graders pass --cacert ./deployments/nginx/certs/nginx.crt).
# A pair found there is used as it is; none: a self-signed one for TLS_HOSTNAMES is generated
# (key mode 600); ours expiring within a day: set aside and generated again.
# /etc/nginx/certs is a bind mount of deployments/nginx/certs/, which the host makes writable
# for uid 10101 (scripts/prepare-gateway-files.sh).
set -eu
. /usr/local/lib/mlopsexam/gateway.sh

CERT_DIR=/etc/nginx/certs

[ -d "$CERT_DIR" ] || die "$CERT_DIR is missing: mount deployments/nginx/certs there"
# Earlier versions of this gateway wrote tls.crt / tls.key: take those over rather than make a
# new pair.
if [ ! -e "$CERT_DIR/nginx.crt" ] && [ ! -e "$CERT_DIR/nginx.key" ] && [ -e "$CERT_DIR/tls.crt" ] && [ -e "$CERT_DIR/tls.key" ]; then
    mv "$CERT_DIR/tls.key" "$CERT_DIR/nginx.key"
    mv "$CERT_DIR/tls.crt" "$CERT_DIR/nginx.crt"
fi
# A self-signed certificate (ours) that expires within a day is set aside and generated again;
# one issued by a CA and mounted here is left to its owner.
if [ -e "$CERT_DIR/nginx.crt" ] && [ -e "$CERT_DIR/nginx.key" ] \
    && ! openssl x509 -checkend 86400 -noout -in "$CERT_DIR/nginx.crt" >/dev/null 2>&1; then
    subject=$(openssl x509 -noout -subject -in "$CERT_DIR/nginx.crt")
    issuer=$(openssl x509 -noout -issuer -in "$CERT_DIR/nginx.crt")
    if [ "${subject#subject=}" = "${issuer#issuer=}" ]; then
        mv "$CERT_DIR/nginx.crt" "$CERT_DIR/nginx.crt.expired"
        mv "$CERT_DIR/nginx.key" "$CERT_DIR/nginx.key.expired"
        log "self-signed $CERT_DIR/nginx.crt expires within a day; generating a new one"
    fi
fi
if [ -e "$CERT_DIR/nginx.crt" ] && [ -e "$CERT_DIR/nginx.key" ]; then
    log "TLS: existing $CERT_DIR/nginx.crt"
    exit 0
fi
if [ -e "$CERT_DIR/nginx.crt" ] || [ -e "$CERT_DIR/nginx.key" ]; then
    die "only one of $CERT_DIR/nginx.crt and nginx.key exists; remove it or add its pair (existing files are never overwritten)"
fi
[ -w "$CERT_DIR" ] || die "$CERT_DIR is not writable by uid $(id -u) and holds no nginx.crt/nginx.key: run scripts/prepare-gateway-files.sh (make env does) so the gateway can generate its certificate there"

# subjectAltName: TLS_HOSTNAMES, then the loopback addresses, each once: an entry with a ':'
# (IPv6) or only digits and dots is an IP, anything else a DNS name. CN: the first entry.
san=""
cn=""
for name in $(split_list "$TLS_HOSTNAMES") 127.0.0.1 ::1; do
    case $name in
        *:* | *[!0-9.]*) kind=DNS ;;
        *) kind=IP ;;
    esac
    case $name in *:*) kind=IP ;; esac
    case ",$san," in *",$kind:$name,"*) continue ;; esac
    san="${san:+$san,}$kind:$name"
    [ -n "$cn" ] || cn=$name
done
# Self-signed, EC P-256, 365 days. It is its own CA (basicConstraints CA:TRUE from openssl.cnf's
# v3_ca), so clients can trust nginx.crt directly.
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
log "TLS: generated self-signed $CERT_DIR/nginx.crt ($san)"
