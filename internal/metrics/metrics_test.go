package metrics

import (
	"bytes"
	"context"
	"errors"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// dir builds a snapshot as Capture records one: a replica's data dir with
// a dump.rdb, a multi-part AOF and whatever files a test adds.
type dir struct{ s *snapshot.Snapshot }

func newDir(at time.Time) *dir {
	return &dir{s: &snapshot.Snapshot{Schema: 1, TakenAt: at, Root: "/data", Source: snapshot.SourceDir,
		DBFilename: "dump.rdb", AppendDirName: "appendonlydir", AppendFilename: "appendonly.aof",
		Volume: &snapshot.Volume{FreeBytes: 50 << 30, TotalBytes: 100 << 30}, BytesRead: 1234}}
}

func (d *dir) file(p string, size int64, mtime time.Time) *dir {
	dname, name := path.Split(p)
	dname = strings.TrimSuffix(dname, "/")
	info := snapshot.DecodeName(name, false, dname == "", snapshot.DefaultNames())
	d.s.Entries = append(d.s.Entries, snapshot.Entry{Path: p, Dir: dname, Name: name, Type: snapshot.TypeFile,
		Size: size, SizeExact: true, SizeMin: size, SizeMax: size, Mode: "-rw-r--r--", MTime: mtime,
		Kind: info.Kind, NamePID: info.PID, NameTime: info.Time, NameSeq: info.Seq, AppendFilename: info.AppendFilename,
		Known: snapshot.Known{Size: true, CTime: true, Content: true}})
	sort.Slice(d.s.Entries, func(i, j int) bool { return d.s.Entries[i].Path < d.s.Entries[j].Path })
	return d
}

// aof adds a manifest listing base 1 and the given incr files.
func (d *dir) aof(mtime time.Time, incrs ...string) *dir {
	m := snapshot.Manifest{Path: "appendonlydir/appendonly.aof.manifest", AppendFilename: "appendonly.aof", Valid: true,
		Files: []snapshot.ManifestEntry{{File: "appendonly.aof.1.base.rdb", Seq: 1, Type: "b", Exists: true}}}
	d.file("appendonlydir/appendonly.aof.1.base.rdb", 5<<20, mtime)
	for i, n := range incrs {
		d.file("appendonlydir/"+n, 1000, mtime)
		m.Files = append(m.Files, snapshot.ManifestEntry{File: n, Seq: int64(i + 1), Type: "i", Exists: true})
	}
	d.file("appendonlydir/appendonly.aof.manifest", 88, mtime)
	d.s.Manifests = append(d.s.Manifests, m)
	for _, f := range m.Files {
		e := d.s.Entry("appendonlydir/" + f.File)
		e.ManifestRole, e.ManifestSeq = f.Type, f.Seq
	}
	return d
}

// transferDir is a replica receiving a full sync: the previous dump.rdb
// (100 MB) and a transfer file of the given size, last written at mtime.
func transferDir(at time.Time, size int64, mtime time.Time) *snapshot.Snapshot {
	return newDir(at).aof(t0.Add(-time.Hour), "appendonly.aof.1.incr.aof").
		file("dump.rdb", 100_000_000, t0.Add(-time.Hour)).
		file("temp-1796119200.4242.rdb", size, mtime).s
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// reads serves snapshots in turn, each stamped with the clock, and counts
// the reads.
type reads struct {
	mu    sync.Mutex
	n     int
	snaps func(now time.Time, n int) (*snapshot.Snapshot, error)
	clk   *clock
}

func (r *reads) read() (*snapshot.Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return r.snaps(r.clk.now(), r.n)
}

func (r *reads) count() int { r.mu.Lock(); defer r.mu.Unlock(); return r.n }

// gather collects the exporter through a registry, as a scrape does.
func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the value of the series of name whose labels include want.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		}
	}
	return 0, false
}

func mustValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := value(mfs, name, labels)
	if !ok {
		t.Errorf("%s%v missing", name, labels)
		return
	}
	if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

func absent(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels map[string]string) {
	t.Helper()
	if v, ok := value(mfs, name, labels); ok {
		t.Errorf("%s%v = %v, want no series", name, labels, v)
	}
}

