package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

// phNow is "now" for captures in golden tests.
var phNow = time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)

func phFixClocks(t *testing.T) {
	t.Helper()
	fixClock(t, func() time.Time { return phNow })
}

// phCopyTree copies a fixture directory and sets every file's mtime to
// phNow minus the given age (git does not keep mtimes).
func phCopyTree(t *testing.T, src string, age time.Duration) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, src, dst)
	fsguard.Touch(t, dst, phNow.Add(-age))
	return dst
}

func phTouch(t *testing.T, p string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

func phWriteFile(t *testing.T, p string, data []byte, at time.Time) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	phTouch(t, p, at)
}

func phReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// phBaseRDB is a real RDB written by redis-server 7.0.15 (12 keys).
const phBaseRDB = "../../testdata/redis7-rewrite/appendonlydir/appendonly.aof.2.base.rdb"

// phStaleTransferDir is a steady AOF directory with a dump.rdb and the
// partial transfer file of a replica killed before it, as
// scenario.ReplicaKilledMidTransfer leaves.
func phStaleTransferDir(t *testing.T) string {
	d := phCopyTree(t, "../../testdata/redis7-rewrite", time.Hour)
	rdb := phReadFile(t, phBaseRDB)
	phWriteFile(t, filepath.Join(d, "dump.rdb"), rdb, phNow.Add(-90*time.Minute))
	phWriteFile(t, filepath.Join(d, "temp-1795799776.25548.rdb"), rdb[:150], phNow.Add(-2*time.Hour))
	return d
}

// phIgnoredDumpDir holds a 1 MiB dump.rdb older than an empty AOF: AOF was
// switched on after the dump (an error finding: exit 1).
func phIgnoredDumpDir(t *testing.T) string {
	d := phCopyTree(t, "../../testdata/redis7-empty", time.Hour)
	p := filepath.Join(d, "dump.rdb")
	phWriteFile(t, p, phReadFile(t, phBaseRDB), phNow)
	if err := os.Truncate(p, 1<<20); err != nil {
		t.Fatal(err)
	}
	phTouch(t, p, phNow.Add(-48*time.Hour))
	return d
}

// phRewritingDir is a BGREWRITEAOF caught in the act (a growing temp file
// beside a second incr).
func phRewritingDir(t *testing.T) string {
	d := phCopyTree(t, "../../testdata/redis7-multi-incr", time.Minute)
	phWriteFile(t, filepath.Join(d, "temp-rewriteaof-4242.aof"), phReadFile(t, phBaseRDB)[:200], phNow.Add(-100*time.Millisecond))
	// The data dir changed when the child created its file.
	phTouch(t, d, phNow.Add(-2*time.Second))
	return d
}

// phFrozenCopyDir is a BGREWRITEAOF caught in the act, copied and read a
// week later: nothing in it changed since.
func phFrozenCopyDir(t *testing.T) string {
	d := phCopyTree(t, "../../testdata/redis7-multi-incr", 7*24*time.Hour)
	phWriteFile(t, filepath.Join(d, "temp-rewriteaof-4242.aof"), phReadFile(t, phBaseRDB)[:200], phNow.Add(-7*24*time.Hour+time.Second))
	phTouch(t, d, phNow.Add(-7*24*time.Hour+time.Second))
	return d
}

func phNormalise(s, dir string) string {
	return strings.ReplaceAll(s, dir, "DIR")
}

func TestPhaseGolden(t *testing.T) {
	phFixClocks(t)
	listings := "../../phase/testdata/listings/"
	cases := []struct {
		name string
		dir  func(*testing.T) string
		args []string
		code int
	}{
		{"stale-transfer", phStaleTransferDir, nil, 0},
		{"ignored-dump", phIgnoredDumpDir, nil, 1},
		{"rewriting", phRewritingDir, nil, 0},
		{"rewriting-stopped", phRewritingDir, []string{"--server-stopped"}, 0},
		{"frozen-copy", phFrozenCopyDir, nil, 0},
		{"multi-incr", func(t *testing.T) string { return phCopyTree(t, "../../testdata/redis7-multi-incr", time.Hour) }, nil, 0},
		{"legacy", func(t *testing.T) string { return phCopyTree(t, "../../testdata/legacy-appendonly", time.Hour) }, nil, 0},
		{"ls-1-transfer", nil, []string{"--ls-year", "2026", "--from-ls", listings + "replica-rebuild-disk_1-transfer.lh.txt"}, 0},
		{"ls-2-loading", nil, []string{"--year", "2026", "--from-ls", listings + "replica-rebuild-disk_2-loading.full-time.txt"}, 0},
		{"ls-3-rewrite", nil, []string{"--year", "2026", "--from-ls", listings + "replica-rebuild-disk_3-rewrite.lh.txt"}, 0},
		{"ls-4-finishing", nil, []string{"--year", "2026", "--from-ls", listings + "replica-rebuild-disk_4-finishing.full-time.txt"}, 0},
		{"ls-5-done", nil, []string{"--year", "2026", "--from-ls", listings + "replica-rebuild-disk_5-done.lh.txt"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"phase"}, c.args...)
			dir := "\x00"
			if c.dir != nil {
				dir = c.dir(t)
				args = append(args, dir)
			}
			guard := (*fsguard.State)(nil)
			if c.dir != nil {
				guard = fsguard.Record(t, dir)
			}
			for _, json := range []bool{false, true} {
				a, suffix := args, ".txt"
				if json {
					a, suffix = append([]string{"--json"}, args...), ".json"
				}
				r := runCLI(t, "", a...)
				if r.code != c.code {
					t.Errorf("%v: exit %d, want %d; stderr %s", a, r.code, c.code, r.stderr)
				}
				golden(t, "phase/"+c.name+suffix, phNormalise(r.stdout, dir))
			}
			if guard != nil {
				guard.AssertUnchanged(t)
			}
		})
	}
}

