package hardening

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aoftool/aoftool/internal/fsguard"
)

// leftoverDir is a realistic data dir: the real files plus the leftovers of
// jobs that died (a partial BGSAVE temp, a partial rewrite temp, a temp
// incr), so every code path that looks at temp files runs.
func leftoverDir(t *testing.T) string {
	rd := realFiles(t)
	dir := filepath.Join(t.TempDir(), "data")
	aofdir := filepath.Join(dir, "appendonlydir")
	if err := os.MkdirAll(aofdir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, rd.dump, filepath.Join(dir, "dump.rdb"))
	copyFile(t, rd.base, filepath.Join(aofdir, filepath.Base(rd.base)))
	copyFile(t, rd.incr, filepath.Join(aofdir, filepath.Base(rd.incr)))
	copyFile(t, rd.manifest, filepath.Join(aofdir, filepath.Base(rd.manifest)))
	dump, _ := os.ReadFile(rd.dump)
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("temp-4242.rdb", dump[:len(dump)/2])
	write("temp-rewriteaof-4343.aof", dump[:len(dump)/3])
	write("temp-1795000000.4444.rdb", dump[:len(dump)/4])
	write("appendonlydir/temp-appendonly.aof.incr", nil)
	old := time.Now().Add(-2 * time.Hour)
	for _, n := range []string{"temp-4242.rdb", "temp-rewriteaof-4343.aof", "temp-1795000000.4444.rdb"} {
		os.Chtimes(filepath.Join(dir, n), old, old)
	}
	return dir
}

// TestEveryCommandLeavesTheDirectoryUntouched runs every command over one
// data dir and proves it byte-identical afterwards: content, size, mtime,
// mode and inode of every entry, and nothing added.
func TestEveryCommandLeavesTheDirectoryUntouched(t *testing.T) {
	dir := leftoverDir(t)
	aofdir := filepath.Join(dir, "appendonlydir")
	rd := realFiles(t)
	out := t.TempDir()
	guard := fsguard.Record(t, dir)
	runs := [][]string{
		{"manifest", dir},
		{"manifest", "--json", aofdir},
		{"rdb", filepath.Join(dir, "dump.rdb"), filepath.Join(aofdir, filepath.Base(rd.base))},
		{"rdb", "--keys", "--json", filepath.Join(dir, "dump.rdb")},
		{"rdb", filepath.Join(dir, "temp-4242.rdb")},
		{"aof", filepath.Join(aofdir, filepath.Base(rd.incr))},
		{"aof", "--json", dir},
		{"aof", "--repair-to", filepath.Join(out, "repaired"), dir},
		{"check", dir},
		{"check", "--json", dir},
		{"check", "--markdown", dir},
		{"snapshot", dir},
		{"snapshot", "-o", filepath.Join(out, "snap.json"), dir},
		{"diff", filepath.Join(out, "snap.json"), dir},
		{"phase", dir},
		{"phase", "--json", dir},
		{"phase", "--prometheus", filepath.Join(out, "aoftool.prom"), dir},
		{"watch", "--timeout", "3s", "--json", dir},
		{"keys", "--format", "ndjson", dir},
		{"keys", "--json", "--prefix-report", filepath.Join(dir, "dump.rdb")},
		{"keys", "--format", "ndjson", "--values", filepath.Join(dir, "dump.rdb")},
		{"keydiff", "--memory-limit", "1MiB", "--spill-dir", out, filepath.Join(dir, "dump.rdb"), dir},
	}
	for _, args := range runs {
		r := runLimited(t, 60*time.Second, args...)
		if why := healthy(r); why != "" {
			t.Errorf("%s\n%s", why, r)
		}
	}
	guard.AssertUnchanged(t)
}

// TestWritesInsideTheInspectedDirAreRefused checks every flag that writes a
// file: pointed inside the inspected directory, it must refuse (exit 2) and
// create nothing.
func TestWritesInsideTheInspectedDirAreRefused(t *testing.T) {
	dir := leftoverDir(t)
	guard := fsguard.Record(t, dir)
	for _, args := range [][]string{
		{"aof", "--repair-to", filepath.Join(dir, "repaired"), dir},
		{"aof", "--repair-to", filepath.Join(dir, "appendonlydir", "x.aof"), filepath.Join(dir, "appendonlydir")},
		{"snapshot", "-o", filepath.Join(dir, "snap.json"), dir},
		{"phase", "--prometheus", filepath.Join(dir, "aoftool.prom"), dir},
	} {
		r := runLimited(t, 60*time.Second, args...)
		if r.code != 2 {
			t.Errorf("want exit 2 (refused), got %s", r)
		}
	}
	guard.AssertUnchanged(t)
}
