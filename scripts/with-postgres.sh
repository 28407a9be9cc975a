#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb into a temporary folder, a
# server listening on 127.0.0.1 only (a free port; its Unix socket in the same folder),
# password authentication. The command gets the administrator's URL in
# LAB_TEST_POSTGRES_URL (postgres://lab:<password>@127.0.0.1:<port>/postgres). Afterwards,
# whatever the command did, the server is stopped and the folder removed.
#
#   bash scripts/with-postgres.sh cargo test -p auth-server
#
# Needs Debian's `postgresql` package (scripts/setup.sh installs it). PostgreSQL refuses
# to run as root, so when run as root the cluster belongs to the `postgres` user.
set -euo pipefail
source "$(dirname "$0")/env.sh"

if (($# == 0)); then
  echo "usage: bash scripts/with-postgres.sh <command> [args...]" >&2
  exit 2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run 'bash scripts/setup.sh postgres', or 'sudo apt-get install -y postgresql'." >&2
  exit 1
fi

cluster=$(mktemp -d "${TMPDIR:-/tmp}/oauth-lab-pg.XXXXXX")
as_owner=()
if ((EUID == 0)); then
  chown postgres: "$cluster"
  as_owner=(runuser -u postgres --)
fi
stop() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap stop EXIT

password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
port=$(free_port)
printf '%s\n' "$password" >"$cluster/password"
chmod 600 "$cluster/password"
((EUID == 0)) && chown postgres: "$cluster/password"

echo "PostgreSQL ($bin): a throwaway cluster in $cluster, on 127.0.0.1:$port"
"${as_owner[@]}" "$bin/initdb" -D "$cluster/data" -U lab --pwfile="$cluster/password" \
  --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$cluster/initdb.log" 2>&1 || {
  cat "$cluster/initdb.log" >&2
  exit 1
}
# fsync off: a test cluster that is thrown away needs no durability, and the suites create
# hundreds of databases. max_connections: two replicas' pools and every test's pool.
"${as_owner[@]}" "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
  start >/dev/null || {
  echo "PostgreSQL did not start; its log:" >&2
  cat "$cluster/server.log" >&2
  exit 1
}

export LAB_TEST_POSTGRES_URL="postgres://lab:$password@127.0.0.1:$port/postgres"
"$@"
