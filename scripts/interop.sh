#!/usr/bin/env bash
# Interop tests (run by scripts/test.sh): independent client libraries against the real
# authorization server. Today: the official MCP Python SDK, both its MCP server (a resource
# server checking the lab's tokens by introspection) and its MCP client, with the lab as the
# authorization server, started as `scripts/lab.sh` starts it (any local resource, client
# metadata documents on this machine). The user's part is played by `oauth-lab approve`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cargo build -p auth-server -p lab-cli --locked
# CI builds into its own CARGO_TARGET_DIR: ask cargo where the binaries are.
bin=$(target_dir)/debug
interop=$(mktemp -d)
auth_port=$(free_port)
RUST_LOG=warn "$bin/auth-server" --addr "127.0.0.1:$auth_port" \
  --database-url "sqlite://$interop/auth.db" \
  --any-loopback-resource --client-metadata-documents lab >"$interop/auth.log" 2>&1 &
auth_pid=$!
trap 'kill $auth_pid 2>/dev/null || true; rm -rf "$interop"' EXIT
wait_healthy "http://127.0.0.1:$auth_port" 10 "$interop"
if ! "$LAB_MCP_VENV/bin/python" scripts/interop/mcp_sdk.py \
  --issuer "http://localhost:$auth_port" --oauth-lab "$bin/oauth-lab"; then
  echo "the authorization server's log:" >&2
  cat "$interop/auth.log" >&2
  exit 1
fi
