#!/usr/bin/env bash
# Installs whatever the lab needs and is missing, and nothing else (idempotent).
# Versions are pinned here, in one place; the README's "Toolchain" section explains each choice.
#
#   bash scripts/setup.sh               everything (what CI and a full `test.sh` need)
#   bash scripts/setup.sh <part>...     only those parts, besides Rust itself:
#     rust      nothing more (the fast stage)
#     browser   chromium and chromedriver (the wasm, spa and e2e stages)
#     spa       trunk, wasm-bindgen-cli, wasm-opt (building the SPA: lab.sh, spa, e2e)
#     wasm      wasm-bindgen-cli (the wasm stage's test runner)
#     postgres  PostgreSQL (the postgres and replicas stages)
#     nginx     nginx (the replicas stage)
#     contract  schemathesis (the contract stage)
#     interop   the pinned client libraries of the interop stage, and npm
#     bench     wrk and valgrind (scripts/bench.sh, scripts/trace-cost.sh)
# `scripts/test.sh <stage>` and `scripts/lab.sh` ask only for the parts they use, so the fast
# stage installs nothing beyond the Rust toolchain.
set -euo pipefail

TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132.0.0"
# Must equal the wasm-bindgen version pinned in the workspace Cargo.toml (and so in Cargo.lock).
WASM_BINDGEN_VERSION="0.2.130"
# The contract tests of scripts/test.sh. schemathesis 3.39 breaks with hypothesis releases
# after 6.122 ("'many' object has no attribute 'more'"), so both are pinned.
SCHEMATHESIS_VERSION="3.39.16"
HYPOTHESIS_VERSION="6.122.1"

cd "$(dirname "$0")/.."
source scripts/env.sh

all_parts="rust browser spa wasm postgres nginx contract interop bench"
for part in "$@"; do
  if [[ " $all_parts " != *" $part "* ]]; then
    say "unknown part '$part'; the parts are: $all_parts"
    exit 2
  fi
done
parts=" ${*:-$all_parts} "
parts_said="${*:-every part}"
need() { [[ "$parts" == *" $1 "* ]]; }

if ! have cargo || ! have rustup; then
  say "cargo/rustup not found: this lab needs a Rust toolchain installed with rustup (https://rustup.rs)."
  exit 1
fi

# rust-toolchain.toml pins the toolchain the README names. This kind of machine cannot
# download a toolchain, so when its stable toolchain is that very version, the pinned name is
# made to point at it (rustup refuses `toolchain link` under an official name, so the link is
# made in rustup's toolchains directory); elsewhere rustup installs the pinned version.
RUST_VERSION="$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)"
RUST_HOST="$(RUSTUP_TOOLCHAIN=stable rustc -vV | sed -n 's/^host: //p')"
if RUSTUP_TOOLCHAIN=stable rustup toolchain list | grep -q "^$RUST_VERSION-"; then
  # A link made here follows `stable`: after a `rustup update` it would silently be another
  # version under the pinned name, so it is checked every time.
  found="$(rustc --version)"
  if [[ "$found" != "rustc $RUST_VERSION "* ]]; then
    say "the toolchain named $RUST_VERSION is $found (a link to a stable toolchain that was updated since)."
    say "Remove ${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$RUST_VERSION-$RUST_HOST and install Rust $RUST_VERSION (rustup toolchain install $RUST_VERSION), then start again."
    exit 1
  fi
  say "Rust $RUST_VERSION (rust-toolchain.toml): present"
elif [[ "$(RUSTUP_TOOLCHAIN=stable rustc --version)" == "rustc $RUST_VERSION "* ]]; then
  say "Rust $RUST_VERSION (rust-toolchain.toml): the stable toolchain is $RUST_VERSION, naming it so"
  ln -s "stable-$RUST_HOST" "${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$RUST_VERSION-$RUST_HOST"
else
  say "Rust $RUST_VERSION (rust-toolchain.toml): missing, installing with rustup"
  RUSTUP_TOOLCHAIN=stable rustup toolchain install "$RUST_VERSION" --profile minimal \
    --component clippy,rustfmt --target wasm32-unknown-unknown
fi

if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "wasm32-unknown-unknown target: present"
else
  say "wasm32-unknown-unknown target: missing, installing with rustup"
  rustup target add wasm32-unknown-unknown
fi

apt_missing=()
if need browser; then
  have chromium     || apt_missing+=(chromium)
  have chromedriver || apt_missing+=(chromium-driver)
fi
if need spa || need interop; then
  have npm || apt_missing+=(npm)   # wasm-opt and the Node interop clients come from npm
fi
if need bench; then
  have wrk      || apt_missing+=(wrk)        # the load generator of scripts/bench.sh
  have valgrind || apt_missing+=(valgrind)   # callgrind: scripts/trace-cost.sh counts instructions