func TestPhaseFromStdinAndSnapshotFiles(t *testing.T) {
	phFixClocks(t)
	listing := string(phReadFile(t, "../../phase/testdata/listings/replica-rebuild-diskless_3-rewrite.full-time.txt"))
	r := runCLI(t, listing, "phase", "--json", "--from-ls", "-")
	var res phase.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stderr)
	}
	if res.Phase != phase.AOFRewrite || res.StepNumber != 3 || res.Schema != 1 {
		t.Errorf("%s step %d", res.Phase, res.StepNumber)
	}
	// Two saved snapshots of a growing rewrite: a rate and an ETA.
	d := phCopyTree(t, "../../testdata/redis7-rewrite", time.Minute)
	phWriteFile(t, filepath.Join(d, "temp-rewriteaof-4242.aof"), phReadFile(t, phBaseRDB)[:200], phNow.Add(-100*time.Millisecond))
	snapA := filepath.Join(t.TempDir(), "a.json")
	snapB := filepath.Join(t.TempDir(), "b.json")
	for i, p := range []string{snapA, snapB} {
		if i == 1 {
			testNow = func() time.Time { return phNow.Add(2 * time.Second) }
			phWriteFile(t, filepath.Join(d, "temp-rewriteaof-4242.aof"), phReadFile(t, phBaseRDB)[:280], phNow.Add(1900*time.Millisecond))
		}
		s, err := phCapture(d)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := os.Create(p)
		s.Save(f)
		f.Close()
	}
	r = runCLI(t, "", "phase", "--json", snapB, snapA)
	res = phase.Result{}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err, r.stderr)
	}
	if res.Phase != phase.AOFRewrite || res.Confidence != phase.High || res.Snapshots != 2 {
		t.Errorf("%s/%s over %d snapshots", res.Phase, res.Confidence, res.Snapshots)
	}
	if res.Progress == nil || res.Progress.RateBytesPerS != 40 || res.Progress.ETAS == nil {
		t.Errorf("progress %+v, want 80 bytes in 2s", res.Progress)
	}
}

func TestPhaseSample(t *testing.T) {
	d := phCopyTree(t, "../../testdata/redis7-rewrite", time.Hour)
	g := fsguard.Record(t, d)
	start := time.Now()
	r := runCLI(t, "", "phase", "--json", "--sample", "150ms", d)
	if r.code != 0 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("exit %d after %v: %s", r.code, time.Since(start), r.stderr)
	}
	var res phase.Result
	json.Unmarshal([]byte(r.stdout), &res)
	if res.Snapshots != 2 || res.SpanS < 0.1 || res.Phase != phase.Steady {
		t.Errorf("%+v", res)
	}
	g.AssertUnchanged(t)
}

func TestPhaseUsageErrors(t *testing.T) {
	d := phCopyTree(t, "../../testdata/redis7-rewrite", time.Hour)
	other := phCopyTree(t, "../../testdata/redis7-empty", time.Hour)
	g := fsguard.Record(t, d)
	for _, args := range [][]string{
		{"phase"},
		{"phase", filepath.Join(d, "nope")},
		{"phase", "--sample", "1s", d, d},
		{"phase", "--sample", "1s", "--from-ls", "x", d},
		{"phase", "--from-ls", "-", "--from-ls", "-"},
		{"phase", d, other},
		{"phase", "--prometheus", filepath.Join(d, "phase.prom"), d},
		{"phase", "--prometheus", filepath.Join(d, "appendonlydir", "phase.prom"), d},
		{"phase", "--appendfilename", "a/b", d},
	} {
		r := runCLI(t, "", args...)
		if r.code != exitCannot {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, r.code, r.stderr)
		}
	}
	g.AssertUnchanged(t)
}

