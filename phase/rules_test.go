package phase

import (
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/snapshot"
)

var t0 = time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)

// dir builds a synthetic snapshot, as Capture would record it.
type dir struct{ s *snapshot.Snapshot }

func newDir(at time.Time) *dir {
	return &dir{s: &snapshot.Snapshot{Schema: 1, TakenAt: at, Root: "/data", Source: snapshot.SourceDir,
		DBFilename: "dump.rdb", AppendDirName: "appendonlydir", AppendFilename: "appendonly.aof"}}
}

// file adds a regular file; mtime is seconds after t0.
func (d *dir) file(p string, size int64, mtime float64) *dir {
	dname, name := path.Split(p)
	dname = path.Clean("/" + dname)[1:]
	info := snapshot.DecodeName(name, false, dname == "", snapshot.DefaultNames())
	e := snapshot.Entry{Path: p, Dir: dname, Name: name, Type: snapshot.TypeFile,
		Size: size, SizeExact: true, SizeMin: size, SizeMax: size, Mode: "-rw-r--r--",
		MTime: t0.Add(time.Duration(mtime * float64(time.Second))), Kind: info.Kind, NamePID: info.PID,
		NameTime: info.Time, NameSeq: info.Seq, AppendFilename: info.AppendFilename,
		Known: snapshot.Known{Size: true, CTime: true, Content: true}}
	d.s.Entries = append(d.s.Entries, e)
	slices.SortFunc(d.s.Entries, func(a, b snapshot.Entry) int {
		if a.Path < b.Path {
			return -1
		}
		if a.Path > b.Path {
			return 1
		}
		return 0
	})
	return d
}

// aof adds a multi-part set with a parsed manifest: base seq b (bytes),
// incr seqs with their sizes, all written at mtime.
func (d *dir) aof(b int64, baseBytes int64, mtime float64, incrs ...int64) *dir {
	m := snapshot.Manifest{Path: "appendonlydir/appendonly.aof.manifest", AppendFilename: "appendonly.aof", Valid: true}
	base := fmt.Sprintf("appendonly.aof.%d.base.rdb", b)
	d.file("appendonlydir/"+base, baseBytes, mtime)
	m.Files = append(m.Files, snapshot.ManifestEntry{File: base, Seq: b, Type: "b", Exists: true})
	for i := 0; i+1 < len(incrs); i += 2 {
		n := fmt.Sprintf("appendonly.aof.%d.incr.aof", incrs[i])
		d.file("appendonlydir/"+n, incrs[i+1], mtime)
		m.Files = append(m.Files, snapshot.ManifestEntry{File: n, Seq: incrs[i], Type: "i", Exists: true})
	}
	d.file("appendonlydir/appendonly.aof.manifest", int64(44*len(m.Files)), mtime)
	d.s.Manifests = append(d.s.Manifests, m)
	for _, f := range m.Files {
		e := d.s.Entry("appendonlydir/" + f.File)
		e.ManifestRole, e.ManifestSeq = f.Type, f.Seq
	}
	return d
}

// subdir adds a directory entry (the AOF directory) at mtime, as a listing
// of the data dir alone shows it.
func (d *dir) subdir(p string, mtime float64) *dir {
	d.file(p, 4096, mtime)
	e := d.s.Entry(p)
	e.Type, e.Mode = snapshot.TypeDir, "drwxr-xr-x"
	e.Kind = snapshot.DecodeName(p, true, true, snapshot.DefaultNames()).Kind
	return d
}

// root sets the data dir's own mtime ("." of ls -a).
func (d *dir) root(mtime float64) *dir {
	d.s.RootDir = &snapshot.Entry{Path: ".", Name: ".", Type: snapshot.TypeDir, MTime: t0.Add(time.Duration(mtime * float64(time.Second)))}
	return d
}

// listed makes the snapshot a listing at minute or second resolution.
func (d *dir) listed(res int64) *dir {
	d.s.Source = snapshot.SourceListing
	for i := range d.s.Entries {
		e := &d.s.Entries[i]
		e.MTime = e.MTime.Truncate(time.Duration(res) * time.Second)
		e.MTimeResolution = res
		e.Known = snapshot.Known{Size: true}
	}
	if r := d.s.RootDir; r != nil {
		r.MTime = r.MTime.Truncate(time.Duration(res) * time.Second)
		r.MTimeResolution = res
	}
	return d
}

func (d *dir) volume(free int64) *dir {
	d.s.Volume = &snapshot.Volume{FreeBytes: free, TotalBytes: 10 * free}
	return d
}