fi
# PostgreSQL for the storage suites' second run and the replica tests
# (scripts/with-postgres.sh makes a throwaway cluster), nginx for the replicas behind a
# load balancer (scripts/replicas.sh).
if need postgres; then
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || apt_missing+=(postgresql)
fi
if need nginx; then
  have nginx || [[ -x /usr/sbin/nginx ]] || apt_missing+=(nginx)
fi
if ((${#apt_missing[@]})); then
  say "Debian packages missing: ${apt_missing[*]}; installing with apt-get"
  if [[ $(id -u) -ne 0 ]]; then
    say "apt-get needs root: run 'sudo apt-get install -y ${apt_missing[*]}' and start again."
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
else
  say "Debian packages for $parts_said: present"
fi

if ! need spa; then
  :
elif [[ $(wasm-opt --version 2>/dev/null) == "wasm-opt version ${BINARYEN_VERSION%%.*} "* ]]; then
  say "wasm-opt (binaryen $BINARYEN_VERSION): present"
else
  say "wasm-opt (binaryen $BINARYEN_VERSION): missing, installing from npm into $LAB_TOOLS"
  mkdir -p "$LAB_TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$LAB_TOOLS" "binaryen@$BINARYEN_VERSION"
fi

if ! need spa && ! need wasm; then
  :
elif have wasm-bindgen && [[ $(wasm-bindgen --version) == "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  say "wasm-bindgen-cli $WASM_BINDGEN_VERSION: present"
else
  say "wasm-bindgen-cli $WASM_BINDGEN_VERSION: missing, installing (about 4 minutes on 2 cores)"
  # Not --locked: one of its locked dependency versions is gone from the registry (docs/toolchain.md).
  cargo install --quiet wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! need spa; then
  :
elif have trunk && [[ $(trunk --version) == "trunk $TRUNK_VERSION" ]]; then
  say "trunk $TRUNK_VERSION: present"
else
  say "trunk $TRUNK_VERSION: missing, installing (about 14 minutes on 2 cores)"
  cargo install --quiet --locked trunk --version "$TRUNK_VERSION" --force
fi

if ! need contract; then
  :
elif [[ $("$LAB_VENV/bin/st" --version 2>/dev/null) == *"version $SCHEMATHESIS_VERSION" ]] \
  && [[ $("$LAB_VENV/bin/pip" show hypothesis 2>/dev/null) == *"Version: $HYPOTHESIS_VERSION"* ]]; then
  say "schemathesis $SCHEMATHESIS_VERSION: present"
else
  say "schemathesis $SCHEMATHESIS_VERSION: missing, installing from PyPI into $LAB_VENV"
  python3 -m venv "$LAB_VENV"
  "$LAB_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "schemathesis==$SCHEMATHESIS_VERSION" "hypothesis==$HYPOTHESIS_VERSION"
fi

# The interop tests of scripts/test.sh (scripts/interop/requirements.txt pins every package).
interop_wanted="$(grep -v '^#' scripts/interop/requirements.txt | sort -f)"
if ! need interop; then
  :
elif [[ "$("$LAB_MCP_VENV/bin/pip" freeze 2>/dev/null | sort -f)" == "$interop_wanted" ]]; then
  say "interop client libraries (MCP Python SDK $(grep '^mcp==' scripts/interop/requirements.txt | cut -d= -f3)): present"
else
  say "interop client libraries: missing, installing from PyPI into $LAB_MCP_VENV"
  python3 -m venv "$LAB_MCP_VENV"
  "$LAB_MCP_VENV/bin/pip" install --quiet --disable-pip-version-check \
    -r scripts/interop/requirements.txt
fi

# The Node ones (the MCP TypeScript SDK, MCP Inspector, openid-client), exactly as
# scripts/interop/package-lock.json says.
if ! need interop; then
  :
elif cmp -s scripts/interop/package-lock.json "$LAB_NODE_INTEROP/package-lock.json" \
  && [[ -d "$LAB_NODE_INTEROP/node_modules/@modelcontextprotocol/sdk" ]]; then
  say "interop client libraries (MCP TypeScript SDK, MCP Inspector, openid-client, as scripts/interop/package-lock.json pins them): present"
else
  say "interop client libraries: missing, installing from npm into $LAB_NODE_INTEROP"
  mkdir -p "$LAB_NODE_INTEROP"
  cp scripts/interop/package.json scripts/interop/package-lock.json "$LAB_NODE_INTEROP/"
  npm ci --silent --no-audit --no-fund --prefix "$LAB_NODE_INTEROP"
fi

say "all tools present for $parts_said"
