#!/usr/bin/env bash
# Regenerates the RDB fixtures in this directory with a real redis-server.
# Every server listens on a unix socket only (port 0) in a temporary
# directory and is stopped by the pid this script started.
#
#   ./make-fixtures.sh            # needs redis-server and redis-cli on PATH
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME [config directives...]: a server whose data dir is $work/NAME.
start() {
  local name=$1; shift
  mkdir -p "$work/$name"
  redis-server --port 0 --unixsocket "$work/$name.sock" --dir "$work/$name" \
    --save '' --appendonly no --daemonize no --logfile "$work/$name.log" "$@" &
  pids+=($!)
  eval "pid_$name=$!"
  for _ in $(seq 100); do
    redis-cli -s "$work/$name.sock" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "server $name did not start"; cat "$work/$name.log"; exit 1
}
cli() { local name=$1; shift; redis-cli -s "$work/$name.sock" "$@"; }
stop() { local name=$1; local p; eval "p=\$pid_$name"; cli "$name" shutdown nosave >/dev/null 2>&1 || true; wait "$p" 2>/dev/null || true; }

# load NAME: every type and encoding Redis 7.0 writes, TTLs, three DBs, a
# function library.
load() {
  local n=$1
  {
    echo "SET str:short hello"
    echo "SET str:int8 100"
    echo "SET str:int16 30000"
    echo "SET str:int32 2000000000"
    echo "SET str:neg -7"
    echo "SET str:bigint 99999999999"
    echo "SET str:lzf $(printf 'abc%.0s' $(seq 400))"
    echo "SET key:compressed:$(printf 'x%.0s' $(seq 100)) v"
    echo "SET str:ttl v EX 86400"
    echo "SET str:pttl v PX 90000000"
    echo "RPUSH list:small a b c 1 2 3"
    echo "RPUSH list:big $(seq -s ' ' 1 3000)"
    echo "SADD set:intset 1 2 3 100000"
    echo "SADD set:strings a b c"
    echo "SADD set:bigint $(seq -s ' ' 1 600)"
    echo "ZADD zset:small 1 a 2.5 b -3 c"
    echo "ZADD zset:big $(for i in $(seq 200); do printf '%s m%s ' "$i.25" "$i"; done)"
    echo "HSET hash:small f1 v1 f2 2"
    echo "HSET hash:big $(for i in $(seq 200); do printf 'f%s v%s ' "$i" "$i"; done)"
    echo "EXPIRE hash:big 86400"
    for i in $(seq 1 20); do echo "XADD stream:s 1000-$i field $i"; done
    echo "XGROUP CREATE stream:s g1 0"
    echo "XGROUP CREATE stream:s g2 $"
    echo "XREADGROUP GROUP g1 alice COUNT 5 STREAMS stream:s >"
    echo "XREADGROUP GROUP g1 bob COUNT 3 STREAMS stream:s >"
    echo "XACK stream:s g1 1000-1 1000-2"
    echo "SELECT 1"
    echo "SET db1:a 1"
    echo "RPUSH db1:list x y"
    echo "SELECT 5"
    echo "SET db5:a $(printf 'z%.0s' $(seq 50))"
    echo "PEXPIRE db5:a 99999999"
  } | cli "$n" >/dev/null
  cli "$n" FUNCTION LOAD "#!lua name=aoftoollib
redis.register_function('echoarg', function(keys, args) return args[1] end)" >/dev/null
}

out() { mkdir -p "$here/$1"; cp "$2" "$here/$1/$3"; }

# 1. every type, default settings.
start types
load types
cli types save >/dev/null
out types "$work/types/dump.rdb" dump.rdb
stop types

# 2. the same data saved with rdbchecksum no (trailer CRC 0).
start nocrc --rdbchecksum no
load nocrc
cli nocrc save >/dev/null
out checksum-off "$work/nocrc/dump.rdb" dump.rdb
stop nocrc

# 3. an empty dataset.
start empty
cli empty save >/dev/null
out empty "$work/empty/dump.rdb" dump.rdb
stop empty

# 4. a multi-part AOF base (aof-base 1) and its incr file; the legacy
# single-file layout (RDB preamble then RESP) is the two concatenated, which
# is what Redis <= 6.2 wrote in one file.
start aof --appendonly yes --aof-use-rdb-preamble yes
load aof
cli aof bgrewriteaof >/dev/null
for _ in $(seq 200); do
  [ "$(cli aof info persistence | tr -d '\r' | grep '^aof_rewrite_in_progress:' | cut -d: -f2)" = 0 ] && break
  sleep 0.05
