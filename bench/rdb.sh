#!/usr/bin/env bash
# Times `aoftool rdb` against `redis-check-rdb` on the same RDB, written by a
# real redis-server, with the page cache warm, and prints the ratio and the
# peak RSS of both.
#
#   bench/rdb.sh              # ~1 GiB dump
#   SIZE_MB=256 bench/rdb.sh  # smaller
#   KEEP=1 bench/rdb.sh       # keep bench/out/data/dump.rdb afterwards
#   AOFTOOL=/path/aoftool bench/rdb.sh  # time a binary built elsewhere
#
# The dump mixes DEBUG POPULATE strings with hashes, sorted sets, lists and
# TTL'd strings loaded through redis-cli --pipe. rdbcompression is off so the
# file reaches its size without tens of millions of keys; LZF paths are
# covered by the Go benchmarks (go test ./rdbinspect -bench .).
# Everything generated stays under bench/out/ (gitignored) and is deleted at
# the end unless KEEP is set. The server listens on a unix socket only and is
# stopped by the pid this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
out=bench/out
data=$out/data
mkdir -p "$out"
rm -rf "$data"
mkdir -p "$data"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -f "$out/pipe.txt" "$out/redis.sock"
  if [ -z "${KEEP:-}" ]; then
    rm -rf "$data"
    rm -f "$out/aoftool" "$out/time.txt" "$out/redis.log" "$out/check.out" "$out/aoftool.out" "$out/keys.out"
  fi
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis:   $(redis-server --version | cut -d' ' -f1-3)"
if [ -n "${AOFTOOL:-}" ]; then cp "$AOFTOOL" "$out/aoftool"; else go build -trimpath -o "$out/aoftool" ./cmd/aoftool; fi
echo "aoftool: $("$out/aoftool" --version)"

redis-server --port 0 --unixsocket "$PWD/$out/redis.sock" --dir "$PWD/$data" --save '' --appendonly no \
  --rdbcompression no --enable-debug-command yes --daemonize no --logfile "$PWD/$out/redis.log" &
pid=$!
cli() { redis-cli -s "$PWD/$out/redis.sock" "$@"; }
for _ in $(seq 100); do cli ping >/dev/null 2>&1 && break; sleep 0.05; done

# About 85% of the bytes as 420-byte strings, the rest as other types.
strings=$(( SIZE_MB * 1024 * 1024 * 85 / 100 / 375 ))
mixed=$(( SIZE_MB * 60 ))
echo "loading: $strings DEBUG POPULATE strings, $mixed each of hashes, zsets, lists, TTL strings"
cli debug populate "$strings" key 420 >/dev/null
awk -v n="$mixed" 'BEGIN {
  for (i = 0; i < n; i++) {
    printf "HSET h:%d a %d b %d c %d d value-%d e x%dx\r\n", i, i, i*2, i*3, i, i
    printf "ZADD z:%d %d m1 %d m2 %d.5 m3\r\n", i, i, i+1, i
    printf "RPUSH l:%d a%d b%d c%d d%d e%d f%d\r\n", i, i, i, i, i, i, i
    printf "SET t:%d value-with-a-ttl-%d EX 86400\r\n", i, i
    if (i % 10 == 0) printf "HSET bh:%d %s\r\n", i, "f1 v1 f2 v2 f3 v3 f4 v4 f5 v5 f6 v6 f7 v7 f8 v8"
  }
}' > "$out/pipe.txt"
cli --pipe < "$out/pipe.txt" | tail -1
cli save >/dev/null
cli shutdown nosave >/dev/null 2>&1 || true
wait "$pid" 2>/dev/null || true
pid=""
f="$data/dump.rdb"
size=$(stat -c %s "$f")
echo "file:    $f, $size bytes ($(( size / 1024 / 1024 )) MiB)"

# Warm the page cache.
cat "$f" > /dev/null; cat "$f" > /dev/null

# run NAME CMD...: best wall time of RUNS runs (seconds) and peak RSS (KiB).
run() {
  local name=$1; shift
  local best="" rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$out/time.txt" "$@" > "$out/$name.out" 2>&1 || true
    read -r t m < "$out/time.txt"
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$best $rss"
}
read -r t_check rss_check < <(run check redis-check-rdb "$f")
read -r t_tool rss_tool < <(run aoftool "$out/aoftool" rdb "$f")
read -r t_keys rss_keys < <(run keys "$out/aoftool" rdb --keys "$f")
grep -q 'RDB looks OK' "$out/check.out" || { echo "redis-check-rdb did not accept the file:"; tail -5 "$out/check.out"; }
grep -q 'complete and intact' "$out/aoftool.out" || { echo "aoftool did not accept the file:"; tail -5 "$out/aoftool.out"; }
mbps() { awk -v s="$size" -v t="$1" 'BEGIN{ if (t > 0) printf "%.0f", s/1e6/t; else print "inf" }'; }
printf '%-22s %8s s %8s MB/s  peak RSS %7s KiB\n' "redis-check-rdb" "$t_check" "$(mbps "$t_check")" "$rss_check"
printf '%-22s %8s s %8s MB/s  peak RSS %7s KiB\n' "aoftool rdb" "$t_tool" "$(mbps "$t_tool")" "$rss_tool"
printf '%-22s %8s s %8s MB/s  peak RSS %7s KiB\n' "aoftool rdb --keys" "$t_keys" "$(mbps "$t_keys")" "$rss_keys"
awk -v a="$t_check" -v b="$t_tool" 'BEGIN{ if (b > 0) printf "ratio: aoftool rdb is %.1fx faster than redis-check-rdb\n", a/b }'
