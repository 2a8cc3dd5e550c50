#!/usr/bin/env bash
# Records a real replica rebuild and draws it: a master (Redis 7.0.15 from
# PATH) with 3,000 keys of 1 KB that saves slowly for the full sync, and a
# replica started with AOF on, on an empty data directory watched by
# 'aoftool watch --json' (run in-process by TestRecordReplicaRebuild) from
# before its start until its AOF rewrite is installed. Servers listen on
# 127.0.0.1 and unix sockets only and are stopped by the test.
#
#   cmd/aoftool/testdata/timeline/make-recording.sh
#
# writes replica-rebuild.ndjson (the recording), replica-rebuild.log (the
# replica's log) and replica-rebuild.svg (aoftool timeline of both, also the
# golden of TestTimelineOfARecordedRebuild).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
AOFTOOL_RECORD_TIMELINE=1 go test ./cmd/aoftool -run 'TestRecordReplicaRebuild$' -count=1
go test ./cmd/aoftool -run 'TestTimelineOfARecordedRebuild$' -count=1 -update
