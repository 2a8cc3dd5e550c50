#!/usr/bin/env bash
# Times "aoftool aof" against redis-check-aof on a large incr file written by
# a real redis-server (redis-benchmark traffic: SET, INCR, LPUSH, HSET, SADD,
# ZADD with #TS annotations), in the same run on a warm page cache with the
# tools alternating, and prints the median wall time, MB/s, median CPU
# seconds and peak RSS of each and the speed ratio against the 8x target.
#
#   bench/aof.sh              # ~500 MB
#   SIZE_MB=50 bench/aof.sh   # quicker
#   KEEP=1 bench/aof.sh       # keep bench/out/aof afterwards
#   RUNS=9 bench/aof.sh       # runs per tool (default and minimum 5)
#   AOFTOOL=/path/aoftool bench/aof.sh   # time a binary built elsewhere
#   MD=path bench/aof.sh      # also write the result as a Markdown table
#
# The server listens on a unix socket only and is stopped by the pid this
# script started. Everything is written under bench/out/ (gitignored) and
# deleted at the end unless KEEP is set.
set -euo pipefail
here=$PWD
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
. bench/lib.sh
MD=$(bench_abs "$here" "${MD:-}")
AOFTOOL=$(bench_abs "$here" "${AOFTOOL:-}")
SIZE_MB=${SIZE_MB:-500}
runs=$(bench_runs)
out=bench/out/aof
cleanup() {
  bench_redis_kill
  rm -f "$out/redis.sock"
  if [ -z "${KEEP:-}" ]; then rm -rf "$out"; fi
}
trap cleanup EXIT
rm -rf "$out"
mkdir -p "$out/data"
bench_build_aoftool "$out/aoftool"

bench_redis_start "$out" "$out/data" --appendonly yes --appendfsync no \
  --auto-aof-rewrite-percentage 0 --aof-timestamp-enabled yes
incr="$out/data/appendonlydir/appendonly.aof.1.incr.aof"
target=$((SIZE_MB * 1024 * 1024))
while [ "$(stat -c %s "$incr")" -lt "$target" ]; do
  redis-benchmark -s "$BENCH_SOCK" -q -n 150000 -P 64 -r 1000000 -d 100 -t set,incr,lpush,hset,sadd,zadd >/dev/null
done
bench_redis_stop

size=$(stat -c %s "$incr")
version=$(bench_redis_version)
echo "file: $incr, $size bytes ($((size / 1024 / 1024)) MiB), redis-server $version"
bench_machine
cat "$incr" > /dev/null # warm the page cache

bench_add check "$out/check.out" redis-check-aof "$incr"
bench_add aof "$out/aof.out" "$out/aoftool" aof "$incr"
bench_time "$out" "$runs"

bench_said redis-check-aof 'is valid' "$out/check.out" "$out/check.err"
bench_said "aoftool aof" 'Redis loads it' "$out/aof.out" "$out/aof.err"

echo "medians of $runs runs each, tools alternating, load after: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_print check "redis-check-aof" "$size"
bench_print aof "aoftool aof" "$size"
x=$(bench_speedup aof check)
awk -v x="$x" -v rc="${BENCH_CPU[check]}" -v ac="${BENCH_CPU[aof]}" -v r="${BENCH_RSS[aof]}" 'BEGIN {
  printf "ratio: aoftool aof is %.1fx as fast as redis-check-aof (target >= 8x: %s), uses %.2fx the CPU; peak RSS %.1f MiB (< 64 MiB: %s)\n", x, (x >= 8 ? "met" : "missed"), (rc > 0 ? ac / rc : 0), r, (r < 64 ? "yes" : "no")
}'

if [ -n "$MD" ]; then
  {
    echo "Machine: $(bench_machine_md). File: $((size / 1024 / 1024)) MiB incr file written by redis-server $version under redis-benchmark traffic with \`#TS\` annotations. Medians of $runs runs, tools alternating, page cache warm."
    echo
    bench_md_head
    bench_md_row check "redis-check-aof" "$size" "baseline"
    bench_md_row aof "\`aoftool aof\`" "$size" "${x}x redis-check-aof"
  } > "$MD"
fi
