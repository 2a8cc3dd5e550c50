package redistest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartWriteStop(t *testing.T) {
	s := Start(t, Options{Config: []string{"appendonly yes"}})
	s.MustDo("SET", "k", "v")
	if r := s.MustDo("GET", "k"); r.Str != "v" {
		t.Fatalf("GET k = %q", r.Str)
	}
	pid := s.Pid()
	s.Stop()
	if !s.Exited() {
		t.Fatalf("server %d still running after Stop", pid)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "appendonlydir", "appendonly.aof.manifest")); err != nil {
		t.Fatalf("AOF server left no manifest: %v", err)
	}
}

func TestRefusingServerReturnsLog(t *testing.T) {
	dir := t.TempDir()
	aofdir := filepath.Join(dir, "appendonlydir")
	if err := os.Mkdir(aofdir, 0o755); err != nil {
		t.Fatal(err)
	}
	// No trailing newline: the loader refuses with "too long line".
	if err := os.WriteFile(filepath.Join(aofdir, "appendonly.aof.manifest"), []byte("file appendonly.aof.1.base.rdb seq 1 type b"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Launch(t, Options{Dir: dir, Config: []string{"appendonly yes"}, StartTimeout: 10 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "too long line") {
		t.Fatalf("want a start error quoting the log, got %v", err)
	}
}
