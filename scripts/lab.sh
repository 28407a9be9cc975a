#!/usr/bin/env bash
# README command one: installs what is missing, builds, and starts the whole lab:
#   auth-server (:8081) → resource-server (:8082) → the SPA with trunk serve (:8080),
# each once the previous one answers its health check. Ctrl-C stops all three.
# With --tls all three serve https, with a certificate authority made on first start in
# data/tls (docs/https.md).
set -euo pipefail
cd "$(dirname "$0")/.."

tls=false
for arg in "$@"; do
  case $arg in
    --tls) tls=true ;;
    -h|--help) echo "usage: bash scripts/lab.sh [--tls]"; exit 0 ;;
    *) echo "unknown option $arg (usage: bash scripts/lab.sh [--tls])" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh spa
source scripts/env.sh

scheme=http
curl_trust=()
if $tls; then
  scheme=https
  TLS_DIR="data/tls"
  curl_trust=(--cacert "$TLS_DIR/ca.pem")
fi
AUTH_URL="$scheme://localhost:8081"
RESOURCE_URL="$scheme://localhost:8082"
SPA_URL="$scheme://localhost:8080"


pids=()
stop_all() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    say "stopping the lab"
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Names the process that holds a port, so the user knows what to stop.
port_holder() {
  ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n1
}
require_free_port() {
  if ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; then
    local holder; holder=$(port_holder "$1")
    fail "port $1 (needed by $2) is already in use${holder:+ by $holder}. Stop it and start the lab again."
  fi
}

# Starts a component with its log lines prefixed and colored, under a small supervisor that
# restarts it if it crashes (at most 3 times, saying so) and stops it on TERM.
start() {
  local name=$1 color=$2; shift 2
  local prefix; prefix=$(printf '\033[%sm%-8s|\033[0m ' "$color" "$name")
  (
    child=
    trap '[[ -n $child ]] && kill "$child" 2>/dev/null; exit 0' TERM INT
    for attempt in 1 2 3 4; do
      "$@" > >(sed -u "s/^/$prefix/") 2>&1 &
      child=$!
      rc=0; wait "$child" || rc=$?
      ((rc == 0)) && exit 0
      if ((attempt == 4)); then
        printf '%s\033[1;31mcrashed (exit %s) again; giving up after 3 restarts\033[0m\n' "$prefix" "$rc"
        exit 1
      fi
      printf '%s\033[1;31mcrashed (exit %s); restarting (%s of 3)\033[0m\n' "$prefix" "$rc" "$attempt"
      sleep 1
    done
  ) &
  pids+=("$!")
}

# Waits until `url` answers, showing progress; fails if the component has exited, or, with a
# `limit` in seconds, if it has not answered by then.
wait_for() {
  local name=$1 url=$2 pid=$3 limit=${4:-} waited=0
  until curl -fsS "${curl_trust[@]}" -o /dev/null "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -n $limit ]] && ((waited >= limit)); then fail "$name did not answer $url within ${limit}s."; fi
    if ((waited % 30 == 0 && waited > 0)); then say "still waiting for $name ($waited s)"; fi
    sleep 1; waited=$((waited + 1))
  done
  say "$name is up: $url"
}

require_free_port 8081 auth-server
require_free_port 8082 resource-server
require_free_port 8080 "the SPA (trunk serve)"

say "building the servers and oauth-lab (the first build takes a few minutes)"
cargo build --locked -p auth-server -p resource-server -p lab-cli
bin_dir=$(realpath "${CARGO_TARGET_DIR:-target}/debug")

