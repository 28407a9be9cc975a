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

# How every script speaks, tagged with its name: `say` for progress, `step` for a stage,
# `fail` to stop with what to do.
LAB_SCRIPT="${LAB_SCRIPT:-$(basename "$0" .sh)}"
say()  { printf '\033[1;36m[%s]\033[0m %s\n' "$LAB_SCRIPT" "$*" >&2; }
step() { printf '\n\033[1;35m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[1;31m[%s]\033[0m %s\n' "$LAB_SCRIPT" "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# A free TCP port on 127.0.0.1, chosen by the kernel.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Waits up to $2 seconds for $1 to answer; 1 if it does not.
wait_answer() {
  local url=$1 seconds=$2
  for _ in $(seq $((seconds * 10))); do curl -fs -o /dev/null "$url" && return 0; sleep 0.1; done
  return 1
}
# Waits up to $2 seconds for the server at $1 to answer /health; if it does not, shows the
# end of the logs in $3 (*.log) and exits.
wait_healthy() {
  local url=$1 seconds=$2 logs=$3
  wait_answer "$url/health" "$seconds" && return 0
  echo "$url did not become healthy within ${seconds} s; the logs:" >&2
  tail -n 20 "$logs"/*.log >&2
  exit 1
}
# Where cargo puts what it builds (CI builds into its own CARGO_TARGET_DIR).
target_dir() { cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'; }
