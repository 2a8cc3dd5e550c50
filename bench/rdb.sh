#!/usr/bin/env bash
# Times, on one RDB written by a real redis-server, with the page cache warm
# and the tools alternating in the same run:
#   redis-check-rdb FILE
#   aoftool rdb FILE                          (every payload check, the default)
#   aoftool keys --format csv FILE > /dev/null
#   hdt3213/rdb v1.3.2 `rdb -c memory`        (its memory report, to a file)
# and prints per tool the median wall seconds, MB/s, median CPU seconds and
# peak RSS; then how many times faster `aoftool rdb` is than redis-check-rdb
# (target: 7x) and whether its peak RSS stays under 64 MiB, and how many
# times faster `aoftool keys` is than hdt3213/rdb.
#
#   bench/rdb.sh                  # ~1 GiB dump
#   SIZE_MB=256 bench/rdb.sh      # smaller dump
#   RDB=path/dump.rdb bench/rdb.sh  # time an existing file, make none
#   RUNS=9 bench/rdb.sh           # runs per tool (default and minimum 5)
#   KEEP=1 bench/rdb.sh           # keep bench/out/data/dump.rdb and bench/out/rdb/
#   AOFTOOL=/path/aoftool bench/rdb.sh   # time a binary built elsewhere
#   MD=path bench/rdb.sh          # also write the result as a Markdown table
#
# The dump is the mixed dataset of bench/lib.sh (DEBUG POPULATE strings,
# hashes, sorted sets, lists, TTL'd strings; rdbcompression no), made by a
# server on a unix socket that is stopped by its pid. Everything generated
# stays under bench/out/ (gitignored) and is deleted at the end unless KEEP
# is set; a file given as RDB is never touched.
set -euo pipefail
here=$PWD
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
. bench/lib.sh
MD=$(bench_abs "$here" "${MD:-}")
RDB=$(bench_abs "$here" "${RDB:-}")
AOFTOOL=$(bench_abs "$here" "${AOFTOOL:-}")
SIZE_MB=${SIZE_MB:-1024}
runs=$(bench_runs)
work=bench/out/rdb
data=bench/out/data
made=""
cleanup() {
  bench_redis_kill
  rm -f "$work/redis.sock" "$work/pipe.txt"
  if [ -z "${KEEP:-}" ]; then
    rm -rf "$work"
    if [ -n "$made" ]; then rm -rf "$data"; fi
  fi
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"

bench_machine
bench_build_aoftool "$work/aoftool"
echo "aoftool: $("$work/aoftool" --version)"
bench_build_hdt "$work"
echo "hdt3213/rdb: v1.3.2 helper.MemoryProfile (rdb -c memory)"

f=$RDB
if [ -z "$f" ]; then
  echo "redis:   $(redis-server --version | cut -d' ' -f1-3)"
  made=1
  bench_make_dump "$SIZE_MB" "$work" "$data"
  f=$data/dump.rdb
fi
size=$(stat -L -c %s "$f")
echo "file:    $f, $size bytes ($((size / 1024 / 1024)) MiB)"

cat "$f" > /dev/null; cat "$f" > /dev/null # warm the page cache

bench_add check "$work/check.out" redis-check-rdb "$f"
bench_add rdb "$work/rdb.out" "$work/aoftool" rdb "$f"
bench_add keys /dev/null "$work/aoftool" keys --format csv "$f"
bench_add hdt "$work/hdt.out" "$work/hdt-memory" "$f" "$work/hdt.csv"
bench_time "$work" "$runs"

bench_said redis-check-rdb 'RDB looks OK' "$work/check.out" "$work/check.err"
bench_said "aoftool rdb" 'complete and intact' "$work/rdb.out" "$work/rdb.err"
# Who wrote the file and how many keys it holds, as aoftool rdb read them.
writer=$(sed -n 's/.*│ *\(redis\|valkey\)-ver *│ *\([^ ]*\).*/\1-server \2/p' "$work/rdb.out" | head -1)
keys=$(sed -n 's/^Keys: *\([0-9][0-9]*\) .*/\1/p' "$work/rdb.out" | head -1)

echo "medians of $runs runs each, tools alternating, load after: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_print check "redis-check-rdb" "$size"
bench_print rdb "aoftool rdb" "$size"
bench_print keys "aoftool keys --format csv" "$size"
bench_print hdt "hdt3213/rdb rdb -c memory" "$size"
x_rdb=$(bench_speedup rdb check)
x_keys=$(bench_speedup keys hdt)
awk -v x="$x_rdb" -v r="${BENCH_RSS[rdb]}" 'BEGIN {
  printf "ratio: aoftool rdb is %.1fx as fast as redis-check-rdb (target >= 7x: %s); peak RSS %.1f MiB (< 64 MiB: %s)\n", x, (x >= 7 ? "met" : "missed"), r, (r < 64 ? "yes" : "no")
}'
echo "ratio: aoftool keys is ${x_keys}x as fast as hdt3213/rdb rdb -c memory; peak RSS ${BENCH_RSS[keys]} MiB"

if [ -n "$MD" ]; then
  {
    echo "Machine: $(bench_machine_md). File: $((size / 1024 / 1024)) MiB dump.rdb written by ${writer:-an unknown server}${keys:+, $keys keys}. Medians of $runs runs, tools alternating, page cache warm."
    echo
    bench_md_head
    bench_md_row check "redis-check-rdb" "$size" "baseline"
    bench_md_row rdb "\`aoftool rdb\`" "$size" "${x_rdb}x redis-check-rdb"
    bench_md_row hdt "hdt3213/rdb v1.3.2 \`rdb -c memory\`" "$size" "baseline"
    bench_md_row keys "\`aoftool keys --format csv\`" "$size" "${x_keys}x hdt3213/rdb"
  } > "$MD"
fi
