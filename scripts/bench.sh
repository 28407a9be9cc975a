#!/usr/bin/env bash
# Benchmarks: builds the servers in release mode, starts them on loopback (ports 18081,
# 18082, and a bare axum baseline on 18090), drives each endpoint with wrk for a bounded time
# (default 10 s per load; about 3 minutes in all), and prints the figures as Markdown.
#   bash scripts/bench.sh                   # the standard run
#   bash scripts/bench.sh --duration 5      # shorter loads
#   bash scripts/bench.sh --million         # also issue 1,000,000 tokens and report memory
#   bash scripts/bench.sh --postgres        # the authorization server on a throwaway PostgreSQL
#   bash scripts/bench.sh --peer node-oidc-provider
#                                           # also node-oidc-provider (pinned in bench/peer/,
#                                           # installed from npm into the tools cache) under
#                                           # the same loads, and the ratios
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

args=()
postgres=false
peer=""
previous=""
for arg in "$@"; do
  if [[ "$previous" == --peer ]]; then peer=$arg
  elif [[ "$arg" == --postgres ]]; then postgres=true
  elif [[ "$arg" != --peer ]]; then args+=("$arg")
  fi
  previous=$arg
done
if [[ -n "$peer" && "$peer" != node-oidc-provider ]]; then
  echo "unknown peer '$peer'; the peer this benchmark knows is node-oidc-provider" >&2
  exit 2
fi
if $postgres && [[ -z "${LAB_TEST_POSTGRES_URL:-}" ]]; then
  exec bash scripts/with-postgres.sh bash "$0" "$@"
fi
if $postgres; then
  psql -q "$LAB_TEST_POSTGRES_URL" -c "CREATE DATABASE lab_bench"
  args+=(--database-url "${LAB_TEST_POSTGRES_URL%/*}/lab_bench")
fi

if ! command -v wrk >/dev/null; then
  say "wrk (the load generator) is missing: run 'bash scripts/setup.sh bench' first"
  exit 1
fi
for port in 18081 18082 18083 18090; do
  if ss -ltn "sport = :$port" | grep -q LISTEN; then
    say "port $port is in use; the benchmark needs 18081, 18082, 18083 and 18090"
    exit 1
  fi
done

if [[ -n "$peer" ]]; then
  # The peer, from npm, pinned by bench/peer/package-lock.json, into the tools cache.
  peer_dir="$LAB_TOOLS/peer"
  mkdir -p "$peer_dir"
  cp bench/peer/package.json bench/peer/package-lock.json bench/peer/node-oidc-provider.mjs "$peer_dir/"
  if ! cmp -s bench/peer/package-lock.json "$peer_dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
    say "installing node-oidc-provider (bench/peer/package-lock.json) into $peer_dir"
    npm ci --silent --no-audit --no-fund --prefix "$peer_dir"
    cp bench/peer/package-lock.json "$peer_dir/node_modules/.package-lock.json.installed"
  fi
  args+=(--peer "$peer_dir/node-oidc-provider.mjs")
fi

say "building the servers and the benchmark in release mode"
cargo build --release --locked -p auth-server -p resource-server -p lab-bench
target_dir=$(target_dir)
say "running (machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
exec "$target_dir/release/lab-bench" "${args[@]}"
