#!/usr/bin/env bash
# Times "aoftool aof" against redis-check-aof on a large incr file written by
# a real redis-server (redis-benchmark traffic: SET, INCR, LPUSH, HSET, SADD,
# ZADD with #TS annotations), in the same run on a warm page cache, and
# prints the speed ratio and both peak RSS values.
#
#   bench/aof.sh              # ~500 MB
#   SIZE_MB=50 bench/aof.sh   # quicker
#   KEEP=1 bench/aof.sh       # keep bench/out/aof afterwards
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

best() { # best of 3: prints "seconds maxrss_kb"
  local b="" r
  for _ in 1 2 3; do
    r=$(/usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1)
    if [ -z "$b" ] || awk -v a="${r% *}" -v c="${b% *}" 'BEGIN{exit !(a<c)}'; then b=$r; fi
  done
  echo "$b"
}
rca=$(best redis-check-aof "$incr")
aof=$(best "$out/aoftool" aof "$incr")
read -r rs rk <<<"$rca"
read -r as ak <<<"$aof"
awk -v size="$size" -v rs="$rs" -v rk="$rk" -v as="$as" -v ak="$ak" 'BEGIN {
  printf "redis-check-aof: %6.2f s  %7.1f MB/s  peak RSS %6.1f MiB\n", rs, size/1e6/rs, rk/1024
  printf "aoftool aof:     %6.2f s  %7.1f MB/s  peak RSS %6.1f MiB\n", as, size/1e6/as, ak/1024
  printf "ratio: aoftool is %.2fx as fast (target >= 2x); peak RSS %s 64 MiB\n", rs/as, (ak/1024 < 64 ? "<" : ">=")
}'