done
sleep 0.2
cli aof set after:rewrite 1 >/dev/null
cli aof rpush after:list a b >/dev/null
base=$(ls "$work/aof/appendonlydir/"*.base.rdb)
incr=$(ls "$work/aof/appendonlydir/"*.incr.aof | tail -1)
out aof-base "$base" "$(basename "$base")"
cat "$base" "$incr" > "$work/preamble.aof"
out preamble "$work/preamble.aof" appendonly.aof
stop aof

# 5. a replica's dump: carries repl-stream-db, repl-id, repl-offset.
# Unix-socket-only servers cannot replicate, so the master also listens on a
# loopback port for this one step.
start master
load master
mport=$((20000 + RANDOM % 20000))
cli master config set port "$mport" >/dev/null
start replica2 --port 0 --replicaof 127.0.0.1 "$mport"
for _ in $(seq 200); do
  [ "$(cli replica2 info replication | tr -d '\r' | grep '^master_link_status:' | cut -d: -f2)" = up ] && break
  sleep 0.05
done
cli replica2 save >/dev/null
out replica "$work/replica2/dump.rdb" dump.rdb
stop replica2
stop master

# 6. several sizes: 5,000 keys of mixed types with TTLs on a fifth.
start sized
{
  for i in $(seq 1 5000); do
    case $((i % 5)) in
      0) echo "SET k:$i value-$i-$(printf 'p%.0s' $(seq $((i % 40))))";;
      1) echo "RPUSH l:$i a$i b$i c$i";;
      2) echo "HSET h:$i f v$i g $i";;
      3) echo "ZADD z:$i $i m$i";;
      4) echo "SADD s:$i $i $((i+1)) x$i";;
    esac
    [ $((i % 5)) -eq 0 ] && echo "EXPIRE k:$i 100000"
  done
} | cli sized >/dev/null
cli sized save >/dev/null
out sized "$work/sized/dump.rdb" dump.rdb
stop sized

# 7. a BGSAVE caught in progress: the temp file a live child is writing,
# copied while rdb-key-save-delay slows the child down.
start live --rdb-key-save-delay 20000
{ for i in $(seq 1 300); do echo "SET live:$i value-$i"; done; } | cli live >/dev/null
cli live bgsave >/dev/null
tmp=""
for _ in $(seq 400); do
  tmp=$(ls "$work/live/"temp-*.rdb 2>/dev/null | head -1 || true)
  if [ -n "$tmp" ] && [ "$(stat -c %s "$tmp")" -gt 2000 ]; then break; fi
  sleep 0.02
done
[ -n "$tmp" ] || { echo "no temp file from BGSAVE"; exit 1; }
out in-progress "$tmp" "$(basename "$tmp")"
cli live config set rdb-key-save-delay 0 >/dev/null
stop live

{
  echo "# RDB fixtures"
  echo
  echo "Made by \`make-fixtures.sh\` in this directory with $(redis-server --version | cut -d' ' -f1-3) on $(date -u +%Y-%m-%d)."
  echo
  echo "| dir | what it shows |"
  echo "|---|---|"
  echo "| types/ | every type and encoding Redis 7.0 writes (int/LZF strings, quicklist, intset, listpack, hashtable, skiplist, stream with groups and PEL), TTLs, DBs 0, 1 and 5, a function library |"
  echo "| checksum-off/ | the same data saved with \`rdbchecksum no\`: trailer CRC is 0 |"
  echo "| empty/ | an empty dataset (89 bytes with 7.0.15) |"
  echo "| aof-base/ | a multi-part AOF base written by BGREWRITEAOF (aux aof-base 1) |"
  echo "| preamble/ | that base followed by its incr file: the single-file RDB-preamble AOF layout of Redis <= 6.2 |"
  echo "| replica/ | a replica's SAVE: aux repl-stream-db, repl-id, repl-offset |"
  echo "| sized/ | 5,000 keys of mixed types, a fifth with TTLs |"
  echo "| in-progress/ | a temp file copied while a BGSAVE child was writing it (rdb-key-save-delay) |"
  echo "| binary-key/ | keys no terminal prints as they are: a 3,072-byte name holding every byte value twelve times, a hash named with invalid UTF-8 (made by \`make-binary-key.sh\`) |"
  echo
  echo "Corrupt variants (cuts, flipped bytes, lying lengths) are made in test code from these."
} > "$here/README.md"
ls -l "$here"/*/
