#!/usr/bin/env bash
# Times `aoftool keys --format csv` against the memory report of
# hdt3213/rdb v1.3.2 (`rdb -c memory`, the helper its CLI calls) on the same
# ~1 GiB dump bench/rdb.sh writes, and `aoftool keydiff` of two such dumps,
# with the page cache warm, and prints the ratio and the peak RSS of each.
#
#   bench/keys.sh              # ~1 GiB dumps
#   SIZE_MB=256 bench/keys.sh  # smaller
#   KEEP=1 bench/keys.sh       # keep bench/out/keys/ afterwards
#   AOFTOOL=/path/aoftool bench/keys.sh
#
# hdt3213/rdb is built from the Go module cache (or the module proxy) into
# bench/out/ as a three-line main calling helper.MemoryProfile, the function
# behind `rdb -c memory`; it is not a dependency of aoftool's module. The
# second dump is the first after a few thousand writes (changed values, new
# and deleted keys, TTLs), so keydiff has something to find. Everything
# generated stays under bench/out/ (gitignored) and is deleted at the end
# unless KEEP is set. The server listens on a unix socket only and is
# stopped by the pid this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
out=bench/out
work=$out/keys
data=$work/data
mkdir -p "$out"
rm -rf "$work"
mkdir -p "$data"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -f "$work/pipe.txt" "$work/redis.sock"
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis:   $(redis-server --version | cut -d' ' -f1-3)"
if [ -n "${AOFTOOL:-}" ]; then cp "$AOFTOOL" "$work/aoftool"; else go build -trimpath -o "$work/aoftool" ./cmd/aoftool; fi
echo "aoftool: $("$work/aoftool" --version)"

# hdt3213/rdb's memory report, built outside this module.
hdt=$work/hdt
mkdir -p "$hdt"
cat > "$hdt/go.mod" <<'EOF'
module hdtmemory

go 1.22

require github.com/hdt3213/rdb v1.3.2
EOF
cat > "$hdt/main.go" <<'EOF'
package main

import (
	"fmt"
	"os"

	"github.com/hdt3213/rdb/helper"
)

// main is `rdb -c memory -o OUT IN` of hdt3213/rdb's CLI.
func main() {
	if err := helper.MemoryProfile(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
EOF
(cd "$hdt" && GOFLAGS=-mod=mod GOWORK=off go build -o ../hdt-memory . )
echo "hdt3213/rdb: v1.3.2 helper.MemoryProfile (rdb -c memory)"

redis-server --port 0 --unixsocket "$PWD/$work/redis.sock" --dir "$PWD/$data" --save '' --appendonly no \
  --rdbcompression no --enable-debug-command yes --daemonize no --logfile "$PWD/$work/redis.log" &
pid=$!
cli() { redis-cli -s "$PWD/$work/redis.sock" "$@"; }
for _ in $(seq 100); do cli ping >/dev/null 2>&1 && break; sleep 0.05; done

# The dataset of bench/rdb.sh: about 85% of the bytes as 420-byte strings,
# the rest as hashes, sorted sets, lists and TTL'd strings.
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
}' > "$work/pipe.txt"
cli --pipe < "$work/pipe.txt" | tail -1
cli save >/dev/null
mv "$data/dump.rdb" "$work/old.rdb"
awk -v n="$mixed" 'BEGIN {
  for (i = 0; i < n; i += 97) {
    printf "HSET h:%d a changed\r\n", i
    printf "DEL l:%d\r\n", i + 1
    printf "SET new:%d v\r\n", i
    printf "EXPIRE z:%d 3600\r\n", i + 2
  }
}' > "$work/pipe.txt"
cli --pipe < "$work/pipe.txt" | tail -1
cli save >/dev/null
mv "$data/dump.rdb" "$work/new.rdb"
cli shutdown nosave >/dev/null 2>&1 || true
wait "$pid" 2>/dev/null || true
pid=""
f="$work/old.rdb"
size=$(stat -c %s "$f")
echo "files:   $f, $size bytes ($(( size / 1024 / 1024 )) MiB); $work/new.rdb $(stat -c %s "$work/new.rdb") bytes"

# Warm the page cache.
cat "$f" "$work/new.rdb" > /dev/null; cat "$f" "$work/new.rdb" > /dev/null

# run NAME CMD...: best wall time of RUNS runs (seconds) and peak RSS (KiB).
run() {
  local name=$1; shift
  local best="" rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$@" > "$work/$name.out" 2> "$work/$name.err" || true
    read -r t m < "$work/time.txt"
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$best $rss"
}
read -r t_rdb rss_rdb < <(run rdb "$work/aoftool" rdb "$f")
read -r t_keys rss_keys < <(run keys "$work/aoftool" keys --format csv "$f")
read -r t_hdt rss_hdt < <(run hdt "$work/hdt-memory" "$f" "$work/hdt.csv")
read -r t_diff rss_diff < <(run keydiff "$work/aoftool" keydiff --format ndjson --spill-dir "$work" "$f" "$work/new.rdb")
grep -q 'complete and intact' "$work/rdb.out" || { echo "aoftool rdb did not accept the file:"; tail -5 "$work/rdb.out"; }
keys_listed=$(( $(wc -l < "$work/keys.out") - 1 ))
hdt_listed=$(( $(wc -l < "$work/hdt.csv") - 1 ))
changes=$(wc -l < "$work/keydiff.out")
mbps() { awk -v s="$size" -v t="$1" 'BEGIN{ if (t > 0) printf "%.0f", s/1e6/t; else print "inf" }'; }
printf '%-32s %8s s %8s MB/s  peak RSS %7s KiB\n' "aoftool rdb" "$t_rdb" "$(mbps "$t_rdb")" "$rss_rdb"
printf '%-32s %8s s %8s MB/s  peak RSS %7s KiB  (%d keys)\n' "aoftool keys --format csv" "$t_keys" "$(mbps "$t_keys")" "$rss_keys" "$keys_listed"
printf '%-32s %8s s %8s MB/s  peak RSS %7s KiB  (%d keys)\n' "hdt3213/rdb rdb -c memory" "$t_hdt" "$(mbps "$t_hdt")" "$rss_hdt" "$hdt_listed"
printf '%-32s %8s s %8s MB/s  peak RSS %7s KiB  (%d changes)\n' "aoftool keydiff (two dumps)" "$t_diff" "$(mbps "$t_diff")" "$rss_diff" "$changes"
awk -v a="$t_hdt" -v b="$t_keys" 'BEGIN{ if (b > 0) printf "ratio: aoftool keys is %.1fx faster than hdt3213/rdb -c memory\n", a/b }'
awk -v r="$rss_keys" 'BEGIN{ printf "aoftool keys peak RSS %.1f MiB (limit 64 MiB)\n", r/1024 }'
awk -v r="$rss_diff" 'BEGIN{ printf "aoftool keydiff peak RSS %.1f MiB (limit 256 MiB)\n", r/1024 }'