# Tokens for any resource on this machine: an MCP server or API started on any port gets
# tokens meant for it without restarting the authorization server. And a client under
# development may name itself by a metadata document it serves on this machine. Both
# servers record their decisions for the SPA and `oauth-lab watch` (--lab-traces).
auth_args=(--any-loopback-resource --client-metadata-documents lab --lab-traces)
resource_args=(--lab-traces)
spa_args=()
if $tls; then
  # The lab's own resources are https too; the authorization server makes the certificate
  # authority on its first start, and the others serve its localhost certificate.
  auth_args+=(--tls --default-resource "$RESOURCE_URL"
    --resource "$RESOURCE_URL/mcp,$scheme://localhost:8083")
  resource_args+=(--tls)
  spa_args+=(--tls-key-path "$TLS_DIR/localhost-key.pem" --tls-cert-path "$TLS_DIR/localhost.pem")
fi
start auth 32 "$bin_dir/auth-server" "${auth_args[@]}"
wait_for auth-server "$AUTH_URL/health" "${pids[-1]}" 60 \
  || fail "auth-server exited before answering $AUTH_URL/health (see its log lines above)."
start resource 33 "$bin_dir/resource-server" "${resource_args[@]}"
wait_for resource-server "$RESOURCE_URL/health" "${pids[-1]}" 60 \
  || fail "resource-server exited before answering $RESOURCE_URL/health (see its log lines above)."
say "both servers are up: $AUTH_URL and $RESOURCE_URL (oauth-lab works against them already)"
say "building and serving the SPA with trunk (the first wasm build takes several minutes; its progress shows above as spa lines)"
start spa 35 trunk serve "${spa_args[@]}"
# No time limit: a first wasm build on a slow machine takes as long as it takes, and the
# servers keep running meanwhile. Only a trunk that stops makes the SPA give up.
if ! wait_for "the SPA" "$SPA_URL/" "${pids[-1]}"; then
  say "the SPA did not start: trunk stopped (see the spa lines above). The servers keep running;"
  say "fix what trunk says and run 'trunk serve${spa_args[*]:+ ${spa_args[*]}}' in another terminal."
  unset 'pids[${#pids[@]}-1]'
fi

cat <<MSG

  The OAuth 2.1 lab is running:
    SPA (open this)        $SPA_URL
    authorization server   $AUTH_URL   (health: $AUTH_URL/health)
    resource server        $RESOURCE_URL   (health: $RESOURCE_URL/health)
  Demo accounts: alice / password123, bob / secret456, carol / mypass789
  Your own MCP server or API on this machine (any port) can be a resource: clients ask
  for resource=<its URL> and the tokens are meant for it (--any-loopback-resource).
  A client may use the URL of its metadata document as client_id, on this machine too
  (--client-metadata-documents lab).
  Every check both servers make is shown in the SPA beside its request, and live in a
  terminal with: $bin_dir/oauth-lab watch   (--lab-traces)
  The whole flow without a browser: $bin_dir/oauth-lab flow --all
  (or put $bin_dir on your PATH and type oauth-lab)
  Press Ctrl-C to stop everything.

MSG
if $tls; then
  ca="$PWD/$TLS_DIR/ca.pem"
  cat <<MSG
  Over https, with a certificate authority made for this machine: $ca
  Trust it once (its private key was never written to disk, so it vouches for nothing else):
    Chromium/Chrome   Settings → Privacy and security → Security → Manage certificates →
                      Authorities → Import → $ca ("Trust this certificate for identifying websites")
    Firefox           Settings → Privacy & Security → Certificates → View Certificates →
                      Authorities → Import → $ca
    curl              curl --cacert $ca $AUTH_URL/.well-known/openid-configuration
    Python (httpx, requests, Authlib)   SSL_CERT_FILE=$ca
    Node (openid-client, MCP SDKs)      NODE_EXTRA_CA_CERTS=$ca
    oauth-lab                           SSL_CERT_FILE=$ca oauth-lab flow --auth-url $AUTH_URL ...

MSG
fi
# A supervisor ends cleanly when its component stopped on a signal (Ctrl-C), and with an
# error when the component kept crashing.
if wait -n "${pids[@]}"; then
  exit 0
fi
fail "a component kept crashing (see its log lines above); stopping the lab."
