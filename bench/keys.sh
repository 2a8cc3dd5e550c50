#!/usr/bin/env bash
# Times `aoftool keydiff` of two dumps of the ~1 GiB mixed dataset that
# bench/rdb.sh uses, written by a real redis-server, with the page cache
# warm, and prints the median wall time, MB/s over both files, median CPU
# seconds, peak RSS (against the 256 MiB a keydiff at the default
# --memory-limit should stay under) and the number of changes found.
# `aoftool keys` against hdt3213/rdb's memory report is timed by
# bench/rdb.sh.
#
#   bench/keys.sh              # ~1 GiB dumps
#   SIZE_MB=256 bench/keys.sh  # smaller
#   RUNS=9 bench/keys.sh       # runs (default and minimum 5)
#   KEEP=1 bench/keys.sh       # keep bench/out/keys/ afterwards
#   AOFTOOL=/path/aoftool bench/keys.sh
#
# The second dump is the first after a few thousand writes (changed values,
# new and deleted keys, TTLs), so keydiff has something to find. Everything
# generated stays under bench/out/ (gitignored) and is deleted at the end
# unless KEEP is set. The server listens on a unix socket only and is
# stopped by the pid this script started.
set -euo pipefail
here=$PWD
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
. bench/lib.sh
AOFTOOL=$(bench_abs "$here" "${AOFTOOL:-}")
SIZE_MB=${SIZE_MB:-1024}
runs=$(bench_runs)
work=bench/out/keys
data=$work/data
cleanup() {
  bench_redis_kill
  rm -f "$work/pipe.txt" "$work/redis.sock"
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$data"

bench_machine
echo "redis:   $(redis-server --version | cut -d' ' -f1-3)"
bench_build_aoftool "$work/aoftool"
echo "aoftool: $("$work/aoftool" --version)"

bench_redis_start "$work" "$data" "${BENCH_DUMP_OPTS[@]}"
bench_load_mixed "$SIZE_MB" "$work"
bench_cli save >/dev/null
mv "$data/dump.rdb" "$work/old.rdb"
awk -v n="$((SIZE_MB * 60))" 'BEGIN {
  for (i = 0; i < n; i += 97) {
    printf "HSET h:%d a changed\r\n", i
    printf "DEL l:%d\r\n", i + 1
    printf "SET new:%d v\r\n", i
    printf "EXPIRE z:%d 3600\r\n", i + 2
  }
}' > "$work/pipe.txt"
bench_cli --pipe < "$work/pipe.txt" | tail -1
bench_cli save >/dev/null
mv "$data/dump.rdb" "$work/new.rdb"
bench_redis_stop
old=$work/old.rdb
new=$work/new.rdb
size=$(($(stat -c %s "$old") + $(stat -c %s "$new")))
echo "files:   $old $(stat -c %s "$old") bytes, $new $(stat -c %s "$new") bytes"

cat "$old" "$new" > /dev/null; cat "$old" "$new" > /dev/null # warm the page cache

bench_add keydiff "$work/keydiff.out" "$work/aoftool" keydiff --format ndjson --spill-dir "$work" "$old" "$new"
bench_time "$work" "$runs"
echo "medians of $runs runs, load after: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_print keydiff "aoftool keydiff (two dumps)" "$size"
echo "changes: $(wc -l < "$work/keydiff.out") ndjson lines; peak RSS ${BENCH_RSS[keydiff]} MiB (limit 256 MiB)"
