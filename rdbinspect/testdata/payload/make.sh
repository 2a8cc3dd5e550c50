#!/usr/bin/env bash
# Regenerates the payload fixtures in this directory with real servers:
# small hashes, sorted sets, lists, sets and a stream with consumer groups,
# so each container encoding of its release is in the file, saved with and
# without LZF compression. Damaged copies are made from them in test code
# (internal/rdbdamage). Servers listen on a unix socket only in a temporary
# directory and are stopped by the pid this script started.
#
#   ./make.sh                       # redis-server 7.0 on PATH
#   SERVERS=/path/to/servers ./make.sh  # also the 6.2 (ziplist), 7.2 (set
#                                   # listpack) and 7.4 (hash field TTL) files
#                                   # from SERVERS/redis-X/server; default
#                                   # ../../../../shared/servers
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
servers=${SERVERS:-$here/../../../../shared/servers}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# run NAME BINARY [directives...]: a server on $work/NAME, loaded with
# load(), saved, stopped; its dump.rdb copied here as NAME.rdb.
run() {
  local name=$1 bin=$2; shift 2
  mkdir -p "$work/$name"
  "$bin" --port 0 --unixsocket "$work/$name.sock" --dir "$work/$name" \
    --save '' --appendonly no --daemonize no --logfile "$work/$name.log" "$@" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do
    redis-cli -s "$work/$name.sock" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  load | redis-cli -s "$work/$name.sock" >/dev/null
  redis-cli -s "$work/$name.sock" save >/dev/null
  redis-cli -s "$work/$name.sock" shutdown nosave >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
  cp "$work/$name/dump.rdb" "$here/$name.rdb"
  echo "$name.rdb: $("$bin" --version | cut -d' ' -f3), $(stat -c %s "$here/$name.rdb") bytes"
}

load() {
  echo "HSET hash:small f1 v1 f2 v2 f3 300 field-with-a-longer-name value-with-a-longer-text"
  echo "ZADD zset:small 1 a 2 b 3.5 c -4 member-with-a-longer-name"
  echo "SADD set:int 1 2 3 70000 -5"
  echo "SADD set:str alpha beta gamma delta"
  echo "RPUSH list:small a b c 1 2 3 element-with-a-longer-text"
  echo "RPUSH list:two $(seq -s ' ' 1 200)"
  echo "HSET hash:big $(for i in $(seq 200); do printf 'f%s v%s ' "$i" "$i"; done)"
  # One HSET of 600 fields stays a listpack until the next write; the
  # loader converts it (hash-max-listpack-entries 512).
  echo "HSET hash:600 $(for i in $(seq 600); do printf 'f%s v%s ' "$i" "$i"; done)"
  echo "ZADD zset:big $(for i in $(seq 200); do printf '%s m%s ' "$i" "$i"; done)"
  echo "SADD set:big $(for i in $(seq 200); do printf 's%s ' "$i"; done)"
  echo "SET str:ttl value PX 900000000"
  echo "SET str:plain some-string-value"
  # Redis 7.4: hash fields with TTLs (listpack-ex; hash:600 a hashtable
  # with metadata). Older servers answer these with errors.
  echo "HSET hash:ttl f1 v1 f2 v2 f3 v3"
  echo "HPEXPIRE hash:ttl 900000000 FIELDS 2 f1 f2"
  echo "HPEXPIRE hash:600 900000000 FIELDS 1 f7"
  for i in $(seq 1 5); do echo "XADD stream:s 1000-$i field value-$i"; done
  echo "XGROUP CREATE stream:s g1 0"
  echo "XGROUP CREATE stream:s g2 0"
  echo "XREADGROUP GROUP g1 alice COUNT 3 STREAMS stream:s >"
  echo "XREADGROUP GROUP g1 bob COUNT 1 STREAMS stream:s >"
}

run redis-7.0 redis-server
run redis-7.0-raw redis-server --rdbcompression no
# list-max-listpack-size 4 splits list:two into many nodes.
run redis-7.0-nodes redis-server --list-max-listpack-size 4
for v in 6.2.16 7.2.6 7.4.1; do
  bin=$servers/redis-$v/server
  short=${v%.*}
  if [ -x "$bin" ]; then
    run "redis-$short" "$bin"
    run "redis-$short-raw" "$bin" --rdbcompression no
  else
    echo "no Redis $v server at $bin: its fixtures were not rebuilt"
  fi
done