func newTestExporter(t *testing.T, clk *clock, r *reads, opt Options) *Exporter {
	t.Helper()
	opt.Now = clk.now
	if opt.MinInterval == 0 {
		opt.MinInterval = 5 * time.Second
	}
	e, err := NewExporter([]Target{{Dir: "/data", Read: r.read}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Scrapes within the minimum interval reuse the last reading: a hundred
// scrapers cost one read per interval.
func TestScrapesWithinTheIntervalShareOneRead(t *testing.T) {
	clk := &clock{t: t0}
	r := &reads{clk: clk, snaps: func(now time.Time, n int) (*snapshot.Snapshot, error) {
		return transferDir(now, int64(n)*1000, now), nil
	}}
	e := newTestExporter(t, clk, r, Options{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); gather(t, e) }()
	}
	wg.Wait()
	if r.count() != 1 {
		t.Fatalf("50 scrapes at once read the directory %d times, want 1", r.count())
	}
	clk.add(4 * time.Second)
	mfs := gather(t, e)
	if r.count() != 1 {
		t.Fatalf("a scrape within the interval read again (%d reads)", r.count())
	}
	mustValue(t, mfs, Evaluations, nil, 1)
	clk.add(time.Second)
	mfs = gather(t, e)
	if r.count() != 2 {
		t.Fatalf("a scrape after the interval did not read (%d reads)", r.count())
	}
	mustValue(t, mfs, Evaluations, nil, 2)
}

// Rate and ETA come from the previous evaluation's snapshot and the
// current one; a transfer that stops growing becomes a leftover.
func TestGrowthBetweenEvaluations(t *testing.T) {
	clk := &clock{t: t0}
	sizes := []int64{10_000_000, 30_000_000, 30_000_000}
	r := &reads{clk: clk, snaps: func(now time.Time, n int) (*snapshot.Snapshot, error) {
		mtime := now
		if n == 3 {
			mtime = now.Add(-10 * time.Second) // not written since the last read
		}
		return transferDir(now, sizes[n-1], mtime), nil
	}}
	e := newTestExporter(t, clk, r, Options{Instance: "redis-0"})

	mfs := gather(t, e)
	mustValue(t, mfs, Phase, map[string]string{"phase": "sync-transfer", "dir": "/data", "redis_instance": "redis-0"}, 1)
	mustValue(t, mfs, PhaseStep, nil, 1)
	mustValue(t, mfs, ProgressBytes, map[string]string{"path": "temp-1796119200.4242.rdb"}, 10_000_000)
	mustValue(t, mfs, ProgressExpectedBytes, nil, 100_000_000)
	absent(t, mfs, ProgressRate, nil) // one snapshot: no growth seen yet
	absent(t, mfs, ProgressETA, nil)

	clk.add(10 * time.Second)
	mfs = gather(t, e)
	mustValue(t, mfs, Phase, map[string]string{"phase": "sync-transfer"}, 1)
	mustValue(t, mfs, ProgressRate, nil, 2_000_000)
	mustValue(t, mfs, ProgressETA, nil, 35)
	mustValue(t, mfs, PhaseConfidence, map[string]string{"confidence": "high"}, 1)

	clk.add(10 * time.Second)
	mfs = gather(t, e)
	mustValue(t, mfs, Phase, map[string]string{"phase": "sync-transfer"}, 0)
	mustValue(t, mfs, FindingsByCode, map[string]string{"code": string(finding.StaleTransferFile)}, 1)
	mustValue(t, mfs, LeftoverFiles, nil, 1)
	mustValue(t, mfs, LeftoverBytes, nil, 30_000_000)
	absent(t, mfs, ProgressBytes, nil)
}

// A directory that cannot be read exports its failure and no stale
// reading; it is back at the next read that succeeds.
func TestUnreadableDirectory(t *testing.T) {
	clk := &clock{t: t0}
	var logs []string
	r := &reads{clk: clk, snaps: func(now time.Time, n int) (*snapshot.Snapshot, error) {
		if n == 2 || n == 3 {
			return nil, errors.New("permission denied")
		}
		return transferDir(now, int64(n)*1000, now), nil
	}}
	e := newTestExporter(t, clk, r, Options{Log: func(s string) { logs = append(logs, s) }})
	for i := range 4 {
		mfs := gather(t, e)
		readable := i == 0 || i == 3
		mustValue(t, mfs, EvaluationSuccess, nil, boolValue(readable))
		if _, ok := value(mfs, Phase, nil); ok != readable {
			t.Errorf("read %d: phase series present %v, want %v", i+1, ok, readable)
		}
		clk.add(5 * time.Second)
	}
	mfs := gather(t, e)
	mustValue(t, mfs, Evaluations, nil, 5)
	mustValue(t, mfs, EvaluationFailures, nil, 2)
	if len(logs) != 2 || !strings.Contains(logs[0], "permission denied") || !strings.Contains(logs[1], "readable again") {
		t.Errorf("logs %q: want one line when it fails and one when it recovers", logs)
	}
}

// The last verification is exported per mode, with judged marking the
// mode the exit code of check follows.
func TestVerificationMetrics(t *testing.T) {
	clk := &clock{t: t0}
	r := &reads{clk: clk, snaps: func(now time.Time, n int) (*snapshot.Snapshot, error) {
		return newDir(now).aof(t0, "appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.3.incr.aof").s, nil
	}}
	calls := 0
	rep := &check.Report{Findings: finding.List{finding.New(finding.StaleTransferFile, "x", "x")}, Start: check.Start{
		Judged: check.Judged{Mode: check.AOFOn},
		AOFOn:  check.Outcome{Starts: false, Result: check.Refuses},
		AOFOff: check.Outcome{Starts: true, Result: check.Starts, Losses: []check.Loss{{Detail: "the AOF's writes"}}},
	}}
	verify := func(ctx context.Context) (*check.Report, error) {
		calls++
		clk.add(3 * time.Second)
		return rep, nil
	}
	e, err := NewExporter([]Target{{Dir: "/data", Read: r.read, Verify: verify}}, Options{Now: clk.now, MinInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	mfs := gather(t, e)
	absent(t, mfs, NextStartSucceeds, nil)
	mustValue(t, mfs, ManifestIncrFiles, nil, 3)

	verifyOnce(t, e)
	mfs = gather(t, e)
	mustValue(t, mfs, NextStartSucceeds, map[string]string{"mode": "aof-on", "judged": "true"}, 0)
	mustValue(t, mfs, NextStartSucceeds, map[string]string{"mode": "aof-off", "judged": "false"}, 1)
	mustValue(t, mfs, NextStartLosesData, map[string]string{"mode": "aof-on"}, 0)
	mustValue(t, mfs, NextStartLosesData, map[string]string{"mode": "aof-off"}, 1)
	mustValue(t, mfs, VerificationSuccess, nil, 1)
	mustValue(t, mfs, VerificationDuration, nil, 3)
	mustValue(t, mfs, VerificationFindings, map[string]string{"severity": "warning"}, 1)
	if calls != 1 {
		t.Errorf("verified %d times in one period", calls)
	}
}

// verifyOnce runs one round of verifications and waits for its result.
func verifyOnce(t *testing.T, e *Exporter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.RunVerifications(ctx, time.Hour); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, tg := range e.targets {
			tg.vmu.Lock()
			v := tg.verification
			tg.vmu.Unlock()
			if v != nil {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no verification within 5s")
}

// Every metric follows the Prometheus naming conventions promlint checks,
// and every definition is exported by some state of the exporter.
func TestMetricsLint(t *testing.T) {
	clk := &clock{t: t0}
	r := &reads{clk: clk, snaps: func(now time.Time, n int) (*snapshot.Snapshot, error) {
		// A transfer growing between reads, and the file of an aborted
		// earlier sync, older than dump.rdb.
		d := transferDir(now, int64(n)*10_000_000, now)
		return (&dir{d}).file("temp-1796000000.4000.rdb", 1000, t0.Add(-2*time.Hour)).s, nil
	}}
	rep := &check.Report{Findings: finding.List{}, Start: check.Start{Judged: check.Judged{Mode: check.AOFOn},
		AOFOn: check.Outcome{Starts: true}, AOFOff: check.Outcome{Starts: true}}}
	e, err := NewExporter([]Target{{Dir: "/data", Read: r.read, Verify: func(context.Context) (*check.Report, error) { return rep, nil }}},
		Options{Now: clk.now, MinInterval: time.Second, Instance: "redis-0", Version: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	verifyOnce(t, e)
	gather(t, e)
	clk.add(2 * time.Second)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	mfs := gather(t, e)
	for _, d := range Definitions() {
		if _, ok := mfs[d.Name]; !ok {
			t.Errorf("%s is defined but not exported", d.Name)
		}
	}
}

// The textfile of phase --prometheus holds the metrics of a reading under
// the names serve uses, and nothing that only serve can know.
func TestTextUsesTheSharedNames(t *testing.T) {
	prev := transferDir(t0, 10_000_000, t0)
	cur := (&dir{transferDir(t0.Add(10*time.Second), 30_000_000, t0.Add(10*time.Second))}).
		file("temp-1796000000.4000.rdb", 1000, t0.Add(-2*time.Hour)).s
	res := phase.Classify([]*snapshot.Snapshot{prev, cur}, phase.Options{})
	b, err := Text("/data", Reading{Result: res, Snapshot: cur})
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.New(bytes.NewReader(b)).Lint()
	if err != nil {
		t.Fatalf("the textfile does not parse: %v", err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	for _, d := range Definitions() {
		has := bytes.Contains(b, []byte("\n"+d.Name+"{"))
		if want := d.Source == sourceBoth; has != want {
			t.Errorf("%s in the textfile: %v, want %v", d.Name, has, want)
		}
	}
	if !bytes.Contains(b, []byte(`aoftool_phase{dir="/data",phase="sync-transfer"} 1`)) {
		t.Errorf("textfile lacks the phase gauge:\n%s", b)
	}
}
