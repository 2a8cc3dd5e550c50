package oracle

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDiffTellsCutsAppendsAndRewrites(t *testing.T) {
	dir := t.TempDir()
	put := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appendTo := func(name, data string) {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(data)
		f.Close()
	}
	put("cut", "REDIS0010-header-and-tail")
	put("cut-then-appended", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI")
	put("grown", "")
	put("renamed-over", "REDIS0010 old base")
	put("gone", "x")
	put("moved", "legacy")
	before := snapshotTree(t, dir)

	os.Truncate(filepath.Join(dir, "cut"), 9)
	os.Truncate(filepath.Join(dir, "cut-then-appended"), 14)
	appendTo("cut-then-appended", "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n")
	appendTo("grown", "*1\r\n$4\r\nPING\r\n")
	put("tmp", "REDIS0010 new base")
	os.Rename(filepath.Join(dir, "tmp"), filepath.Join(dir, "renamed-over"))
	os.Remove(filepath.Join(dir, "gone"))
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Rename(filepath.Join(dir, "moved"), filepath.Join(dir, "sub", "moved"))
	put("new", "n")

	got := map[string]Change{}
	for _, c := range diffTrees(before, snapshotTree(t, dir), "") {
		got[c.Path] = c
	}
	want := map[string]ChangeKind{"cut": Truncated, "cut-then-appended": Truncated, "grown": Grown, "renamed-over": Rewritten,
		"gone": Deleted, "sub": Created, "sub/moved": Moved, "new": Created}
	for p, k := range want {
		if got[p].Kind != k {
			t.Errorf("%s: %q, want %q (%v)", p, got[p].Kind, k, got[p])
		}
	}
	// The appended DEL starts with the '*' the cut removed.
	if c := got["cut-then-appended"]; c.Kept < 14 || c.Kept > 15 || c.NewSize != 14+20 {
		t.Errorf("cut then appended: kept %d, new size %d", c.Kept, c.NewSize)
	}
	if len(got) != len(want) {
		t.Errorf("changes %v, want only %v", got, want)
	}
}
