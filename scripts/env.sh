# Sourced by the other scripts: where the lab's tools live, in one place, and the helpers they share.
# wasm-opt comes from the npm package `binaryen` (pinned in setup.sh), installed here and
# put first on PATH: Debian's binaryen 108 breaks the wasm that rustc 1.95 and wasm-bindgen
# 0.2.130 produce (the page fails with "WebAssembly.Table.set(): Argument 1 is invalid").
LAB_TOOLS="$HOME/.cache/oauth-lab/tools"
# Python tools (schemathesis), in their own virtual environment.
LAB_VENV="$HOME/.cache/oauth-lab/venv"
# The interop tests' Python client libraries (scripts/interop/requirements.txt), in theirs.
LAB_MCP_VENV="$HOME/.cache/oauth-lab/venv-interop"
# The interop tests' Node client libraries (scripts/interop/package-lock.json pins every one).
LAB_NODE_INTEROP="$HOME/.cache/oauth-lab/node-interop"
export PATH="$LAB_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# A free TCP port on 127.0.0.1, chosen by the kernel.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Waits up to $2 seconds for the server at $1 to answer /health; if it does not, shows the
# end of the logs in $3 (*.log) and exits.
wait_healthy() {
  local url=$1 seconds=$2 logs=$3
  for _ in $(seq $((seconds * 10))); do curl -fs "$url/health" >/dev/null && return 0; sleep 0.1; done
  echo "$url did not become healthy within ${seconds} s; the logs:" >&2
  tail -n 20 "$logs"/*.log >&2
  exit 1
}
# Where cargo puts what it builds (CI builds into its own CARGO_TARGET_DIR).
target_dir() { cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'; }
