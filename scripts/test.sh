#!/usr/bin/env bash
# README command two: runs every test of the lab. Installs missing tools first (idempotent).
#   fmt → clippy → native tests (SQLite) → the servers' suites again on a throwaway
#   PostgreSQL, with the two-replica tests → the scaled-out lab behind nginx
#   → schemathesis against both servers' OpenAPI documents
#   → independent client libraries against the authorization server (scripts/interop.sh)
#   → wasm tests in headless Chromium → wasm check of `shared`
#   → release build of the SPA, a check that it renders in headless Chromium → browser
#   end-to-end tests (they need the lab's ports 8080-8082 free).
#
# Stages can run alone: `bash scripts/test.sh fast` (formatting, import cycles, clippy,
# native tests: a few minutes) or any of: postgres replicas contract interop wasm spa e2e.
# With no argument, every stage runs (as CI does).
set -euo pipefail
cd "$(dirname "$0")/.."

all_stages="fast postgres replicas contract interop wasm spa e2e"
for wanted in "$@"; do
  if [[ " $all_stages " != *" $wanted "* ]]; then
    echo "unknown stage '$wanted'; the stages are: $all_stages" >&2
    exit 2
  fi
done
stages=" ${*:-$all_stages} "
want() { [[ "$stages" == *" $1 "* ]]; }

# Only what the stages asked for need (scripts/setup.sh lists the parts).
parts=(rust)
if want postgres; then parts+=(postgres); fi
if want replicas; then parts+=(postgres nginx); fi
if want contract; then parts+=(contract); fi
if want interop; then parts+=(interop); fi
if want wasm; then parts+=(browser wasm); fi
if want spa || want e2e; then parts+=(browser spa); fi
bash scripts/setup.sh "${parts[@]}"
source scripts/env.sh
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"


if want fast; then
  step "cargo fmt --check"
  cargo fmt --all --check

  step "no import cycle between the modules of any crate (scripts/check-cycles.py)"
  python3 scripts/check-cycles.py

  step "cargo clippy (native, every target and feature, warnings are errors)"
  cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

  step "cargo clippy (the SPA and shared for wasm32)"
  cargo clippy -p shared -p client-wasm --all-targets --target wasm32-unknown-unknown --locked -- -D warnings

  step "native tests of the whole workspace (storage: SQLite)"
  cargo test --workspace --locked
fi

if want postgres; then
  step "the servers' suites again on PostgreSQL (a throwaway cluster), with the two-replica tests"
  # --include-ignored: the replica tests need PostgreSQL, so a plain `cargo test` skips them.
  bash scripts/with-postgres.sh cargo test -p auth-server -p resource-server --locked -- --include-ignored
fi

if want replicas; then
  step "scaled out: two replicas of each server behind nginx on PostgreSQL, the whole flow through it"
  bash scripts/replicas.sh
fi

if want contract; then
  step "contract tests: schemathesis against both servers' /openapi.json (no 5xx, answers match their schema)"
  bash scripts/contract.sh
fi

if want interop; then
  step "interop: the MCP Python and TypeScript SDKs, MCP Inspector, Authlib, openid-client and openidconnect (Rust) with the lab as authorization server, over http and https"
  bash scripts/interop.sh
fi

if want wasm; then
  step "wasm tests in headless Chromium (wasm-bindgen-test, $CHROMEDRIVER)"
  cargo test -p shared -p client-wasm --target wasm32-unknown-unknown --locked

  step "cargo check -p shared --target wasm32-unknown-unknown"
  cargo check -p shared --target wasm32-unknown-unknown --locked
fi

if want spa || want e2e; then
  step "release build of the SPA (trunk build --release, into target/dist-release)"
  # Its own folder: `trunk serve` (scripts/lab.sh) serves target/dist and must not be clobbered.
  trunk build --release --dist target/dist-release

  step "the release build renders in headless Chromium"
  port=$(free_port)
  python3 -m http.server "$port" --bind 127.0.0.1 --directory target/dist-release >/dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  wait_answer "http://127.0.0.1:$port/" 10 || fail "the SPA's release build could not be served on port $port"
  profile=$(mktemp -d)
  dom=$(timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --virtual-time-budget=10000 --dump-dom "http://127.0.0.1:$port/" 2>/dev/null || true)
  rm -rf "$profile"
  if ! grep -q 'id="start-login"' <<<"$dom"; then
    echo "The release build of the SPA did not render (no Log in button in the DOM). Page as Chromium saw it:" >&2
    echo "$dom" | head -c 2000 >&2
    exit 1
  fi
  echo "rendered: the Log in button is in the DOM"
  kill "$server" 2>/dev/null || true
fi

if want e2e; then
  step "browser end-to-end tests: Chromium via chromedriver, the real servers on ports 8080-8082"
  # --workspace keeps the features unified as in the native step, so nothing is rebuilt.
  cargo test --workspace --features lab-cli/e2e --test e2e --locked -- --test-threads=1
  echo "screenshots of the main steps: target/e2e/"
fi

printf '\n\033[1;32mAll checks passed; stages run:%s\033[0m\n' "${stages% }"