func TestPhasePrometheus(t *testing.T) {
	phFixClocks(t)
	d := phStaleTransferDir(t)
	out := filepath.Join(t.TempDir(), "redis_phase.prom")
	g := fsguard.Record(t, d)
	r := runCLI(t, "", "phase", "--prometheus", out, d)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	g.AssertUnchanged(t)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("the textfile does not parse: %v", err)
	}
	value := func(name string, labels map[string]string) (float64, bool) {
		fam := fams[name]
		if fam == nil {
			return 0, false
		}
	next:
		for _, m := range fam.Metric {
			got := map[string]string{}
			for _, l := range m.Label {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			if got["dir"] != d {
				t.Errorf("%s: dir label %q", name, got["dir"])
			}
			return m.GetGauge().GetValue(), true
		}
		return 0, false
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"aoftool_phase", map[string]string{"phase": "steady"}, 1},
		{"aoftool_phase", map[string]string{"phase": "aof-rewrite"}, 0},
		{"aoftool_phase_step", nil, 0},
		{"aoftool_leftover_files", nil, 1},
		{"aoftool_leftover_bytes", nil, 150},
		{"aoftool_artifact_bytes", map[string]string{"path": "temp-1795799776.25548.rdb", "kind": "transfer-temp"}, 150},
		{"aoftool_findings_by_code", map[string]string{"code": "stale-transfer-file"}, 1},
		{"aoftool_findings", map[string]string{"severity": "warning"}, 1},
		{"aoftool_phase_snapshot_timestamp_seconds", nil, float64(phNow.Unix())},
	}
	for _, c := range checks {
		got, ok := value(c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if _, ok := value("aoftool_phase_info", map[string]string{"phase": "steady", "confidence": "high", "rule": "no-live-job"}); !ok {
		t.Errorf("aoftool_phase_info missing")
	}
}

// A 100 GiB sparse dump.rdb with a real RDB header costs phase a few
// kilobytes of reads: the answer comes in well under 0.2 s.
func TestPhaseOn100GiBSparseDump(t *testing.T) {
	d := phCopyTree(t, "../../testdata/redis7-rewrite", time.Hour)
	p := filepath.Join(d, "dump.rdb")
	phWriteFile(t, p, phReadFile(t, phBaseRDB), phNow)
	if err := os.Truncate(p, 100<<30); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	runCLI(t, "", "phase", "--json", d) // warm the page cache of the small files
	const runs = 5
	var worst time.Duration
	for range runs {
		start := time.Now()
		r := runCLI(t, "", "phase", "--json", d)
		el := time.Since(start)
		worst = max(worst, el)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var res phase.Result
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("phase on a directory with a 100 GiB sparse dump.rdb: worst of %d runs %v", runs, worst)
	if worst > 200*time.Millisecond {
		t.Errorf("phase took %v, want < 200ms", worst)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() != 100<<30 {
		t.Errorf("dump.rdb changed: %v %v", fi, err)
	}
}

func BenchmarkPhase100GiBSparseDump(b *testing.B) {
	d := filepath.Join(b.TempDir(), "data")
	os.MkdirAll(filepath.Join(d, "appendonlydir"), 0o755)
	rdb, _ := os.ReadFile(phBaseRDB)
	p := filepath.Join(d, "dump.rdb")
	os.WriteFile(p, rdb, 0o644)
	if err := os.Truncate(p, 100<<30); err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if code := run([]string{"phase", "--json", d}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			b.Fatal(code)
		}
	}
}

func phCapture(dir string) (*snapshot.Snapshot, error) {
	d, err := datadir.Open(dir, datadir.DefaultConfig(), datadir.Options{Now: testNow()})
	if err != nil {
		return nil, err
	}
	return d.Snapshot, nil
}

// phLogIncident is a log of the server of phRewritingDir: a first run that
// crashed, a restart that loaded the AOF, then the BGREWRITEAOF whose
// child 4242 writes temp-rewriteaof-4242.aof.
const phLogIncident = `4100:C 27 Nov 2026 16:50:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
4100:C 27 Nov 2026 16:50:00.000 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=4100, just started
4100:M 27 Nov 2026 16:50:00.002 * Ready to accept connections
=== REDIS BUG REPORT START: Cut & paste starting from here ===
4100:M 27 Nov 2026 16:55:00.000 # Redis 7.0.15 crashed by signal: 11, si_code: 2
=== REDIS BUG REPORT END. Make sure to include from START to END. ===
4200:C 27 Nov 2026 16:58:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
4200:C 27 Nov 2026 16:58:00.000 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=4200, just started
4200:M 27 Nov 2026 16:58:00.010 * Reading RDB base file on AOF loading...
4200:M 27 Nov 2026 16:58:00.010 * Loading RDB produced by version 7.0.15
4200:M 27 Nov 2026 16:58:01.200 * Done loading RDB, keys loaded: 12, keys expired: 0.
4200:M 27 Nov 2026 16:58:01.200 * DB loaded from base file appendonly.aof.1.base.rdb: 1.190 seconds
4200:M 27 Nov 2026 16:58:01.210 * DB loaded from append only file: 1.200 seconds
4200:M 27 Nov 2026 16:58:01.210 * Opening AOF incr file appendonly.aof.1.incr.aof on server start
4200:M 27 Nov 2026 16:58:01.211 * Ready to accept connections
4200:M 27 Nov 2026 17:59:58.000 * Creating AOF incr file appendonly.aof.2.incr.aof on background rewrite
4200:M 27 Nov 2026 17:59:58.001 * Background append only file rewriting started by pid 4242
`

// phLogRewriteDone goes on: the log says the rewrite finished, while the
// directory still holds its temp file.
const phLogRewriteDone = phLogIncident + `4242:C 27 Nov 2026 17:59:59.500 * Successfully created the temporary AOF base file temp-rewriteaof-bg-4242.aof
4200:M 27 Nov 2026 17:59:59.600 * Background AOF rewrite terminated with success
4200:M 27 Nov 2026 17:59:59.601 * Successfully renamed the temporary AOF base file temp-rewriteaof-bg-4242.aof into appendonly.aof.2.base.rdb
4200:M 27 Nov 2026 17:59:59.602 * Background AOF rewrite finished successfully
`

// phase --log: the log alone, and the log with the files, agreeing and
// disagreeing.
func TestPhaseWithLogGolden(t *testing.T) {
	phFixClocks(t)
	rebuild := phReadFile(t, "../../serverlog/testdata/redis-7.0.15/replica-rebuild/replica.log")
	loading := string(rebuild[:nthLine(rebuild, 23)])
	cases := []struct {
		name string
		log  string
		dir  func(*testing.T) string
		args []string
	}{
		{"log-alone-loading", loading, nil, nil},
		{"log-and-files-agree", phLogIncident, phRewritingDir, nil},
		{"log-and-files-disagree", phLogRewriteDone, phRewritingDir, nil},
		{"log-and-files-stopped", phLogIncident, phRewritingDir, []string{"--server-stopped"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			phWriteFile(t, filepath.Join(work, "redis.log"), []byte(c.log), phNow)
			args := append([]string{"phase", "--log", "redis.log"}, c.args...)
			dir := "\x00"
			if c.dir != nil {
				dir = c.dir(t)
				args = append(args, dir)
			}
			for _, json := range []bool{false, true} {
				a, suffix := args, ".txt"
				if json {
					a, suffix = append([]string{"--json"}, args...), ".json"
				}
				r := runCLIIn(t, work, a...)
				if r.code != 0 {
					t.Errorf("%v: exit %d; stderr %s", a, r.code, r.stderr)
				}
				golden(t, "phase/"+c.name+suffix, phNormalise(r.stdout, dir))
			}
		})
	}
	// The log on stdin, alone.
	r := runCLI(t, loading, "phase", "--json", "--log", "-")
	var res phase.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 {
		t.Fatalf("exit %d, %v: %s", r.code, err, r.stderr)
	}
	if res.Phase != phase.SyncLoading || res.StepNumber != 2 || res.Source != phase.SourceLog || res.Log == nil || res.Log.Name != "stdin" {
		t.Errorf("%s step %d source %s log %+v", res.Phase, res.StepNumber, res.Source, res.Log)
	}
	// stdin once.
	if r := runCLI(t, "", "phase", "--log", "-", "--from-ls", "-"); r.code != exitCannot || !strings.Contains(r.stderr, "stdin") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, "", "phase", "--log", "x.log", "--log-tz", "Mars/Olympus"); r.code != exitCannot {
		t.Errorf("bad --log-tz: exit %d", r.code)
	}
}

// nthLine is the offset just after the n-th line of b.
func nthLine(b []byte, n int) int {
	off := 0
	for i := 0; i < n; i++ {
		k := strings.IndexByte(string(b[off:]), '\n')
		if k < 0 {
			return len(b)
		}
		off += k + 1
	}
	return off
}
