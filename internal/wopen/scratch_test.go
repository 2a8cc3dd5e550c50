package wopen

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestScratch(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, parent := range []string{data, filepath.Join(data, ".")} {
		if _, err := NewScratch("--spill-dir", parent, data); !errors.Is(err, ErrInside) {
			t.Errorf("%s: %v, want an inspected-path refusal", parent, err)
		}
	}
	s, err := NewScratch("--spill-dir", root, data)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(s.Dir()) != root {
		t.Errorf("scratch %s is not under %s", s.Dir(), root)
	}
	f, err := s.Create("part-1")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("x")
	f.Close()
	if _, err := s.Create("part-1"); err == nil {
		t.Error("a scratch file was created twice")
	}
	if _, err := s.Create("../escape"); err == nil {
		t.Error("a name with a path was accepted")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("scratch directory left behind: %v", err)
	}
}
