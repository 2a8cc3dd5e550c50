package phase_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aoftool/aoftool/phase"
	"github.com/aoftool/aoftool/snapshot"
)

// Real ls listings of every step of a replica rebuild (made by
// TestRealRedisScenarios with AOFTOOL_WRITE_LISTINGS, see writeListing)
// classify as that step, with minute timestamps and rounded sizes (ls -lh)
// as with --full-time.
func TestListingsOfARebuild(t *testing.T) {
	want := map[string]struct {
		phase phase.Phase
		step  int
	}{
		"1-transfer":  {phase.SyncTransfer, 1},
		"2-loading":   {phase.SyncLoading, 2},
		"3-rewrite":   {phase.AOFRewrite, 3},
		"4-finishing": {phase.AOFRewriteFinishing, 4},
		"5-done":      {phase.Steady, 0},
	}
	files, _ := filepath.Glob("testdata/listings/replica-rebuild-*.txt")
	if len(files) != 20 {
		t.Fatalf("%d listings, want 20 (2 rebuilds x 5 moments x 2 formats)", len(files))
	}
	for _, p := range files {
		name := filepath.Base(p)
		step := strings.SplitN(strings.SplitN(name, "_", 2)[1], ".", 2)[0]
		w, ok := want[step]
		if !ok {
			t.Fatalf("%s: unknown step %q", name, step)
		}
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s, _ := snapshot.FromListing(f, snapshot.ListingOptions{Year: 2026})
			r := phase.Classify([]*snapshot.Snapshot{s}, phase.Options{})
			if r.Phase != w.phase || r.StepNumber != w.step {
				t.Errorf("%s step %d (rule %s, %s), want %s step %d; evidence %+v", r.Phase, r.StepNumber, r.Rule, r.Confidence, w.phase, w.step, r.Evidence)
			}
		})
	}
}

// A listing of the data dir alone hides the AOF: the answer says so.
func TestListingWithoutTheAOFDir(t *testing.T) {
	listing := `$ ls -l /data
total 104
drwxr-xr-x 2 redis redis   4096 Nov 27 17:24 appendonlydir
-rw-r--r-- 1 redis redis 100458 Nov 27 17:24 dump.rdb
`
	s, _ := snapshot.FromListing(strings.NewReader(listing), snapshot.ListingOptions{Year: 2026})
	r := phase.Classify([]*snapshot.Snapshot{s}, phase.Options{})
	if r.Phase != phase.Steady || r.Confidence == phase.High || !strings.Contains(strings.Join(r.Next, " "), "DIR/appendonlydir") {
		t.Errorf("%s/%s next %v", r.Phase, r.Confidence, r.Next)
	}
}

// Real listings of every step of a rebuild started by REPLICAOF on a
// running server (made by TestRealRedisScenarios with
// AOFTOOL_WRITE_LISTINGS, see writeListings): ls -l, ls -lh and ls -la
// --full-time, each of the data dir with its AOF directory and of the data
// dir alone, classify as that step. The data dir alone hides the AOF
// files, but not the times of the directories: a dump.rdb renamed after
// the AOF directory's last change is still the load.
func TestListingsOfEveryStep(t *testing.T) {
	want := map[string]struct {
		phase phase.Phase
		step  int
	}{
		"0-before":    {phase.Steady, 0},
		"1-transfer":  {phase.SyncTransfer, 1},
		"2-loading":   {phase.SyncLoading, 2},
		"3-rewrite":   {phase.AOFRewrite, 3},
		"4-finishing": {phase.AOFRewriteFinishing, 4},
		"5-done":      {phase.Steady, 0},
	}
	files, _ := filepath.Glob("testdata/listings/replicaof_*.txt")
	if len(files) != len(want)*6 {
		t.Fatalf("%d listings, want %d (6 moments x 3 formats x with and without the AOF directory)", len(files), len(want)*6)
	}
	for _, p := range files {
		name := filepath.Base(p)
		step := strings.SplitN(strings.TrimPrefix(name, "replicaof_"), ".", 2)[0]
		w, ok := want[step]
		if !ok {
			t.Fatalf("%s: unknown step %q", name, step)
		}
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s, _ := snapshot.FromListing(f, snapshot.ListingOptions{Year: 2026})
			r := phase.Classify([]*snapshot.Snapshot{s}, phase.Options{})
			if r.Phase != w.phase || r.StepNumber != w.step {
				t.Errorf("%s step %d (rule %s, %s), want %s step %d; evidence %+v", r.Phase, r.StepNumber, r.Rule, r.Confidence, w.phase, w.step, r.Evidence)
			}
			if strings.Contains(name, ".dir-only.") && r.Confidence == phase.High {
				t.Errorf("the AOF files are not listed, yet confidence high")
			}
			if strings.Contains(name, "la-full-time") && s.RootDir == nil {
				t.Errorf("ls -la lists the data dir's own line, yet no root dir time")
			}
			t.Logf("%s step %d, %s (rule %s)", r.Phase, r.StepNumber, r.Confidence, r.Rule)
		})
	}
}

// Two listings pasted with the same times (ls -l shows minutes) do not
// measure a span of 0 s: the evidence and the advice say the times are
// the same, never "single snapshot" nor "paste a second listing"; a file
// that appears between two listings is new, not unobserved.
func TestTwoListingsWithTheSameTimes(t *testing.T) {
	read := func(name string) *snapshot.Snapshot {
		f, err := os.Open(filepath.Join("testdata", "listings", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		s, _ := snapshot.FromListing(f, snapshot.ListingOptions{Year: 2026})
		return s
	}
	same := phase.Classify([]*snapshot.Snapshot{read("replica-rebuild-disk_1-transfer.lh.txt"), read("replica-rebuild-disk_1-transfer.lh.txt")}, phase.Options{})
	text := func(r *phase.Result) string {
		var b strings.Builder
		for _, e := range r.Evidence {
			b.WriteString(e.Fact + "\n")
		}
		return b.String() + strings.Join(r.Next, "\n")
	}
	got := text(same)
	for _, bad := range []string{"single snapshot", "over 0.0s", "paste a second listing"} {
		if strings.Contains(got, bad) {
			t.Errorf("two listings with the same times say %q:\n%s", bad, got)
		}
	}
	if !strings.Contains(got, "the listings show the same times") {
		t.Errorf("the advice does not say the listings show the same times:\n%s", got)
	}
	later := phase.Classify([]*snapshot.Snapshot{read("replica-rebuild-disk_1-transfer.lh.txt"), read("replica-rebuild-disk_3-rewrite.lh.txt")}, phase.Options{})
	if got := text(later); strings.Contains(got, "single snapshot") || !strings.Contains(got, "new since the earlier snapshot") {
		t.Errorf("a rewrite file new in the second listing:\n%s", got)
	}
}
