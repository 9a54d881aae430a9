#!/usr/bin/env bash
# End-to-end smoke test of the gateway, exporter and Prometheus images on a
# private Docker network, with nginx-based fake API replicas.
#   deployments/smoke-test/run.sh            (builds the images first)
# Host ports (loopback only): 18080 http, 18443 https, 18090 error fixture, 19090 prometheus.
# Everything it starts is removed on exit, whatever the result.
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
DEPLOY=$(dirname "$HERE")
P=mlops-smoke-$$
NET=$P-net
PASSWORD=smoke-$RANDOM-$RANDOM
WORK=$(mktemp -d)
CERTS=$WORK/certs
mkdir -p "$CERTS"
CONTAINERS=()
FAILS=0

cleanup() {
    set +e
    for c in "${CONTAINERS[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
    docker network rm "$NET" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; FAILS=$((FAILS + 1)); }
expect() { # description expected actual
    if [ "$2" = "$3" ]; then pass "$1: $3"; else fail "$1: expected '$2', got '$3'"; fi
}
start() { # name, docker run args...
    local name=$1; shift
    docker run -d --name "$name" --network "$NET" "$@" >/dev/null
    CONTAINERS+=("$name")
}
# The rate limit is 10 r/s with 6 at once: wait for the bucket to refill
# before each group of requests (a token every 100 ms).
refill() { sleep 0.7; }

echo "== build"
docker build -q -t mlopsexam-gateway "$DEPLOY/nginx" >/dev/null
docker build -q -t mlopsexam-nginx-exporter --target exporter "$DEPLOY/nginx" >/dev/null
docker build -q -t mlopsexam-prometheus "$DEPLOY/prometheus" >/dev/null

echo "== entrypoint refuses to start without required settings"
out=$(docker run --rm -e API_V1_SERVERS=a:1 -e API_V2_SERVERS=b:1 mlopsexam-gateway 2>&1) && rc=0 || rc=$?
expect "gateway without BASIC_AUTH_PASSWORD exits" 64 "$rc"; echo "      $out"
out=$(docker run --rm -e API_V2_SERVERS=b:1 -e BASIC_AUTH_PASSWORD=x mlopsexam-gateway 2>&1) && rc=0 || rc=$?
expect "gateway without API_V1_SERVERS exits" 64 "$rc"; echo "      $out"
out=$(docker run --rm -e SCRAPE_API_V1=a:1 -e SCRAPE_API_V2=b:1 mlopsexam-prometheus 2>&1) && rc=0 || rc=$?
expect "prometheus without SCRAPE_GATEWAY exits" 64 "$rc"; echo "      $out"

echo "== start stack"
docker network create "$NET" >/dev/null
for r in a b c; do
    start "$P-api-v1-$r" --hostname "api-v1-$r" --network-alias api-v1 \
        -v "$HERE/fake-api.conf:/etc/nginx/fake-api.conf:ro" \
        --entrypoint nginx mlopsexam-gateway -c /etc/nginx/fake-api.conf -g 'daemon off;'
done
start "$P-api-v2-a" --hostname api-v2-a --network-alias api-v2 \
    -v "$HERE/fake-api.conf:/etc/nginx/fake-api.conf:ro" \
    --entrypoint nginx mlopsexam-gateway -c /etc/nginx/fake-api.conf -g 'daemon off;'
start "$P-blackhole" --network-alias blackhole debian:trixie-slim \
    perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(LocalPort => 9000, Listen => 64, ReuseAddr => 1) or die $!; sleep 3600'
sleep 1
start "$P-gateway" --network-alias gateway \
    -e API_V1_SERVERS=api-v1:8080 -e API_V2_SERVERS="api-v2:8080" \
    -e BASIC_AUTH_PASSWORD="$PASSWORD" -e PUBLIC_HTTPS_PORT=18443 \
    -v "$CERTS:/etc/nginx/certs" \
    -v "$HERE/gateway-errors.conf:/etc/nginx/sites/zz-smoke-errors.conf:ro" \
    -p 127.0.0.1:18080:80 -p 127.0.0.1:18443:443 -p 127.0.0.1:18090:8090 \
    mlopsexam-gateway
