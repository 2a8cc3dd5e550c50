#!/usr/bin/env bash
# Regenerates the benchmark tables of README.md: runs bench/rdb.sh (aoftool
# rdb and aoftool keys against redis-check-rdb and hdt3213/rdb) and
# bench/aof.sh (aoftool aof against redis-check-aof) with MD set, and puts
# each Markdown table between its markers in README.md:
#   <!-- BEGIN bench-rdb --> ... <!-- END bench-rdb -->
#   <!-- BEGIN bench-aof --> ... <!-- END bench-aof -->
# README.md is written only when both benchmarks ran to the end. Run it on
# an otherwise idle machine: the tables say which machine it was, not how
# busy it was.
#
#   bench/readme.sh                                  # 1 GiB dump, ~500 MB AOF
#   RDB_SIZE_MB=48 AOF_SIZE_MB=32 bench/readme.sh    # check the mechanics
#   RUNS=9 bench/readme.sh                           # runs per tool (minimum 5)
#   RDB=path/dump.rdb bench/readme.sh                # time an existing dump
#
# The markers are not of the `<!-- BEGIN name -->` form (lower-case letters
# and spaces) that go test ./cmd/aoftool -run README regenerates, which
# would reject a block it does not generate. Everything is written under
# bench/out/ (gitignored) and deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/readme
rm -rf "$out"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT

SIZE_MB=${RDB_SIZE_MB:-1024} MD=$out/rdb.md bash bench/rdb.sh
echo
SIZE_MB=${AOF_SIZE_MB:-500} MD=$out/aof.md bash bench/aof.sh

# splice NAME BODY IN OUT copies IN to OUT with the lines between the
# markers of NAME replaced by the file BODY; it fails unless IN holds each
# marker exactly once, BEGIN before END.
splice() {
  awk -v name="$1" -v body="$2" '
    $0 == "<!-- BEGIN " name " -->" {
      print
      while ((getline line < body) > 0) print line
      close(body)
      begins++; inside = 1; next
    }
    $0 == "<!-- END " name " -->" { ends++; if (!inside) bad = 1; inside = 0 }
    !inside { print }
    END { if (bad || inside || begins != 1 || ends != 1) exit 3 }
  ' "$3" > "$4" || {
    echo "README.md needs exactly one <!-- BEGIN $1 --> followed by one <!-- END $1 -->, each on a line of its own" >&2
    return 1
  }
}
splice bench-rdb "$out/rdb.md" README.md "$out/README.1"
splice bench-aof "$out/aof.md" "$out/README.1" "$out/README.2"
cat "$out/README.2" > README.md
echo
echo "README.md: bench-rdb and bench-aof blocks regenerated"
