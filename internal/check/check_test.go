package check_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/aofinspect"
	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/check"
	"github.com/aoftool/aoftool/internal/datadir"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/phase"
)

var now = time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)

// copyFixture copies testdata/<name> and gives every file the same mtime.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", name), dst)
	fsguard.Touch(t, dst, now.Add(-time.Hour))
	return dst
}

func run(t *testing.T, dir string) *check.Report {
	t.Helper()
	return runWith(t, dir, datadir.DefaultConfig())
}

// runWith checks dir as a server with cfg would start on it.
func runWith(t *testing.T, dir string, cfg datadir.Config) *check.Report {
	t.Helper()
	g := fsguard.Record(t, dir)
	d, err := datadir.Open(dir, cfg, datadir.Options{Now: now, ServerStopped: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := check.Run(context.Background(), d, check.Options{})
	g.AssertUnchanged(t)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func count(l finding.List, c finding.Code) int {
	n := 0
	for _, f := range l {
		if f.Code == c {
			n++
		}
	}
	return n
}

func TestMissingDirIsAnError(t *testing.T) {
	_, err := datadir.Open(filepath.Join(t.TempDir(), "nope"), datadir.DefaultConfig(), datadir.Options{})
	if err == nil {
		t.Fatal("no error for a missing directory")
	}
}

func TestFixtures(t *testing.T) {
	cases := []struct {
		name  string
		keys  int64
		loads int
	}{
		// Keys as a real 7.0.15 started on a copy holds them (DBSIZE).
		{"redis7-empty", 0, 2},
		{"redis7-rewrite", 13, 2},
		{"redis7-history", 13, 2},
		{"redis7-multi-incr", 13, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, copyFixture(t, c.name))
			on := r.Start.AOFOn
			if !on.Starts || len(on.Loads) != c.loads || on.Keys == nil || *on.Keys != c.keys {
				t.Errorf("AOF on: %+v", on)
			}
			if r.Phase.Phase != phase.Steady || r.Findings.HasError() {
				t.Errorf("phase %s, findings %v", r.Phase.Phase, r.Findings)
			}
			if r.AOF == nil || r.AOF.Server.Verdict != aofinspect.Loads {
				t.Errorf("AOF set: %+v", r.AOF)
			}
			// The classifier and the manifest inspector both see extra
			// incr files; the report says it once.
			if n := count(r.Findings, finding.ManifestMultipleIncr); n > 1 {
				t.Errorf("manifest-multiple-incr reported %d times", n)
			}
			if r.Verdict == "" || !strings.HasPrefix(r.Verdict, "phase steady") {
				t.Errorf("verdict %q", r.Verdict)
			}
		})
	}
}

// A torn last incr: Redis cuts it in place and starts (aof-load-truncated
// yes); the report says what it cuts and what is lost.
func TestTornIncr(t *testing.T) {
	dir := copyFixture(t, "redis7-writes")
	p := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, fi.Size()-5); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir)
	on := r.Start.AOFOn
	if !on.Starts || len(on.Modifies) == 0 || !strings.Contains(on.Modifies[0], "cuts appendonlydir/appendonly.aof.1.incr.aof") {
		t.Errorf("AOF on: %+v", on)
	}
	if len(on.Loses) == 0 || !strings.Contains(strings.Join(on.Loses, ";"), "bytes of appendonlydir/appendonly.aof.1.incr.aof") {
		t.Errorf("loses %v", on.Loses)
	}
}

