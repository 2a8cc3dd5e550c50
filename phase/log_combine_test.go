package phase

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/serverlog"
	"github.com/aoftool/aoftool/snapshot"
)

// logState reads log text (legacy Redis lines, times around t0).
func logState(t *testing.T, text string) *serverlog.State {
	t.Helper()
	lg, err := serverlog.Read(strings.NewReader(strings.TrimLeft(text, "\n")), serverlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return lg.State
}

const logStart = `
500:C 27 Nov 2026 16:59:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
500:C 27 Nov 2026 16:59:00.000 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=500, just started
500:M 27 Nov 2026 16:59:00.001 * Ready to accept connections
`

const logRewriteStarted = logStart + `500:M 27 Nov 2026 17:00:00.000 * Creating AOF incr file appendonly.aof.4.incr.aof on background rewrite
500:M 27 Nov 2026 17:00:00.001 * Background append only file rewriting started by pid 578
`

const logRewriteDone = logRewriteStarted + `578:C 27 Nov 2026 17:00:19.000 * Successfully created the temporary AOF base file temp-rewriteaof-bg-578.aof
500:M 27 Nov 2026 17:00:19.100 * Background AOF rewrite terminated with success
500:M 27 Nov 2026 17:00:19.101 * Successfully renamed the temporary AOF base file temp-rewriteaof-bg-578.aof into appendonly.aof.4.base.rdb
500:M 27 Nov 2026 17:00:19.102 * Background AOF rewrite finished successfully
`

const logReplicaLoading = `
700:C 27 Nov 2026 17:00:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
700:C 27 Nov 2026 17:00:00.000 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=700, just started
700:S 27 Nov 2026 17:00:00.010 * Ready to accept connections
700:S 27 Nov 2026 17:00:00.011 * Connecting to MASTER 127.0.0.1:6379
700:S 27 Nov 2026 17:00:00.011 * MASTER <-> REPLICA sync started
700:S 27 Nov 2026 17:00:00.100 * Partial resynchronization not possible (no cached master)
700:S 27 Nov 2026 17:00:00.200 * Full resync from master: 749aa81ece83ca0b0ef3a39beb0f8d521db4207b:0
700:S 27 Nov 2026 17:00:02.000 * MASTER <-> REPLICA sync: receiving 6977924 bytes from master to disk
700:S 27 Nov 2026 17:00:09.000 * MASTER <-> REPLICA sync: Flushing old data
700:S 27 Nov 2026 17:00:09.001 * MASTER <-> REPLICA sync: Loading DB in memory
700:S 27 Nov 2026 17:00:09.002 * Loading RDB produced by version 7.0.15
`

const logShutdown = logRewriteStarted + `500:M 27 Nov 2026 17:00:30.000 # User requested shutdown...
500:M 27 Nov 2026 17:00:30.001 # Redis is now ready to exit, bye bye...
`

func classifyWithLog(st *serverlog.State, ds ...*dir) *Result {
	var snaps []*snapshot.Snapshot
	for _, d := range ds {
		snaps = append(snaps, d.s)
	}
	return Classify(snaps, Options{Log: st, LogName: "redis.log"})
}

func TestFilesAndLogTogether(t *testing.T) {
	rewriting := func() *dir {
		return newDir(t0.Add(20*time.Second)).aof(3, 5<<20, 0, 3, 100, 4, 10).file("temp-rewriteaof-578.aof", 1<<20, 19.5)
	}
	t.Run("the log shows the rewrite child running", func(t *testing.T) {
		alone := classify(rewriting())
		r := classifyWithLog(logState(t, logRewriteStarted), rewriting())
		if alone.Confidence == High || r.Phase != AOFRewrite || r.Confidence != High || len(r.Alternatives) != 0 {
			t.Errorf("files alone %s/%s, with the log %s/%s %v", alone.Phase, alone.Confidence, r.Phase, r.Confidence, r.Alternatives)
		}
		if r.Log == nil || r.Log.ServerPID != 500 || r.LogProgress == nil || r.LogProgress.ChildPID != 578 {
			t.Errorf("log %+v progress %+v", r.Log, r.LogProgress)
		}
	})
	t.Run("the copy caught the finished base before the child logged it", func(t *testing.T) {
		finished := func(pid int) *dir {
			return newDir(t0.Add(20*time.Second)).aof(3, 5<<20, 0, 3, 100, 4, 10).file(fmt.Sprintf("temp-rewriteaof-bg-%d.aof", pid), 1<<20, 19.9)
		}
		alone := classify(finished(578))
		r := classifyWithLog(logState(t, logRewriteStarted), finished(578))
		if r.Phase != AOFRewriteFinishing || r.Confidence != alone.Confidence || r.Findings.Has(finding.LogPhaseDisagrees) {
			t.Errorf("files alone %s/%s, with the log %s/%s %v", alone.Phase, alone.Confidence, r.Phase, r.Confidence, r.Findings)
		}
		// Another child's finished base is not the logged child's next step.
		r = classifyWithLog(logState(t, logRewriteStarted), finished(579))
		if !r.Findings.Has(finding.LogPhaseDisagrees) {
			t.Errorf("another child's base: %s/%s %v", r.Phase, r.Confidence, r.Findings)
		}
	})
	t.Run("the log says the rewrite finished but its file remains", func(t *testing.T) {
		r := classifyWithLog(logState(t, logRewriteDone), rewriting())
		if r.Phase != Steady || !r.Findings.Has(finding.LogJobEndedFileRemains) || len(r.Leftovers) != 1 || !strings.Contains(r.Leftovers[0].Why, "child 578 finished") {
			t.Errorf("%s %v leftovers %+v", r.Phase, r.Findings, r.Leftovers)
		}
	})
	t.Run("a load leaves the files steady", func(t *testing.T) {
		// A replica restarted on its AOF: the load of a sync payload
		// changes nothing on disk.
		d := newDir(t0.Add(10*time.Second)).aof(2, 6977840, 0, 2, 0).file("dump.rdb", 6977924, 9)
		alone := classify(d)
		r := classifyWithLog(logState(t, logReplicaLoading), d)
		if alone.Phase != Steady || r.Phase != SyncLoading || r.StepNumber != 2 || r.Rule != "log" {
			t.Errorf("files alone %s, with the log %s step %d (rule %s): %s", alone.Phase, r.Phase, r.StepNumber, r.Rule, r.Summary)
		}
	})
	t.Run("the payload size is the transfer's expected size", func(t *testing.T) {
		st := logState(t, strings.Split(logReplicaLoading, "700:S 27 Nov 2026 17:00:09.000")[0])
		d := newDir(t0.Add(5*time.Second)).aof(1, emptyBase, 0, 1, emptyAOF).file("temp-1795798800.700.rdb", 3<<20, 4.9)
		r := classifyWithLog(st, d)
		if r.Phase != SyncTransfer || r.Confidence != High || r.Progress == nil || r.Progress.ExpectedBytes != 6977924 || !strings.Contains(r.Progress.Basis, "announced") {
			t.Errorf("%s/%s progress %+v", r.Phase, r.Confidence, r.Progress)
		}
	})
	t.Run("the transfer names another server's pid", func(t *testing.T) {
		st := logState(t, logStart+"500:M 27 Nov 2026 17:01:40.000 * Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.\n")
		d := newDir(t0.Add(100*time.Second)).aof(1, emptyBase, 0, 1, emptyAOF).file("temp-1795798850.900.rdb", 0, 50)
		r := classifyWithLog(st, d)
		if !r.Findings.Has(finding.LogPIDMismatch) {
			t.Errorf("%s %v", r.Phase, r.Findings)
		}
	})
	t.Run("the log ends with the server gone", func(t *testing.T) {
		r := classifyWithLog(logState(t, logShutdown), rewriting())
		if r.Phase != Steady || r.Rule != "server-stopped" || r.Was == nil || r.Was.Phase != AOFRewrite || len(r.Leftovers) != 1 {
			t.Errorf("%s rule %s was %+v leftovers %+v", r.Phase, r.Rule, r.Was, r.Leftovers)
		}
	})
	t.Run("files newer than the log", func(t *testing.T) {
		d := newDir(t0.Add(600*time.Second)).aof(3, 5<<20, 0, 3, 100, 4, 10).file("temp-rewriteaof-9000.aof", 1<<20, 599.5)
		r := classifyWithLog(logState(t, logShutdown), d)
		if r.Phase != AOFRewrite || !r.Findings.Has(finding.LogBehindFiles) {
			t.Errorf("%s %v", r.Phase, r.Findings)
		}
	})
	t.Run("a BGSAVE child the log never started", func(t *testing.T) {
		st := logState(t, logStart+"500:M 27 Nov 2026 17:00:19.900 * 1 changes in 3600 seconds. Saving...\n")
		d := newDir(t0.Add(20*time.Second)).file("dump.rdb", 1<<20, 1).file("temp-501.rdb", 4096, 19.9)
		r := classifyWithLog(st, d)
		if r.Phase != Steady || !r.Findings.Has(finding.LogPIDMismatch) || len(r.Leftovers) != 1 {
			t.Errorf("%s/%s %v", r.Phase, r.Confidence, r.Findings)
		}
	})
	t.Run("the log shows no job while the files show one", func(t *testing.T) {
		// A SAVE runs in the server itself (temp-<server pid>.rdb) and
		// logs nothing until it ends.
		st := logState(t, logStart+"500:M 27 Nov 2026 17:00:19.900 * Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.\n")
		d := newDir(t0.Add(20*time.Second)).file("dump.rdb", 1<<20, 1).file("temp-500.rdb", 4096, 19.9)
		r := classifyWithLog(st, d)
		if r.Phase != BGSave || r.Confidence == High || !slices.Contains(r.Alternatives, Steady) || !r.Findings.Has(finding.LogPhaseDisagrees) {
			t.Errorf("%s/%s %v %v", r.Phase, r.Confidence, r.Alternatives, r.Findings)
		}
	})
}
