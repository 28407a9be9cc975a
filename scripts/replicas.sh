#!/usr/bin/env bash
# The scaled-out lab on loopback (run by scripts/test.sh): a throwaway PostgreSQL, two
# authorization-server replicas and two resource servers (JWT mode) started at the same
# time on it, nginx in front with deploy/nginx.conf (free ports in place of its own). Then
# the whole OAuth flow for every demo account through nginx (oauth-lab flow: discovery,
# PKCE, login, consent, code exchange, resource calls, refresh, revocation), and a check
# that both replicas of each kind answered part of it. Everything stops and is removed
# afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${LAB_TEST_POSTGRES_URL:-}" ]]; then
  exec bash scripts/with-postgres.sh bash "$0" "$@"
fi
source scripts/env.sh
nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x "$nginx" ]]; then
  echo "nginx is not installed: run 'bash scripts/setup.sh nginx', or 'sudo apt-get install -y nginx'." >&2
  exit 1
fi

cargo build -p auth-server -p resource-server -p lab-cli --bins --locked
bin=$(target_dir)/debug
work=$(mktemp -d "${TMPDIR:-/tmp}/oauth-lab-replicas.XXXXXX")
chmod 755 "$work" # nginx's workers run as another user when it is started as root
pids=()
stop() {
  kill "${pids[@]}" 2>/dev/null || true
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT

server="${LAB_TEST_POSTGRES_URL%/*}"
psql -q "$LAB_TEST_POSTGRES_URL" -c "CREATE DATABASE lab_auth" -c "CREATE DATABASE lab_notes"
lb_auth=$(free_port)
lb_resource=$(free_port)
issuer="http://127.0.0.1:$lb_auth"
audience="http://localhost:8082" # the authorization server's default resource
auth_ports=("$(free_port)" "$(free_port)")
proxy_secret=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
resource_ports=("$(free_port)" "$(free_port)")

echo "==> two authorization-server replicas (ports ${auth_ports[*]}), started together on one database"
for i in 0 1; do
  # nginx on 127.0.0.1 is the trusted proxy: throttling reads the client from X-Forwarded-For,
  # believed only with the proxy's secret (a local process can connect from 127.0.0.1 too).
  AUTH_SERVER_TRUSTED_PROXY_SECRET="$proxy_secret" RUST_LOG=warn "$bin/auth-server" --addr "127.0.0.1:${auth_ports[$i]}" --issuer "$issuer" \
    --trusted-proxy 127.0.0.1 --database-url "$server/lab_auth" >"$work/auth-$i.log" 2>&1 &
  pids+=($!)
done
for port in "${auth_ports[@]}"; do wait_healthy "http://127.0.0.1:$port" 30 "$work"; done

echo "==> nginx (deploy/nginx.conf): authorization on $lb_auth, resources on $lb_resource"
mkdir -p "$work/tmp"
sed -e "s/127.0.0.1:8081;/127.0.0.1:$lb_auth;/" -e "s/127.0.0.1:8082;/127.0.0.1:$lb_resource;/" \
  -e "s/127.0.0.1:9101;/127.0.0.1:${auth_ports[0]};/" -e "s/127.0.0.1:9102;/127.0.0.1:${auth_ports[1]};/" \
  -e "s/127.0.0.1:9201;/127.0.0.1:${resource_ports[0]};/" -e "s/127.0.0.1:9202;/127.0.0.1:${resource_ports[1]};/" \
  -e "s/replace-with-a-random-secret/$proxy_secret/" \
  deploy/nginx.conf >"$work/nginx.conf"
if grep -Eq '127\.0\.0\.1:(8081|8082|9101|9102|9201|9202);|replace-with-a-random-secret' "$work/nginx.conf"; then
  echo "deploy/nginx.conf has a port this script does not know how to replace" >&2
  exit 1
fi
"$nginx" -p "$work" -c "$work/nginx.conf" -e stderr 2>"$work/nginx.log" || {
  cat "$work/nginx.log" >&2
  exit 1
}
wait_healthy "$issuer" 30 "$work"

echo "==> two resource servers (ports ${resource_ports[*]}), JWT mode, notes on PostgreSQL"
for i in 0 1; do
  RUST_LOG=warn "$bin/resource-server" --addr "127.0.0.1:${resource_ports[$i]}" \
    --issuer "$issuer" --audience "$audience" --database-url "$server/lab_notes" \
    >"$work/resource-$i.log" 2>&1 &
  pids+=($!)
done
for port in "${resource_ports[@]}"; do wait_healthy "http://127.0.0.1:$port" 30 "$work"; done

echo "==> the whole flow for every demo account, through nginx"
"$bin/oauth-lab" flow --all --auth-url "$issuer" --resource-url "http://127.0.0.1:$lb_resource"

echo "==> who answered (requests counted by each process's /metrics)"
answered() {
  curl -fs "http://127.0.0.1:$1/metrics" | python3 -c '
import re, sys
print(int(sum(float(m.group(1)) for m in re.finditer(r"^http_requests_total\{[^}]*\} (\S+)$", sys.stdin.read(), re.M))))'
}
for kind in auth resource; do
  ports_var="${kind}_ports[@]"
  for port in "${!ports_var}"; do
    count=$(answered "$port")
    echo "$kind replica on $port: $count requests"
    if ((count == 0)); then
      echo "the $kind replica on $port answered nothing: nginx did not spread the load" >&2
      exit 1
    fi
  done
done
echo "scaled out: every step passed through nginx over two replicas of each server"