// A dump.rdb with a flipped byte: Redis refuses it with AOF off and
// ignores it with AOF on; a corrupt file is an error either way.
func TestCorruptDump(t *testing.T) {
	dir := copyFixture(t, "redis7-rewrite")
	b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.2.base.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	p := filepath.Join(dir, "dump.rdb")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The directory shows AOF on, which never reads the dump; the dump is
	// corrupt all the same, and the other start refuses it: an error.
	r := run(t, dir)
	if r.Start.AOFOff.Starts || r.Start.AOFOff.Result != check.Refuses || !strings.Contains(r.Start.AOFOff.Dataset, "refuses") {
		t.Errorf("AOF off: %+v", r.Start.AOFOff)
	}
	if r.Start.Judged.Mode != check.AOFOn || !r.Start.AOFOn.Starts || !r.Findings.HasError() || !r.Findings.Has(finding.RDBChecksumMismatch) {
		t.Errorf("judged %+v, AOF on %+v, findings %v", r.Start.Judged, r.Start.AOFOn, r.Findings)
	}
	// A server configured with appendonly no reads it and refuses.
	cfg := datadir.DefaultConfig()
	if err := cfg.Set("appendonly", []string{"no"}, datadir.OriginFlag); err != nil {
		t.Fatal(err)
	}
	r = runWith(t, dir, cfg)
	if r.Start.Judged.Mode != check.AOFOff || !r.Findings.HasError() || r.Start.AOFOff.Cause == nil || r.Start.AOFOff.Cause.Code != finding.RDBChecksumMismatch {
		t.Errorf("appendonly no: judged %+v, AOF off %+v, findings %v", r.Start.Judged, r.Start.AOFOff, r.Findings)
	}
}

// A leftover's partial content is information, not corruption: Redis never
// reads it, so it does not make check exit 1.
func TestLeftoverContentIsNotAnError(t *testing.T) {
	dir := copyFixture(t, "redis7-rewrite")
	b, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.2.base.rdb"))
	p := filepath.Join(dir, "temp-rewriteaof-77.aof")
	if err := os.WriteFile(p, b[:120], 0o644); err != nil {
		t.Fatal(err)
	}
	old := now.Add(-3 * time.Hour)
	os.Chtimes(p, old, old)
	r := run(t, dir)
	if r.Findings.HasError() || !r.Findings.Has(finding.StaleRewriteTemp) {
		t.Errorf("findings %v", r.Findings)
	}
	if len(r.Phase.Leftovers) != 1 || r.Phase.Phase != phase.Steady {
		t.Errorf("phase %s leftovers %+v", r.Phase.Phase, r.Phase.Leftovers)
	}
}

// AOF parts without a manifest: Redis starts empty and writes over them.
func TestPartsWithoutManifest(t *testing.T) {
	dir := copyFixture(t, "redis7-writes")
	if err := os.Remove(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir)
	on := r.Start.AOFOn
	acts := map[check.Action]string{}
	for _, c := range on.Changes {
		acts[c.Action] = c.Path
	}
	if !on.Starts || on.Keys == nil || *on.Keys != 0 || acts[check.Overwrites] != "appendonlydir/appendonly.aof.1.base.rdb" ||
		acts[check.AppendsTo] != "appendonlydir/appendonly.aof.1.incr.aof" || on.Then == nil {
		t.Errorf("AOF on: %+v", on)
	}
	if r.Start.Judged.Mode != check.AOFOn || !r.Findings.HasError() || !r.Findings.Has(finding.ManifestAbsentSetFound) || !r.Findings.Has(finding.StartLeavesTrap) {
		t.Errorf("judged %+v, findings %v", r.Start.Judged, r.Findings)
	}
}

// History incr files are not loaded, but a post-mortem still scans them: a
// torn one is reported, as a warning, since it cannot stop a start.
func TestUnloadedAOFsAreScanned(t *testing.T) {
	dir := copyFixture(t, "redis7-history")
	hist := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hist, b[:len(b)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir)
	var torn *aofinspect.Report
	for _, u := range r.UnloadedAOFs {
		if u.Path == "appendonlydir/appendonly.aof.1.incr.aof" {
			torn = u
		}
		for _, sf := range r.AOF.Files {
			if sf.Path == u.Path {
				t.Errorf("%s is both loaded and unloaded", u.Path)
			}
		}
	}
	if torn == nil || torn.TruncatedTail == nil {
		t.Fatalf("torn history incr not scanned: %+v", r.UnloadedAOFs)
	}
	if !r.Start.AOFOn.Starts || r.Findings.HasError() {
		t.Errorf("a torn history file must not stop the start or be an error: %v", r.Findings)
	}
	found := false
	for _, f := range r.Findings {
		if f.Path == "appendonlydir/appendonly.aof.1.incr.aof" && f.Code == finding.AOFTruncatedTail {
			found = f.Severity == finding.Warning && strings.Contains(f.Message, "does not load")
		}
	}
	if !found {
		t.Errorf("no warning about the torn history incr: %v", r.Findings)
	}
}

