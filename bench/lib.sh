# shellcheck shell=bash
# Sourced by the scripts under bench/ after they cd to the repository root;
# not run on its own. It holds what the benchmarks share:
#
#   bench_machine, bench_machine_md   the machine the numbers come from
#   bench_build_aoftool DEST          go build (or a copy of $AOFTOOL)
#   bench_build_hdt DIR               hdt3213/rdb v1.3.2's `rdb -c memory`
#   bench_redis_start DIR DATA ARG... a redis-server on DIR/redis.sock only
#   bench_cli ARG...                  redis-cli on that socket
#   bench_redis_stop, bench_redis_kill
#   bench_load_mixed SIZE_MB DIR      the mixed dataset of the RDB benchmarks
#   bench_make_dump SIZE_MB DIR DATA  that dataset saved as DATA/dump.rdb
#   bench_add, bench_time             commands timed alternating, medians
#   bench_print, bench_md_row, bench_speedup   lines and Markdown rows
#
# Servers are started by pid and stopped by that pid only: a script's EXIT
# trap calls bench_redis_kill. Everything generated lives under bench/out/
# (gitignored).

# bench_abs BASE PATH prints PATH made absolute against BASE (the caller's
# directory before the script's cd); an empty PATH stays empty.
bench_abs() {
  case $2 in '' | /*) echo "$2" ;; *) echo "$1/$2" ;; esac
}

# bench_runs prints RUNS, raised to 5: a median of fewer runs says little.
bench_runs() {
  local runs=${RUNS:-5}
  if [ "$runs" -lt 5 ]; then runs=5; fi
  echo "$runs"
}

bench_cpu_model() {
  local model
  model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  echo "${model:-unknown CPU}"
}

bench_ram_gib() { awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo; }

# bench_machine prints the machine line: cores, CPU, RAM and load now.
bench_machine() {
  echo "machine: $(nproc) cores, $(bench_cpu_model), $(bench_ram_gib) GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_machine_md names the machine for a line above a Markdown table.
bench_machine_md() {
  echo "$(bench_cpu_model), $(nproc) cores, $(bench_ram_gib) GiB RAM, Linux $(uname -r)"
}

# bench_redis_version prints the installed redis-server's version, e.g. 7.0.15.
bench_redis_version() { redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'; }

# bench_build_aoftool DEST builds aoftool into DEST, or copies $AOFTOOL
# there to time a binary built elsewhere.
bench_build_aoftool() {
  if [ -n "${AOFTOOL:-}" ]; then cp "$AOFTOOL" "$1"; else go build -trimpath -o "$1" ./cmd/aoftool; fi
}

# bench_build_hdt DIR builds DIR/hdt-memory: `rdb -c memory -o OUT IN` of
# hdt3213/rdb v1.3.2's CLI as a three-line main calling helper.MemoryProfile,
# in a module of its own under DIR, from the Go module cache (or the module
# proxy). hdt3213/rdb's CLI is not a dependency of aoftool's module.
bench_build_hdt() {
  local dir=$1
  mkdir -p "$dir/hdt"
  cat > "$dir/hdt/go.mod" <<'EOF'
module hdtmemory

go 1.22

require github.com/hdt3213/rdb v1.3.2
EOF
  cat > "$dir/hdt/main.go" <<'EOF'
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
  (cd "$dir/hdt" && GOFLAGS=-mod=mod GOWORK=off go build -o ../hdt-memory .)
}

BENCH_REDIS_PID=""
BENCH_SOCK=""

# bench_redis_start DIR DATA [ARG...] starts redis-server listening on the
# unix socket DIR/redis.sock only (no TCP port), its data in DATA, its log in
# DIR/redis.log, with ARG... appended to its options; it returns once the
# server answers. BENCH_REDIS_PID is its pid.
bench_redis_start() {
  local dir=$1 data=$2
  shift 2
  case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
  case $data in /*) ;; *) data=$PWD/$data ;; esac
  BENCH_SOCK=$dir/redis.sock
  redis-server --port 0 --unixsocket "$BENCH_SOCK" --dir "$data" --save '' --daemonize no \
    --logfile "$dir/redis.log" "$@" &
  BENCH_REDIS_PID=$!
  for _ in $(seq 200); do
    if bench_cli ping >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$BENCH_REDIS_PID" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "redis-server did not answer on $BENCH_SOCK; its log: $dir/redis.log" >&2
  return 1
}

bench_cli() { redis-cli -s "$BENCH_SOCK" "$@"; }

# bench_redis_stop shuts the server down without saving and waits for it.
bench_redis_stop() {
  [ -n "$BENCH_REDIS_PID" ] || return 0
  bench_cli shutdown nosave >/dev/null 2>&1 || true
  wait "$BENCH_REDIS_PID" 2>/dev/null || true
  BENCH_REDIS_PID=""
}

# bench_redis_kill, for EXIT traps: ends the server this script started, if
# it still runs.
bench_redis_kill() {
  if [ -n "$BENCH_REDIS_PID" ] && kill -0 "$BENCH_REDIS_PID" 2>/dev/null; then
    kill "$BENCH_REDIS_PID"
    wait "$BENCH_REDIS_PID" 2>/dev/null || true
  fi
  BENCH_REDIS_PID=""
}

# The options bench_load_mixed needs: DEBUG POPULATE, and no LZF, so that
# the dump reaches its size without tens of millions of keys (LZF paths are
# covered by go test ./rdbinspect -bench .).
BENCH_DUMP_OPTS=(--appendonly no --rdbcompression no --enable-debug-command yes)

# bench_load_mixed SIZE_MB DIR loads, into the running server, about SIZE_MB
# MiB of dump: 85% of the bytes as 420-byte DEBUG POPULATE strings (key:N),
# the rest as hashes (h:N, and a bigger bh:N for one in ten), sorted sets
# (z:N), lists (l:N) and strings with a TTL (t:N) sent through
# redis-cli --pipe from DIR/pipe.txt.
bench_load_mixed() {
  local size_mb=$1 dir=$2
  local strings=$((size_mb * 1024 * 1024 * 85 / 100 / 375))
  local mixed=$((size_mb * 60))
  echo "loading: $strings DEBUG POPULATE strings, $mixed each of hashes, zsets, lists, TTL strings"
  bench_cli debug populate "$strings" key 420 >/dev/null
  awk -v n="$mixed" 'BEGIN {
    for (i = 0; i < n; i++) {
      printf "HSET h:%d a %d b %d c %d d value-%d e x%dx\r\n", i, i, i*2, i*3, i, i
      printf "ZADD z:%d %d m1 %d m2 %d.5 m3\r\n", i, i, i+1, i
      printf "RPUSH l:%d a%d b%d c%d d%d e%d f%d\r\n", i, i, i, i, i, i, i
      printf "SET t:%d value-with-a-ttl-%d EX 86400\r\n", i, i
      if (i % 10 == 0) printf "HSET bh:%d %s\r\n", i, "f1 v1 f2 v2 f3 v3 f4 v4 f5 v5 f6 v6 f7 v7 f8 v8"
    }
  }' > "$dir/pipe.txt"
  bench_cli --pipe < "$dir/pipe.txt" | tail -1
  rm -f "$dir/pipe.txt"
}

# bench_make_dump SIZE_MB DIR DATA writes DATA/dump.rdb of the mixed
# dataset with a server of its own (socket and log in DIR), stopped after.
bench_make_dump() {
  local size_mb=$1 dir=$2 data=$3
  mkdir -p "$dir" "$data"
  rm -f "$data/dump.rdb"
  bench_redis_start "$dir" "$data" "${BENCH_DUMP_OPTS[@]}"
  bench_load_mixed "$size_mb" "$dir"
  bench_cli save >/dev/null
  bench_redis_stop
}

BENCH_IDS=()
BENCH_OUTS=()
BENCH_CMDS=()
declare -A BENCH_WALL BENCH_CPU BENCH_RSS BENCH_EXIT

# bench_said NAME PATTERN FILE...: prints "NAME: LINE" with the first line
# of the tool's output holding PATTERN, or says it did not, with the tail
# of that output.
bench_said() {
  local name=$1 pattern=$2 line
  shift 2
  if line=$(grep -h -m1 -- "$pattern" "$@"); then
    echo "$name: $line"
  else
    echo "$name did NOT say \"$pattern\":"; tail -5 "$@"
  fi
}

# bench_add ID STDOUT CMD [ARG...] registers a command for bench_time:
# ID names it in the result arrays and its files, STDOUT receives its
# standard output (a file, or /dev/null); its standard error goes to
# DIR/ID.err of bench_time.
bench_add() {
  local id=$1 out=$2
  shift 2
  BENCH_IDS+=("$id")
  BENCH_OUTS+=("$out")
  BENCH_CMDS+=("$(printf '%q ' "$@")")
}

# bench_median FILE COLUMN: the median of a column of numbers.
bench_median() {
  cut -d' ' -f"$2" "$1" | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_time DIR RUNS runs the commands of bench_add RUNS times, alternating
# (one run of each in turn, so a machine that gets busier slows all alike),
# each through /usr/bin/time, and sets for each ID: BENCH_WALL[ID] the
# median wall seconds, BENCH_CPU[ID] the median CPU seconds (user + sys),
# BENCH_RSS[ID] the peak RSS of all runs in MiB, BENCH_EXIT[ID] the exit
# status of its last run that failed (0 when none did). Per-run lines are
# kept in DIR/ID.runs ("wall cpu rss_kib").
bench_time() {
  local dir=$1 runs=$2 i st id
  local -a argv
  for id in "${BENCH_IDS[@]}"; do : > "$dir/$id.runs"; BENCH_EXIT[$id]=0; done
  for _ in $(seq "$runs"); do
    for i in "${!BENCH_IDS[@]}"; do
      id=${BENCH_IDS[$i]}
      eval "argv=(${BENCH_CMDS[$i]})"
      st=0
      /usr/bin/time -f '%e %U %S %M' -o "$dir/time.txt" "${argv[@]}" > "${BENCH_OUTS[$i]}" 2> "$dir/$id.err" || st=$?
      [ "$st" -eq 0 ] || BENCH_EXIT[$id]=$st
      # time writes "Command exited with non-zero status N" above the line.
      tail -1 "$dir/time.txt" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' >> "$dir/$id.runs"
    done
  done
  for id in "${BENCH_IDS[@]}"; do
    BENCH_WALL[$id]=$(bench_median "$dir/$id.runs" 1)
    BENCH_CPU[$id]=$(bench_median "$dir/$id.runs" 2)
    BENCH_RSS[$id]=$(cut -d' ' -f3 "$dir/$id.runs" | sort -n | tail -1 | awk '{ printf "%.1f", $1 / 1024 }')
  done
  rm -f "$dir/time.txt"
}

# bench_print ID LABEL BYTES prints one tool's line: median wall seconds,
# MB/s over BYTES, median CPU seconds, peak RSS.
bench_print() {
  awk -v label="$2:" -v size="$3" -v w="${BENCH_WALL[$1]}" -v c="${BENCH_CPU[$1]}" -v r="${BENCH_RSS[$1]}" 'BEGIN {
    printf "%-28s %7.2f s  %8s MB/s  CPU %6.2f s  peak RSS %6.1f MiB\n", label, w, (w > 0 ? sprintf("%.1f", size / 1e6 / w) : "inf"), c, r
  }'
  if [ "${BENCH_EXIT[$1]}" -ne 0 ]; then echo "  ($2 exited with status ${BENCH_EXIT[$1]})"; fi
}

# bench_speedup FAST SLOW prints how many times faster FAST's median wall
# time is than SLOW's, to one decimal.
bench_speedup() {
  awk -v f="${BENCH_WALL[$1]}" -v s="${BENCH_WALL[$2]}" 'BEGIN { if (f > 0) printf "%.1f", s / f; else print "inf" }'
}

# bench_md_row ID LABEL BYTES RATIO prints a row of the Markdown table
# "tool | median time | MB/s | CPU s | peak RSS | ratio".
bench_md_row() {
  awk -v label="$2" -v size="$3" -v ratio="$4" -v w="${BENCH_WALL[$1]}" -v c="${BENCH_CPU[$1]}" -v r="${BENCH_RSS[$1]}" 'BEGIN {
    printf "| %s | %.2f s | %s | %.2f s | %.1f MiB | %s |\n", label, w, (w > 0 ? sprintf("%.0f", size / 1e6 / w) : "inf"), c, r, ratio
  }'
}

# bench_md_head prints the Markdown table's header.
bench_md_head() {
  echo "| tool | median time | MB/s | CPU s | peak RSS | ratio |"
  echo "|---|---|---|---|---|---|"
}
