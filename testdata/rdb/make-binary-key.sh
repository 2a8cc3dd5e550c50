#!/usr/bin/env bash
# Regenerates binary-key/dump.rdb with a real redis-server: a dump whose
# keys have names no terminal can print as they are — a 3,072-byte name
# holding every byte value twelve times, and a hash named with invalid
# UTF-8 — beside ordinary keys. Tests cut it inside the long key to get a
# corrupt dump that names it. The server listens on a unix socket only
# (port 0) in a temporary directory and is stopped by the pid started here.
#
#   ./make-binary-key.sh          # needs redis-server and redis-cli on PATH
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

redis-server --port 0 --unixsocket "$work/s.sock" --dir "$work" --save '' \
  --appendonly no --daemonize no --logfile "$work/server.log" &
pid=$!
for _ in $(seq 100); do redis-cli -s "$work/s.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done

for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done > "$work/bytes"
for _ in $(seq 12); do cat "$work/bytes"; done > "$work/long-key"
{
  printf '*3\r\n$3\r\nSET\r\n$%d\r\n' "$(stat -c %s "$work/long-key")"
  cat "$work/long-key"
  printf '\r\n$100\r\n%s\r\n' "$(printf 'v%.0s' $(seq 100))"
  printf '*4\r\n$4\r\nHSET\r\n$7\r\nh\xff\xfe\x00end\r\n$1\r\nf\r\n$50\r\n%s\r\n' "$(printf 'x%.0s' $(seq 50))"
  for i in $(seq 0 49); do
    k="key:$i"; v=$(printf 'x%.0s' $(seq 40))
    printf '*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$40\r\n%s\r\n' "${#k}" "$k" "$v"
  done
} | redis-cli -s "$work/s.sock" --pipe >/dev/null
redis-cli -s "$work/s.sock" save >/dev/null
mkdir -p "$here/binary-key"
cp "$work/dump.rdb" "$here/binary-key/dump.rdb"
redis-cli -s "$work/s.sock" shutdown nosave >/dev/null 2>&1 || true
wait "$pid" 2>/dev/null || true
pid=""
echo "binary-key/dump.rdb: $(stat -c %s "$here/binary-key/dump.rdb") bytes, $(redis-server --version | cut -d' ' -f1-3)"
