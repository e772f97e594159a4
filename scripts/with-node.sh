#!/usr/bin/env bash
# Runs a command with the Node LTS bucketops targets first on PATH. A machine whose Node is older (Debian 12 ships
# 20, past its end of life) gets the official binaries from the npm registry's `node` package, once, in .cache/node
# (git-ignored). Used by .ci/run and the npm scripts that start bucketops (`npm start`, `npm run bucketops`).
# Usage: scripts/with-node.sh <command> [args...]   (or `source` it for use_node_lts)
NODE_LTS_VERSION=24.21.0
NODE_LTS_MAJOR=24

use_node_lts() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge "$NODE_LTS_MAJOR" ]]; then return 0; fi
  local bin="$root/.cache/node/node_modules/node/bin"
  if [[ "$("$bin/node" --version 2>/dev/null)" != "v$NODE_LTS_VERSION" ]]; then
    echo "::: installing Node $NODE_LTS_VERSION into .cache/node (this machine has $(node --version 2>/dev/null || echo no Node))" >&2
    npm install --prefix "$root/.cache/node" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node@$NODE_LTS_VERSION" >&2
  fi
  export PATH="$bin:$PATH"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  use_node_lts
  exec "$@"
fi
