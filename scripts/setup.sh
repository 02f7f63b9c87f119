#!/usr/bin/env bash
# Sets up everything the service needs on a bare machine with Node 20 and npm:
# the npm dependencies, the sandbox's Python (Debian packages), and a build.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-openpyxl is the tests' reference reader for XLSX (pandas.read_excel); redis-server
# backs the distributed shape (REDIS_URL) and the tests start their own on a free port.
APT_PACKAGES=(python3 python3-pandas python3-numpy python3-seccomp python3-openpyxl bubblewrap redis-server)
SANDBOX_PYTHON="${SANDBOX_PYTHON:-/usr/bin/python3}"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

sandbox_ready() {
  command -v bwrap >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1 &&
    "$SANDBOX_PYTHON" -c 'import pandas, numpy, seccomp, openpyxl' >/dev/null 2>&1
}

if ! sandbox_ready; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing the sandbox's Debian packages: ${APT_PACKAGES[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${APT_PACKAGES[@]}"
  else
    echo "setup: the Python sandbox needs Debian packages that are missing. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${APT_PACKAGES[*]}" >&2
    exit 1
  fi
  if ! sandbox_ready; then
    echo "setup: $SANDBOX_PYTHON still cannot import pandas, numpy, seccomp and openpyxl, or bwrap or redis-server is missing" >&2
    exit 1
  fi
fi

# Exactly the committed lock, which lists every platform's optional binaries
# (@duckdb/node-bindings-*); after changing dependencies, commit the lock `npm install` writes.
npm ci --no-audit --no-fund
npm run build
echo "setup: done"
