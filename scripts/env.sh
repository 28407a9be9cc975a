# Sourced by the other scripts: where the lab's tools live, in one place.
# wasm-opt comes from the npm package `binaryen` (pinned in setup.sh), installed here and
# put first on PATH: Debian's binaryen 108 breaks the wasm that rustc 1.95 and wasm-bindgen
# 0.2.130 produce (the page fails with "WebAssembly.Table.set(): Argument 1 is invalid").
LAB_TOOLS="$HOME/.cache/oauth-lab/tools"
# Python tools (schemathesis), in their own virtual environment.
LAB_VENV="$HOME/.cache/oauth-lab/venv"
export PATH="$LAB_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
