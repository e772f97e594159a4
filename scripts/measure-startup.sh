#!/usr/bin/env bash
# Startup figures of the built CLI: the median wall time of N runs (default 10) of each command, next to a bare
# `node -e 0`, and the peak RSS of `--version`. Run `npm run build` first. Usage: scripts/measure-startup.sh [runs]
# (CLI=/other/dist/src/cli/main.js measures another build, e.g. an older commit's, for a before/after.)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/with-node.sh
source scripts/with-node.sh
use_node_lts
RUNS="${1:-10}"
CLI="${CLI:-dist/src/cli/main.js}"
[ -f "$CLI" ] || { echo "build first: npm run build" >&2; exit 2; }

# Median wall milliseconds of RUNS runs of "$@" (output discarded), failing unless each exits with `expect`.
median_ms() {
  local expect="$1"; shift
  local times=() start end code
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    set +e; "$@" >/dev/null 2>&1; code=$?; set -e
    end=$(date +%s%N)
    [ "$code" = "$expect" ] || { echo "unexpected exit $code (want $expect): $*" >&2; return 1; }
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'
}

row() {
  local label="$1" ms; shift
  ms=$(median_ms "$@")
  printf '%-58s %s\n' "$label" "$ms"
}

echo "$(node --version), $CLI, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-58s %s\n' "command (median of $RUNS runs)" "ms"
row "node -e 0" 0 node -e 0
row "bucketops --version" 0 node "$CLI" --version
row "bucketops --help" 0 node "$CLI" --help
row "bucketops fetch --help" 0 node "$CLI" fetch --help
row "bucketops get buckets --server http://127.0.0.1:1 (exit 3)" 3 node "$CLI" get buckets --server http://127.0.0.1:1
rss_kb=$(/usr/bin/time -f '%M' node "$CLI" --version 2>&1 >/dev/null | tail -1)
printf '%-58s %s\n' "bucketops --version peak RSS (MB)" "$(( rss_kb / 1024 ))"
