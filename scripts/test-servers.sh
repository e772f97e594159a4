#!/usr/bin/env bash
# Builds the real servers the tests run against, from pinned Go module versions, into .cache/bin (git-ignored).
# Idempotent: a binary already built for the pinned version is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.cache/bin"
mkdir -p "$BIN"

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

build() { # name module version
  local name=$1 module=$2 version=$3
  local stamp="$BIN/.$name.version"
  if [[ -x "$BIN/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then return 0; fi
  if ! command -v go >/dev/null; then
    echo "test-servers: Go is required to build $name ($module@$version); install Go >= 1.24" >&2
    exit 1
  fi
  echo "test-servers: building $name from $module@$version (first run only; takes a few minutes)" >&2
  (cd /tmp && GOBIN="$BIN" CGO_ENABLED=0 GOFLAGS=-mod=mod go install "$module@$version")
  echo "$version" >"$stamp"
}

build minio github.com/minio/minio "$MINIO_VERSION"
echo "test-servers: ready in $BIN" >&2
