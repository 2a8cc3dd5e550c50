#!/usr/bin/env bash
# Runs the replay model (package replay, both passes) over a large incr
# file written by a real redis-server, and compares its key count with a
# real server loading the same file: time, MB/s and peak RSS at the
# default key cap and with every key tracked.
#
#   bench/replay.sh                    # makes a ~500 MB file with bench/aof.sh
#   AOF=path/to/x.incr.aof bench/replay.sh
#   SIZE_MB=50 bench/replay.sh         # quicker
#
# Everything is written under bench/out/ (gitignored) and deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/replay
rm -rf "$out"; mkdir -p "$out/data/appendonlydir"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$out"; [ -n "${made:-}" ] && rm -rf bench/out/aof; true; }
trap cleanup EXIT

aof=${AOF:-}
if [ -z "$aof" ]; then
  KEEP=1 SIZE_MB=${SIZE_MB:-500} bench/aof.sh >/dev/null
  made=1
  aof=bench/out/aof/data/appendonlydir/appendonly.aof.1.incr.aof
fi
go test -c -o "$out/replay.test" ./replay
size=$(stat -c %s "$aof")
echo "file: $aof, $size bytes ($((size / 1024 / 1024)) MiB), redis-server $(redis-server --version | awk '{print $3}')"
echo "machine: $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$aof" > /dev/null # warm the page cache

run() { # max_keys: prints the model's report and "cpu_seconds maxrss_kb"
  REPLAY_AOF=$aof REPLAY_MAX_KEYS=$1 /usr/bin/time -f 'TIME %U %S %M' "$out/replay.test" -test.run '^TestLargeAOF$' 2>&1 |
    grep -v '^PASS$\|^ok '
}
for keys in 0 16777216; do
  label="default key cap"; [ "$keys" = 0 ] || label="every key tracked (cap $keys)"
  echo "== model, $label"
  run "$keys" | awk -v size="$size" '/^TIME/ { cpu = $2 + $3; printf "cpu %.2f s (%.0f MB/s over both passes), peak RSS %.1f MiB\n", cpu, 2 * size / 1e6 / cpu, $4 / 1024; next } { print }'
done

# The oracle: a real server loading the file as the only incr of a set.
cp "$aof" "$out/data/appendonlydir/appendonly.aof.1.incr.aof"
printf 'file appendonly.aof.1.incr.aof seq 1 type i\n' > "$out/data/appendonlydir/appendonly.aof.manifest"
port=$((40000 + RANDOM % 10000))
redis-server --bind 127.0.0.1 --port "$port" --dir "$(pwd)/$out/data" --save '' --appendonly yes \
  --auto-aof-rewrite-percentage 0 --daemonize no --logfile "$(pwd)/$out/redis.log" &
pid=$!
for _ in $(seq 1 600); do [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break; sleep 0.2; done
echo "== redis-server after loading the file: $(redis-cli -p "$port" info keyspace | grep '^db' | tr -d '\r' | tr '\n' ' ')"
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
wait "$pid" 2>/dev/null || true
pid=
