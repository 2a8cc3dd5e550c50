package wopen

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlanRefusesInspectedPaths(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	if err := os.MkdirAll(filepath.Join(data, "appendonlydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(data, "dump.rdb")
	if err := os.WriteFile(dump, []byte("REDIS0010"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		filepath.Join(data, "x.json"),
		filepath.Join(data, "appendonlydir", "x.json"),
		filepath.Join(data, "appendonlydir", "..", "x.json"),
		filepath.Join(link, "new", "x.json"),
		data,
		dump,
	} {
		_, err := Plan("-o", out, ReplaceFile, data)
		if !errors.Is(err, ErrInside) {
			t.Errorf("%s: %v, want an inspected-path refusal", out, err)
		}
	}
	if _, err := Plan("-o", filepath.Join(root, "out.json"), ReplaceFile, data); err != nil {
		t.Errorf("beside the data dir: %v", err)
	}
}

func TestPlanChecksTheDestination(t *testing.T) {
	root := t.TempDir()
	full := filepath.Join(root, "full")
	os.MkdirAll(full, 0o755)
	os.WriteFile(filepath.Join(full, "f"), nil, 0o644)
	empty := filepath.Join(root, "empty")
	os.MkdirAll(empty, 0o755)
	touched := filepath.Join(root, "touched")
	os.WriteFile(touched, nil, 0o644)
	kept := filepath.Join(root, "kept")
	os.WriteFile(kept, []byte("x"), 0o644)
	for _, tc := range []struct {
		out  string
		mode Mode
		ok   bool
		msg  string
	}{
		{filepath.Join(root, "no", "dir", "x"), NewFile, false, "does not exist"},
		{filepath.Join(kept, "x"), NewFile, false, "not a directory"},
		{full, NewDir, false, "not an empty directory"},
		{empty, NewDir, true, ""},
		{filepath.Join(root, "new"), NewDir, true, ""},
		{touched, NewFile, true, ""},
		{kept, NewFile, false, "already exists"},
		{kept, ReplaceFile, true, ""},
		{full, ReplaceFile, false, "already exists"},
	} {
		_, err := Plan("--out", tc.out, tc.mode)
		if (err == nil) != tc.ok || err != nil && !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s (mode %d): %v", tc.out, tc.mode, err)
		}
	}
}

func TestWritesLandWholeOrNotAtAll(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "metrics.prom")
	os.WriteFile(p, []byte("old"), 0o644)
	tg, err := Plan("--prometheus", p, ReplaceFile)
	if err != nil {
		t.Fatal(err)
	}
	w, err := tg.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half"))
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("visible before commit: %q", b)
	}
	w.Abort()
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("after abort: %q", b)
	}
	if err := tg.WriteFile([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("after commit: %q", b)
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}

	out := filepath.Join(root, "repair")
	td, err := Plan("--repair-to", out, NewDir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := td.CreateDir()
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Create("a.aof")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := d.Create("../escape"); err == nil {
		t.Error("a path was accepted as a file name")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("directory visible before commit: %v", err)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "a.aof")); err != nil {
		t.Errorf("after commit: %v", err)
	}
}