// When the manifest is refused nothing loads, and every part it lists is
// still scanned for whoever repairs the set.
func TestPartsOfARefusedSetAreScanned(t *testing.T) {
	dir := copyFixture(t, "redis7-writes")
	man := filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")
	b, _ := os.ReadFile(man)
	if err := os.WriteFile(man, b[:len(b)-1], 0o644); err != nil { // no final newline: refused
		t.Fatal(err)
	}
	r := run(t, dir)
	if r.Start.AOFOn.Starts || !r.Findings.HasError() {
		t.Fatalf("a manifest without its final newline must be refused: %+v", r.Start.AOFOn)
	}
	if len(r.UnloadedAOFs) != 1 || r.UnloadedAOFs[0].Commands == 0 {
		t.Fatalf("the refused set's incr was not scanned: %+v", r.UnloadedAOFs)
	}
}

// A MULTI without EXEC behind a torn command: the start cuts the torn
// command only, reverts the transaction, and the report names what it
// drops.
func TestOpenMultiIsItemised(t *testing.T) {
	dir := copyFixture(t, "redis7-writes")
	appendTo(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"),
		"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$5\r\nuser1\r\n$1\r\nb\r\n*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n*3\r\n$3\r\nSET\r\n$3\r\nab")
	on := run(t, dir).Start.AOFOn
	if !on.Starts || on.Keys == nil || *on.Keys != 12 {
		t.Fatalf("AOF on: %+v", on)
	}
	if on.Keyspace == nil || on.Keyspace.Lost == nil || on.Keyspace.Lost.Commands != 3 {
		t.Fatalf("lost: %+v", on.Keyspace)
	}
	loses := strings.Join(on.Loses, "\n")
	for _, want := range []string{"3 commands the start drops (3 in a MULTI without EXEC)", "SET user1", "INCR ctr"} {
		if !strings.Contains(loses, want) {
			t.Errorf("loses lack %q:\n%s", want, loses)
		}
	}
}

// A dump.rdb ignored with AOF on: the report counts its keys and those of
// them the AOF start does not hold, by name and database.
func TestIgnoredDumpKeysNotInAOF(t *testing.T) {
	dir := copyFixture(t, "redis7-writes")
	fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", "rdb", "types"), dir)
	// The AOF writes two of the dump's keys (one in db 5), and a db5:a in
	// db 0, which is another key.
	appendTo(t, filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"),
		"*3\r\n$3\r\nSET\r\n$9\r\nstr:short\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$5\r\ndb5:a\r\n$1\r\ny\r\n"+
			"*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*3\r\n$3\r\nSET\r\n$5\r\ndb5:a\r\n$1\r\nz\r\n")
	fsguard.Touch(t, dir, now.Add(-time.Hour))
	on := run(t, dir).Start.AOFOn
	var dump *check.Loss
	for i, l := range on.Losses {
		if l.Path == "dump.rdb" {
			dump = &on.Losses[i]
		}
	}
	if dump == nil || dump.Keys == nil || dump.Only == nil {
		t.Fatalf("no count of the dump's keys: %+v", on.Losses)
	}
	if *dump.Keys < 20 || *dump.Only != *dump.Keys-2 || dump.OnlyMaybe != 0 {
		t.Errorf("dump holds %d keys, %d of them not in the AOF (%d perhaps); want all but 2", *dump.Keys, *dump.Only, dump.OnlyMaybe)
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