func (d *dir) repl(p, id string) *dir {
	d.s.Entry(p).RDB = &snapshot.RDBSummary{Magic: "REDIS", Version: 10, ReplID: id}
	return d
}

func classify(ds ...*dir) *Result {
	var snaps []*snapshot.Snapshot
	for _, d := range ds {
		snaps = append(snaps, d.s)
	}
	return Classify(snaps, Options{})
}

// ruleCase is one test of one rule: the snapshots and what must come out.
type ruleCase struct {
	snaps      []*dir
	opt        Options
	confidence Confidence
	step       int
	alts       []Phase
	findings   []finding.Code
	check      func(*testing.T, *Result)
}

const emptyBase, emptyAOF = 89, 0

// One case per rule of the table, named after the rule; every rule must
// have one.
var ruleCases = map[string]ruleCase{
	"server-stopped": {
		snaps: []*dir{newDir(t0.Add(8*24*time.Hour)).
			aof(1, emptyBase, 0, 1, emptyAOF).
			file("dump.rdb", 6977924, 10).repl("dump.rdb", "8d3a").
			file("appendonlydir/temp-appendonly.aof.incr", 1234, 39).
			file("temp-rewriteaof-15506.aof", 4<<20, 40)},
		opt:        Options{ServerStopped: true},
		confidence: High, findings: []finding.Code{finding.StaleRewriteTemp, finding.LeftoverTempIncr, finding.StaleAOFAfterSync},
		check: func(t *testing.T, r *Result) {
			w := r.Was
			if w == nil || w.Phase != AOFRewrite || w.StepNumber != 3 || w.PID != 15506 || w.Summary != "was: aof-rewrite, child 15506, replica rebuild step 3 of 4" {
				t.Errorf("was %+v, want the step-3 rewrite of child 15506", w)
			}
			if r.Progress != nil || len(r.Leftovers) != 2 {
				t.Fatalf("progress %+v, leftovers %+v", r.Progress, r.Leftovers)
			}
			for _, l := range r.Leftovers {
				switch l.Kind {
				case snapshot.KindRewriteTemp:
					if !l.SafeToDelete || !l.WasRunning || !strings.Contains(l.NextStart, "never loaded") {
						t.Errorf("rewrite leftover %+v", l)
					}
				case snapshot.KindTempIncr:
					if l.SafeToDelete || !strings.Contains(l.Caveat, "only copy") {
						t.Errorf("a temp incr holding writes is said safe to delete: %+v", l)
					}
				}
			}
			if r.Findings.Has(finding.PhaseCopyFrozen) {
				t.Errorf("--server-stopped given, yet the copy-looks-frozen hint: %v", r.Findings)
			}
		},
	},
	"rewrite-bg-file": {
		snaps: []*dir{newDir(t0.Add(60*time.Second)).
			aof(1, emptyBase, 0, 1, emptyAOF).
			file("dump.rdb", 6977924, 10).repl("dump.rdb", "8d3a").
			file("appendonlydir/temp-appendonly.aof.incr", 0, 12).
			file("temp-rewriteaof-bg-578.aof", 6977840, 40)},
		confidence: High, step: 4, findings: []finding.Code{finding.StaleAOFAfterSync},
	},
	"rewrite-file": {
		snaps: []*dir{
			newDir(t0.Add(20*time.Second)).aof(3, 5<<20, 0, 3, 100, 4, 10).file("temp-rewriteaof-578.aof", 1<<20, 19.5),
			newDir(t0.Add(22*time.Second)).aof(3, 5<<20, 0, 3, 100, 4, 400).file("temp-rewriteaof-578.aof", 2<<20, 21.9),
		},
		confidence: High,
		check: func(t *testing.T, r *Result) {
			p := r.Progress
			if p == nil || p.ExpectedBytes != 5<<20 || p.RateBytesPerS != 1<<19 || p.ETAS == nil || *p.ETAS != 6 {
				t.Errorf("progress %+v, want 2 MiB of 5 MiB at 512 KiB/s, ETA 6 s", p)
			}
		},
	},
	"transfer-file": {
		snaps: []*dir{newDir(t0.Add(5*time.Second)).aof(1, emptyBase, 0, 1, emptyAOF).
			file("temp-1795799000.25547.rdb", 0, 0.01)},
		confidence: Medium, step: 1, alts: []Phase{Steady},
		check: func(t *testing.T, r *Result) {
			if r.Progress != nil {
				t.Errorf("no estimate exists after a wipe, yet progress %+v", r.Progress)
			}
		},
	},
	"bgsave-file": {
		snaps: []*dir{
			newDir(t0.Add(100*time.Second)).file("dump.rdb", 1000000, 0).file("temp-4242.rdb", 100000, 99.9),
			newDir(t0.Add(101*time.Second)).file("dump.rdb", 1000000, 0).file("temp-4242.rdb", 300000, 100.9),
		},
		confidence: High,
		check: func(t *testing.T, r *Result) {
			if p := r.Progress; p == nil || p.ExpectedBytes != 1000000 || p.ETAS == nil || *p.ETAS != 3 {
				t.Errorf("progress %+v, want 300000 of 1000000 at 200000/s", p)
			}
		},
	},
	"temp-incr-without-rewrite": {
		snaps: []*dir{newDir(t0.Add(30*time.Second)).aof(1, emptyBase, 0, 1, emptyAOF).
			file("dump.rdb", 100458, 20).file("appendonlydir/temp-appendonly.aof.incr", 0, 25)},
		confidence: Low, step: 3, alts: []Phase{Steady},
	},
	"fresh-dump-empty-aof": {
		snaps:      []*dir{newDir(t0.Add(30*time.Second)).aof(1, emptyBase, 0, 1, emptyAOF).file("dump.rdb", 100458, 20).repl("dump.rdb", "8d3a")},
		confidence: High, step: 2, alts: []Phase{Steady}, findings: []finding.Code{finding.StaleAOFAfterSync},
	},
	"dump-newer-than-aof-dir": {
		snaps:      []*dir{newDir(t0).subdir("appendonlydir", 0).file("dump.rdb", 100458, 70).root(70.05).listed(60)},
		confidence: Medium, step: 2, alts: []Phase{Steady},
	},
	"no-live-job": {
		snaps: []*dir{newDir(t0.Add(30*time.Second)).file("dump.rdb", 100458, 1).aof(2, 100375, 5, 2, 0).
			file("temp-1795799000.25547.rdb", 16342, 0.5)},
		confidence: High, findings: []finding.Code{finding.StaleTransferFile},
		check: func(t *testing.T, r *Result) {
			if len(r.Leftovers) != 1 || !r.Leftovers[0].SafeToDelete || r.Leftovers[0].PID != 25547 || r.Leftovers[0].StartedAt == nil {
				t.Errorf("leftovers %+v", r.Leftovers)
			}
		},
	},
}