start "$P-exporter" --network-alias exporter mlopsexam-nginx-exporter
start "$P-prometheus" \
    -e SCRAPE_API_V1=api-v1:8080 -e SCRAPE_API_V2=api-v2:8080 -e SCRAPE_GATEWAY=exporter:9113 \
    -p 127.0.0.1:19090:9090 mlopsexam-prometheus

wait_healthy() { # container, deadline seconds
    local deadline=$((SECONDS + $2)) s
    while [ $SECONDS -lt $deadline ]; do
        s=$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null || echo gone)
        [ "$s" = healthy ] && { pass "$1 healthy"; return 0; }
        sleep 1
    done
    fail "$1 not healthy: $s"; docker logs "$1" 2>&1 | tail -20
}
wait_healthy "$P-gateway" 40
wait_healthy "$P-exporter" 40
wait_healthy "$P-prometheus" 60
docker logs "$P-gateway" 2>&1 | grep gateway-entrypoint | sed 's/^/      /'

echo "== nginx -t in the running container"
docker exec "$P-gateway" nginx -t 2>&1 | sed 's/^/      /'

echo "== processes: master root, workers www-data"
docker exec "$P-gateway" sh -c 'for p in /proc/[0-9]*; do c=$(tr "\0" " " < $p/cmdline 2>/dev/null); case $c in nginx*) echo "$(stat -c %U $p) $c";; esac; done' | sort | uniq -c | sed 's/^/      /'
docker exec "$P-exporter" id | sed 's/^/      exporter: /'
docker exec "$P-prometheus" id | sed 's/^/      prometheus: /'

echo "== generated files"
docker exec "$P-gateway" cat /etc/nginx/generated/upstreams.conf | sed 's/^/      /'
docker exec "$P-gateway" stat -c '      %n %U:%G %a' /etc/nginx/certs/tls.key /etc/nginx/certs/tls.crt /etc/nginx/certs/.htpasswd
expect ".htpasswd owner/mode" "root:www-data 640" "$(docker exec "$P-gateway" stat -c '%U:%G %a' /etc/nginx/certs/.htpasswd)"
expect "tls.key mode" "600" "$(docker exec "$P-gateway" stat -c '%a' /etc/nginx/certs/tls.key)"
expect ".htpasswd is SHA-512 crypt" 'mlops:$6$' "$(docker exec "$P-gateway" cut -c1-9 /etc/nginx/certs/.htpasswd)"
openssl x509 -in "$CERTS/tls.crt" -noout -subject -enddate -ext subjectAltName,basicConstraints 2>&1 | sed 's/^/      /'

CURL=(curl -sS --max-time 10 --cacert "$CERTS/tls.crt")
URL=https://localhost:18443
AUTH=(-u "mlops:$PASSWORD")
POST=(-X POST -H 'Content-Type: application/json' --data '{"text":"great product"}')
hdr() { grep -i "^$1:" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

echo "== port 80 redirects"
r=$("${CURL[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:18080/predict?x=1")
expect "http -> https 301 keeps path and port" "301 https://localhost:18443/predict?x=1" "$r"
r=$("${CURL[@]}" -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:18080/.well-known/acme-challenge/t")
expect "acme path redirects too" "301 https://localhost:18443/.well-known/acme-challenge/t" "$r"

echo "== TLS versions"
if echo | openssl s_client -connect 127.0.0.1:18443 -servername localhost -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' >"$WORK/t11" 2>&1; then
    fail "TLS 1.1 accepted"; else pass "TLS 1.1 refused: $(grep -m1 -iE 'alert|error' "$WORK/t11")"; fi
for v in 1_2 1_3; do
    p=$(echo | openssl s_client -connect 127.0.0.1:18443 -servername localhost -CAfile "$CERTS/tls.crt" -tls$v 2>/dev/null | grep -E '^New|Verify return code' | sort -u | tr -s ' ' | paste -sd' ')
    case $p in *"Verify return code: 0 (ok)"*) pass "TLS $v: $p" ;; *) fail "TLS $v: $p" ;; esac
