#!/usr/bin/env bash
# What `--lab-traces` costs the resource server's fastest request (GET /api/profile with a
# token it has verified before), counted in instructions under callgrind rather than timed:
# on a shared 2-core machine the load generator and the neighbours move requests/s by
# ±10-25 % from one run to the next, while the instructions a request takes hardly move.
# Starts the release builds on 18081/18082, warms the token up, then counts the
# instructions of 4 s of `wrk -c4` load, with the flag off and then on.
# Usage: bash scripts/trace-cost.sh   (about 3 minutes after the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

for tool in valgrind callgrind_annotate wrk; do
  if ! command -v "$tool" >/dev/null; then
    say "$tool is missing: run 'bash scripts/setup.sh bench' first"
    exit 1
  fi
done
for port in 18081 18082; do
  if ss -ltn "sport = :$port" | grep -q LISTEN; then
    say "port $port is in use; this measurement needs 18081 and 18082"
    exit 1
  fi
done

say "building the servers in release mode"
cargo build --release --locked -p auth-server -p resource-server
release="$(target_dir)/release"
work=$(mktemp -d)
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap 'stop; rm -rf "$work"' EXIT

measure() {
  local which=$1 flag=()
  [[ $which == on ]] && flag=(--lab-traces)
  RUST_LOG=warn "$release/auth-server" --addr 127.0.0.1:18081 --issuer http://127.0.0.1:18081 \
    --default-resource http://127.0.0.1:18082 --database-url "sqlite://$work/auth-$which.db" \
    >/dev/null 2>"$work/auth.log" &
  pids=($!)
  wait_healthy http://127.0.0.1:18081 60 "$work"
  RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$work/callgrind-$which.out" "$release/resource-server" \
    --addr 127.0.0.1:18082 --issuer http://127.0.0.1:18081 --audience http://127.0.0.1:18082 \
    --database-url "sqlite://$work/resource-$which.db" "${flag[@]}" >/dev/null 2>"$work/resource.log" &
  local resource=$!
  pids+=("$resource")
  wait_healthy http://127.0.0.1:18082 60 "$work"
  local token
  token=$(curl -fs http://127.0.0.1:18081/token \
    -d 'grant_type=client_credentials&client_id=service-client&client_secret=service-secret&scope=read' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  local load=(wrk -t1 -c4 -H "Authorization: Bearer $token" http://127.0.0.1:18082/api/profile)
  "${load[@]}" -d2s >/dev/null
  callgrind_control -i on "$resource" >/dev/null 2>&1
  "${load[@]}" -d4s >"$work/wrk-$which.txt"
  callgrind_control -i off "$resource" >/dev/null 2>&1
  stop
  local requests instructions
  requests=$(grep -o '[0-9]* requests' "$work/wrk-$which.txt" | cut -d' ' -f1)
  instructions=$(callgrind_annotate "$work/callgrind-$which.out" 2>/dev/null |
    awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
  echo "$((instructions / requests))"
}

say "traces off: counting instructions (the server runs about 50 times slower under callgrind)"
off=$(measure off)
say "traces on: the same"
on=$(measure on)
python3 - "$off" "$on" <<'PY'
import sys
off, on = map(int, sys.argv[1:])
print("| resource server GET /api/profile (cached token) | traces off | on | on / off |")
print("|---|---|---|---|")
print(f"| instructions per request | {off:,} | {on:,} | {on / off:.3f} |")
PY