func TestEveryRuleHasACase(t *testing.T) {
	for _, r := range Rules() {
		if _, ok := ruleCases[r.Name]; !ok {
			t.Errorf("rule %s has no case in ruleCases", r.Name)
		}
	}
}

func TestRules(t *testing.T) {
	for _, rule := range Rules() {
		c, ok := ruleCases[rule.Name]
		if !ok {
			continue
		}
		t.Run(rule.Name, func(t *testing.T) {
			var snaps []*snapshot.Snapshot
			for _, d := range c.snaps {
				snaps = append(snaps, d.s)
			}
			r := Classify(snaps, c.opt)
			if r.Rule != rule.Name || r.Phase != rule.Phase {
				t.Fatalf("rule %s phase %s, want rule %s phase %s; evidence %+v", r.Rule, r.Phase, rule.Name, rule.Phase, r.Evidence)
			}
			if r.Confidence != c.confidence {
				t.Errorf("confidence %s, want %s", r.Confidence, c.confidence)
			}
			if r.StepNumber != c.step {
				t.Errorf("step %d, want %d", r.StepNumber, c.step)
			}
			if !slices.Equal(r.Alternatives, c.alts) && !(len(r.Alternatives) == 0 && len(c.alts) == 0) {
				t.Errorf("alternatives %v, want %v", r.Alternatives, c.alts)
			}
			for _, code := range c.findings {
				if !r.Findings.Has(code) {
					t.Errorf("finding %s missing: %v", code, r.Findings)
				}
			}
			if len(r.Evidence) == 0 || r.Summary == "" {
				t.Errorf("no evidence or summary: %+v", r)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

// jobKinds are the temp files of jobs a steady directory never holds alive.
var jobKinds = []string{"temp-%d.rdb", "temp-17957990%02d.%d.rdb", "temp-rewriteaof-%d.aof", "temp-rewriteaof-bg-%d.aof", "appendonlydir/temp-appendonly.aof.incr"}

// randomDir builds a random directory at time at, with random AOF, dump and
// temp files; grow makes every temp file bigger than in prev.
func randomDir(rng *rand.Rand, at time.Time, prev *dir, grow bool) *dir {
	d := newDir(at)
	now := at.Sub(t0).Seconds()
	if prev == nil {
		if rng.IntN(3) > 0 {
			d.aof(int64(1+rng.IntN(3)), int64(rng.IntN(3))*int64(rng.IntN(1<<20))+89, now-rng.Float64()*100, 1, int64(rng.IntN(1000)), 2, int64(rng.IntN(2))*100)
		}
		if rng.IntN(2) == 0 {
			d.file("dump.rdb", int64(rng.IntN(1<<22)), now-rng.Float64()*100)
		}
		if rng.IntN(4) == 0 {
			d.file("appendonly.aof", int64(rng.IntN(1<<20)), now-rng.Float64()*100)
		}
		for i := rng.IntN(4); i > 0; i-- {
			k := jobKinds[rng.IntN(len(jobKinds))]
			var name string
			switch k {
			case jobKinds[1]:
				name = fmt.Sprintf(k, rng.IntN(99), 100+rng.IntN(9000))
			case jobKinds[4]:
				name = k
			default:
				name = fmt.Sprintf(k, 100+rng.IntN(9000))
			}
			if d.s.Entry(name) == nil {
				d.file(name, int64(rng.IntN(3))*int64(rng.IntN(1<<20)), now-rng.Float64()*rng.Float64()*100)
			}
		}
		return d
	}
	for _, e := range prev.s.Entries {
		size := e.Size
		mt := e.MTime.Sub(t0).Seconds()
		if grow && e.Kind.IsTemp() {
			size += 1 + int64(rng.IntN(1<<20))
			mt = now - rng.Float64()*0.1
		}
		d.file(e.Path, size, mt)
		if e.ManifestRole != "" {
			n := d.s.Entry(e.Path)
			n.ManifestRole, n.ManifestSeq = e.ManifestRole, e.ManifestSeq
		}
	}
	d.s.Manifests = prev.s.Manifests
	return d
}

// No rule may answer steady while a temp file of a live job is present:
// neither one the classifier itself judged alive nor one that visibly grew
// between two snapshots.
func TestNeverSteadyWithALiveTempFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	steadyRules := 0
	for _, r := range Rules() {
		if r.Phase == Steady {
			steadyRules++
		}
	}
	if steadyRules == 0 {
		t.Fatal("no steady rule in the table")
	}
	var withLive, steady, grown int
	for i := range 20000 {
		at := t0.Add(time.Duration(100+rng.IntN(1000)) * time.Second)
		a := randomDir(rng, at, nil, false)
		series := []*dir{a}
		grew := false
		if rng.IntN(2) == 0 {
			grew = rng.IntN(2) == 0
			series = append(series, randomDir(rng, at.Add(time.Duration(1+rng.IntN(5))*time.Second), a, grew))
		}
		var snaps []*snapshot.Snapshot
		for _, d := range series {
			snaps = append(snaps, d.s)
		}
		f := newFacts(snaps, Options{})
		liveJob := alive(f.jobs) != nil
		for _, rule := range Rules() {
			if rule.Phase != Steady {
				continue
			}
			if _, ok := rule.Match(f); ok && liveJob {
				t.Fatalf("case %d: rule %s answers steady with a live job file: %+v", i, rule.Name, f.jobs[0].e)
			}
		}
		r := Classify(snaps, Options{})
		hasJob := false
		for _, e := range series[len(series)-1].s.Entries {
			hasJob = hasJob || (e.Kind.IsTemp() && e.Kind != snapshot.KindTempManifest && e.Kind != snapshot.KindNodesConfTemp)
		}
		if r.Phase == Steady && (liveJob || (grew && hasJob)) {
			t.Fatalf("case %d: steady with a live job file; rule %s evidence %+v", i, r.Rule, r.Evidence)
		}
		if liveJob {
			withLive++
		}
		if grew && hasJob {
			grown++
		}
		if r.Phase == Steady {
			steady++
		}
		if r.Rule == "none" {
			t.Fatalf("case %d: no rule matched", i)
		}
	}
	t.Logf("20000 directories: %d with a live job file, %d with files that grew, %d steady", withLive, grown, steady)
	if withLive < 2000 || grown < 1000 || steady < 2000 {
		t.Errorf("the generator covers too little: %d live, %d grown, %d steady", withLive, grown, steady)
	}
}

func TestLegacyLayouts(t *testing.T) {
	// Redis <= 6.2: the finished rewrite is renamed over appendonly.aof.
	r := classify(newDir(t0.Add(10*time.Second)).file("appendonly.aof", 5000, 9.9).file("temp-rewriteaof-bg-77.aof", 4000, 9.95))
	if r.Phase != AOFRewriteFinishing {
		t.Errorf("legacy finishing: %s (%s)", r.Phase, r.Rule)
	}
	// The single file keeps growing with appends while the child writes.
	r = classify(
		newDir(t0.Add(10*time.Second)).file("appendonly.aof", 5000, 9.9).file("temp-rewriteaof-77.aof", 4096, 9.95),
		newDir(t0.Add(11*time.Second)).file("appendonly.aof", 5100, 10.9).file("temp-rewriteaof-77.aof", 8192, 10.95))
	if r.Phase != AOFRewrite || r.Confidence != High {
		t.Errorf("legacy rewrite: %s/%s (%s)", r.Phase, r.Confidence, r.Rule)
	}
	// A Redis <= 6.2 replica rebuilding its single AOF after a full sync.
	r = classify(newDir(t0.Add(100*time.Second)).file("appendonly.aof", 300, 1).file("dump.rdb", 1<<20, 50).file("temp-rewriteaof-88.aof", 4096, 99.9))
	if r.Phase != AOFRewrite || r.StepNumber != 3 {
		t.Errorf("legacy rebuild rewrite: %s step %d", r.Phase, r.StepNumber)
	}
	r = classify(newDir(t0.Add(100*time.Second)).file("appendonly.aof", 300, 1).file("dump.rdb", 1<<20, 50).file("temp-rewriteaof-bg-88.aof", 1<<20, 99.9))
	if r.Phase != AOFRewriteFinishing || r.StepNumber != 4 {
		t.Errorf("legacy rebuild install: %s step %d", r.Phase, r.StepNumber)
	}
	// AOF off, no appendonlydir at all.
	r = classify(newDir(t0.Add(10*time.Second)).file("dump.rdb", 5000, 1).file("temp-99.rdb", 4096, 9.9))
	if r.Phase != BGSave {
		t.Errorf("AOF off bgsave: %s", r.Phase)
	}
	r = classify(newDir(t0.Add(10*time.Second)).file("dump.rdb", 5000, 1))
	if r.Phase != Steady || r.Confidence != High {
		t.Errorf("AOF off steady: %s/%s", r.Phase, r.Confidence)
	}
	r = classify(newDir(t0.Add(10 * time.Second)))
	if r.Phase != Steady {
		t.Errorf("empty dir: %s", r.Phase)
	}
	if r := Classify(nil, Options{}); r.Phase != Steady || r.Schema != 1 {
		t.Errorf("no snapshot: %+v", r)
	}
}

func TestLeftoversAndRisks(t *testing.T) {
	cases := []struct {
		name  string
		d     *dir
		phase Phase
		want  []finding.Code
	}{
		{"full-sync loop", newDir(t0.Add(100*time.Second)).aof(1, emptyBase, 0, 1, 0).
			file("temp-1795799001.100.rdb", 5000, 2).file("temp-1795799010.101.rdb", 7000, 11).file("temp-1795799020.102.rdb", 100, 99),
			SyncTransfer, []finding.Code{finding.StaleTransferFile, finding.FullSyncLoop}},
		{"dump ignored while AOF on", newDir(t0.Add(100*time.Second)).file("dump.rdb", 50<<20, 1).aof(1, emptyBase, 50, 1, 0),
			Steady, []finding.Code{finding.DumpIgnoredAOFOn}},
		{"second child supersedes", newDir(t0.Add(100*time.Second)).aof(2, 1<<20, 0, 2, 0, 3, 10).file("temp-100.rdb", 4096, 10).file("temp-rewriteaof-200.aof", 8192, 99.9),
			AOFRewrite, []finding.Code{finding.StaleBgsaveTemp}},
		{"orphan rewrite-bg older than the base", newDir(t0.Add(100*time.Second)).aof(3, 1<<20, 50, 3, 0).file("temp-rewriteaof-bg-7.aof", 1<<20, 10),
			Steady, []finding.Code{finding.OrphanRewriteBg}},
		{"temp incr left by a crash", newDir(t0.Add(100*time.Second)).aof(2, 1<<20, 50, 2, 300).file("appendonlydir/temp-appendonly.aof.incr", 0, 10),
			Steady, []finding.Code{finding.LeftoverTempIncr}},
		{"temp manifest", newDir(t0.Add(100*time.Second)).aof(2, 1<<20, 50, 2, 300).file("appendonlydir/temp-appendonly.aof.manifest", 88, 10),
			Steady, []finding.Code{finding.LeftoverTempMan}},
		{"extra incr files", newDir(t0.Add(100*time.Second)).aof(2, 1<<20, 50, 2, 300, 3, 0, 4, 10),
			Steady, []finding.Code{finding.ManifestMultipleIncr}},
		{"outer appendonly.aof", newDir(t0.Add(100*time.Second)).aof(2, 1<<20, 50, 2, 300).file("appendonly.aof", 5000, 1),
			Steady, []finding.Code{finding.ManifestLegacyIgnored}},
		{"not enough space for the rewrite", newDir(t0.Add(100*time.Second)).aof(2, 10<<30, 50, 2, 300, 3, 10).file("temp-rewriteaof-9.aof", 1<<30, 99.9).volume(1 << 30),
			AOFRewrite, []finding.Code{finding.TempFilesFreeSpace}},
		{"leftovers fill the volume", newDir(t0.Add(100*time.Second)).aof(2, 5<<30, 50, 2, 300).file("temp-1795799001.100.rdb", 5<<30, 2).file("dump.rdb", 6<<30, 40).volume(1 << 30),
			Steady, []finding.Code{finding.TempFilesFreeSpace}},
		{"old temp file beside a fresh one", newDir(t0.Add(10*time.Hour)).file("temp-77.rdb", 4096, 1).file("temp-1795798700.50.rdb", 0, 36000-1),
			SyncTransfer, []finding.Code{finding.PhaseTempOld}},
		{"a copy nothing changed in for hours", newDir(t0.Add(10*time.Hour)).file("temp-77.rdb", 4096, 1),
			BGSave, []finding.Code{finding.PhaseCopyFrozen}},
		{"base far smaller than the sync payload it was rebuilt from", newDir(t0.Add(100*time.Second)).file("dump.rdb", 10<<20, 10).repl("dump.rdb", "8f2c").aof(2, 1<<20, 50, 2, 0),
			Steady, []finding.Code{finding.BaseDumpMismatch}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := classify(c.d)
			if r.Phase != c.phase {
				t.Errorf("phase %s (%s), want %s; evidence %+v", r.Phase, r.Rule, c.phase, r.Evidence)
			}
			for _, code := range c.want {
				if !r.Findings.Has(code) {
					t.Errorf("finding %s missing: %v", code, r.Findings)
				}
			}
			for _, f := range r.Findings {
				if f.Message == "" || (f.Code != finding.PhaseTempOld && f.Hint == "") {
					t.Errorf("finding without message or hint: %+v", f)
				}
			}
		})
	}
}

// A base rebuilt from a sync payload ends within the replication aux fields
// of the payload's size: no mismatch is reported then.
func TestBaseMatchingItsDumpIsNotAMismatch(t *testing.T) {
	d := newDir(t0.Add(100*time.Second)).file("dump.rdb", 10<<20, 10).repl("dump.rdb", "8f2c").aof(2, 10<<20-83, 50, 2, 0)
	if r := classify(d); r.Findings.Has(finding.BaseDumpMismatch) {
		t.Fatalf("base of the dump's size reported as a mismatch: %v", r.Findings)
	}
}

// Between two snapshots a transfer file became dump.rdb: the change is
// evidence, the phase is what runs now.
func TestChangesBetweenSnapshotsAreEvidence(t *testing.T) {
	a := newDir(t0.Add(30*time.Second)).aof(1, emptyBase, 0, 1, emptyAOF).file("temp-1795799000.25547.rdb", 50000, 29.9)
	b := newDir(t0.Add(32*time.Second)).aof(1, emptyBase, 0, 1, emptyAOF).file("dump.rdb", 100458, 30.5)
	r := classify(a, b)
	if r.Phase != SyncLoading || r.StepNumber != 2 {
		t.Fatalf("%s step %d", r.Phase, r.StepNumber)
	}
	found := false
	for _, e := range r.Evidence {
		found = found || (e.Path == "dump.rdb" && strings.Contains(e.Fact, "between snapshots"))
	}
	if !found {
		t.Errorf("no change evidence: %+v", r.Evidence)
	}
}

// A BGREWRITEAOF with AOF on opens one more incr: two incr files are
// normal while the rewrite runs.
// A fresh start set is also the first moments of a rebuild with a diskless
// master or a diskless load: steady, but not with high confidence.
func TestFreshStartSet(t *testing.T) {
	r := classify(newDir(t0.Add(10*time.Second)).aof(1, 89, 9, 1, 0))
	if r.Phase != Steady || r.Confidence != Medium || !slices.Contains(r.Alternatives, SyncTransfer) {
		t.Errorf("%s/%s %v", r.Phase, r.Confidence, r.Alternatives)
	}
	r = classify(newDir(t0.Add(time.Hour)).aof(1, 89, 9, 1, 0))
	if r.Phase != Steady || r.Confidence != High {
		t.Errorf("an hour later: %s/%s %v", r.Phase, r.Confidence, r.Alternatives)
	}
}

func TestTwoIncrsDuringARewriteAreNormal(t *testing.T) {
	r := classify(newDir(t0.Add(100*time.Second)).aof(1, 89, 50, 1, 64, 2, 64).file("temp-rewriteaof-9.aof", 8192, 99.9))
	if r.Phase != AOFRewrite || r.Findings.Has(finding.ManifestMultipleIncr) {
		t.Errorf("%s %v", r.Phase, r.Findings)
	}
}

func TestClassifyIsDeterministic(t *testing.T) {
	c := ruleCases["rewrite-bg-file"]
	a := fmt.Sprintf("%+v", classify(c.snaps...))
	for range 20 {
		if b := fmt.Sprintf("%+v", classify(c.snaps...)); a != b {
			t.Fatalf("differs:\n%s\n%s", a, b)
		}
	}
}

// A crashed server's rewrite file beside the transfer file of the server
// that replaced it: the transfer names the new server's pid, and the child
// pid below it belongs to an earlier server; the rewrite file also stopped
// changing before that sync began. The transfer runs; the rewrite file is
// a leftover. When the child's file is written after the sync began, the
// lower pid is a wrap and the child runs beside the transfer.
func TestPidsInNamesTellServersApart(t *testing.T) {
	// 1795798800 is t0 on the replica's clock.
	crashed := newDir(t0.Add(100*time.Second)).aof(1, 5<<20, 0, 1, 300, 2, 40).
		file("temp-rewriteaof-15506.aof", 3<<20, 30).
		file("temp-1795798880.15899.rdb", 0, 80)
	r := classify(crashed)
	if r.Phase != SyncTransfer || r.StepNumber != 1 {
		t.Fatalf("%s step %d (rule %s), want the transfer; evidence %+v", r.Phase, r.StepNumber, r.Rule, r.Evidence)
	}
	if len(r.Leftovers) != 1 || r.Leftovers[0].Kind != snapshot.KindRewriteTemp || !strings.Contains(r.Leftovers[0].Why, "below pid 15899") {
		t.Errorf("leftovers %+v, want the rewrite file set aside by its pid", r.Leftovers)
	}
	// The same names, the rewrite file still written after the sync began:
	// pids wrapped, the rewrite runs beside the transfer.
	wrapped := newDir(t0.Add(100*time.Second)).aof(1, 5<<20, 0, 1, 300, 2, 40).
		file("temp-rewriteaof-15506.aof", 3<<20, 99.9).
		file("temp-1795798880.15899.rdb", 0, 80)
	r = classify(wrapped)
	if r.Phase != AOFRewrite || !slices.Contains(r.Alternatives, SyncTransfer) || len(r.Leftovers) != 0 {
		t.Errorf("wrapped pids: %s %v leftovers %+v", r.Phase, r.Alternatives, r.Leftovers)
	}
	// A child of the replica itself (pid above its own) stays.
	own := newDir(t0.Add(100*time.Second)).aof(1, 5<<20, 0, 1, 300, 2, 40).
		file("temp-rewriteaof-15999.aof", 3<<20, 99.9).
		file("temp-1795798880.15899.rdb", 0, 80)
	if r = classify(own); r.Phase != AOFRewrite {
		t.Errorf("the replica's own rewrite child: %s", r.Phase)
	}
}

// On a copy every file is old against the wall clock; ages and the order
// of the files are read against the directory's own newest change.
func TestAgesOnACopyUseTheDirectorysClock(t *testing.T) {
	copyOf := newDir(t0.Add(8*24*time.Hour)).aof(2, 5<<20, 0, 2, 300, 3, 40).file("temp-rewriteaof-77.aof", 1<<20, 40.5)
	r := classify(copyOf)
	if r.Phase != AOFRewrite || r.Findings.Has(finding.PhaseTempOld) || !r.Findings.Has(finding.PhaseCopyFrozen) {
		t.Errorf("%s %v", r.Phase, r.Findings)
	}
	for _, f := range r.Findings {
		if strings.Contains(f.Message, "days") && f.Code != finding.PhaseCopyFrozen {
			t.Errorf("an age against the wall clock: %+v", f)
		}
	}
	// The rewrite file stopped seconds before the incr kept changing: set
	// aside by the lag, on the directory's own clock.
	lagging := newDir(t0.Add(8*24*time.Hour)).aof(2, 5<<20, 0, 2, 300, 3, 40).file("temp-rewriteaof-77.aof", 1<<20, 20)
	lagging.s.Entry("appendonlydir/appendonly.aof.3.incr.aof").MTime = t0.Add(40 * time.Second)
	if r = classify(lagging); r.Phase != Steady || len(r.Leftovers) != 1 || !strings.Contains(r.Leftovers[0].Why, "20s older") {
		t.Errorf("%s leftovers %+v", r.Phase, r.Leftovers)
	}
}

// With ServerStopped nothing runs, whatever the files: every temp file is
// a leftover with a verdict and what the next start does with it, and Was
// is what the same files say without the flag.
func TestServerStoppedLeavesNoJob(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 5000 {
		at := t0.Add(time.Duration(100+rng.IntN(1000)) * time.Second)
		d := randomDir(rng, at, nil, false)
		live := Classify([]*snapshot.Snapshot{d.s}, Options{})
		r := Classify([]*snapshot.Snapshot{d.s}, Options{ServerStopped: true})
		if r.Phase != Steady || r.Progress != nil || r.Rule != "server-stopped" {
			t.Fatalf("case %d: %s rule %s progress %+v", i, r.Phase, r.Rule, r.Progress)
		}
		temps := 0
		for _, e := range d.s.Entries {
			if e.Kind.IsTemp() {
				temps++
			}
		}
		if len(r.Leftovers) != temps {
			t.Fatalf("case %d: %d leftovers for %d temp files: %+v", i, len(r.Leftovers), temps, r.Leftovers)
		}
		for _, l := range r.Leftovers {
			if l.NextStart == "" || l.Why == "" || (!l.SafeToDelete && l.Caveat == "") {
				t.Fatalf("case %d: leftover without a verdict: %+v", i, l)
			}
		}
		switch {
		case live.Phase == Steady && r.Was != nil:
			t.Fatalf("case %d: nothing ran, yet was %+v", i, r.Was)
		case live.Phase != Steady && (r.Was == nil || r.Was.Phase != live.Phase || r.Was.StepNumber != live.StepNumber):
			t.Fatalf("case %d: was %+v, the live reading %s step %d", i, r.Was, live.Phase, live.StepNumber)
		}
	}
}

// Listings of the data dir alone (the AOF directory's contents not shown)
// still date the AOF directory and the data dir: a dump renamed after the
// AOF directory's last change, with nothing in the data dir since, is a
// load (or a rewrite not yet begun), not steady; a data dir changed after
// the dump is the end of a rebuild.
func TestListingOfTheDataDirAlone(t *testing.T) {
	cases := []struct {
		name  string
		d     *dir
		phase Phase
		step  int
	}{
		{"loading, minutes", newDir(t0).subdir("appendonlydir", 0).file("dump.rdb", 100458, 70).root(70.05).listed(60), SyncLoading, 2},
		{"loading, no dot", newDir(t0).subdir("appendonlydir", 0).file("dump.rdb", 100458, 70).listed(60), SyncLoading, 2},
		{"loading, full time", newDir(t0).subdir("appendonlydir", 0.1).file("dump.rdb", 100458, 6.2).root(6.25).listed(0), SyncLoading, 2},
		{"same minute", newDir(t0).subdir("appendonlydir", 5).file("dump.rdb", 100458, 40).root(40.05).listed(60), Steady, 0},
		{"rewrite came and went", newDir(t0).subdir("appendonlydir", 9).file("dump.rdb", 100458, 6.2).root(9.01).listed(0), Steady, 0},
		{"rewrite", newDir(t0).subdir("appendonlydir", 71).file("dump.rdb", 100458, 70).file("temp-rewriteaof-31534.aof", 12288, 72).root(71.1).listed(60), AOFRewrite, 3},
		{"install", newDir(t0).subdir("appendonlydir", 71).file("dump.rdb", 100458, 70).file("temp-rewriteaof-bg-31534.aof", 100375, 79).root(79.1).listed(60), AOFRewriteFinishing, 4},
		{"done", newDir(t0).subdir("appendonlydir", 80).file("dump.rdb", 100458, 70).root(80).listed(60), Steady, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := classify(c.d)
			if r.Phase != c.phase || r.StepNumber != c.step {
				t.Errorf("%s step %d (rule %s, %s), want %s step %d; evidence %+v", r.Phase, r.StepNumber, r.Rule, r.Confidence, c.phase, c.step, r.Evidence)
			}
			if r.Confidence == High {
				t.Errorf("the AOF files are not listed, yet confidence high")
			}
			if !strings.Contains(strings.Join(r.Next, " "), "DIR/appendonlydir") {
				t.Errorf("next %v does not ask for the AOF directory's listing", r.Next)
			}
		})
	}
}
