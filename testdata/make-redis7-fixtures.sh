#!/usr/bin/env bash
# Regenerates the real-Redis fixtures next to this script:
#   redis7-empty redis7-writes redis7-rewrite redis7-history redis7-multi-incr
#   legacy-appendonly
# Needs redis-server and redis-cli on PATH (Debian: apt-get install redis-server).
# Each server runs on a unix socket only, in a scratch directory, and is
# stopped by the pid this script started. Only the data directory is copied.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
pid=
cleanup() {
	if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi
	rm -rf "$scratch"
}
trap cleanup EXIT

# start NAME EXTRA-CONFIG...: a server with AOF on in $scratch/NAME/data.
start() {
	local name=$1; shift
	dir=$scratch/$name/data
	sock=$scratch/$name/redis.sock
	mkdir -p "$dir"
	{
		echo "port 0"
		echo "unixsocket $sock"
		echo "dir $dir"
		echo "logfile $scratch/$name/redis.log"
		echo "save \"\""
		echo "appendonly yes"
		echo "appendfsync always"
		for c in "$@"; do echo "$c"; done
	} >"$scratch/$name/redis.conf"
	redis-server "$scratch/$name/redis.conf" &
	pid=$!
	for _ in $(seq 100); do
		redis-cli -s "$sock" ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "redis-server did not start; log:" >&2
	cat "$scratch/$name/redis.log" >&2
	exit 1
}

cli() { redis-cli -s "$sock" "$@" >/dev/null; }

wait_rewrite() {
	for _ in $(seq 200); do
		if redis-cli -s "$sock" info persistence | grep -q '^aof_rewrite_in_progress:0'; then
			redis-cli -s "$sock" info persistence | grep -q '^aof_rewrite_scheduled:0' && return 0
		fi
		sleep 0.05
	done
	echo "rewrite did not finish" >&2
	exit 1
}

# stop NAME: SHUTDOWN (fsyncs the AOF), then copy the data dir.
stop() {
	local name=$1
	redis-cli -s "$sock" shutdown >/dev/null 2>&1 || true
	wait "$pid" || true
	pid=
	rm -rf "${here:?}/$name"
	cp -a "$dir" "$here/$name"
}

writes() {
	local from=$1 to=$2
	for i in $(seq "$from" "$to"); do cli set "key:$i" "value-$i"; done
	cli rpush list a b c
	cli hset hash f1 v1 f2 v2
}

# A fresh server: base 1 (an empty RDB) and a 0-byte incr 1.
start redis7-empty
stop redis7-empty

# Writes go to incr 1 as RESP.
start redis7-writes
writes 1 10
stop redis7-writes

# After BGREWRITEAOF: base 2 holds the data as RDB, incr 2 the later writes.
start redis7-rewrite
writes 1 10
cli bgrewriteaof
wait_rewrite
cli set after-rewrite 1
stop redis7-rewrite

# aof-disable-auto-gc yes keeps history lines and files: b3, h b2, h i2, h b1, h i1, i3.
start redis7-history aof-disable-auto-gc\ yes
writes 1 5
cli bgrewriteaof
wait_rewrite
writes 6 10
cli bgrewriteaof
wait_rewrite
cli set after-second-rewrite 1
stop redis7-history

# A rewrite killed mid-way leaves its incr listed: b1, i1, i2 (redis/redis#10549).
start redis7-multi-incr rdb-key-save-delay\ 200000
writes 1 10
cli bgrewriteaof
child=
for _ in $(seq 100); do
	child=$(pgrep -P "$pid" || true)
	[[ -n "$child" ]] && break
	sleep 0.05
done
[[ -n "$child" ]] || { echo "no rewrite child" >&2; exit 1; }
kill -9 "$child"
for _ in $(seq 100); do
	redis-cli -s "$sock" info persistence | grep -q '^aof_rewrite_in_progress:0' && break
	sleep 0.05
done
cli config set rdb-key-save-delay 0
cli set after-failed-rewrite 1
stop redis7-multi-incr

# A Redis <= 6.2 style data dir: one appendonly.aof in RESP, no appendonlydir.
# No 6.2 server is installed, so the file is written by this script in the
# exact form 6.2 writes with aof-use-rdb-preamble no (SELECT, then commands).
rm -rf "$here/legacy-appendonly"
mkdir -p "$here/legacy-appendonly"
resp() {
	printf '*%d\r\n' "$#"
	for a in "$@"; do printf '$%d\r\n%s\r\n' "${#a}" "$a"; done
}
{
	resp SELECT 0
	for i in 1 2 3; do resp SET "legacy:$i" "value-$i"; done
	resp RPUSH legacy:list a b c
} >"$here/legacy-appendonly/appendonly.aof"

echo "fixtures written under $here with $(redis-server --version | cut -d' ' -f3)"
