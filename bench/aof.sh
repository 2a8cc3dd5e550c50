#!/usr/bin/env bash
# Times "aoftool aof" against redis-check-aof on a large incr file written by
# a real redis-server (redis-benchmark traffic: SET, INCR, LPUSH, HSET, SADD,
# ZADD with #TS annotations), in the same run on a warm page cache, and
# prints the median wall time, CPU seconds and peak RSS of each and the
# speed ratio against the 8x target.
#
#   bench/aof.sh              # ~500 MB
#   SIZE_MB=50 bench/aof.sh   # quicker
#   KEEP=1 bench/aof.sh       # keep bench/out/aof afterwards
#   RUNS=9 bench/aof.sh       # runs per tool (at least 5)
#
# Everything is written under bench/out/ (gitignored) and deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-500}
out=bench/out/aof
rm -rf "$out"; mkdir -p "$out/data"
go build -o "$out/aoftool" ./cmd/aoftool

port=$((40000 + RANDOM % 10000))
redis-server --bind 127.0.0.1 --port "$port" --dir "$(pwd)/$out/data" --save '' \
  --appendonly yes --appendfsync no --auto-aof-rewrite-percentage 0 --aof-timestamp-enabled yes \
  --daemonize no --logfile "$(pwd)/$out/redis.log" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$out"; }
trap cleanup EXIT
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

incr="$out/data/appendonlydir/appendonly.aof.1.incr.aof"
target=$((SIZE_MB * 1024 * 1024))
while [ "$(stat -c %s "$incr")" -lt "$target" ]; do
  redis-benchmark -p "$port" -q -n 150000 -P 64 -r 1000000 -d 100 -t set,incr,lpush,hset,sadd,zadd >/dev/null
done
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
wait "$pid" 2>/dev/null || true

size=$(stat -c %s "$incr")
echo "file: $incr, $size bytes ($((size / 1024 / 1024)) MiB), redis-server $(redis-server --version | awk '{print $3}')"
echo "machine: $(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$incr" > /dev/null # warm the page cache

runs=${RUNS:-5}
[ "$runs" -ge 5 ] || runs=5
# Runs of the two tools alternate, so a busy machine slows both alike;
# each column is the median of its runs: wall seconds, CPU seconds
# (user+sys), peak RSS in KiB.
rcaf=$(mktemp); aoff=$(mktemp)
for _ in $(seq 1 "$runs"); do
  /usr/bin/time -f '%e %U %S %M' redis-check-aof "$incr" 2>&1 >/dev/null | tail -1 >>"$rcaf"
  /usr/bin/time -f '%e %U %S %M' "$out/aoftool" aof "$incr" 2>&1 >/dev/null | tail -1 >>"$aoff"
done
median() { # file column-expression
  awk "{print $2}" "$1" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}
stats() { echo "$(median "$1" '$1') $(median "$1" '$2+$3') $(median "$1" '$4')"; }
read -r rs rc rk <<<"$(stats "$rcaf")"
read -r as ac ak <<<"$(stats "$aoff")"
rm -f "$rcaf" "$aoff"
echo "medians of $runs runs each, load after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v size="$size" -v rs="$rs" -v rc="$rc" -v rk="$rk" -v as="$as" -v ac="$ac" -v ak="$ak" 'BEGIN {
  printf "redis-check-aof: %6.2f s  %7.1f MB/s  CPU %5.2f s  peak RSS %6.1f MiB\n", rs, size/1e6/rs, rc, rk/1024
  printf "aoftool aof:     %6.2f s  %7.1f MB/s  CPU %5.2f s  peak RSS %6.1f MiB\n", as, size/1e6/as, ac, ak/1024
  r = rs/as
  printf "ratio: aoftool is %.2fx as fast (target >= 8x: %s), uses %.2fx the CPU; peak RSS %s 64 MiB\n", r, (r >= 8 ? "met" : "missed"), ac/rc, (ak/1024 < 64 ? "<" : ">=")
}'
