package serverlog

import (
	"strings"
	"testing"
)

// Messages as the servers word them (copied from captured logs or, for
// wordings no scenario provokes, from the format strings at the tags named
// in Patterns), with the kind and fields each must give.
var messageCases = []struct {
	msg  string
	kind Kind
	want Event // only the non-zero fields are compared
}{
	{"oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", KindStarting, Event{Product: "Redis"}},
	{"oO0OoO0OoO0Oo Valkey is starting oO0OoO0OoO0Oo", KindStarting, Event{Product: "Valkey"}},
	{"Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=28318, just started", KindVersion, Event{Version: "7.0.15"}},
	{"Valkey version=8.0.1, bits=64, commit=00000000, modified=0, pid=7, just started", KindVersion, Event{Version: "8.0.1", Product: "Valkey"}},
	{"Running mode=standalone, port=6379.", KindRunningMode, Event{Reason: "standalone", N: 6379}},
	{"Ready to accept connections tcp", KindReady, Event{Reason: "tcp"}},
	{"Ready to accept connections", KindReady, Event{}},
	{"User requested shutdown... (user request from 'id=3 addr=127.0.0.1:5')", KindShutdownAsked, Event{}},
	{"Received SIGTERM scheduling shutdown...", KindShutdownSignal, Event{}},
	{"Redis is now ready to exit, bye bye...", KindExit, Event{}},
	{"Valkey is now ready to exit, bye bye...", KindExit, Event{Product: "Valkey"}},
	{"Redis 7.0.15 crashed by signal: 11, si_code: 2", KindCrashSignal, Event{Version: "7.0.15", Signal: 11}},
	{"=== REDIS BUG REPORT START: Cut & paste starting from here ===", KindCrash, Event{}},
	{"=== VALKEY BUG REPORT START: Cut & paste starting from here ===", KindCrash, Event{}},
	{"Fatal error loading the DB, check server logs. Exiting.", KindFatalLoad, Event{}},
	{"Fatal error loading the DB: Invalid argument. Exiting.", KindFatalLoad, Event{Reason: "Invalid argument"}},

	{"Connecting to MASTER 127.0.0.1:6379", KindConnecting, Event{Addr: "127.0.0.1:6379"}},
	{"Connecting to PRIMARY 10.0.0.1:6379", KindConnecting, Event{Addr: "10.0.0.1:6379", Product: "Valkey"}},
	{"MASTER <-> REPLICA sync started", KindSyncStarted, Event{}},
	{"PRIMARY <-> REPLICA sync started", KindSyncStarted, Event{Product: "Valkey"}},
	{"Partial resynchronization not possible (no cached master)", KindPsyncImpossible, Event{}},
	{"Partial resynchronization not possible (no cached primary)", KindPsyncImpossible, Event{}},
	{"Full resync from master: 9b3bc2f04b7cf3923f2b0e980ff77dbd0924e08e:0", KindFullResync, Event{ReplID: "9b3bc2f04b7cf3923f2b0e980ff77dbd0924e08e"}},
	{"Full resync from primary: c5aeb73033d89785770d7ab04e29a815bd8befc8:2462426", KindFullResync, Event{ReplID: "c5aeb73033d89785770d7ab04e29a815bd8befc8", Offset: 2462426}},
	{"MASTER <-> REPLICA sync: receiving 6977924 bytes from master to disk", KindTransferDisk, Event{Bytes: 6977924}},
	{"PRIMARY <-> REPLICA sync: receiving 6977924 bytes from primary to disk", KindTransferDisk, Event{Bytes: 6977924}},
	{"MASTER <-> REPLICA sync: receiving 100 bytes from master to parser", KindTransferParser, Event{Bytes: 100}},
	{"MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk", KindStreamDisk, Event{}},
	{"PRIMARY <-> REPLICA sync: receiving streamed RDB from primary with EOF to parser", KindStreamParser, Event{}},
	{"MASTER <-> REPLICA sync: Flushing old data", KindFlushing, Event{}},
	{"MASTER <-> REPLICA sync: Loading DB in memory", KindLoadingDB, Event{}},
	{"MASTER <-> REPLICA sync: Finished with success", KindSyncDone, Event{}},
	{"MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.", KindPsyncAccepted, Event{}},
	{"PRIMARY <-> REPLICA sync: Primary accepted a Partial Resynchronization.", KindPsyncAccepted, Event{}},
	{"Failed trying to load the MASTER synchronization DB from disk, check server logs.", KindSyncLoadFailed, Event{}},
	{"Failed trying to load the MASTER synchronization DB from disk: Invalid argument", KindSyncLoadFailed, Event{Reason: "Invalid argument"}},
	{"Failed trying to load the MASTER synchronization DB from disk", KindSyncLoadFailed, Event{}},
	{"Failed trying to load the PRIMARY synchronization DB from disk, check server logs.", KindSyncLoadFailed, Event{}},
	{"I/O error reading bulk count from MASTER: Success", KindSyncFailed, Event{Reason: "Success"}},
	{"I/O error trying to sync with MASTER: connection lost", KindSyncFailed, Event{Reason: "connection lost"}},
	{"Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.", KindSyncFailed, Event{}},
	{"Timeout receiving bulk data from PRIMARY... If the problem persists try to set the 'repl-timeout' parameter in valkey.conf to a larger value.", KindSyncFailed, Event{}},
	{"MASTER timeout: no data nor PING received...", KindSyncFailed, Event{}},
	{"Reconnecting to MASTER 127.0.0.1:45529 after failure", KindSyncRetry, Event{Addr: "127.0.0.1:45529"}},
	{"Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process 4242 and removing its temp file to avoid any race", KindReplicaKills, Event{ChildPID: 4242}},

	{"Full resync requested by replica 127.0.0.1:27002", KindServeFull, Event{Addr: "127.0.0.1:27002"}},
	{"Starting BGSAVE for SYNC with target: disk", KindServeBGSave, Event{Reason: "disk"}},
	{"Background RDB transfer started by pid 28451", KindTransferStart, Event{ChildPID: 28451}},
	{"Background RDB transfer started by pid 28451 to pipe through parent process", KindTransferStart, Event{ChildPID: 28451}},
	{"Background transfer terminated by signal 9", KindTransferKilled, Event{Signal: 9}},

	{"100 changes in 300 seconds. Saving...", KindSaveTrigger, Event{N: 100, Seconds: 300}},
	{"Background saving started by pid 1234", KindBGSaveStart, Event{ChildPID: 1234}},
	{"DB saved on disk", KindDBSaved, Event{}},
	{"Background saving terminated with success", KindBGSaveOK, Event{}},
	{"Background saving error", KindBGSaveError, Event{}},
	{"Background saving terminated by signal 9", KindBGSaveKilled, Event{Signal: 9}},
	{"Write error while saving DB to the disk(rdbSaveRio): No space left on device", KindSaveFailed, Event{Reason: "No space left on device"}},
	{"Fork CoW for RDB: current 12 MB, peak 12 MB, average 6 MB", KindChildCoW, Event{Reason: "RDB", MB: 12}},
	{"RDB: 3 MB of memory used by copy-on-write", KindChildCoW, Event{MB: 3}},

	{"Creating AOF incr file temp-appendonly.aof.incr on background rewrite", KindIncrOnRewrite, Event{File: "temp-appendonly.aof.incr"}},
	{"Background append only file rewriting started by pid 28534", KindRewriteStart, Event{ChildPID: 28534}},
	{"Successfully created the temporary AOF base file temp-rewriteaof-bg-28534.aof", KindRewriteChildDone, Event{File: "temp-rewriteaof-bg-28534.aof"}},
	{"SYNC append only file rewrite performed", KindRewriteChildDone, Event{}},
	{"Residual parent diff successfully flushed to the rewritten AOF (0.00 MB)", KindRewriteResidual, Event{}},
	{"Background AOF rewrite terminated with success", KindRewriteOK, Event{}},
	{"Successfully renamed the temporary AOF base file temp-rewriteaof-bg-28534.aof into appendonly.aof.2.base.rdb", KindBaseRenamed, Event{File: "temp-rewriteaof-bg-28534.aof", Target: "appendonly.aof.2.base.rdb"}},
	{"Removing the history file appendonly.aof.1.incr.aof in the background", KindHistoryRemoved, Event{File: "appendonly.aof.1.incr.aof"}},
	{"Background AOF rewrite finished successfully", KindRewriteDone, Event{}},
	{"Background AOF rewrite terminated by signal 9", KindRewriteKilled, Event{Signal: 9}},
	{"Killing running AOF rewrite child: 777", KindRewriteKill, Event{ChildPID: 777}},
	{"Background AOF rewrite has repeatedly failed and triggered the limit, will retry in 4 minutes", KindRewriteBackoff, Event{N: 4}},

	{"Reading RDB base file on AOF loading...", KindAOFReadBase, Event{}},
	{"DB loaded from base file appendonly.aof.2.base.rdb: 5.344 seconds", KindAOFBaseLoaded, Event{File: "appendonly.aof.2.base.rdb", Seconds: 5.344}},
	{"DB loaded from incr file appendonly.aof.2.incr.aof: 0.004 seconds", KindAOFIncrLoaded, Event{Seconds: 0.004}},
	{"DB loaded from append only file: 5.349 seconds", KindAOFLoaded, Event{Seconds: 5.349}},
	{"DB loaded from disk: 0.120 seconds", KindRDBLoaded, Event{Seconds: 0.12}},
	{"!!! Truncating the AOF appendonly.aof.1.incr.aof at offset 5183 !!!", KindAOFTruncating, Event{File: "appendonly.aof.1.incr.aof", Offset: 5183}},
	{"!!! Truncating the AOF at offset 5183 !!!", KindAOFTruncating, Event{Offset: 5183}},
	{"AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled", KindAOFLoadedCut, Event{File: "appendonly.aof.1.incr.aof"}},
	{"AOF loaded anyway because aof-load-truncated is enabled", KindAOFLoadedCut, Event{}},
	{"*** FATAL AOF MANIFEST FILE ERROR ***", KindAOFManifestErr, Event{}},
	{"Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", KindAOFBadFormat, Event{File: "appendonly.aof.1.incr.aof"}},
	{"Bad file format reading the append only file appendonly.aof.1.incr.aof: make a backup of your AOF file, then use ./valkey-check-aof --fix <filename.manifest>", KindAOFBadFormat, Event{File: "appendonly.aof.1.incr.aof"}},
	{"Bad file format reading the append only file: make a backup of your AOF file, then use ./redis-check-aof --fix <filename>", KindAOFBadFormat, Event{}},
	{"Loading RDB produced by version 7.0.15", KindRDBProducer, Event{Version: "7.0.15"}},
	{"Loading RDB produced by valkey version 7.2.7", KindRDBProducer, Event{Version: "7.2.7"}},
	{"Loading RDB produced by Valkey version 8.0.1", KindRDBProducer, Event{Version: "8.0.1"}},
	{"RDB age 3 seconds", KindRDBAge, Event{N: 3}},
	{"RDB memory usage when created 3.59 Mb", KindRDBMemory, Event{MB: 3.59}},
	{"Done loading RDB, keys loaded: 2500, keys expired: 7.", KindRDBDone, Event{Keys: 2500, Expired: 7}},
	{"Done loading RDB, keys loaded: 2500, keys expired: 0, empty keys skipped: 3.", KindRDBDone, Event{Keys: 2500, N: 3}},
	{"Short read or OOM loading DB. Unrecoverable error, aborting now.", KindRDBShortRead, Event{}},
	{"Wrong RDB checksum expected: (d6e1d4e1f6a1d0c7) but got (29e1d4e1f6a1d0c7). Aborting now.", KindRDBChecksum, Event{}},
	{"Can't handle RDB format version 12", KindRDBVersion, Event{N: 12}},
}

