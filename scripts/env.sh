# Sourced by the other scripts: where the lab's tools live, in one place, and two helpers.
# wasm-opt comes from the npm package `binaryen` (pinned in setup.sh), installed here and
# put first on PATH: Debian's binaryen 108 breaks the wasm that rustc 1.95 and wasm-bindgen
# 0.2.130 produce (the page fails with "WebAssembly.Table.set(): Argument 1 is invalid").
LAB_TOOLS="$HOME/.cache/oauth-lab/tools"
# Python tools (schemathesis), in their own virtual environment.
LAB_VENV="$HOME/.cache/oauth-lab/venv"
export PATH="$LAB_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# A free TCP port on 127.0.0.1, chosen by the kernel.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Where cargo puts what it builds (CI builds into its own CARGO_TARGET_DIR).
target_dir() { cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'; }