done
r=$("${CURL[@]}" -o /dev/null -w '%{http_version}' "$URL/healthz")
expect "HTTP/2 negotiated (ALPN)" 2 "$r"

echo "== auth"
refill
"${CURL[@]}" -D "$WORK/h" -o "$WORK/b" "${POST[@]}" "$URL/predict"
echo "      $(head -1 "$WORK/h" | tr -d '\r') | WWW-Authenticate: $(hdr WWW-Authenticate <"$WORK/h") | Content-Type: $(hdr Content-Type <"$WORK/h")"
echo "      $(cat "$WORK/b")"
expect "no creds: status" 401 "$(jq -r .status "$WORK/b")"
expect "no creds: WWW-Authenticate" 'Basic realm="sentiment-api"' "$(hdr WWW-Authenticate <"$WORK/h")"
expect "no creds: problem+json" application/problem+json "$(hdr Content-Type <"$WORK/h")"
expect "no creds: requestId = X-Request-Id" "$(hdr X-Request-Id <"$WORK/h")" "$(jq -r .requestId "$WORK/b")"
r=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -u mlops:wrong "${POST[@]}" "$URL/predict")
expect "wrong password" 401 "$r"
r=$("${CURL[@]}" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "${AUTH[@]}" "${POST[@]}" "$URL/predict")
expect "right password" 200 "$r"
echo "      $(head -1 "$WORK/h" | tr -d '\r') X-Routed-To: $(hdr X-Routed-To <"$WORK/h") X-Upstream-Addr: $(hdr X-Upstream-Addr <"$WORK/h")"
echo "      body: $(cat "$WORK/b")"
expect "Authorization not forwarded" "" "$(jq -r .authorization "$WORK/b")"
expect "X-Request-Id forwarded" "$(hdr X-Request-Id <"$WORK/h")" "$(jq -r .xRequestId "$WORK/b")"
expect "X-Forwarded-Proto" https "$(jq -r .xForwardedProto "$WORK/b")"
expect "upstream keepalive (Connection: \"\")" "" "$(jq -r .connection "$WORK/b")"
for h in Strict-Transport-Security X-Content-Type-Options X-Frame-Options Referrer-Policy Content-Security-Policy; do
    [ -n "$(hdr $h <"$WORK/h")" ] && pass "header $h: $(hdr $h <"$WORK/h")" || fail "header $h missing"
done
[ -z "$(hdr Server <"$WORK/h" | grep -i '[0-9]')" ] && pass "Server header without version: $(hdr Server <"$WORK/h")" || fail "Server version leaked"

echo "== round robin over the 3 v1 replicas"
refill
for i in 1 2 3 4 5 6; do
    "${CURL[@]}" -o /dev/null -D - "${AUTH[@]}" "${POST[@]}" "$URL/predict" | hdr X-Upstream-Addr
done >"$WORK/rr"
sed 's/^/      /' "$WORK/rr"
expect "distinct v1 replicas in 6 requests" 3 "$(sort -u "$WORK/rr" | wc -l)"

echo "== A/B routing"
refill
for g in debug DEBUG Debug other ""; do
    r=$("${CURL[@]}" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "${AUTH[@]}" "${POST[@]}" -H "X-Experiment-Group: $g" "$URL/predict")
    want=v1; [ "$(echo "$g" | tr A-Z a-z)" = debug ] && want=v2
    expect "X-Experiment-Group '$g' -> $r $(jq -r .host "$WORK/b")" "$want" "$(hdr X-Routed-To <"$WORK/h")"