func TestMessages(t *testing.T) {
	in := newInterner(16)
	for _, c := range messageCases {
		var ev Event
		kind, cut := matchMessage([]byte(c.msg), &ev, in)
		if kind != c.kind || cut {
			t.Errorf("%q: kind %q (cut %v), want %q", c.msg, kind, cut, c.kind)
			continue
		}
		w := c.want
		if (w.ChildPID != 0 && ev.ChildPID != w.ChildPID) || (w.Signal != 0 && ev.Signal != w.Signal) ||
			(w.Bytes != 0 && ev.Bytes != w.Bytes) || (w.Offset != 0 && ev.Offset != w.Offset) ||
			(w.Keys != 0 && ev.Keys != w.Keys) || (w.Expired != 0 && ev.Expired != w.Expired) ||
			(w.N != 0 && ev.N != w.N) || (w.Seconds != 0 && ev.Seconds != w.Seconds) || (w.MB != 0 && ev.MB != w.MB) ||
			(w.Version != "" && ev.Version != w.Version) || (w.ReplID != "" && ev.ReplID != w.ReplID) ||
			(w.File != "" && ev.File != w.File) || (w.Target != "" && ev.Target != w.Target) ||
			(w.Addr != "" && ev.Addr != w.Addr) || (w.Reason != "" && ev.Reason != w.Reason) ||
			(w.Product != "" && ev.Product != w.Product) {
			t.Errorf("%q: fields %+v, want %+v", c.msg, ev, w)
		}
	}
}

