#!/usr/bin/env bash
# README command two: runs every test of the lab. Installs missing tools first (idempotent).
#   fmt → clippy → native tests → wasm tests in headless Chromium → wasm check of `shared`
#   → release build of the SPA.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

step() { printf '\n\033[1;35m==> %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (native, every target, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo clippy (the SPA and shared for wasm32)"
cargo clippy -p shared -p client-wasm --all-targets --target wasm32-unknown-unknown --locked -- -D warnings

step "native tests of the whole workspace"
cargo test --workspace --locked

step "wasm tests in headless Chromium (wasm-bindgen-test, $CHROMEDRIVER)"
cargo test -p shared -p client-wasm --target wasm32-unknown-unknown --locked

step "cargo check -p shared --target wasm32-unknown-unknown"
cargo check -p shared --target wasm32-unknown-unknown --locked

step "release build of the SPA (trunk build --release)"
trunk build --release

printf '\n\033[1;32mAll checks passed: native tests, browser tests in headless Chromium, SPA release build.\033[0m\n'