done
r=$("${CURL[@]}" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "${AUTH[@]}" "${POST[@]}" "$URL/predict")
expect "no X-Experiment-Group -> $(jq -r .host "$WORK/b")" v1 "$(hdr X-Routed-To <"$WORK/h")"

echo "== API errors pass through untouched"
refill
r=$("${CURL[@]}" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "${AUTH[@]}" "${POST[@]}" -H 'X-Fake-Status: 400' "$URL/predict")
expect "API 400 body kept ($(cat "$WORK/b"))" "400 fake API validation error" "$r $(jq -r .title "$WORK/b")"

echo "== body limit"
head -c 20480 /dev/zero | tr '\0' a >"$WORK/big"
r=$("${CURL[@]}" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "${AUTH[@]}" -X POST --data-binary @"$WORK/big" "$URL/predict")
expect "20 KB body" 413 "$r"; echo "      $(hdr Content-Type <"$WORK/h") $(cat "$WORK/b")"
r=$("${CURL[@]}" -o /dev/null -w '%{http_code}' "${AUTH[@]}" -X POST --data-binary @<(head -c 16000 "$WORK/big") "$URL/predict")
expect "16000 B body" 200 "$r"

echo "== 404 elsewhere, /healthz public"
for path in / /predict/ /metrics /_errors/404.json; do
    r=$("${CURL[@]}" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "${AUTH[@]}" "$URL$path")
    expect "GET $path" "404 application/problem+json 404" "$r $(hdr Content-Type <"$WORK/h") $(jq -r .status "$WORK/b")"
done
echo "      $(cat "$WORK/b")"
r=$("${CURL[@]}" -w ' %{http_code}' "$URL/healthz")
expect "GET /healthz (no auth)" '{"status":"ok"} 200' "$r"

echo "== nginx-generated 500/502/503/504 (fixture server on :8090)"
for s in 500 502 503 504; do
    r=$("${CURL[@]}" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "http://localhost:18090/$s")
    expect "/$s" "$s application/problem+json $s" "$r $(hdr Content-Type <"$WORK/h") $(jq -r .status "$WORK/b")"
    echo "      $(cat "$WORK/b")"
done

echo "== rate limit: 20 parallel requests over HTTP/2"
sleep 1
"${CURL[@]}" --no-progress-meter --http2 --parallel --parallel-max 20 "${AUTH[@]}" "${POST[@]}" \
    -o "$WORK/burst_#1.json" -w '%{http_code} HTTP/%{http_version} connects=%{num_connects} retry-after=%header{retry-after} %{content_type}\n' \
    "$URL/predict?n=[1-20]" >"$WORK/burst"
sort "$WORK/burst" | uniq -c | sed 's/^/      /'
expect "200s" 6 "$(grep -c '^200 ' "$WORK/burst")"
expect "429s" 14 "$(grep -c '^429 ' "$WORK/burst")"
expect "other statuses" 0 "$(grep -vcE '^(200|429) ' "$WORK/burst")"
expect "new connections (sum of num_connects)" 1 "$(grep -o 'connects=[0-9]*' "$WORK/burst" | cut -d= -f2 | awk '{ s += $1 } END { print s }')"
expect "429s with Retry-After: 1 and problem+json" 14 "$(grep -c '^429 .* retry-after=1 application/problem+json' "$WORK/burst")"
expect "429 bodies are problem+json status 429" 14 "$(cat "$WORK"/burst_*.json | jq -r 'select(.status == 429) | .status' | wc -l)"
echo "      $(grep -l '"status":429' "$WORK"/burst_*.json | head -1 | xargs cat)"

echo "== access log (JSON on stdout)"
docker logs "$P-gateway" 2>/dev/null | tail -1 | sed 's/^/      /'
expect "a rejected POST is logged as POST" "POST 429" "$(docker logs "$P-gateway" 2>/dev/null | tail -1 | jq -r '"\(.method) \(.status)"')"
docker logs "$P-gateway" 2>/dev/null | tail -1 | jq -e '.variant and .request_id and .upstream_addr' >/dev/null \
    && pass "last access log line is JSON with variant/request_id/upstream_addr" || fail "access log line"

