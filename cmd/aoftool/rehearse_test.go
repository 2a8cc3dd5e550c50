package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/finding"
	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/internal/redistest"
)

// TestRehearsal runs check --rehearse on real directories: the server
// starts on a scratch copy, its answer stands beside the prediction, and
// the directory itself is untouched.
func TestRehearsal(t *testing.T) {
	redistest.Binary(t)
	// A TMPDIR deeper than a unix socket path may be: the server's socket
	// must find a shorter home.
	deep := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 40))
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", deep)
	for _, tc := range []struct {
		name    string
		fixture string
		edit    func(t *testing.T, dir string)
		result  string
	}{
		{"history", "redis7-history", nil, "starts"},
		{"torn-last-incr", "redis7-writes", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, fi.Size()-7); err != nil {
				t.Fatal(err)
			}
		}, "starts"},
		{"missing-incr", "redis7-multi-incr", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "appendonlydir", "appendonly.aof.2.incr.aof")); err != nil {
				t.Fatal(err)
			}
		}, "refuses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			fsguard.CopyTree(t, filepath.Join("..", "..", "testdata", tc.fixture), dir)
			if tc.edit != nil {
				tc.edit(t, dir)
			}
			fsguard.Touch(t, dir, time.Now().Add(-time.Hour))
			guard := fsguard.Record(t, dir)
			rep, r := checkJSON(t, "--rehearse", dir)
			guard.AssertUnchanged(t)
			if rep == nil || rep.Rehearsal == nil {
				t.Fatalf("no rehearsal: exit %d %s", r.code, r.stderr)
			}
			rh := rep.Rehearsal
			if rh.Server.Result != tc.result || !rh.Agrees || rep.Findings.Has(finding.RehearsalDiffers) {
				t.Errorf("rehearsal %+v, differences %v", rh.Server, rh.Differences)
			}
			if tc.name == "torn-last-incr" {
				found := false
				for _, c := range rh.Server.Changes {
					found = found || c.Action == "truncated" && strings.HasSuffix(c.Path, "appendonly.aof.1.incr.aof")
				}
				if !found {
					t.Errorf("the rehearsal did not cut the torn incr: %+v", rh.Server.Changes)
				}
			}
		})
	}
	// Nothing of the scratch copies is left behind.
	if ents, _ := os.ReadDir(os.Getenv("TMPDIR")); len(ents) != 0 {
		t.Errorf("scratch left in TMPDIR: %v", ents)
	}
}