// Each kind of the table is exercised by a message above, so a wording
// change in the table cannot go unnoticed.
func TestEveryPatternKindHasAMessage(t *testing.T) {
	seen := map[Kind]bool{}
	for _, c := range messageCases {
		seen[c.kind] = true
	}
	core := []Kind{KindStarting, KindVersion, KindFullResync, KindTransferDisk, KindStreamDisk, KindLoadingDB, KindSyncDone,
		KindSyncLoadFailed, KindBGSaveStart, KindBGSaveOK, KindBGSaveKilled, KindRewriteStart, KindRewriteChildDone,
		KindRewriteOK, KindRewriteDone, KindRewriteKilled, KindRewriteKill, KindAOFTruncating, KindAOFLoadedCut,
		KindAOFManifestErr, KindAOFBadFormat, KindRDBShortRead, KindRDBChecksum, KindRDBVersion, KindRDBDone, KindCrash}
	for _, k := range core {
		if !seen[k] {
			t.Errorf("kind %s has no example message", k)
		}
	}
}

// A line cut by a terminal is read as the one message it can be, and not
// at all when it could be two.
func TestCutMessages(t *testing.T) {
	cases := []struct {
		msg  string
		kind Kind
	}{
		{"Background append only file rewriting started by p", KindRewriteStart},
		{"Background append only file rewriting started by pid 12", KindRewriteStart}, // digits may be cut: kept? no, a pid is last: full match
		{"MASTER <-> REPLICA sync: Loading DB in mem", KindLoadingDB},
		{"Done loading RDB, keys loaded: 2500, keys exp", KindRDBDone},
		{"Successfully renamed the temporary AOF base file temp-rewriteaof-bg-28534.aof into appendonly.a", KindBaseRenamed},
		{"Background AOF rewrite terminated with succ", KindRewriteOK},
		{"Background AOF rewrite terminated ", ""}, // success, error or signal: ambiguous
		{"Background saving terminated", ""},
		{"Backgr", ""}, // too short to name anything
	}
	in := newInterner(16)
	for _, c := range cases {
		var ev Event
		kind, cut := matchMessage([]byte(c.msg), &ev, in)
		if kind != c.kind {
			t.Errorf("%q: kind %q (cut %v), want %q", c.msg, kind, cut, c.kind)
		}
		if kind == KindRDBDone && ev.Keys != 2500 {
			t.Errorf("%q: keys %d, want the field before the cut", c.msg, ev.Keys)
		}
	}
}

func TestPatternTableWellFormed(t *testing.T) {
	for _, p := range Patterns {
		if _, err := compileTemplate(p.Template); err != nil {
			t.Error(err)
		}
		if p.Versions == "" || strings.TrimSpace(p.Template) != p.Template {
			t.Errorf("pattern %q: versions missing or template padded", p.Template)
		}
	}
}
