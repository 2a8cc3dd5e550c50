#!/usr/bin/env bash
# Times `aoftool check` with its dataset prediction (keys after the next
# start, replay of the incr files) against `aoftool check` built from an
# earlier commit that predicted only the base's keys, on the data of
# bench/rdb.sh (a ~1 GiB dump.rdb) and bench/aof.sh (a ~500 MB incr file),
# side by side on a warm page cache. Prints medians, CPU-seconds, peak RSS
# and the ratio of each.
#
#   bench/check.sh                         # makes both data sets
#   RDB=path/to/dump.rdb AOFDIR=path/to/data bench/check.sh
#   BASE=26000ae RUNS=5 bench/check.sh      # the commit to compare with
#   SIZE_MB=256 bench/check.sh              # smaller data sets
#
# Everything is written under bench/out/check (gitignored) and deleted at
# the end; data this script made is deleted too.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
. bench/lib.sh
BASE=${BASE:-26000ae}
RUNS=${RUNS:-5}
out=bench/out/check
rm -rf "$out"; mkdir -p "$out/rdbdir"
made_rdb=""; made_aof=""
cleanup() {
  bench_redis_kill
  rm -rf "$out"
  if [ -n "$made_rdb" ]; then rm -rf bench/out/data; fi
  if [ -n "$made_aof" ]; then rm -rf bench/out/aof; fi
}
trap cleanup EXIT

go build -trimpath -o "$out/aoftool" ./cmd/aoftool
git archive --format=tar "$BASE" | (mkdir -p "$out/base-src" && tar -x -C "$out/base-src")
(cd "$out/base-src" && go build -trimpath -o ../aoftool-base ./cmd/aoftool)

rdb=${RDB:-}
if [ -z "$rdb" ]; then
  if [ ! -f bench/out/data/dump.rdb ]; then made_rdb=1; bench_make_dump "${SIZE_MB:-1024}" "$out" bench/out/data >/dev/null; fi
  rdb=bench/out/data/dump.rdb
fi
aofdir=${AOFDIR:-}
if [ -z "$aofdir" ]; then
  if [ ! -d bench/out/aof/data/appendonlydir ]; then KEEP=1 bench/aof.sh >/dev/null; made_aof=1; fi
  aofdir=bench/out/aof/data
fi
# A data directory holding only the dump: the start loads it (AOF off).
ln "$rdb" "$out/rdbdir/dump.rdb" 2>/dev/null || cp "$rdb" "$out/rdbdir/dump.rdb"

bench_machine
echo "base:    $(git log -1 --format='%h %s' "$BASE" | cut -c1-72)"

# one BIN DIR ARGS...: "elapsed cpu_seconds maxrss_kb" of one check run.
one() {
  local bin=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$out/time.txt" "$bin" check --server-stopped "$@" >/dev/null 2>&1 || true
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$out/time.txt"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

compare() { # NAME DIR ARGS...
  local name=$1; shift
  find "$1" -type f -exec cat {} + >/dev/null # warm the page cache
  : >"$out/new.txt"; : >"$out/base.txt"
  for _ in $(seq 1 "$RUNS"); do
    one "$out/aoftool-base" "$@" >>"$out/base.txt"
    one "$out/aoftool" "$@" >>"$out/new.txt"
  done
  local bw nw bc nc br nr
  bw=$(cut -d' ' -f1 "$out/base.txt" | median); nw=$(cut -d' ' -f1 "$out/new.txt" | median)
  bc=$(cut -d' ' -f2 "$out/base.txt" | median); nc=$(cut -d' ' -f2 "$out/new.txt" | median)
  br=$(cut -d' ' -f3 "$out/base.txt" | sort -n | tail -1); nr=$(cut -d' ' -f3 "$out/new.txt" | sort -n | tail -1)
  printf '%-30s base %6.2f s (cpu %6.2f s, peak RSS %6.1f MiB)   now %6.2f s (cpu %6.2f s, peak RSS %6.1f MiB)   now/base %.2fx\n' \
    "$name" "$bw" "$bc" "$(echo "$br / 1024" | bc -l)" "$nw" "$nc" "$(echo "$nr / 1024" | bc -l)" "$(echo "$nw / $bw" | bc -l)"
}

echo "medians of $RUNS runs each, alternating:"
compare "check, $(du -m "$out/rdbdir/dump.rdb" | cut -f1) MB dump.rdb" "$out/rdbdir"
compare "check, $(du -sm "$aofdir" | cut -f1) MB AOF directory" "$aofdir"
