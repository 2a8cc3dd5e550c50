#!/usr/bin/env bash
# Regenerates the AOF fixtures beside this script with a real redis-server
# (see README.md for the version used). Each fixture is a data directory as
# the server left it after SHUTDOWN. Servers listen on 127.0.0.1 only and are
# stopped by the pid this script started.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
redis-server --version

start() { # start DIR EXTRA-ARGS... ; sets PID and PORT
  local dir=$1; shift
  PORT=$((30000 + RANDOM % 20000))
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$PORT" --dir "$here/$dir" --save '' \
    --appendonly yes --appendfsync always --daemonize no --logfile "$here/.$dir.log" "$@" &
  PID=$!
  for _ in $(seq 1 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "server for $dir did not start"; cat "$here/.$dir.log"; exit 1
}
stop() {
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  wait "$PID" || true
  rm -f "$here/.$1.log"
}
cli() { redis-cli -p "$PORT" "$@" >/dev/null; }
rewrite() {
  cli bgrewriteaof
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$PORT" info persistence | tr -d '\r' | grep '^aof_rewrite_in_progress:' | cut -d: -f2)" = 0 ] &&
    [ "$(redis-cli -p "$PORT" info persistence | tr -d '\r' | grep '^aof_rewrite_scheduled:' | cut -d: -f2)" = 0 ] && return 0
    sleep 0.05
  done
}
writes() { # a mix of the commands an AOF usually holds
  for i in $(seq 1 20); do cli set "key:$i" "value-$i"; done
  for i in $(seq 1 5); do cli incr counter; done
  cli del key:1 key:2
  cli rpush list a b c
  cli hset hash f1 v1 f2 v2
  cli expire key:3 3600
  cli sadd set m1 m2
}

rm -rf incr-ts multi-dbs resp-base rdb-base legacy-resp legacy-preamble

# incr-ts: #TS annotations (aof-timestamp-enabled yes), three seconds of writes
start incr-ts --aof-timestamp-enabled yes
writes; sleep 1.1; cli set late1 x; cli incr counter; sleep 1.1; cli set late2 y; cli del key:4
stop incr-ts

# multi-dbs: MULTI/EXEC transactions and writes in databases 0, 1 and 5
start multi-dbs
writes
printf 'MULTI\nSET tx:a 1\nINCR tx:n\nEXEC\n' | redis-cli -p "$PORT" >/dev/null
cli -n 1 set db1:a 1; cli -n 1 set db1:b 2
printf 'SELECT 5\nMULTI\nSET db5:a 1\nDEL db5:a\nSET db5:b 2\nEXEC\n' | redis-cli -p "$PORT" >/dev/null
cli set back:in:0 yes
stop multi-dbs

# resp-base: aof-use-rdb-preamble no, a rewrite, more writes: RESP base + incr
start resp-base --aof-use-rdb-preamble no --aof-timestamp-enabled yes
writes; rewrite; cli set after:rewrite 1; cli incr counter
stop resp-base

# rdb-base: the default preamble, a rewrite, more writes: RDB base + incr
start rdb-base
writes; rewrite; cli set after:rewrite 1; cli incr counter
stop rdb-base

# Legacy single-file AOFs (Redis <= 6.2 layout): no 6.2 server is installed,
# so each is the base followed by the incr of the set above, which is the
# byte layout 6.2 leaves in appendonly.aof after a rewrite plus appended
# writes (RESP, or an RDB preamble then RESP). Differences from a real 6.2
# file: the RDB aux field says aof-base instead of aof-preamble, and
# resp-base's #TS lines (which 6.2 would refuse) are not used: legacy-resp
# comes from a server without timestamps.
start legacy-src --aof-use-rdb-preamble no
writes; rewrite; cli set after:rewrite 1; cli incr counter
stop legacy-src
mkdir -p legacy-resp legacy-preamble
cat legacy-src/appendonlydir/appendonly.aof.2.base.aof legacy-src/appendonlydir/appendonly.aof.2.incr.aof > legacy-resp/appendonly.aof
cat rdb-base/appendonlydir/appendonly.aof.2.base.rdb rdb-base/appendonlydir/appendonly.aof.2.incr.aof > legacy-preamble/appendonly.aof
rm -rf legacy-src

# Record what a server loads from each fixture (on a copy: the legacy
# upgrade moves files), for the tests to compare with.
: > dbsize.txt
for d in incr-ts multi-dbs resp-base rdb-base legacy-resp legacy-preamble; do
  tmp=$(mktemp -d); cp -a "$d/." "$tmp/"
  PORT=$((30000 + RANDOM % 20000))
  redis-server --bind 127.0.0.1 --port "$PORT" --dir "$tmp" --save '' --appendonly yes --daemonize no --logfile "$tmp.log" &
  PID=$!
  for _ in $(seq 1 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
  echo "$d $(redis-cli -p "$PORT" info keyspace | tr -d '\r' | grep '^db' | tr '\n' ' ')" >> dbsize.txt
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  wait "$PID" || true
  rm -rf "$tmp" "$tmp.log"
done
cat dbsize.txt
