#!/usr/bin/env bash
# The reverse-proxy example (examples/deploy/nginx.conf) in front of a real Baida: TLS ends at
# nginx; Baida believes nginx's X-Forwarded-For and X-Forwarded-Proto and nobody else's.
# Checks what a district's IT would: HTTP is sent to HTTPS, answers over HTTPS carry HSTS,
# and rate limits key on the address nginx saw — not on nginx's own address (all clients would
# share one limit) and not on an X-Forwarded-For a client wrote (anyone could dodge them).
#
# Needs nginx and openssl (scripts/test installs nginx); BAIDA_BIN is the baida binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
BAIDA_BIN="${BAIDA_BIN:?set BAIDA_BIN to the baida binary}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port=$(free_port); https_port=$(free_port); baida_port=$(free_port)

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
  -keyout "$work/privkey.pem" -out "$work/fullchain.pem" 2>/dev/null

# The example, with this run's ports, certificate and host (IPv6 listeners left out).
sed -e "s/listen 80;/listen 127.0.0.1:$http_port;/" \
    -e "s/listen 443 ssl;/listen 127.0.0.1:$https_port ssl;/" \
    -e '/listen \[::\]/d' \
    -e "s/baida.example.gov.cn/localhost/" \
    -e "s#/etc/ssl/baida/#$work/#" \
    -e "s#127.0.0.1:8080#127.0.0.1:$baida_port#" \
    -e "s#/var/log/nginx/#$work/#" \
    examples/deploy/nginx.conf > "$work/site.conf"
cat > "$work/nginx.conf" <<CONF
daemon off;
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
  access_log $work/access.log;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  include $work/site.conf;
}
CONF
"$NGINX" -t -c "$work/nginx.conf" -p "$work" 2>"$work/nginx-t.log" || { cat "$work/nginx-t.log"; exit 1; }
"$NGINX" -c "$work/nginx.conf" -p "$work" & pids+=($!)

token="proxy-test-admin-token-0123456789abcdef"
"$BAIDA_BIN" serve --demo --listen "127.0.0.1:$baida_port" --data-dir "$work/data" --admin-token "$token" \
  --trusted-proxies 127.0.0.1 --public-submissions-per-minute 2 >"$work/baida.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do
  curl -fsk "https://localhost:$https_port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

fail() { echo "proxy test FAILED: $*" >&2; echo "--- nginx:"; cat "$work/error.log" >&2 || true; echo "--- baida:"; tail -20 "$work/baida.log" >&2; exit 1; }
submit() { # submit FROM_ADDRESS → status; a forged X-Forwarded-For is sent every time
  curl -sk -o /dev/null -w '%{http_code}' --interface "$1" -H 'X-Forwarded-For: 203.0.113.99' \
    -H 'content-type: application/json' \
    --data '{"community":"xinzhou","answers":{"category":"city_appearance","subcategory":"garbage","title":"小区门口垃圾三天没人清运","description":"新洲花园东门垃圾桶满溢三天，气味很大，请尽快安排清运。","location":{"lon":114.0513,"lat":22.5121,"address":"新洲花园东门"},"anonymous":false,"contact_name":"李明","contact_phone":"13812345678"}}' \
    "https://localhost:$https_port/api/v1/apps/minyi-suban/submissions"
}

code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/healthz")
[ "$code" = 301 ] || fail "plain HTTP should be sent to HTTPS (got $code)"
curl -sk -D - -o /dev/null "https://localhost:$https_port/healthz" | grep -qi '^strict-transport-security: max-age=' \
  || fail "an answer over HTTPS should carry HSTS"
got="$(submit 127.0.0.2) $(submit 127.0.0.2) $(submit 127.0.0.2) $(submit 127.0.0.3)"
[ "$got" = "201 201 429 201" ] || fail "limits per client behind the proxy: expected '201 201 429 201', got '$got'"
curl -sk -o /dev/null "https://localhost:$https_port/my/cases/x?t=secret-token-in-query"
if grep -q "secret-token-in-query" "$work/baida.access.log"; then fail "the access log holds a query string"; fi
grep -q '"GET /my/cases/x"' "$work/baida.access.log" || fail "the access log should name the path"
echo "proxy test passed: HTTP→HTTPS, HSTS, per-client limits through nginx, no query strings in its log ($("$NGINX" -v 2>&1))"
