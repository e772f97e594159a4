#!/usr/bin/env bash
# Startup figures of the built CLI: the median wall time of N runs (default 10) of each command, next to a bare
# `node -e 0`, and the peak RSS of `--version`. Run `npm run build` first. Usage: scripts/measure-startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-10}"
CLI=dist/src/cli/main.js
[ -f "$CLI" ] || { echo "build first: npm run build" >&2; exit 2; }

# Median wall milliseconds of RUNS runs of "$@" (output discarded; any exit code accepted, the expected one checked).
median_ms() {
  local expect="$1"; shift
  local times=() start end code
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    set +e; "$@" >/dev/null 2>&1; code=$?; set -e
    end=$(date +%s%N)
    [ "$code" = "$expect" ] || { echo "unexpected exit $code (want $expect): $*" >&2; exit 1; }
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'
}

printf '%-58s %s\n' "command (median of $RUNS runs)" "ms"
printf '%-58s %s\n' "node -e 0" "$(median_ms 0 node -e 0)"
printf '%-58s %s\n' "bucketops --version" "$(median_ms 0 node "$CLI" --version)"
printf '%-58s %s\n' "bucketops --help" "$(median_ms 0 node "$CLI" --help)"
printf '%-58s %s\n' "bucketops fetch --help" "$(median_ms 0 node "$CLI" fetch --help)"
printf '%-58s %s\n' "bucketops get buckets --server http://127.0.0.1:1 (exit 3)" \
  "$(median_ms 3 node "$CLI" get buckets --server http://127.0.0.1:1)"
rss_kb=$(/usr/bin/time -f '%M' node "$CLI" --version 2>&1 >/dev/null | tail -1)
printf '%-58s %s\n' "bucketops --version peak RSS (MB)" "$(( rss_kb / 1024 ))"
