package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/fsguard"
	"github.com/aoftool/aoftool/snapshot"
)

func TestDiffListingsGolden(t *testing.T) {
	withSnapshotClock(t, 0)
	old, cur := listingPath("real-bgsave-lR"), listingPath("real-rewrite-lR")
	r := runCLI(t, "", "diff", old, cur)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "diff/listings.txt", r.stdout)
	r = runCLI(t, "", "--json", "diff", old, cur)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "diff/listings.json", r.stdout)
	var res snapshot.DiffResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range res.Events {
		if e.Type == snapshot.EventRenamed && e.Path == "dump.rdb" && e.Inferred && strings.HasPrefix(e.OldPath, "temp-") {
			found = true
		}
	}
	if !found {
		t.Errorf("no inferred temp-<pid>.rdb -> dump.rdb rename in %+v", res.Events)
	}
}

// TestDiffSavedSnapshotAgainstDir: a snapshot saved by 'aoftool snapshot -o'
// is read back by diff and compared with the directory as it is now.
func TestDiffSavedSnapshotAgainstDir(t *testing.T) {
	withSnapshotClock(t, 10*time.Second)
	dir := snapDir(t, "redis7-writes")
	saved := filepath.Join(t.TempDir(), "t0.json")
	if r := runCLIIn(t, filepath.Dir(dir), "snapshot", "data", "-o", saved); r.code != 0 {
		t.Fatalf("snapshot: %d %s", r.code, r.stderr)
	}
	// What a BGREWRITEAOF start does: a rewrite child's temp file appears
	// and the incr grows.
	incr := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	f, err := os.OpenFile(incr, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("*1\r\n$4\r\nPING\r\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(dir, "temp-rewriteaof-4242.aof"), []byte("REDIS0010"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{incr, filepath.Join(dir, "temp-rewriteaof-4242.aof")} {
		if err := os.Chtimes(p, snapTime.Add(5*time.Second), snapTime.Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	guard := fsguard.Record(t, dir)
	r := runCLIIn(t, filepath.Dir(dir), "diff", saved, "data")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	golden(t, "diff/saved-vs-dir.txt", r.stdout)
	guard.AssertUnchanged(t)
	for _, want := range []string{"grown", "appendonly.aof.1.incr.aof", "created", "temp-rewriteaof-4242.aof", "AOF rewrite started"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestDiffErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "newer.json")
	if err := os.WriteFile(bad, []byte(`{"schema": 99, "entries": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", "a"}, "accepts 2"},
		{[]string{"diff", "-", "-"}, "only one"},
		{[]string{"diff", "/no/such", "/no/such"}, "no such file"},
		{[]string{"diff", bad, bad}, "schema 99"},
	} {
		r := runCLI(t, "", c.args...)
		if r.code != exitCannot || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
