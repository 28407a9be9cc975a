#!/usr/bin/env bash
# Contract tests (run by scripts/test.sh): starts both servers (debug builds) on free
# loopback ports and runs schemathesis against each one's /openapi.json: generated requests
# for every operation, failing on any 5xx or any answer that does not match its documented
# schema. The resource server is called with a real client-credentials token (scope read).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

cargo build -p auth-server -p resource-server --locked
# CI builds into its own CARGO_TARGET_DIR: ask cargo where the binaries are.
bin=$(target_dir)/debug
contract=$(mktemp -d)
auth_port=$(free_port)
resource_port=$(free_port)
RUST_LOG=warn "$bin/auth-server" --addr "127.0.0.1:$auth_port" \
  --database-url "sqlite://$contract/auth.db" >"$contract/auth.log" 2>&1 &
auth_pid=$!
trap 'kill $auth_pid ${resource_pid:-} 2>/dev/null || true; rm -rf "$contract"' EXIT
wait_healthy "http://127.0.0.1:$auth_port" 10 "$contract"
RUST_LOG=warn "$bin/resource-server" --addr "127.0.0.1:$resource_port" \
  --issuer "http://localhost:$auth_port" --audience http://localhost:8082 \
  --database-url "sqlite://$contract/resource.db" >"$contract/resource.log" 2>&1 &
resource_pid=$!
wait_healthy "http://127.0.0.1:$resource_port" 10 "$contract"
token=$(curl -fs -d grant_type=client_credentials -d client_id=service-client \
  -d client_secret=service-secret -d scope=read "http://127.0.0.1:$auth_port/token" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
# Hypothesis keeps a cache and an example database; not in the repository.
export HYPOTHESIS_STORAGE_DIRECTORY="$contract/hypothesis"
schemathesis() {
  "$LAB_VENV/bin/st" run "$1/openapi.json" --experimental=openapi-3.1 \
    --checks not_a_server_error,response_schema_conformance \
    --hypothesis-max-examples 100 --hypothesis-derandomize --workers 2 "${@:2}"
}
schemathesis "http://127.0.0.1:$auth_port"
schemathesis "http://127.0.0.1:$resource_port" -H "Authorization: Bearer $token"
kill "$auth_pid" "$resource_pid" 2>/dev/null || true
trap - EXIT
rm -rf "$contract"