echo "== Prometheus targets"
targets() { curl -sS --max-time 5 http://127.0.0.1:19090/api/v1/targets; }
deadline=$((SECONDS + 60))
until [ "$(targets | jq '[.data.activeTargets[] | select(.health == "up")] | length')" = 6 ] || [ $SECONDS -gt $deadline ]; do sleep 2; done
targets | jq -r '.data.activeTargets[] | "      \(.labels.job) \(.labels.instance) service=\(.labels.service) variant=\(.labels.variant // "-") \(.health)"'
expect "targets up (prometheus, gateway, 3 x api v1, 1 x api v2)" 6 "$(targets | jq '[.data.activeTargets[] | select(.health == "up")] | length')"
r=$(curl -sS --max-time 5 'http://127.0.0.1:19090/api/v1/query?query=nginx_up' | jq -r '.data.result[0].value[1]')
expect "nginx_up via exporter" 1 "$r"
r=$(docker exec "$P-prometheus" wget -qO- localhost:9090/api/v1/targets | jq -r .status)
expect "wget inside the prometheus container" success "$r"

r=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:19090/graph)
echo "      info: Prometheus web UI /graph -> $r"

echo "== Prometheus follows a new replica (re-resolution)"
start "$P-api-v2-b" --hostname api-v2-b --network-alias api-v2 \
    -v "$HERE/fake-api.conf:/etc/nginx/fake-api.conf:ro" \
    --entrypoint nginx mlopsexam-gateway -c /etc/nginx/fake-api.conf -g 'daemon off;'
deadline=$((SECONDS + 45))
until [ "$(targets | jq '[.data.activeTargets[] | select(.labels.variant == "v2" and .health == "up")] | length')" = 2 ] || [ $SECONDS -gt $deadline ]; do sleep 2; done
expect "v2 targets after adding a replica" 2 "$(targets | jq '[.data.activeTargets[] | select(.labels.variant == "v2" and .health == "up")] | length')"

echo "== gateway restart keeps the certificate"
before=$(openssl x509 -in "$CERTS/tls.crt" -noout -fingerprint -sha256)
docker restart "$P-gateway" >/dev/null
wait_healthy "$P-gateway" 40
expect "same certificate after restart" "$before" "$(openssl x509 -in "$CERTS/tls.crt" -noout -fingerprint -sha256)"
docker logs "$P-gateway" 2>&1 | grep gateway-entrypoint | tail -1 | sed 's/^/      /'

echo "== one v1 replica gone: POSTs retried on another replica (connect error only)"
docker rm -f "$P-api-v1-c" >/dev/null
refill
for i in 1 2 3; do
    "${CURL[@]}" -o /dev/null -w '%{http_code} %{time_total}s ' -D "$WORK/h" "${AUTH[@]}" "${POST[@]}" "$URL/predict"
    echo "X-Upstream-Addr: $(hdr X-Upstream-Addr <"$WORK/h")"
done >"$WORK/retry"
sed 's/^/      /' "$WORK/retry"
expect "all 200 with one replica gone" 3 "$(grep -c '^200 ' "$WORK/retry")"

echo "== all v2 replicas gone -> nginx-generated error on /predict"
docker rm -f "$P-api-v2-a" "$P-api-v2-b" >/dev/null
refill
r=$("${CURL[@]}" -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' "${AUTH[@]}" "${POST[@]}" -H 'X-Experiment-Group: debug' "$URL/predict")
case $r in 502 | 504) pass "v2 down -> $r $(hdr Content-Type <"$WORK/h") $(cat "$WORK/b")" ;; *) fail "v2 down -> $r" ;; esac

echo
if [ "$FAILS" -eq 0 ]; then echo "ALL PASSED"; else echo "$FAILS FAILED"; exit 1; fi
